"""Queues of whole messages (WebSocket frames, for instance) fed by a protocol.

:class:`DataQueue` hands items to one reader; :meth:`DataQueue.read` raises
:class:`EofStream` after the last one. :class:`FlowControlDataQueue` also pauses its
protocol while too many bytes of items wait to be read.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Generic, Protocol, TypeVar

__all__ = ("DataQueue", "EofStream", "FlowControlDataQueue", "FlowControlled")

_T = TypeVar("_T")


class FlowControlled(Protocol):
    """What a stream or queue needs from its protocol for flow control."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class EofStream(Exception):
    """Raised by :meth:`DataQueue.read` once the queue is at its end."""


class DataQueue(Generic[_T]):
    """A queue of items fed by a protocol; :meth:`read` raises :class:`EofStream` at the end."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._eof = False
        self._waiter: asyncio.Future[None] | None = None
        self._exception: BaseException | None = None
        self._size = 0
        self._buffer: collections.deque[tuple[_T, int]] = collections.deque()

    def __len__(self) -> int:
        return len(self._buffer)

    def is_eof(self) -> bool:
        """Return True once :meth:`feed_eof` was called."""
        return self._eof

    def at_eof(self) -> bool:
        """Return True when EOF was fed and every item was read."""
        return self._eof and not self._buffer

    def exception(self) -> BaseException | None:
        """Return the exception set with :meth:`set_exception`, if any."""
        return self._exception

    def set_exception(self, exc: BaseException, exc_cause: BaseException | None = None) -> None:
        """Make the pending and the next reads raise ``exc``."""
        if exc_cause is not None:
            exc.__cause__ = exc_cause
        self._eof = True
        self._exception = exc
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def feed_data(self, data: _T, size: int = 0) -> None:
        """Append one item; ``size`` counts towards flow control."""
        self._size += size
        self._buffer.append((data, size))
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def feed_eof(self) -> None:
        """Mark the end of the queue."""
        self._eof = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read(self) -> _T:
        """Return the next item; raise :class:`EofStream` at the end of the queue."""
        if not self._buffer and not self._eof:
            if self._waiter is not None:
                raise RuntimeError("read() called while another coroutine is already waiting")
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            except (asyncio.CancelledError, asyncio.TimeoutError):
                self._waiter = None
                raise
        if self._buffer:
            data, size = self._buffer.popleft()
            self._size -= size
            self._on_consumed()
            return data
        if self._exception is not None:
            raise self._exception
        raise EofStream

    def _on_consumed(self) -> None:
        pass

    def __aiter__(self) -> DataQueue[_T]:
        return self

    async def __anext__(self) -> _T:
        try:
            return await self.read()
        except EofStream:
            raise StopAsyncIteration from None


class FlowControlDataQueue(DataQueue[_T]):
    """A :class:`DataQueue` that pauses its protocol past ``limit`` bytes of items."""

    def __init__(
        self,
        protocol: FlowControlled,
        limit: int = 2**16,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(loop=loop)
        self._protocol = protocol
        self._limit = limit * 2
        self._paused = False

    def feed_data(self, data: _T, size: int = 0) -> None:
        """Append one item and pause the protocol when the queue holds too much."""
        super().feed_data(data, size)
        if self._size > self._limit and not self._paused:
            self._paused = True
            self._protocol.pause_reading()

    def _on_consumed(self) -> None:
        if self._paused and self._size < self._limit:
            self._paused = False
            self._protocol.resume_reading()
