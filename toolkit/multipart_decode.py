"""Plumbing of the multipart reader: a shared stream with push-back, and decoders for
``Content-Transfer-Encoding`` and ``Content-Encoding`` of body parts.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any, Protocol

__all__ = ("IncrementalDecoder", "SharedStream", "UnknownCodingError", "decode_part_body")


class _ByteSource(Protocol):
    async def read(self, n: int = -1) -> bytes: ...

    async def readline(self) -> bytes: ...


class SharedStream:
    """The stream a multipart body is read from, with room to push bytes back.

    A part reader reads ahead to find its closing delimiter and pushes back whatever
    follows it; nested readers and part readers of one body share one instance.
    """

    __slots__ = ("_pending", "_source")

    def __init__(self, source: _ByteSource) -> None:
        self._source = source
        self._pending = bytearray()

    @classmethod
    def wrap(cls, content: Any) -> SharedStream:
        """Return ``content`` if it is shared already, else a new wrapper around it."""
        return content if isinstance(content, cls) else cls(content)

    def unread(self, data: bytes) -> None:
        self._pending[:0] = data

    async def read_some(self, n: int) -> bytes:
        if self._pending:
            data = bytes(self._pending[:n])
            del self._pending[:n]
            return data
        return await self._source.read(n)

    async def readline(self) -> bytes:
        idx = self._pending.find(b"\n")
        if idx >= 0:
            line = bytes(self._pending[: idx + 1])
            del self._pending[: idx + 1]
            return line
        line = await self._source.readline()
        if self._pending:
            line = bytes(self._pending) + line
            self._pending.clear()
        return line


class UnknownCodingError(RuntimeError, ValueError):
    """A part's Content-Transfer-Encoding or Content-Encoding is unknown.

    A RuntimeError as in aiohttp, and a ValueError as the other faults of a part the
    sender made are (so a form with such a part is a 400, not a 500).
    """


def _decode_transfer_encoding(data: bytes, encoding: str) -> bytes:
    encoding = encoding.lower()
    if encoding == "base64":
        try:
            return base64.b64decode(data)
        except binascii.Error as exc:
            raise ValueError(f"invalid base64 data in multipart part: {exc}") from exc
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding in ("binary", "8bit", "7bit"):
        return data
    raise UnknownCodingError(f"unknown content transfer encoding: {encoding!r}")


def _decode_content_encoding(data: bytes, encoding: str) -> bytes:
    encoding = encoding.lower()
    if encoding == "identity":
        return data
    if encoding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        # RFC 9110 deflate is zlib-wrapped; many senders emit raw deflate. Accept both.
        wbits = zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS
    else:
        raise UnknownCodingError(f"unknown content encoding: {encoding!r}")
    try:
        decoder = zlib.decompressobj(wbits=wbits)
        return decoder.decompress(data) + decoder.flush()
    except zlib.error as exc:
        raise ValueError(f"cannot decode multipart part with {encoding!r}: {exc}") from exc


class IncrementalDecoder:
    """Undo a part's transfer encoding and content coding chunk by chunk."""

    def __init__(self, transfer_encoding: str | None, content_encoding: str | None) -> None:
        self._te = (transfer_encoding or "").lower() or None
        if self._te in ("binary", "8bit", "7bit"):
            self._te = None
        if self._te not in (None, "base64", "quoted-printable"):
            raise UnknownCodingError(f"unknown content transfer encoding: {transfer_encoding!r}")
        self._ce = (content_encoding or "").lower() or None
        if self._ce == "identity":
            self._ce = None
        if self._ce not in (None, "gzip", "deflate"):
            raise UnknownCodingError(f"unknown content encoding: {content_encoding!r}")
        self._pending = bytearray()
        self._zlib: Any = None

    def feed(self, data: bytes, final: bool = False) -> bytes:
        return self._inflate(self._untransfer(data, final), final)

    def _untransfer(self, data: bytes, final: bool) -> bytes:
        if self._te is None:
            return data
        buf = self._pending
        if self._te == "base64":
            buf += data.translate(None, b" \t\r\n")
            cut = len(buf) if final else len(buf) - len(buf) % 4
        else:
            buf += data
            cut = len(buf) if final else buf.rfind(b"\n") + 1
        chunk = bytes(buf[:cut])
        del buf[:cut]
        return _decode_transfer_encoding(chunk, self._te) if chunk else b""

    def _inflate(self, data: bytes, final: bool) -> bytes:
        if self._ce is None:
            return data
        if self._zlib is None:
            if not data and not final:
                return b""
            if self._ce == "gzip":
                wbits = 16 + zlib.MAX_WBITS
            else:
                wbits = zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS
            self._zlib = zlib.decompressobj(wbits=wbits)
        try:
            out = self._zlib.decompress(data)
            if final:
                out += self._zlib.flush()
        except zlib.error as exc:
            raise ValueError(f"cannot decode multipart part with {self._ce!r}: {exc}") from exc
        return bytes(out)


def decode_part_body(
    data: bytes, transfer_encoding: str | None, content_encoding: str | None
) -> bytes:
    """Undo a whole part body's transfer encoding, then its content coding."""
    if transfer_encoding:
        data = _decode_transfer_encoding(data, transfer_encoding)
    if content_encoding:
        data = _decode_content_encoding(data, content_encoding)
    return data
