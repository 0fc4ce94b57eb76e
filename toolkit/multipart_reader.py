"""Streaming reader for ``multipart/*`` bodies (RFC 2046, RFC 7578).

:class:`MultipartReader` walks the parts of a body as they arrive; each part is a
:class:`BodyPartReader` (or a nested :class:`MultipartReader`) that reads only its own
bytes. Nothing is buffered beyond one block and the part headers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy

from . import hdrs
from .content_disposition import content_disposition_filename, parse_content_disposition
from .helpers import parse_mimetype
from .http.errors import BadHttpMessage, LineTooLong, TooManyHeaders
from .multipart_decode import IncrementalDecoder, SharedStream, decode_part_body

if TYPE_CHECKING:
    from types import MappingProxyType

__all__ = (
    "BodyPartReader",
    "MultipartReader",
    "MultipartResponseWrapper",
)


class BodyPartReader:
    """One part of a multipart body: its ``headers`` and a stream of its content."""

    chunk_size = 8192

    def __init__(
        self,
        boundary: bytes,
        headers: CIMultiDictProxy[str],
        content: Any,
        *,
        subtype: str = "mixed",
        default_charset: str | None = None,
    ) -> None:
        self.headers = headers
        self._boundary = boundary
        self._delimiter = b"\r\n" + boundary
        self._content = SharedStream.wrap(content)
        self._default_charset = default_charset
        self._is_form_data = subtype == "form-data"
        # RFC 7578 section 4.8: Content-Length of form-data parts is not to be trusted.
        length = None if self._is_form_data else headers.get(hdrs.CONTENT_LENGTH)
        if length is None:
            self._length: int | None = None
        elif length.isascii() and length.isdigit() and len(length) <= 18:
            self._length = int(length)
        else:  # (int() would take '+5', ' 5', '1_0', '-1' and other scripts' digits)
            raise ValueError(f"invalid Content-Length in multipart part: {length!r}")
        self._received = 0
        self._buffer = bytearray()
        self._scan_from = 0
        self._body_complete = False
        self._at_eof = False
        self._cache: dict[str, Any] = {}

    def __aiter__(self) -> BodyPartReader:
        return self

    async def __anext__(self) -> bytes:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    async def next(self) -> bytes | None:
        """Read the whole part; None when it was read already."""
        item = await self.read()
        return item or None

    def at_eof(self) -> bool:
        """Return True once the whole part was read."""
        return self._at_eof

    async def read(self, *, decode: bool = False) -> bytes:
        """Read the whole part; ``decode=True`` undoes its transfer and content codings."""
        if self._at_eof:
            return b""
        data = bytearray()
        while not self._at_eof:
            data += await self.read_chunk(self.chunk_size)
        if decode:
            return self.decode(bytes(data))
        return bytes(data)

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Read at most ``size`` bytes of the part; ``b""`` at its end."""
        if self._at_eof:
            return b""
        while self._safe_len() == 0 and not self._body_complete:
            await self._fill()
        n = min(size, self._safe_len())
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        self._scan_from = max(0, self._scan_from - n)
        if self._body_complete and not self._buffer:
            self._at_eof = True
        return out

    async def readline(self) -> bytes:
        """Read one line of the part, including its ``\\n``."""
        if self._at_eof:
            return b""
        while True:
            idx = self._buffer.find(b"\n", 0, self._safe_len())
            if idx >= 0 or self._body_complete:
                end = idx + 1 if idx >= 0 else len(self._buffer)
                line = bytes(self._buffer[:end])
                del self._buffer[:end]
                self._scan_from = max(0, self._scan_from - end)
                if self._body_complete and not self._buffer:
                    self._at_eof = True
                return line
            await self._fill()

    async def release(self) -> None:
        """Skip the rest of the part."""
        while not self._at_eof:
            await self.read_chunk(self.chunk_size)

    async def text(self, *, encoding: str | None = None) -> str:
        """Read the part as text (charset from its ``Content-Type``, else UTF-8)."""
        data = await self.read(decode=True)
        return data.decode(encoding or self.get_charset(default="utf-8"))

    async def json(self, *, encoding: str | None = None) -> Any:
        """Read the part as JSON; None for an empty part."""
        data = await self.read(decode=True)
        if not data:
            return None
        return json.loads(data.decode(encoding or self.get_charset(default="utf-8")))

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """Read the part as ``application/x-www-form-urlencoded`` pairs."""
        data = await self.read(decode=True)
        if not data:
            return []
        real_encoding = encoding or self.get_charset(default="utf-8")
        return parse_qsl(
            data.rstrip().decode(real_encoding), keep_blank_values=True, encoding=real_encoding
        )

    async def iter_decoded(self, size: int = chunk_size) -> AsyncIterator[bytes]:
        """Yield the part's content with its codings undone, a block at a time.

        Unlike calling :meth:`decode` on each :meth:`read_chunk`, this keeps decoder
        state across blocks, so base64 and gzip parts can be streamed.
        """
        decoder = IncrementalDecoder(
            self.headers.get(hdrs.CONTENT_TRANSFER_ENCODING),
            self.headers.get(hdrs.CONTENT_ENCODING),
        )
        finished = False
        while not finished:
            data = await self.read_chunk(size)
            finished = self._at_eof
            chunk = decoder.feed(data, final=finished)
            if chunk:
                yield chunk

    def decode(self, data: bytes) -> bytes:
        """Undo ``Content-Transfer-Encoding`` then ``Content-Encoding`` of ``data``.

        Meant for a whole part body; use :meth:`iter_decoded` to decode while streaming.
        An unknown coding raises a RuntimeError that is also a ValueError, as data the
        coding does not decode does.
        """
        return decode_part_body(
            data,
            self.headers.get(hdrs.CONTENT_TRANSFER_ENCODING),
            self.headers.get(hdrs.CONTENT_ENCODING),
        )

    def get_charset(self, default: str) -> str:
        """Return the charset of the part's ``Content-Type`` (or the body's default)."""
        mimetype = parse_mimetype(self.headers.get(hdrs.CONTENT_TYPE, ""))
        return mimetype.parameters.get("charset") or self._default_charset or default

    @property
    def _disposition_params(self) -> MappingProxyType[str, str]:
        if "params" not in self._cache:
            _, params = parse_content_disposition(self.headers.get(hdrs.CONTENT_DISPOSITION))
            self._cache["params"] = params
        return self._cache["params"]  # type: ignore[no-any-return]

    @property
    def name(self) -> str | None:
        """The ``name`` parameter of ``Content-Disposition``."""
        return content_disposition_filename(self._disposition_params, "name")

    @property
    def filename(self) -> str | None:
        """The ``filename`` parameter of ``Content-Disposition``."""
        return content_disposition_filename(self._disposition_params, "filename")

    # -- internals ---------------------------------------------------------------

    def _safe_len(self) -> int:
        """Bytes at the start of the buffer that certainly belong to the part."""
        if self._body_complete or self._length is not None:
            return len(self._buffer)
        return max(0, len(self._buffer) - (len(self._delimiter) - 1))

    async def _fill(self) -> None:
        if self._length is not None:
            remaining = self._length - self._received
            chunk = await self._content.read_some(min(remaining, self.chunk_size))
            if not chunk and remaining:
                raise ValueError(
                    f"multipart part ended after {self._received} of {self._length} bytes"
                )
            self._received += len(chunk)
            self._buffer += chunk
            if self._received == self._length:
                self._body_complete = True
                crlf = await self._content.readline()
                if crlf != b"\r\n":
                    raise ValueError(
                        f"multipart part longer than its Content-Length of {self._length}"
                    )
            return
        chunk = await self._content.read_some(self.chunk_size)
        if not chunk:
            raise ValueError(
                f"multipart body ended before the boundary {self._boundary.decode()!r}"
            )
        self._buffer += chunk
        idx = self._buffer.find(self._delimiter, self._scan_from)
        if idx >= 0:
            self._content.unread(bytes(self._buffer[idx + 2 :]))
            del self._buffer[idx:]
            self._body_complete = True
        else:
            self._scan_from = max(0, len(self._buffer) - len(self._delimiter) + 1)


class MultipartReader:
    """Read the parts of a ``multipart/*`` body from ``content`` (a ``StreamReader``).

    ``max_field_size`` and ``max_headers`` bound the header block of each part.
    """

    part_reader_cls = BodyPartReader

    def __init__(
        self,
        headers: Mapping[str, str],
        content: Any,
        *,
        max_field_size: int = 8190,
        max_headers: int = 128,
    ) -> None:
        content_type = headers.get(hdrs.CONTENT_TYPE, "")
        self._mimetype = parse_mimetype(content_type)
        if self._mimetype.type != "multipart":
            raise ValueError(f"multipart/* content type expected, got {content_type!r}")
        boundary = self._mimetype.parameters.get("boundary")
        if not boundary:
            raise ValueError(f"boundary missed for Content-Type: {content_type!r}")
        if len(boundary) > 70:
            raise ValueError(f"boundary {boundary!r} is longer than 70 characters")
        self.headers = headers
        self._boundary = ("--" + boundary).encode()
        self._content = SharedStream.wrap(content)
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._default_charset: str | None = None
        self._last_part: MultipartReader | BodyPartReader | None = None
        self._at_eof = False
        self._at_bof = True

    def __aiter__(self) -> MultipartReader:
        return self

    async def __anext__(self) -> MultipartReader | BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    @classmethod
    def from_response(cls, response: Any) -> MultipartResponseWrapper:
        """Wrap a client response whose body is multipart."""
        return MultipartResponseWrapper(response, cls(response.headers, response.content))

    def at_eof(self) -> bool:
        """Return True after the closing boundary was read."""
        return self._at_eof

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """Return the next part, or None after the last one."""
        if self._at_eof:
            return None
        nested_before = isinstance(self._last_part, MultipartReader)
        if self._last_part is not None:
            await self._last_part.release()
            self._last_part = None
        if self._at_bof:
            await self._read_until_first_boundary()
            self._at_bof = False
        else:
            await self._read_boundary(skip_epilogue=nested_before)
        if self._at_eof:
            return None
        part = await self.fetch_next_part()
        self._last_part = part
        if (
            self._default_charset is None
            and self._mimetype.subtype == "form-data"
            and isinstance(part, BodyPartReader)
            and part.name == "_charset_"
        ):
            # RFC 7578 section 4.6: the default charset of the following fields.
            charset = (await part.read()).strip().decode("ascii", "replace")
            if not charset or len(charset) > 40:
                raise ValueError(f"invalid _charset_ field in multipart/form-data: {charset!r}")
            self._default_charset = charset
            return await self.next()
        return part

    async def release(self) -> None:
        """Skip the remaining parts."""
        while not self._at_eof:
            item = await self.next()
            if item is None:
                break
            await item.release()

    async def fetch_next_part(self) -> MultipartReader | BodyPartReader:
        """Read the next part's headers and return its reader."""
        headers = await self._read_headers()
        return self._get_part_reader(headers)

    def _get_part_reader(self, headers: CIMultiDictProxy[str]) -> MultipartReader | BodyPartReader:
        mimetype = parse_mimetype(headers.get(hdrs.CONTENT_TYPE, ""))
        if mimetype.type == "multipart":
            return type(self)(
                headers,
                self._content,
                max_field_size=self._max_field_size,
                max_headers=self._max_headers,
            )
        return self.part_reader_cls(
            self._boundary,
            headers,
            self._content,
            subtype=self._mimetype.subtype,
            default_charset=self._default_charset,
        )

    async def _readline(self) -> bytes:
        line = await self._content.readline()
        if len(line) > self._max_field_size + 2:
            raise LineTooLong(
                "multipart boundary or header line", self._max_field_size, len(line), code=400
            )
        return line

    async def _read_until_first_boundary(self) -> None:
        while True:
            line = await self._content.readline()
            if line == b"":
                raise ValueError(f"could not find starting boundary {self._boundary!r}")
            line = line.rstrip()
            if line == self._boundary:
                return
            if line == self._boundary + b"--":
                self._at_eof = True
                return

    async def _read_boundary(self, *, skip_epilogue: bool) -> None:
        while True:
            line = await self._readline()
            stripped = line.rstrip()
            if stripped == self._boundary:
                return
            if stripped == self._boundary + b"--":
                self._at_eof = True
                return
            if not skip_epilogue or line == b"":
                raise ValueError(f"invalid boundary {stripped!r}, expected {self._boundary!r}")

    async def _read_headers(self) -> CIMultiDictProxy[str]:
        headers: CIMultiDict[str] = CIMultiDict()
        last_name: str | None = None
        while True:
            line = await self._readline()
            if line == b"":
                raise ValueError("multipart body ended inside the headers of a part")
            line = line.rstrip(b"\r\n")
            if not line:
                return CIMultiDictProxy(headers)
            if line[:1] in (b" ", b"\t") and last_name is not None:  # obsolete line folding
                headers[last_name] = (
                    headers.getone(last_name)
                    + " "
                    + line.strip().decode("utf-8", "surrogateescape")
                )
                continue
            raw_name, sep, raw_value = line.partition(b":")
            name = raw_name.decode("latin-1")
            if not sep or not name or name != name.strip():
                raise BadHttpMessage(f"invalid header line in multipart part: {line[:80]!r}")
            if len(headers) >= self._max_headers:
                raise TooManyHeaders(f"more than {self._max_headers} headers in a multipart part")
            last_name = name
            headers.add(name, raw_value.strip().decode("utf-8", "surrogateescape"))


class MultipartResponseWrapper:
    """A multipart reader that releases its client response once all parts are read."""

    def __init__(self, resp: Any, stream: MultipartReader) -> None:
        self.resp = resp
        self.stream = stream

    def __aiter__(self) -> MultipartResponseWrapper:
        return self

    async def __anext__(self) -> MultipartReader | BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    async def __aenter__(self) -> MultipartResponseWrapper:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()

    def at_eof(self) -> bool:
        """Return True once the body was read to its end."""
        return bool(self.resp.content.at_eof())

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """Return the next part; release the response after the last one."""
        item = await self.stream.next()
        if self.stream.at_eof():
            await self.release()
        return item

    async def release(self) -> None:
        """Release the response's connection."""
        result = self.resp.release()
        if hasattr(result, "__await__"):
            await result
