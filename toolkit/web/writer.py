"""The writing half of a server connection: one :class:`StreamWriter` per response.

The writer keeps the serialized head until the first body bytes (or the end of the
message) are written, so that a small response leaves in a single
``transport.write``. Body bytes go through the content coding (if enabled), then the
chunked transfer coding (if enabled). :meth:`StreamWriter.drain` waits while the
transport's write buffer is above its high-water mark.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Protocol

from multidict import CIMultiDict, istr

from toolkit.http import LAST_CHUNK, encode_chunk, get_encoder

from ._helpers import http_date_now

__all__ = ["StreamWriter"]

_DATE = istr("Date")

# Above this many bytes written since the last drain, write() drains by itself.
_DRAIN_LIMIT = 0x10000
# Head and body leave in one write: joined into one bytes object below this body
# size, else as one writelines() call where that is a single writev that copies
# nothing (uvloop; asyncio from Python 3.12), else joined up to _JOIN_LIMIT (a copy
# costs less than a second send and TCP segment), else written one after the other.
_COPY_LIMIT = 0x800
_JOIN_LIMIT = 0x10000
# Transports whose writelines() gathers the buffers into one system call (by the
# qualified name of their class), and the answer for each class seen so far.
_WRITEV_TRANSPORTS = (
    ("uvloop.",)
    if sys.version_info < (3, 12)
    else ("uvloop.", "asyncio.selector_events._SelectorSocketTransport")
)
_gathering_transports: dict[type, bool] = {}


class _WriterProtocol(Protocol):
    """What the writer needs from its connection (RequestHandler implements it)."""

    _writing_paused: bool

    @property
    def transport(self) -> asyncio.Transport | None: ...

    async def _drain_helper(self) -> None: ...


def serialize_head(status_line: str, headers: CIMultiDict[str] | Any) -> bytes:
    """Serialize a status line and header fields into the bytes of a response head.

    A ``Date`` field is added when absent. Raises :class:`ValueError` when the status
    line or a header name or value contains CR or LF (response splitting).
    """
    fields = "\r\n".join(map(": ".join, headers.items()))
    count = len(headers)
    if _DATE not in headers:
        fields = fields + "\r\nDate: " + http_date_now() if count else "Date: " + http_date_now()
        count += 1
    if count:
        text = status_line + "\r\n" + fields + "\r\n\r\n"
        expected = count + 2
    else:
        text = status_line + "\r\n\r\n"
        expected = 2
    if text.count("\n") != expected or text.count("\r") != expected:
        raise _splitting_error(status_line)
    return text.encode("utf-8", "surrogateescape")  # (obs-text bytes, as the parser decodes them)


def _splitting_error(status_line: str) -> ValueError:
    return ValueError(
        "Newline or carriage return character detected in the HTTP status line "
        f"or a header field of {status_line!r}; refusing to send it"
    )


class StreamWriter:
    """Write one response to a connection's transport.

    ``buffer_size`` counts the bytes written since the last drain, ``output_size`` all
    bytes written (head included). ``length``, when set, caps the body bytes written
    (the response's ``Content-Length``). Writing to a connection that is gone raises
    :class:`ConnectionResetError`.
    """

    # Defaults as class attributes: one writer is made per response, and most of
    # them never change most of these.
    length: int | None = None
    chunked = False
    buffer_size = 0
    output_size = 0
    _compress: Any = None
    _head: bytes | None = None
    _headers_written = False
    _eof = False

    def __init__(self, protocol: _WriterProtocol, loop: asyncio.AbstractEventLoop) -> None:
        self._protocol = protocol
        self.loop = loop

    @property
    def protocol(self) -> _WriterProtocol:
        """The connection (a ``RequestHandler``) this writer belongs to."""
        return self._protocol

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport, or None once the connection is lost."""
        return self._protocol.transport

    @property
    def headers_written(self) -> bool:
        """True once :meth:`write_headers` was called (the head may still be buffered)."""
        return self._headers_written

    def enable_chunking(self) -> None:
        """Send the body with the chunked transfer coding."""
        self.chunked = True

    def enable_compression(self, encoding: str = "deflate", strategy: int | None = None) -> None:
        """Compress the body with ``encoding`` (``deflate``, ``gzip``, ``br`` …)."""
        self._compress = get_encoder(encoding)

    def _write(self, data: bytes) -> None:
        size = len(data)
        self.buffer_size += size
        self.output_size += size
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        transport.write(data)

    def _send(self, data: bytes) -> None:
        """Write ``data``, preceded by the buffered head if it was not sent yet."""
        head = self._head
        if head is not None:
            self._head = None
            if len(data) < _COPY_LIMIT:
                data = head + data
            elif self._writev_ok():
                # One write without copying the body (a single writev).
                size = len(head) + len(data)
                self.buffer_size += size
                self.output_size += size
                self._protocol.transport.writelines((head, data))  # type: ignore[union-attr]
                return
            elif len(data) <= _JOIN_LIMIT:
                data = head + data
            else:
                self._write(head)
        if data:
            self._write(data)

    def _writev_ok(self) -> bool:
        """Whether the transport is open and writes a list of buffers in one go."""
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        cls = type(transport)
        gathers = _gathering_transports.get(cls)
        if gathers is None:
            name = f"{cls.__module__}.{cls.__qualname__}"
            gathers = _gathering_transports[cls] = name.startswith(_WRITEV_TRANSPORTS)
        return gathers

    def send_headers(self) -> None:
        """Send the buffered head now, without waiting for body bytes."""
        if self._head is not None:
            self._send(b"")

    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        """Serialize the head; it is sent with the first body bytes, or by :meth:`drain`."""
        self._head = serialize_head(status_line, headers)
        self._headers_written = True

    def _set_head(self, status_line: str, headers: CIMultiDict[str]) -> None:
        """:meth:`write_headers` without a coroutine (it never waits)."""
        self._head = serialize_head(status_line, headers)
        self._headers_written = True

    async def write(self, chunk: bytes | bytearray | memoryview, *, drain: bool = True) -> None:
        """Write body bytes: compress, cap at ``length``, chunk, then send.

        Once more than 64 KiB were written since the last drain, wait for the transport
        to drain (unless ``drain`` is false). Bytes written before :meth:`write_headers`
        go out as they are (used for the interim ``100 Continue`` response).
        """
        data = bytes(chunk) if not isinstance(chunk, bytes) else chunk
        if self._compress is not None:
            data = self._compress.compress(data)
            if not data:
                return
        if self.length is not None:
            if len(data) > self.length:
                data = data[: self.length]
            self.length -= len(data)
        if not data:
            return
        if self.chunked:
            data = encode_chunk(data)
        self._send(data)
        if drain and self.buffer_size > _DRAIN_LIMIT:
            self.buffer_size = 0
            await self._protocol._drain_helper()

    async def write_eof(self, chunk: bytes = b"") -> None:
        """Write the last body bytes and end the message (the last chunk when chunked)."""
        if self._write_eof_nowait(chunk):
            await self._protocol._drain_helper()

    def _write_eof_nowait(self, chunk: bytes) -> bool:
        """:meth:`write_eof` up to its drain; True when the caller must drain."""
        if self._eof:
            return False
        data = bytes(chunk) if not isinstance(chunk, bytes) else chunk
        if self._compress is not None:
            data = self._compress.compress(data) + self._compress.flush()
        if self.length is not None and len(data) > self.length:
            data = data[: self.length]
        if self.chunked:
            data = encode_chunk(data) + LAST_CHUNK if data else LAST_CHUNK
        self._eof = True
        self._send(data)
        # drain(), inline: the head went out with the data.
        self.buffer_size = 0
        protocol = self._protocol
        return protocol._writing_paused or protocol.transport is None

    async def drain(self) -> None:
        """Send a buffered head, then wait until the transport's buffer is low enough."""
        if self._head is not None:
            self._send(b"")
        self.buffer_size = 0
        protocol = self._protocol
        if protocol._writing_paused or protocol.transport is None:  # else: nothing to wait for
            await protocol._drain_helper()

    def __repr__(self) -> str:
        return f"<StreamWriter output_size={self.output_size} chunked={self.chunked}>"
