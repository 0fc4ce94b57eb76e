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

This applies to the loops of asyncio's own policy on Unix. With another policy
(``asyncio.set_event_loop_policy``), on Windows, or with uvloop, every loop is made
the ordinary way.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["SelfPipePool", "loop_factory"]

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

#: What the pool keeps: (selector or None, ssock, csock); the selector, when kept,
#: still has ssock registered.
_Entry = tuple[selectors.BaseSelector | None, socket.socket, socket.socket]


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

    def take(self) -> tuple[socket.socket, socket.socket] | None:
        """A drained pair, or None when the pool is empty (a kept selector is closed)."""
        entry = self.take_entry()
        if entry is None:
            return None
        selector, ssock, csock = entry
        if selector is not None:
            selector.close()
        return ssock, csock

    def take_entry(self) -> _Entry | None:
        """``(selector or None, ssock, csock)`` with the pair drained, or None when empty.

        A selector still has ``ssock`` registered for reading (with the previous loop's
        callback: the new loop registers its own over it).
        """
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
        *,
        written: bool = True,
    ) -> None:
        """Keep the pair (and the selector) of a closing loop, or close them when the
        pool is full. ``written=False`` tells that nothing wrote to ``csock`` (no
        drain needed when the pair is taken again)."""
        if len(self._entries) >= self._size or ssock.fileno() < 0 or csock.fileno() < 0:
            if selector is not None:
                selector.close()
            ssock.close()
            csock.close()
            return
        self._entries.append((selector, ssock, csock))
        if written:
            self._written.add(ssock)

    def close(self) -> None:
        """Close what is kept."""
        self._written.clear()
        while self._entries:
            selector, ssock, csock = self._entries.pop()
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
    """asyncio's selector loop with its wake-up socket pair and selector from a pool."""

    # The attributes below are asyncio's own (selector_events.BaseSelectorEventLoop).
    _ssock: Any
    _csock: Any
    _selector: Any
    _internal_fds: int
    _add_reader: Callable[..., Any]
    _remove_reader: Callable[[int], bool]
    _read_from_self: Callable[[], None]

    def __init__(self, pool: SelfPipePool) -> None:
        self._pipe_pool = pool
        # Set before anything may write a wake-up byte: call_soon_threadsafe() and
        # signal handlers (the interpreter writes to the socket itself for those).
        self._pipe_written = False
        entry = pool.take_entry()
        self._pooled_pipe = entry  # read by _make_self_pipe, which __init__ calls
        super().__init__(entry[0] if entry is not None else None)

    def _make_self_pipe(self) -> None:
        entry, self._pooled_pipe = self._pooled_pipe, None
        if entry is None:
            super()._make_self_pipe()  # type: ignore[misc]
            return
        _, self._ssock, self._csock = entry
        self._internal_fds += 1
        # In a kept selector this replaces the previous loop's callback (no system call).
        self._add_reader(self._ssock.fileno(), self._read_from_self)

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
            self._pipe_pool.give(ssock, csock, selector, written=self._pipe_written)
        else:
            self._pipe_pool.give(ssock, csock, written=self._pipe_written)


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


def loop_factory(kind: str, pool: SelfPipePool) -> Callable[[], asyncio.AbstractEventLoop]:
    """The function creating each test's loop: ``kind`` is ``asyncio`` or ``uvloop``.

    Raises ``ImportError`` for uvloop when it is not installed and ``ValueError`` for
    another kind.
    """
    if kind == "uvloop":
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
        return factory
    if kind != "asyncio":
        raise ValueError(f"toolkit_loop must be 'asyncio' or 'uvloop', got {kind!r}")
    if not _POOLABLE:
        return asyncio.new_event_loop

    def new_loop() -> asyncio.AbstractEventLoop:
        # Checked for every loop: a conftest or fixture may install a policy at any time.
        if not _asyncio_default_policy():
            return asyncio.new_event_loop()
        return _PooledLoop(pool)

    return new_loop
