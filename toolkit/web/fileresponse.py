"""Serve a file: conditional requests, byte ranges, pre-compressed siblings, sendfile."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import stat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from toolkit import hdrs
from toolkit.helpers import ETag, parse_http_date
from toolkit.web._helpers import byte_position, byte_range_digits, parse_accept_encoding
from toolkit.web.response import StreamResponse

if TYPE_CHECKING:
    from toolkit.web.request import BaseRequest
    from toolkit.web.stream_response import _PayloadWriter

__all__ = ["FileResponse"]

# Pre-compressed siblings, best first: (content-coding, file suffix).
_COMPRESSED_SIBLINGS = (("br", ".br"), ("gzip", ".gz"))
_ENCODING_TYPES = {"gzip": "application/gzip", "br": "application/x-brotli"}


def _etag_matches(etag: str, candidates: tuple[ETag, ...], *, weak: bool) -> bool:
    """RFC 9110 13.1.1 / 13.1.2: strong comparison for If-Match, weak for If-None-Match."""
    if len(candidates) == 1 and candidates[0].value == "*":
        return True
    return any(c.value == etag and (weak or not c.is_weak) for c in candidates)


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """Resolve one ``bytes=first-last`` / ``bytes=-suffix`` range against ``size`` bytes.

    Returns ``(start, stop)`` (stop exclusive) or ``None`` when the range is malformed or
    unsatisfiable (RFC 9110 14.1.2: a zero suffix or a first byte past the end).
    """
    digits = byte_range_digits(header)
    if digits is None:
        return None
    first, last = digits
    if not first:
        if not last:
            return None
        suffix = byte_position(last)
        if suffix == 0 or size == 0:
            return None
        return max(size - suffix, 0), size
    start = byte_position(first)
    if start >= size or (last and byte_position(last) < start):
        return None
    stop = min(byte_position(last) + 1, size) if last else size
    return start, stop


class FileResponse(StreamResponse):
    """Send the file at ``path``, honouring Range and the conditional request headers.

    A missing file gives 404, something that is not a regular file 403. When the client
    accepts it, a ``.br`` or ``.gz`` sibling is sent instead with Content-Encoding.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = 256 * 1024,
        status: int = 200,
        reason: str | None = None,
        headers: Any = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._path = Path(path)
        self._chunk_size = chunk_size

    # -- file lookup (runs in an executor) ------------------------------------------------

    def _lookup(self, accept_encoding: str) -> tuple[Path, os.stat_result, str | None]:
        accepted = parse_accept_encoding(accept_encoding)
        for coding, suffix in _COMPRESSED_SIBLINGS:
            if accepted.get(coding, accepted.get("*", 0.0)) <= 0:
                continue
            sibling = self._path.with_name(self._path.name + suffix)
            try:
                st = sibling.stat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                return sibling, st, coding
        return self._path, self._path.stat(), None

    # -- conditional requests ---------------------------------------------------------------

    async def _answer_empty(self, request: BaseRequest, status: int) -> _PayloadWriter | None:
        self.set_status(status)
        self._headers.pop(hdrs.CONTENT_TYPE, None)
        self._headers.pop(hdrs.CONTENT_ENCODING, None)
        self._headers[hdrs.CONTENT_LENGTH] = "0"
        return await super().prepare(request)

    async def _not_modified(
        self, request: BaseRequest, etag: str, last_modified: float
    ) -> _PayloadWriter | None:
        self.set_status(304)
        self._headers.pop(hdrs.CONTENT_TYPE, None)
        self._headers.pop(hdrs.CONTENT_LENGTH, None)
        self.etag = etag
        self.last_modified = last_modified
        return await super().prepare(request)

    def _precondition(self, request: BaseRequest, etag: str, mtime: float) -> int | None:
        """Evaluate RFC 9110 13.2.2 preconditions: 412, 304 or ``None`` to proceed."""
        if_match = request.if_match
        if if_match is not None and not _etag_matches(etag, if_match, weak=False):
            return 412
        unmodified_since = request.if_unmodified_since
        if (
            if_match is None
            and unmodified_since is not None
            and int(mtime) > unmodified_since.timestamp()
        ):
            return 412
        if_none_match = request.if_none_match
        if if_none_match is not None and _etag_matches(etag, if_none_match, weak=True):
            if request.method in (hdrs.METH_GET, hdrs.METH_HEAD):
                return 304
            return 412
        modified_since = request.if_modified_since
        if (
            if_none_match is None
            and modified_since is not None
            and request.method in (hdrs.METH_GET, hdrs.METH_HEAD)
            and int(mtime) <= modified_since.timestamp()
        ):
            return 304
        return None

    def _if_range_allows(self, request: BaseRequest, etag: str, mtime: float) -> bool:
        value = request.headers.get(hdrs.IF_RANGE)
        if value is None:
            return True
        value = value.strip()
        if value.startswith(('"', "W/")):
            return value == f'"{etag}"'  # strong comparison only (RFC 9110 13.1.5)
        date = parse_http_date(value)
        return date is not None and int(mtime) <= date.timestamp()

    # -- sending -----------------------------------------------------------------------------

    async def prepare(self, request: BaseRequest) -> _PayloadWriter | None:
        """Check the file and the request's conditions, then send the head and the file."""
        if self._eof_sent:
            return None
        if self._payload_writer is not None:
            return self._payload_writer
        loop = asyncio.get_running_loop()
        accept_encoding = request.headers.get(hdrs.ACCEPT_ENCODING, "")
        try:
            path, st, coding = await loop.run_in_executor(None, self._lookup, accept_encoding)
        except (OSError, ValueError):
            return await self._answer_empty(request, 404)
        if not stat.S_ISREG(st.st_mode):
            return await self._answer_empty(request, 403)

        etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
        outcome = self._precondition(request, etag, st.st_mtime)
        if outcome == 304:
            return await self._not_modified(request, etag, st.st_mtime)
        if outcome == 412:
            return await self._answer_empty(request, 412)

        size = st.st_size
        start, count = 0, size
        range_header = request.headers.get(hdrs.RANGE)
        if (
            range_header is not None
            and request.method in (hdrs.METH_GET, hdrs.METH_HEAD)
            and "," not in range_header  # several ranges: ignored, the whole file is sent
            and self._if_range_allows(request, etag, st.st_mtime)
        ):
            span = _byte_range(range_header, size)
            if span is None:
                return await self._unsatisfiable(request, size)
            start, stop = span
            count = stop - start
            self.set_status(206)
            self._headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{start + count - 1}/{size}"

        if hdrs.CONTENT_TYPE not in self._headers:
            ctype, encoding = mimetypes.guess_type(self._path.name)
            if ctype is None:
                ctype = _ENCODING_TYPES.get(encoding or "", "application/octet-stream")
            self._headers[hdrs.CONTENT_TYPE] = ctype
        if coding is not None:
            self._headers[hdrs.CONTENT_ENCODING] = coding
            self._headers.add(hdrs.VARY, hdrs.ACCEPT_ENCODING)
            self._compression = False  # already compressed
        self._headers[hdrs.ACCEPT_RANGES] = "bytes"
        self.etag = etag
        self.last_modified = st.st_mtime
        self._headers[hdrs.CONTENT_LENGTH] = str(count)

        writer = await super().prepare(request)
        assert writer is not None
        if self._must_be_empty_body or count == 0:
            return writer
        fobj = await loop.run_in_executor(None, path.open, "rb")
        try:
            await self._send_file(request, writer, fobj, start, count)
        finally:
            await loop.run_in_executor(None, fobj.close)
        return writer

    async def _unsatisfiable(self, request: BaseRequest, size: int) -> _PayloadWriter | None:
        self._headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
        return await self._answer_empty(request, 416)

    async def _send_file(
        self,
        request: BaseRequest,
        writer: _PayloadWriter,
        fobj: IO[bytes],
        offset: int,
        count: int,
    ) -> None:
        loop = asyncio.get_running_loop()
        transport = request.transport
        plain = (
            not self._chunked
            and hdrs.TRANSFER_ENCODING not in self._headers
            and not (self._compression and hdrs.CONTENT_ENCODING in self._headers)
            and transport is not None
            and transport.get_extra_info("sslcontext") is None
            and hasattr(loop, "sendfile")
        )
        if plain and transport is not None:
            await writer.drain()  # the head leaves before the file's bytes
            try:
                sent = await loop.sendfile(transport, fobj, offset, count)
            except (NotImplementedError, RuntimeError, AttributeError):
                sent = 0
            else:
                writer.output_size += sent
                return
            if sent:
                return
        await self._send_chunks(writer, fobj, offset, count)

    async def _send_chunks(
        self, writer: _PayloadWriter, fobj: IO[bytes], offset: int, count: int
    ) -> None:
        loop = asyncio.get_running_loop()
        chunk_size = self._chunk_size

        def read_at(position: int, size: int) -> bytes:
            fobj.seek(position)
            return fobj.read(size)

        while count > 0:
            chunk = await loop.run_in_executor(None, read_at, offset, min(chunk_size, count))
            if not chunk:
                break
            await writer.write(chunk)
            offset += len(chunk)
            count -= len(chunk)
