"""Write one request to a connection: the head, then the body (compressed, then chunked)."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

__all__ = ["RequestWriter"]

#: Flush to the socket and wait for the peer once this much is buffered.
_DRAIN_LIMIT = 2**16

_ZLIB_WBITS = {"deflate": zlib.MAX_WBITS, "gzip": 16 + zlib.MAX_WBITS}


class _Drainable(Protocol):
    """What the writer needs from the connection's protocol."""

    @property
    def transport(self) -> Any: ...

    async def drain(self) -> None: ...


class RequestWriter:
    """Send a request over a connection's transport.

    Payloads call :meth:`write` with body bytes; the writer applies the content coding
    (``compress``) and then the chunked transfer coding (``chunked``).
    """

    def __init__(
        self,
        protocol: _Drainable,
        *,
        chunked: bool = False,
        compress: str | None = None,
        on_chunk_sent: Callable[[bytes], Awaitable[None]] | None = None,
    ) -> None:
        self._protocol = protocol
        self._on_chunk_sent = on_chunk_sent
        self.chunked = chunked
        self._compressor: Any = None
        if compress is not None:
            if compress not in _ZLIB_WBITS:
                raise ValueError(f"cannot compress a request body with {compress!r}")
            self._compressor = zlib.compressobj(wbits=_ZLIB_WBITS[compress])
        self.buffer_size = 0
        self.output_size = 0
        self._eof = False

    def _send(self, data: bytes) -> None:
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            # Imported late: the exceptions module is the transport engineer's.
            from toolkit.client.exceptions import ClientConnectionResetError

            raise ClientConnectionResetError("Cannot write to closing transport")
        transport.write(data)
        self.buffer_size += len(data)
        self.output_size += len(data)

    async def write_head(self, head: bytes) -> None:
        """Send the serialized request line and header fields."""
        self._send(head)

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Send a piece of the body."""
        if self._eof:
            raise RuntimeError("the request body was already finished")
        data = bytes(chunk)
        if self._on_chunk_sent is not None and data:
            await self._on_chunk_sent(data)
        if self._compressor is not None:
            data = self._compressor.compress(data)
        if not data:
            return
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self._send(data)
        if self.buffer_size > _DRAIN_LIMIT:
            await self.drain()

    async def write_eof(self, chunk: bytes = b"") -> None:
        """Send the last piece of the body and end it."""
        if self._eof:
            return
        if chunk:
            await self.write(chunk)
        self._eof = True
        tail = b""
        if self._compressor is not None:
            tail = self._compressor.flush()
        if self.chunked:
            if tail:
                tail = b"%x\r\n%s\r\n" % (len(tail), tail)
            tail += b"0\r\n\r\n"
        if tail:
            self._send(tail)
        await self.drain()

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark."""
        self.buffer_size = 0
        await self._protocol.drain()
