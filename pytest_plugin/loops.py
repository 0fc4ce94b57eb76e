"""Event loops for tests: a new loop for every test, made cheaply.

Most of what a new asyncio loop costs is its wake-up channel (the "self-pipe": a
socket pair the loop writes to from other threads and signal handlers, registered
with its selector), not the loop itself. The plugin's asyncio loops therefore take
that socket pair from a :class:`SelfPipePool` when the previous test's loop has
closed, and give it back when they close. Every test still gets a new loop object
with its own selector, tasks, callbacks and exception handler; only the socket pair
moves from one closed loop to the next, and it is drained on the way.

This applies to the loops of asyncio's own policy on Unix. With another policy
(``asyncio.set_event_loop_policy``), on Windows, or with uvloop, every loop is made
the ordinary way.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["SelfPipePool", "loop_factory"]

#: The private asyncio methods the pooled loop overrides (present in CPython 3.4+).
_HOOKS = ("_make_self_pipe", "_close_self_pipe", "_read_from_self", "_add_reader")
_POOLABLE = sys.platform != "win32" and all(
    hasattr(asyncio.SelectorEventLoop, name) for name in _HOOKS
)


class SelfPipePool:
    """Keeps the wake-up socket pair of a closed loop for the next one.

    Loops are created and closed by the thread running the tests, one after the
    other; at most ``size`` pairs are kept, the others are closed.
    """

    def __init__(self, size: int = 1) -> None:
        self._size = size
        self._pairs: list[tuple[socket.socket, socket.socket]] = []

    def __len__(self) -> int:
        return len(self._pairs)

    def take(self) -> tuple[socket.socket, socket.socket] | None:
        """A drained pair, or None when the pool is empty."""
        if not self._pairs:
            return None
        pair = self._pairs.pop()
        _drain(pair[0])
        return pair

    def give(self, ssock: socket.socket, csock: socket.socket) -> None:
        """Keep the pair of a closing loop (or close it when the pool is full)."""
        if len(self._pairs) >= self._size or ssock.fileno() < 0 or csock.fileno() < 0:
            ssock.close()
            csock.close()
            return
        _drain(ssock)
        self._pairs.append((ssock, csock))

    def close(self) -> None:
        """Close the pairs kept."""
        while self._pairs:
            ssock, csock = self._pairs.pop()
            ssock.close()
            csock.close()


def _drain(sock: socket.socket) -> None:
    # A wake-up byte written just before the previous loop closed is meaningless now.
    while True:
        try:
            if not sock.recv(4096):
                return
        except InterruptedError:
            continue
        except OSError:  # BlockingIOError: empty
            return


class _PooledLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop with its wake-up socket pair taken from a pool."""

    # The attributes below are asyncio's own (selector_events.BaseSelectorEventLoop).
    _ssock: Any
    _csock: Any
    _internal_fds: int
    _add_reader: Callable[..., Any]
    _remove_reader: Callable[[int], bool]
    _read_from_self: Callable[[], None]

    def __init__(self, pool: SelfPipePool) -> None:
        self._pipe_pool = pool  # read by _make_self_pipe, which __init__ calls
        super().__init__()

    def _make_self_pipe(self) -> None:
        pair = self._pipe_pool.take()
        if pair is None:
            super()._make_self_pipe()  # type: ignore[misc]
            return
        self._ssock, self._csock = pair
        self._internal_fds += 1
        self._add_reader(self._ssock.fileno(), self._read_from_self)

    def _close_self_pipe(self) -> None:
        ssock, csock = self._ssock, self._csock
        self._remove_reader(ssock.fileno())
        # None first: a thread calling call_soon_threadsafe() on this closed loop
        # finds no socket to write to (asyncio checks for None).
        self._ssock = self._csock = None
        self._internal_fds -= 1
        self._pipe_pool.give(ssock, csock)


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
