"""Asynchronous byte streams fed by a protocol and read by user code.

:class:`StreamReader` is the body of an HTTP message (``ClientResponse.content``,
``web.Request.content``): a protocol feeds it with :meth:`~StreamReader.feed_data` and
:meth:`~StreamReader.feed_eof`; readers await :meth:`~StreamReader.read` and friends.
It applies flow control to the protocol: once more than ``2 * limit`` bytes are
buffered, ``protocol.pause_reading()`` is called, and once the buffer drains below
``limit`` again, ``protocol.resume_reading()``.

:class:`DataQueue` (a queue of whole messages, such as WebSocket frames) lives in
:mod:`toolkit.dataqueue` and is re-exported here (loaded on first use: only
WebSockets need it).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import warnings
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from ._checks import check_number
from ._lazy import lazy_dir, lazy_load

if TYPE_CHECKING:
    from .dataqueue import DataQueue, EofStream, FlowControlDataQueue, FlowControlled

__all__ = (
    "EMPTY_PAYLOAD",
    "AsyncStreamIterator",
    "ChunkTupleAsyncStreamIterator",
    "DataQueue",
    "EmptyStreamReader",
    "EofStream",
    "FlowControlDataQueue",
    "StreamReader",
)

_LAZY = dict.fromkeys(
    ("DataQueue", "EofStream", "FlowControlDataQueue", "FlowControlled"), "toolkit.dataqueue"
)


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), _LAZY)


_T = TypeVar("_T")

internal_logger = logging.getLogger("toolkit.internal")

_TimerLike = AbstractContextManager[Any] | Callable[[], AbstractContextManager[Any]]


class AsyncStreamIterator(Generic[_T]):
    """Iterate by calling ``read_func`` until it returns an empty value."""

    __slots__ = ("read_func",)

    def __init__(self, read_func: Callable[[], Awaitable[_T]]) -> None:
        self.read_func = read_func

    def __aiter__(self) -> AsyncStreamIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        rv = await self.read_func()
        if rv == b"":
            raise StopAsyncIteration
        return rv


class ChunkTupleAsyncStreamIterator:
    """Iterate over ``(data, end_of_http_chunk)`` tuples of a :class:`StreamReader`."""

    __slots__ = ("_stream",)

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream

    def __aiter__(self) -> ChunkTupleAsyncStreamIterator:
        return self

    async def __anext__(self) -> tuple[bytes, bool]:
        rv = await self._stream.readchunk()
        if rv == (b"", False):
            raise StopAsyncIteration
        return rv


class StreamReader:
    """A buffered stream of bytes with flow control towards its protocol.

    ``protocol`` needs ``pause_reading()`` and ``resume_reading()``; it may be ``None``
    for a stream fed by user code. ``timer`` is either a context manager or a factory of
    context managers; every wait for data runs inside it (the client uses it to enforce
    the ``sock_read`` timeout). Only one coroutine may wait for data at a time.
    """

    total_bytes: int

    def __init__(
        self,
        protocol: FlowControlled | None = None,
        limit: int = 2**16,
        *,
        timer: _TimerLike | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not limit > 0:  # (also NaN; no extra cost: a stream is made per request)
            check_number("StreamReader", "limit", limit, unit="bytes", lowest="positive")
        self._protocol = protocol
        self._low_water = limit
        self._high_water = limit * 2
        self._loop = loop
        self._timer = timer
        self._buffer = bytearray()
        self._eof = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._eof_waiter: asyncio.Future[None] | None = None
        self._exception: BaseException | None = None
        self._eof_callbacks: list[Callable[[], None]] = []
        # Offsets (in total bytes received) where HTTP chunks end; None unless the
        # protocol announced chunked framing with begin_http_chunk_receiving().
        self._http_chunk_splits: collections.deque[int] | None = None
        self.total_bytes = 0
        self._cursor = 0  # bytes handed out to readers so far

    def __repr__(self) -> str:
        info = [self.__class__.__name__]
        if self._buffer:
            info.append(f"{len(self._buffer)} bytes")
        if self._eof:
            info.append("eof")
        if self._low_water != 2**16:
            info.append(f"low={self._low_water} high={self._high_water}")
        if self._waiter is not None:
            info.append(f"w={self._waiter!r}")
        if self._exception is not None:
            info.append(f"e={self._exception!r}")
        return "<{}>".format(" ".join(info))

    # -- state ---------------------------------------------------------------------

    def get_read_buffer_limits(self) -> tuple[int, int]:
        """Return the ``(low, high)`` water marks of the read buffer."""
        return (self._low_water, self._high_water)

    def exception(self) -> BaseException | None:
        """Return the exception set with :meth:`set_exception`, if any."""
        return self._exception

    def set_exception(self, exc: BaseException, exc_cause: BaseException | None = None) -> None:
        """Make every pending and future read raise ``exc``."""
        if exc_cause is not None:
            exc.__cause__ = exc_cause
        self._exception = exc
        self._eof_callbacks.clear()
        for waiter in (self._waiter, self._eof_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_exception(exc)
        self._waiter = None
        self._eof_waiter = None

    def on_eof(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the stream reaches EOF (now, if it already has)."""
        if self._eof:
            try:
                callback()
            except Exception:
                internal_logger.exception("Exception in eof callback")
        else:
            self._eof_callbacks.append(callback)

    def is_eof(self) -> bool:
        """Return True once :meth:`feed_eof` was called (data may still be buffered)."""
        return self._eof

    def at_eof(self) -> bool:
        """Return True when EOF was fed and the buffer is empty."""
        return self._eof and not self._buffer

    async def wait_eof(self) -> None:
        """Wait until :meth:`feed_eof` is called."""
        if self._eof:
            return
        if self._eof_waiter is not None:
            raise RuntimeError("wait_eof() called while another coroutine is already waiting")
        self._eof_waiter = self._get_loop().create_future()
        try:
            await self._eof_waiter
        finally:
            self._eof_waiter = None

    # -- feeding (protocol side) ------------------------------------------------------

    def feed_eof(self) -> None:
        """Mark the end of the stream and wake up readers."""
        self._eof = True
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        waiter = self._eof_waiter
        if waiter is not None:
            self._eof_waiter = None
            if not waiter.done():
                waiter.set_result(None)
        callbacks = self._eof_callbacks
        if not callbacks:
            return
        self._eof_callbacks = []
        for cb in callbacks:
            try:
                cb()
            except Exception:
                internal_logger.exception("Exception in eof callback")

    def feed_data(self, data: bytes, size: int = 0) -> None:
        """Append ``data`` to the buffer; pause the protocol past the high-water mark."""
        if self._eof:
            raise RuntimeError("feed_data() called after feed_eof()")
        if not data:
            return
        self._buffer += data
        self.total_bytes += len(data)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        if len(self._buffer) > self._high_water and not self._paused:
            self._paused = True
            if self._protocol is not None:
                self._protocol.pause_reading()

    def begin_http_chunk_receiving(self) -> None:
        """Announce that the body uses chunked framing; must precede any data."""
        if self._http_chunk_splits is None:
            if self.total_bytes:
                raise RuntimeError(
                    "begin_http_chunk_receiving() called after "
                    f"{self.total_bytes} bytes of data were already fed"
                )
            self._http_chunk_splits = collections.deque()

    def end_http_chunk_receiving(self) -> None:
        """Mark the end of an HTTP chunk at the current position."""
        if self._http_chunk_splits is None:
            raise RuntimeError(
                "end_http_chunk_receiving() called without begin_http_chunk_receiving()"
            )
        last = self._http_chunk_splits[-1] if self._http_chunk_splits else 0
        if last == self.total_bytes:
            return  # an empty chunk carries no boundary worth reporting
        self._http_chunk_splits.append(self.total_bytes)
        self._wake(self._waiter)
        self._waiter = None

    def unread_data(self, data: bytes) -> None:
        """Push ``data`` back to the front of the buffer (deprecated)."""
        warnings.warn(
            "unread_data() is deprecated and will be removed in a future release",
            DeprecationWarning,
            stacklevel=2,
        )
        if not data:
            return
        self._buffer[:0] = data
        self._cursor -= len(data)

    # -- reading ------------------------------------------------------------------

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes; with ``n < 0`` read until EOF."""
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            if self._eof:  # everything has arrived: take it in one piece
                return self._consume(len(self._buffer))
            # Drain block by block so that flow control keeps working.
            blocks: list[bytes] = []
            while True:
                block = await self.readany()
                if not block:
                    return b"".join(blocks)
                blocks.append(block)
        while not self._buffer and not self._eof:
            await self._wait("read")
        return self._consume(min(n, len(self._buffer)))

    async def readany(self) -> bytes:
        """Return whatever is buffered, waiting for data if there is none."""
        if self._exception is not None:
            raise self._exception
        while not self._buffer and not self._eof:
            await self._wait("readany")
        return self._consume(len(self._buffer))

    async def readline(self) -> bytes:
        """Read one line including its ``\\n`` (or the rest of the stream at EOF)."""
        return await self.readuntil(b"\n")

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Read up to and including ``separator`` (or the rest of the stream at EOF).

        Raises :class:`ValueError` when no separator shows up within the high-water
        mark (``2 * limit`` bytes).
        """
        if not separator:
            raise ValueError("separator must not be empty")
        if self._exception is not None:
            raise self._exception
        start = 0
        while True:
            idx = self._buffer.find(separator, start)
            if idx >= 0:
                end = idx + len(separator)
                if end > self._high_water:
                    raise ValueError(
                        f"line of {end} bytes is longer than the limit of {self._high_water}"
                    )
                return self._consume(end)
            if len(self._buffer) > self._high_water:
                raise ValueError(
                    f"no {separator!r} separator within the limit of {self._high_water} bytes"
                )
            if self._eof:
                return self._consume(len(self._buffer))
            start = max(0, len(self._buffer) - len(separator) + 1)
            await self._wait("readuntil")

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes or raise :class:`asyncio.IncompleteReadError`."""
        if self._exception is not None:
            raise self._exception
        if n < 0:
            raise ValueError(f"readexactly() size must be non-negative, got {n}")
        blocks: list[bytes] = []
        missing = n
        while missing > 0:
            if not self._buffer:
                if self._eof:
                    raise asyncio.IncompleteReadError(b"".join(blocks), n)
                await self._wait("readexactly")
                continue
            block = self._consume(min(missing, len(self._buffer)))
            blocks.append(block)
            missing -= len(block)
        return b"".join(blocks)

    async def readchunk(self) -> tuple[bytes, bool]:
        """Return ``(data, end_of_http_chunk)``.

        With chunked framing, ``end_of_http_chunk`` is True when ``data`` ends exactly
        at the end of an HTTP chunk. ``(b"", False)`` means the stream is exhausted.
        """
        while True:
            if self._exception is not None:
                raise self._exception
            splits = self._http_chunk_splits
            while splits:
                pos = splits.popleft()
                cursor = self._cursor
                if pos == cursor:
                    return (b"", True)
                if pos > cursor:
                    return (self._consume(pos - cursor), True)
                internal_logger.warning("skipping HTTP chunk end due to data consumption beyond")
            if self._buffer:
                return (self._consume(len(self._buffer)), False)
            if self._eof:
                return (b"", False)
            await self._wait("readchunk")

    def read_nowait(self, n: int = -1) -> bytes:
        """Return up to ``n`` buffered bytes (all with ``n < 0``) without waiting."""
        if self._exception is not None:
            raise self._exception
        if self._waiter is not None and not self._waiter.done():
            raise RuntimeError("read_nowait() called while another coroutine is waiting")
        size = len(self._buffer) if n < 0 else min(n, len(self._buffer))
        return self._consume(size)

    def iter_chunked(self, n: int) -> AsyncStreamIterator[bytes]:
        """Iterate over blocks of at most ``n`` bytes."""
        return AsyncStreamIterator(lambda: self.read(n))

    def iter_any(self) -> AsyncStreamIterator[bytes]:
        """Iterate over data as it arrives."""
        return AsyncStreamIterator(self.readany)

    def iter_chunks(self) -> ChunkTupleAsyncStreamIterator:
        """Iterate over ``(data, end_of_http_chunk)`` tuples (see :meth:`readchunk`)."""
        return ChunkTupleAsyncStreamIterator(self)

    def __aiter__(self) -> AsyncStreamIterator[bytes]:
        return AsyncStreamIterator(self.readline)

    # -- internals ------------------------------------------------------------------

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _consume(self, n: int) -> bytes:
        buffer = self._buffer
        if n == len(buffer):  # the whole buffer (the usual case): one copy
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:n])
            del buffer[:n]
        self._cursor += n
        if self._paused and len(self._buffer) < self._low_water:
            self._paused = False
            if self._protocol is not None:
                self._protocol.resume_reading()
        return data

    async def _wait(self, func_name: str) -> None:
        if self._waiter is not None:
            raise RuntimeError(
                f"{func_name}() called while another coroutine is already waiting for data"
            )
        waiter = self._waiter = self._get_loop().create_future()
        try:
            timer = self._timer
            if timer is None:
                await waiter
            else:
                cm: AbstractContextManager[Any] = (
                    timer if isinstance(timer, AbstractContextManager) else timer()
                )
                with cm:
                    await waiter
        finally:
            self._waiter = None


class EmptyStreamReader(StreamReader):
    """A stream that is at EOF from the start (the body of a bodiless message)."""

    def __init__(self) -> None:
        super().__init__(None)
        self._eof = True

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    def exception(self) -> BaseException | None:
        """Always None: an empty stream cannot fail."""
        return None

    def set_exception(self, exc: BaseException, exc_cause: BaseException | None = None) -> None:
        """Ignore the exception (the instance may be the shared :data:`EMPTY_PAYLOAD`)."""

    def feed_data(self, data: bytes, size: int = 0) -> None:
        """Ignore data: an empty stream stays empty."""

    def feed_eof(self) -> None:
        """Do nothing: the stream is at EOF already."""

    async def wait_eof(self) -> None:
        """Return at once."""

    async def read(self, n: int = -1) -> bytes:
        """Return ``b""``."""
        return b""

    async def readany(self) -> bytes:
        """Return ``b""``."""
        return b""

    async def readline(self) -> bytes:
        """Return ``b""``."""
        return b""

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Return ``b""``."""
        return b""

    async def readchunk(self) -> tuple[bytes, bool]:
        """Return ``(b"", False)``: the stream is exhausted."""
        return (b"", False)

    async def readexactly(self, n: int) -> bytes:
        """Raise :class:`asyncio.IncompleteReadError` unless ``n`` is 0."""
        if n == 0:
            return b""
        raise asyncio.IncompleteReadError(b"", n)

    def read_nowait(self, n: int = -1) -> bytes:
        """Return ``b""``."""
        return b""


EMPTY_PAYLOAD: Final[EmptyStreamReader] = EmptyStreamReader()
