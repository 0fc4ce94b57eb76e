"""Event loops for tests: a new loop for every test, made cheaply.

Most of what a new asyncio loop costs is its system resources, not the loop object:
the wake-up channel (the "self-pipe": a socket pair the loop writes to from other
threads and signal handlers) and the selector (an epoll/kqueue object) it is
registered with. The plugin's asyncio loops therefore take both from a
:class:`SelfPipePool` when the previous test's loop has closed, and give them back
when they close. Every test still gets a new loop object with its own tasks,
callbacks, exception handler and selector object; only those system resources move
from one closed loop to the next:

* the socket pair always (drained on the way if anything wrote a wake-up byte to it:
  `call_soon_threadsafe()` or a signal handler; otherwise there is nothing to read);
* the selector only when the closing loop left nothing registered in it but the
  wake-up socket (no transport left open), so the next loop starts from the same
  state as with a new selector. Otherwise it is closed, as asyncio does.

The loop object is cheap to make too: out of debug mode, :class:`_FastLoop` sets the
attributes asyncio's ``__init__`` would (checked once per process against a loop
asyncio made: any other Python's loops are made by asyncio's ``__init__``), takes over
the kept selector's registration of the wake-up socket, and closes without the steps
of asyncio's ``close()`` that have nothing to do. Its ``call_soon`` (every callback of
every future and task) makes the handle without ``events.Handle.__init__``, with the
slots that makes (checked in the same way).

This applies to the loops of asyncio's own policy on Unix. With another policy
(``asyncio.set_event_loop_policy``), on Windows, or with uvloop, every loop is made
the ordinary way.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import logging
import os
import selectors
import socket
import sys
import time
import warnings
import weakref
from asyncio import coroutines, events
from collections.abc import Callable, Mapping
from typing import Any

from .network import check_address, check_reachable

__all__ = ["SelfPipePool", "loop_factory", "transport_table"]

#: The private asyncio methods the pooled loop overrides (present in CPython 3.4+).
_HOOKS = (
    "_make_self_pipe",
    "_close_self_pipe",
    "_read_from_self",
    "_write_to_self",
    "_add_reader",
)
_POOLABLE = sys.platform != "win32" and all(
    hasattr(asyncio.SelectorEventLoop, name) for name in _HOOKS
)

#: What the pool keeps: (selector or None, ssock, csock, handle or None). A kept selector
#: still has ssock registered for reading, with ``handle`` (the previous loop's) when known.
_Entry = tuple[selectors.BaseSelector | None, socket.socket, socket.socket, events.Handle | None]


class SelfPipePool:
    """Keeps the wake-up socket pair (and the selector) of a closed loop for the next one.

    Loops are created and closed by the thread running the tests, one after the
    other; at most ``size`` entries are kept, the others are closed.
    """

    def __init__(self, size: int = 1) -> None:
        self._size = size
        self._entries: list[_Entry] = []
        #: The ``ssock`` of kept entries that may hold wake-up bytes (drained when taken).
        self._written: set[socket.socket] = set()

    def __len__(self) -> int:
        return len(self._entries)

    def take_entry(self) -> _Entry | None:
        """``(selector or None, ssock, csock, handle or None)`` with the pair drained, or
        None when empty. A selector still has ``ssock`` registered for reading with
        ``handle``, the previous loop's: the new loop takes it over."""
        if not self._entries:
            return None
        entry = self._entries.pop()
        if entry[1] in self._written:
            # A wake-up byte written around the previous loop's close() means nothing now.
            self._written.discard(entry[1])
            _drain(entry[1])
        return entry

    def give(
        self,
        ssock: socket.socket,
        csock: socket.socket,
        selector: selectors.BaseSelector | None = None,
        handle: events.Handle | None = None,
        *,
        written: bool = True,
    ) -> None:
        """Keep the pair (and the selector, with ``handle`` registered for ``ssock``) of a
        closing loop, or close them when the pool is full. ``written=False`` tells that
        nothing wrote to ``csock`` (no drain needed when the pair is taken again)."""
        if len(self._entries) >= self._size or ssock.fileno() < 0 or csock.fileno() < 0:
            if selector is not None:
                selector.close()
            ssock.close()
            csock.close()
            return
        self._entries.append((selector, ssock, csock, handle))
        if written:
            self._written.add(ssock)

    def close(self) -> None:
        """Close what is kept."""
        self._written.clear()
        while self._entries:
            selector, ssock, csock, _ = self._entries.pop()
            if selector is not None:
                selector.close()
            ssock.close()
            csock.close()


def _drain(sock: socket.socket) -> None:
    while True:
        try:
            if not sock.recv(4096):
                return
        except InterruptedError:
            continue
        except OSError:  # BlockingIOError: empty
            return


class _PooledLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop with its wake-up socket pair and selector from a pool.

    In a kept selector, the wake-up socket stays registered from one loop to the next:
    the handle registered for it (an ``events.Handle`` in the selector key's data, as
    ``_add_reader()`` makes it) is initialised again for the new loop.
    """

    # The attributes below are asyncio's own (BaseEventLoop, BaseSelectorEventLoop).
    _ssock: Any
    _csock: Any
    _selector: Any
    _internal_fds: int
    _debug: bool
    _closed: bool
    _thread_id: int | None
    _default_executor: Any
    _executor_shutdown_called: bool
    _add_reader: Callable[..., Any]
    _remove_reader: Callable[[int], bool]
    _read_from_self: Callable[[], None]

    def __init__(self, pool: SelfPipePool) -> None:
        super().__init__(self._take_from(pool))

    def _take_from(self, pool: SelfPipePool) -> selectors.BaseSelector | None:
        """Take a pooled wake-up pair (for _make_self_pipe, which __init__ calls) and
        return the selector kept with it, if any."""
        self._pipe_pool = pool
        # Set before anything may write a wake-up byte: call_soon_threadsafe() and
        # signal handlers (the interpreter writes to the socket itself for those).
        self._pipe_written = False
        entry = self._pooled_pipe = pool.take_entry()
        return entry[0] if entry is not None else None

    def _make_self_pipe(self) -> None:
        entry, self._pooled_pipe = self._pooled_pipe, None
        self._pipe_handle: events.Handle | None = None
        if entry is None:
            super()._make_self_pipe()  # type: ignore[misc]
            # The reader asyncio registered: key.data is (reader handle, writer handle).
            self._pipe_handle = self._selector.get_key(self._ssock.fileno()).data[0]
            return
        selector, self._ssock, self._csock, handle = entry
        self._internal_fds += 1
        if selector is not None and type(handle) is events.Handle:
            # The kept selector has ssock registered with the previous loop's handle:
            # initialised again, it is the one _add_reader() would make for this loop.
            events.Handle.__init__(handle, self._read_from_self, (), self)
            self._pipe_handle = handle
        else:
            self._pipe_handle = self._add_reader(self._ssock.fileno(), self._read_from_self)

    def _write_to_self(self) -> None:
        self._pipe_written = True
        super()._write_to_self()  # type: ignore[misc]

    def add_signal_handler(  # type: ignore[override]  # same signature, simpler typing
        self, sig: int, callback: Callable[..., object], *args: Any
    ) -> None:
        self._pipe_written = True
        super().add_signal_handler(sig, callback, *args)

    def _close_self_pipe(self) -> None:
        ssock, csock, selector = self._ssock, self._csock, self._selector
        handle, self._pipe_handle = self._pipe_handle, None
        # Keep the selector only if nothing but the wake-up socket is left in it.
        keep = selector is not None and len(selector.get_map()) == 1
        if not keep:
            self._remove_reader(ssock.fileno())
        # None first: a thread calling call_soon_threadsafe() on this closed loop
        # finds no socket to write to (asyncio checks for None).
        self._ssock = self._csock = None
        self._internal_fds -= 1
        if keep:
            self._selector = None  # so that close() does not close it
            self._pipe_pool.give(ssock, csock, selector, handle, written=self._pipe_written)
        else:
            self._pipe_pool.give(ssock, csock, written=self._pipe_written)


#: Python 3.13 added _old_agen_hooks (BaseEventLoop) and _unix_server_sockets.
_PY313 = sys.version_info >= (3, 13)
#: What BaseEventLoop.__init__ reads from time.get_clock_info() for every loop.
_CLOCK_RESOLUTION = time.get_clock_info("monotonic").resolution


class _FastLoop(_PooledLoop):
    """A :class:`_PooledLoop` made without running asyncio's ``__init__``.

    It sets the attributes asyncio's loop ``__init__`` sets itself (the same values),
    and is used only out of debug mode and once :func:`_fast_loops_match` has found
    it to have the attributes of a loop made by asyncio. ``close()`` skips the steps of
    asyncio's that have nothing to do.
    """

    def __init__(self, pool: SelfPipePool) -> None:
        # BaseEventLoop.__init__ (out of debug mode).
        self._timer_cancelled_count = 0
        self._closed = False
        self._stopping = False
        self._ready: collections.deque[Any] = collections.deque()
        self._scheduled: list[Any] = []
        self._default_executor = None
        self._internal_fds = 0
        self._thread_id = None
        self._clock_resolution = _CLOCK_RESOLUTION
        self._exception_handler = None
        self._debug = False
        if _PY313:
            self._old_agen_hooks = None
        self.slow_callback_duration = 0.1
        self._current_handle = None
        self._task_factory = None
        self._coroutine_origin_tracking_enabled = False
        self._coroutine_origin_tracking_saved_depth = None
        self._asyncgens: weakref.WeakSet[Any] = weakref.WeakSet()
        self._asyncgens_shutdown_called = False
        self._executor_shutdown_called = False
        # BaseSelectorEventLoop.__init__, with the pooled selector and wake-up pair
        # (see _PooledLoop.__init__); its _transports is made on first use (below).
        selector = self._take_from(pool)
        self._selector = selector if selector is not None else selectors.DefaultSelector()
        self._make_self_pipe()
        # _UnixSelectorEventLoop.__init__
        self._signal_handlers: dict[int, Any] = {}
        if _PY313:
            self._unix_server_sockets: dict[Any, int] = {}

    #: Whether ``_transports`` was made (see :func:`transport_table`).
    _transports_made = False

    def call_soon(  # type: ignore[override]  # (typeshed types the args with a TypeVarTuple)
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> events.Handle:
        """asyncio's ``call_soon``, out of debug mode with the handle made directly:
        ``events.Handle.__init__`` is a Python call that asks the loop for its debug flag,
        and every callback of every future and task goes through here."""
        if self._closed or self._debug:
            return super().call_soon(callback, *args, context=context)
        handle: Any = _new_object(events.Handle)
        handle._callback = callback
        handle._args = args
        handle._cancelled = False
        handle._loop = self
        handle._source_traceback = None
        handle._repr = None
        handle._context = contextvars.copy_context() if context is None else context
        self._ready.append(handle)
        return handle  # type: ignore[no-any-return]

    @functools.cached_property
    def _transports(self) -> weakref.WeakValueDictionary[int, Any]:
        # The costliest of the per-loop objects, made on first use: most tests open no
        # transport (asyncio uses it when they do, or on add_reader()/add_writer()).
        self._transports_made = True
        return weakref.WeakValueDictionary()

    def close(self) -> None:
        """asyncio's ``close()``, without its steps that have nothing to do here."""
        # Out of debug mode, with no default executor and no signal handler, asyncio's
        # close() (BaseSelectorEventLoop's, BaseEventLoop's, _UnixSelectorEventLoop's)
        # does only what follows.
        if (
            self._thread_id is not None
            or self._closed
            or self._debug
            or self._default_executor is not None
            or self._signal_handlers
        ):
            super().close()
            return
        self._close_self_pipe()
        self._closed = True
        self._ready.clear()
        self._scheduled.clear()
        self._executor_shutdown_called = True
        if self._selector is not None:
            self._selector.close()
            self._selector = None


_new_object = object.__new__

#: The attributes the pooled loops add to asyncio's.
_OWN_ATTRIBUTES = frozenset(
    {"_pipe_pool", "_pipe_written", "_pooled_pipe", "_pipe_handle", "_transports_made"}
)
_SCALARS = (type(None), bool, int, float, str)


def transport_table(loop: asyncio.AbstractEventLoop) -> Mapping[int, Any] | None:
    """An asyncio selector loop's socket transports by file descriptor (None for other
    loops), without making the table of a plugin loop that never had one: None then."""
    if not getattr(loop, "_transports_made", True):
        return None
    return getattr(loop, "_transports", None)


def _loop_state(loop: asyncio.AbstractEventLoop) -> dict[str, object]:
    """A loop's attributes (asyncio's), by name: the value of scalars, the type (and
    size) of the others."""
    return {
        name: value
        if type(value) in _SCALARS
        else (type(value), len(value) if hasattr(value, "__len__") else None)
        for name, value in vars(loop).items()
        if name not in _OWN_ATTRIBUTES
    }


def _handle_state(handle: events.Handle, loop: asyncio.AbstractEventLoop) -> dict[str, object]:
    """A handle's slots by name: the value, the type for its context, whether its loop is
    ``loop`` (with the names of slots it lacks: another Python's Handle)."""
    state: dict[str, object] = {}
    for name in type(handle).__slots__:
        value = getattr(handle, name, _MISSING)
        if name == "_loop":
            value = value is loop
        elif name in ("_context", "__weakref__"):
            value = type(value)
        state[name] = value
    return state


_MISSING = object()


@functools.cache
def _fast_loops_match() -> bool:
    """Whether a :class:`_FastLoop` is made as asyncio makes loops on this Python.

    Checked once per process, out of debug mode: a new loop asyncio made and a new
    _FastLoop have the same attributes, their ``call_soon`` handles the same slots, and
    asyncio registered the wake-up socket with an ``events.Handle`` (which
    :class:`_PooledLoop` takes over). Only the Pythons this was verified on (3.11 to
    3.13) take the fast path: ``__init__`` or ``close()`` may do more elsewhere than the
    attributes show.
    """
    if sys.version_info >= (3, 14):
        return False
    reference: Any = asyncio.SelectorEventLoop()
    pool = SelfPipePool()
    try:
        fast = _FastLoop(pool)
        fast._transports  # noqa: B018  # made on first use
        key = reference._selector.get_key(reference._ssock.fileno())
        match = (
            type(key.data[0]) is events.Handle
            and _loop_state(fast) == _loop_state(reference)
            and _handle_state(fast.call_soon(print, 1), fast)
            == _handle_state(reference.call_soon(print, 1), reference)
        )
        fast.close()
        return match
    except Exception:  # a loop made otherwise: asyncio's __init__ does it
        return False
    finally:
        reference.close()
        pool.close()


_asyncio_logger = logging.getLogger("asyncio")


#: CPython's os.environ keeps the environment, encoded, in a dict.
_ENVIRON = os.environ
_ENVIRON_DATA: object = getattr(_ENVIRON, "_data", None)
_DEBUG_VARIABLE: object = getattr(_ENVIRON, "encodekey", str)("PYTHONASYNCIODEBUG")


def _debug_mode() -> bool:
    """Whether asyncio makes a new loop in debug mode (``coroutines._is_debug_mode()``)."""
    flags = sys.flags
    if flags.dev_mode:
        return True
    if flags.ignore_environment:
        return False
    # os.environ.get() raises and catches a KeyError when the variable is not set (the
    # common case): that costs more than all of _FastLoop.__init__'s assignments.
    if os.environ is _ENVIRON and isinstance(_ENVIRON_DATA, dict):
        return bool(_ENVIRON_DATA.get(_DEBUG_VARIABLE))
    return coroutines._is_debug_mode()  # type: ignore[attr-defined,no-any-return]


if sys.version_info >= (3, 14):

    def _get_policy() -> object:
        with warnings.catch_warnings():  # the policy API is deprecated from Python 3.14
            warnings.simplefilter("ignore", DeprecationWarning)
            return asyncio.get_event_loop_policy()

else:
    _get_policy = asyncio.get_event_loop_policy


def _asyncio_default_policy() -> bool:
    """True when loops come from asyncio's own policy (nobody installed another)."""
    return type(_get_policy()).__module__.startswith("asyncio.")


def _guarded_uvloop_class() -> type[asyncio.AbstractEventLoop]:
    """uvloop's loop, whose methods that resolve names or connect (in C, past the
    ``socket`` module that ``--block-network`` guards) check the block first."""
    import uvloop

    class GuardedUVLoop(uvloop.Loop):
        """``uvloop.Loop``, honouring ``--block-network`` and the ``block_network`` mark."""

        async def getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
            check_reachable(host, "resolving")
            return await super().getaddrinfo(host, *args, **kwargs)

        async def create_connection(
            self, protocol_factory: Any, host: Any = None, *args: Any, **kwargs: Any
        ) -> Any:
            if host is not None:
                check_reachable(host, "connecting to")
            return await super().create_connection(protocol_factory, host, *args, **kwargs)

        async def sock_connect(self, sock: socket.socket, address: Any) -> Any:
            check_address(sock, address)
            return await super().sock_connect(sock, address)

        async def create_datagram_endpoint(
            self,
            protocol_factory: Any,
            local_addr: Any = None,
            remote_addr: Any = None,
            **kwargs: Any,
        ) -> Any:
            if isinstance(remote_addr, tuple) and remote_addr:
                check_reachable(remote_addr[0], "connecting to")
            return await super().create_datagram_endpoint(
                protocol_factory, local_addr, remote_addr, **kwargs
            )

    return GuardedUVLoop


def loop_factory(kind: str, pool: SelfPipePool) -> Callable[[], asyncio.AbstractEventLoop]:
    """The function creating each test's loop: ``kind`` is ``asyncio`` or ``uvloop``.

    Raises ``ImportError`` for uvloop when it is not installed and ``ValueError`` for
    another kind.
    """
    if kind == "uvloop":
        return _guarded_uvloop_class()
    if kind != "asyncio":
        raise ValueError(f"toolkit_loop must be 'asyncio' or 'uvloop', got {kind!r}")
    if not _POOLABLE:
        return asyncio.new_event_loop

    def new_loop() -> asyncio.AbstractEventLoop:
        # Checked for every loop: a conftest or fixture may install a policy at any time.
        if not _asyncio_default_policy():
            return asyncio.new_event_loop()
        # Debug mode (and asyncio's debug log, which tells the selector of every new
        # loop) takes asyncio's own __init__.
        if (
            not _debug_mode()
            and not _asyncio_logger.isEnabledFor(logging.DEBUG)
            and _fast_loops_match()
        ):
            return _FastLoop(pool)
        return _PooledLoop(pool)

    return new_loop
