"""Building ``multipart/*`` bodies (RFC 2046, RFC 7578)."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from multidict import CIMultiDict

from . import hdrs
from .payload import (
    AbstractWriter,
    JsonPayload,
    Payload,
    PayloadLookupError,
    StringPayload,
    get_payload,
)

__all__ = ("MultipartPayloadWriter", "MultipartWriter")

_TCHAR_RE = re.compile(rb"\A[!#$%&'*+\-.^_`|~\w]+\Z")
_INVALID_QDTEXT_RE = re.compile(rb"[\x00-\x08\x0A-\x1F\x7F]")
_CONTENT_ENCODINGS = ("deflate", "gzip", "identity")
_TRANSFER_ENCODINGS = ("base64", "quoted-printable", "binary")


class MultipartPayloadWriter:
    """Applies a part's content coding and transfer encoding on the way to ``writer``."""

    def __init__(self, writer: AbstractWriter) -> None:
        self._writer = writer
        self._encoding: str | None = None
        self._compress: Any = None
        self._encoding_buffer: bytearray | None = None

    def enable_encoding(self, encoding: str) -> None:
        """Apply ``base64`` or ``quoted-printable`` transfer encoding."""
        if encoding == "base64":
            self._encoding = encoding
            self._encoding_buffer = bytearray()
        elif encoding == "quoted-printable":
            self._encoding = "quoted-printable"

    def enable_compression(self, encoding: str = "deflate") -> None:
        """Compress with ``gzip`` or raw ``deflate``, as aiohttp does for parts."""
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else -zlib.MAX_WBITS
        self._compress = zlib.compressobj(wbits=wbits)

    async def write(self, chunk: bytes) -> None:
        """Encode and write one chunk."""
        if self._compress is not None:
            chunk = self._compress.compress(chunk)
            if not chunk:
                return
        await self._write_encoded(chunk)

    async def write_eof(self) -> None:
        """Flush the compressor and the base64 remainder."""
        if self._compress is not None:
            tail = self._compress.flush()
            self._compress = None
            if tail:
                await self._write_encoded(tail)
        if self._encoding == "base64" and self._encoding_buffer:
            await self._writer.write(base64.b64encode(bytes(self._encoding_buffer)))
            self._encoding_buffer.clear()

    async def _write_encoded(self, chunk: bytes) -> None:
        if self._encoding == "base64":
            assert self._encoding_buffer is not None
            buf = self._encoding_buffer
            buf += chunk
            if len(buf) >= 3:
                cut = len(buf) - len(buf) % 3
                out = base64.b64encode(bytes(buf[:cut]))
                del buf[:cut]
                await self._writer.write(out)
        elif self._encoding == "quoted-printable":
            # istext=False: line breaks are encoded too, so binary data survives
            await self._writer.write(binascii.b2a_qp(chunk, istext=False))
        else:
            await self._writer.write(chunk)


class MultipartWriter(Payload):
    """A ``multipart/<subtype>`` body made of payloads; itself a payload, so it nests."""

    _value: None

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        if boundary is None:
            boundary = uuid.uuid4().hex
        try:
            self._boundary = boundary.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"boundary should contain ASCII only chars: {boundary!r}") from None
        if not 1 <= len(self._boundary) <= 70:
            raise ValueError(f"boundary must be 1 to 70 characters long: {boundary!r}")
        if self._boundary.endswith(b" "):
            raise ValueError(f"boundary must not end with a space: {boundary!r}")
        ctype = f"multipart/{subtype}; boundary={self._boundary_value}"
        super().__init__(None, content_type=ctype)
        self._parts: list[tuple[Payload, str | None, str | None]] = []
        self._is_form_data = subtype == "form-data"

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        pass

    def __iter__(self) -> Iterator[tuple[Payload, str | None, str | None]]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True

    @property
    def _boundary_value(self) -> str:
        """The boundary as it goes into ``Content-Type``: a token, else a quoted-string."""
        value = self._boundary
        if _TCHAR_RE.match(value):
            return value.decode("ascii")
        if _INVALID_QDTEXT_RE.search(value):
            raise ValueError(f"boundary value contains invalid characters: {value!r}")
        quoted = value.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        return '"' + quoted.decode("ascii") + '"'

    @property
    def boundary(self) -> str:
        """The boundary string (without quotes)."""
        return self._boundary.decode("ascii")

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add ``obj`` (a payload, or anything :func:`get_payload` accepts) as a part."""
        if headers is None:
            headers = CIMultiDict()
        if isinstance(obj, Payload):
            obj.headers.update(headers)
            return self.append_payload(obj)
        try:
            payload = get_payload(obj, headers=headers)
        except PayloadLookupError as exc:
            raise TypeError(f"Cannot create a multipart part from {obj!r}: {exc}") from None
        return self.append_payload(payload)

    def append_payload(self, payload: Payload) -> Payload:
        """Add a payload as a part and return it."""
        encoding: str | None = payload.headers.get(hdrs.CONTENT_ENCODING, "").lower()
        if encoding and encoding not in _CONTENT_ENCODINGS:
            raise RuntimeError(f"unknown content encoding: {encoding!r}")
        if encoding == "identity" or not encoding:
            encoding = None
        te: str | None = payload.headers.get(hdrs.CONTENT_TRANSFER_ENCODING, "").lower()
        if te and te not in _TRANSFER_ENCODINGS:
            raise RuntimeError(f"unknown content transfer encoding: {te!r}")
        if te == "binary" or not te:
            te = None
        if self._is_form_data:
            if hdrs.CONTENT_DISPOSITION not in payload.headers:
                payload.set_content_disposition("form-data", name=f"section-{len(self._parts)}")
        else:
            size = payload.size
            if size is not None and not (encoding or te):
                payload.headers[hdrs.CONTENT_LENGTH] = str(size)
        self._parts.append((payload, encoding, te))
        return payload

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add ``obj`` serialized as JSON."""
        return self.append_payload(JsonPayload(obj, headers=headers))

    def append_form(
        self,
        obj: Mapping[str, Any] | Iterable[tuple[str, Any]],
        headers: Mapping[str, str] | None = None,
    ) -> Payload:
        """Add ``obj`` as an ``application/x-www-form-urlencoded`` part."""
        items = list(obj.items()) if isinstance(obj, Mapping) else list(obj)
        data = urlencode(items, doseq=True)
        return self.append_payload(
            StringPayload(data, headers=headers, content_type="application/x-www-form-urlencoded")
        )

    @property
    def size(self) -> int | None:
        """Total size of the body, or None if a part's size is unknown or encoded."""
        total = 0
        for part, encoding, te in self._parts:
            if encoding or te or part.size is None:
                return None
            total += (
                2 + len(self._boundary) + 2  # --boundary CRLF
                + len(part._binary_headers)
                + part.size
                + 2  # CRLF
            )  # fmt: skip
        total += 2 + len(self._boundary) + 4  # --boundary--CRLF
        return total

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Return the body as text when every part is held in memory."""
        chunks: list[bytes] = []
        for part, part_encoding, te in self._parts:
            if part_encoding or te:
                raise TypeError("cannot decode a multipart body with encoded parts")
            chunks += [b"--", self._boundary, b"\r\n", part._binary_headers]
            chunks += [part.decode("latin-1").encode("latin-1"), b"\r\n"]
        chunks += [b"--", self._boundary, b"--\r\n"]
        return b"".join(chunks).decode(encoding, errors)

    async def write(self, writer: AbstractWriter, close_boundary: bool = True) -> None:
        """Write every part, then the closing boundary unless ``close_boundary`` is False."""
        for part, encoding, te in self._parts:
            await writer.write(b"--" + self._boundary + b"\r\n")
            await writer.write(part._binary_headers)
            if encoding or te:
                part_writer = MultipartPayloadWriter(writer)
                if encoding:
                    part_writer.enable_compression(encoding)
                if te:
                    part_writer.enable_encoding(te)
                await part.write(part_writer)
                await part_writer.write_eof()
            else:
                await part.write(writer)
            await writer.write(b"\r\n")
        if close_boundary:
            await writer.write(b"--" + self._boundary + b"--\r\n")
