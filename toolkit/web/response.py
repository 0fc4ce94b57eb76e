"""Server responses with the whole body up front: :class:`Response`, :func:`json_response`.

:class:`StreamResponse` (in :mod:`toolkit.web.stream_response`) is re-exported here, where
aiohttp users look for it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import Executor
from time import time as _time
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict

from toolkit import hdrs
from toolkit.http import HttpVersion11
from toolkit.http._reasons import REASONS as _REASONS
from toolkit.web import _helpers
from toolkit.web._compression import ContentCoding, compress_bytes
from toolkit.web._helpers import http_date_now, parse_content_type
from toolkit.web.stream_response import (
    _CONNECTION,
    _CONTENT_LENGTH,
    _CONTENT_TYPE,
    _DATE,
    _DEFAULT_JSON_TYPE,
    _NO_BODY_METHODS,
    _SERVER,
    _TEXT_PLAIN_UTF8,
    _TRANSFER_ENCODING,
    SERVER_SOFTWARE,
    StreamResponse,
    without_content,
)
from toolkit.web.writer import _COPY_LIMIT, _JOIN_LIMIT, StreamWriter

if TYPE_CHECKING:
    from toolkit.web.request import BaseRequest

_JOIN_LINES = "\r\n".join
_JOIN_FIELD = ": ".join
_SERVER_FIELD = "\r\nServer: " + SERVER_SOFTWARE

__all__ = [
    "ContentCoding",
    "Response",
    "StreamResponse",
    "json_bytes_response",
    "json_response",
]


class Response(StreamResponse):
    """A response with its whole body given up front (bytes, text or a payload)."""

    # Defaults as class attributes (see StreamResponse).
    _compressed_body: bytes | None = None
    _zlib_executor_size: int | None = None
    _zlib_executor: Executor | None = None

    def __init__(
        self,
        *,
        body: Any = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: Any = None,
        content_type: str | None = None,
        charset: str | None = None,
        zlib_executor_size: int | None = None,
        zlib_executor: Executor | None = None,
    ) -> None:
        if body is not None and text is not None:
            raise ValueError("body and text are not allowed together")
        if headers is None:
            real_headers: CIMultiDict[str] = CIMultiDict()
            has_type = False
        else:
            real_headers = headers if isinstance(headers, CIMultiDict) else CIMultiDict(headers)
            has_type = hdrs.CONTENT_TYPE in real_headers
        if content_type is not None and "charset" in content_type:
            raise ValueError("charset must not be in content_type argument")
        if has_type and (content_type or charset):
            raise ValueError(
                "passing both Content-Type header and content_type or charset params is forbidden"
            )
        if text is not None:
            if not isinstance(text, str):
                raise TypeError(f"text argument must be str ({type(text).__name__!r})")
            if not has_type:
                if content_type is None and charset is None:
                    real_headers[hdrs.CONTENT_TYPE] = _TEXT_PLAIN_UTF8
                    body = text.encode()
                else:
                    content_type = content_type or "text/plain"
                    charset = charset or "utf-8"
                    real_headers[hdrs.CONTENT_TYPE] = f"{content_type}; charset={charset}"
                    body = text.encode(charset)
            else:
                body_charset = parse_content_type(real_headers[hdrs.CONTENT_TYPE])[1].get(
                    "charset", "utf-8"
                )
                body = text.encode(body_charset)
        elif content_type is not None:
            if charset:
                content_type += f"; charset={charset}"
            real_headers[hdrs.CONTENT_TYPE] = content_type
        elif charset is not None and not has_type:
            real_headers[hdrs.CONTENT_TYPE] = f"application/octet-stream; charset={charset}"
        # StreamResponse.__init__, inline (this runs for every response).
        self._headers = real_headers
        # What _send_plain reads, as instance attributes (Python 3.11 reads class
        # attributes through an instance the slow way).
        self._payload_writer = self._cookies = self._keep_alive = None
        self._eof_sent = self._chunked = self._compression = False
        if status == 200 and reason is None:
            self._status = 200
            self._reason = "OK"
        elif reason is None and type(status) is int and 100 <= status <= 999:
            self._status = status
            self._reason = _REASONS.get(status, "")
        else:
            self.set_status(status, reason)
        if zlib_executor_size is not None:
            self._zlib_executor_size = zlib_executor_size
        if zlib_executor is not None:
            self._zlib_executor = zlib_executor
        if body is None or type(body) is bytes:
            self._body = body
        else:
            self.body = body

    @property
    def body(self) -> Any:
        """The body: ``bytes``, a :class:`~toolkit.payload.Payload`, or ``None``."""
        return self._body

    @body.setter
    def body(self, body: Any) -> None:
        if body is None or isinstance(body, bytes):
            self._body = body
        elif isinstance(body, (bytearray, memoryview)):
            self._body = bytes(body)
        else:
            from toolkit.payload import Payload, get_payload  # (only non-bytes bodies need it)

            try:
                payload = body if isinstance(body, Payload) else get_payload(body)
            except Exception as exc:  # the payload registry names the type it refused
                raise ValueError(f"unsupported body type {type(body).__name__!r}") from exc
            self._body = payload
            headers = self._headers
            if hdrs.CONTENT_TYPE not in headers and payload.content_type:
                headers[hdrs.CONTENT_TYPE] = payload.content_type
            for key, value in payload.headers.items():
                if key not in headers and key != hdrs.CONTENT_LENGTH:
                    headers[key] = value
        self._compressed_body = None

    @property
    def text(self) -> str | None:
        """The body decoded with the response charset (default UTF-8)."""
        if self._body is None:
            return None
        if isinstance(self._body, bytes):
            return self._body.decode(self.charset or "utf-8")
        return None

    @text.setter
    def text(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text argument must be str ({type(text).__name__!r})")
        if self.content_type == "application/octet-stream":
            self.content_type = "text/plain"
        if self.charset is None:
            self.charset = "utf-8"
        self._body = text.encode(self.charset or "utf-8")
        self._compressed_body = None

    @property
    def content_length(self) -> int | None:
        """The length of the body that will be sent, when known."""
        if self._chunked:
            return None
        if hdrs.CONTENT_LENGTH in self._headers:
            return super().content_length
        if self._compressed_body is not None:
            return len(self._compressed_body)
        body = self._body
        if body is None:
            return 0
        if isinstance(body, bytes):
            return len(body)
        size = body.size  # a Payload
        return int(size) if size is not None else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        raise RuntimeError("content length is set automatically for a Response")

    def _set_content_length(self, method: str) -> None:
        headers = self._headers
        status = self._status
        if without_content(status, method):
            headers.pop(hdrs.CONTENT_LENGTH, None)
        elif not self._chunked and hdrs.CONTENT_LENGTH not in headers:
            body = self._body
            if body is None or type(body) is bytes:
                length = len(body) if body else 0
                if length or (status != 304 and method != hdrs.METH_HEAD):
                    headers[hdrs.CONTENT_LENGTH] = str(length)
            elif body.size is not None:  # a Payload
                headers[hdrs.CONTENT_LENGTH] = str(body.size)

    async def _do_start_compression(self, coding: ContentCoding) -> None:
        if self._chunked or not isinstance(self._body, bytes):
            await super()._do_start_compression(coding)
            return
        body = self._body
        if self._zlib_executor_size is not None and len(body) > self._zlib_executor_size:
            loop = asyncio.get_running_loop()
            compressed = await loop.run_in_executor(
                self._zlib_executor, compress_bytes, coding, body
            )
        else:
            compressed = compress_bytes(coding, body)
        self._compressed_body = compressed
        self._headers[hdrs.CONTENT_ENCODING] = coding.value
        self._headers[hdrs.CONTENT_LENGTH] = str(len(compressed))

    async def write_eof(self, data: bytes = b"") -> None:
        """Send the whole body and finish the response."""
        if self._eof_sent:
            return
        body: Any = self._compressed_body if self._compressed_body is not None else self._body
        if body is None or self._must_be_empty_body:
            await super().write_eof()
        elif type(body) is not bytes:  # a Payload
            assert self._payload_writer is not None
            await body.write(self._payload_writer)
            await super().write_eof()
        else:
            writer = self._payload_writer
            if writer is None:
                raise RuntimeError("response has not been started")
            if type(writer) is StreamWriter:
                # writer.write_eof(body) without a coroutine unless it has to wait.
                if writer._write_eof_nowait(body):
                    await writer.protocol._drain_helper()
            else:
                await writer.write_eof(body)
            self._end_of_body(writer)

    def _send_plain(self, request: BaseRequest) -> bool:
        """:meth:`prepare` and :meth:`write_eof` in one step, without a coroutine.

        For the usual response only: a bytes body, HTTP/1.1, a status and method that
        carry a body, no Content-Length or Transfer-Encoding field set by hand, no
        cookies, compression or chunking, nothing to run before the head is sent.
        Returns False, having done nothing, for any other response (the caller then
        takes the general path). Sends the same bytes as the general path. The
        caller keeps the connection open or not as ``self._keep_alive`` says (what
        prepare() passes to ``protocol.keep_alive()``) and drains the transport if
        writing is paused.
        """
        writer = request._payload_writer
        body = self._body
        if body is None:
            body = b""
        elif type(body) is not bytes:
            return False  # a Payload
        if (
            request._run_prepare_hook
            or type(writer) is not StreamWriter
            or writer._headers_written
            or writer.length is not None
            or writer.chunked
            or writer._compress is not None
            or self._payload_writer is not None
            or self._eof_sent
            or self._chunked
            or self._compression
            or self._cookies
        ):
            return False
        message = request._message
        status = self._status
        headers = self._headers
        count = len(headers)
        # The usual response (Response(text=...), json_response()): Content-Type alone.
        only_type = count == 1 and _CONTENT_TYPE in headers
        if (
            message.version is not HttpVersion11
            or status < 200
            or status == 204
            or status == 304
            or message.method in _NO_BODY_METHODS
            or (not only_type and (_CONTENT_LENGTH in headers or _TRANSFER_ENCODING in headers))
        ):
            return False
        # The head is serialized here, once: the fields set so far, then the ones added
        # below, in the order the general path adds them (and sends them).
        # serialize_head()'s check, on the fields set so far (the ones added below
        # cannot fail it, the reason was checked by set_status): CR or LF in a name or
        # value would make more line breaks than the separators put in.
        text = (
            f"HTTP/1.1 {status} {self._reason}\r\n{_JOIN_LINES(map(_JOIN_FIELD, headers.items()))}"
        )
        breaks = count or 1  # (no fields: the status line's CRLF alone)
        if text.count("\n") != breaks or text.count("\r") != breaks:
            return False
        length = str(len(body))
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = self._keep_alive = not message.should_close
        if only_type:
            # What the branches below add to Content-Type alone, in one step.
            second, date = _helpers._date_cache  # http_date_now(), inline
            if second != int(_time()):
                date = http_date_now()
            headers.extend(((_CONTENT_LENGTH, length), (_DATE, date), (_SERVER, SERVER_SOFTWARE)))
            text += f"\r\nContent-Length: {length}\r\nDate: {date}{_SERVER_FIELD}"
            if not keep_alive:
                headers.add(_CONNECTION, "close")
                text += "\r\nConnection: close"
        else:
            headers[_CONTENT_LENGTH] = length
            text += ("\r\nContent-Length: " if count else "Content-Length: ") + length
            if _CONTENT_TYPE not in headers:
                headers[_CONTENT_TYPE] = "application/octet-stream"
                text += "\r\nContent-Type: application/octet-stream"
            if _DATE not in headers:
                second, date = _helpers._date_cache  # http_date_now(), inline
                if second != int(_time()):
                    date = http_date_now()
                headers[_DATE] = date
                text += "\r\nDate: " + date
            if _SERVER not in headers:
                headers[_SERVER] = SERVER_SOFTWARE
                text += _SERVER_FIELD
            if not keep_alive and _CONNECTION not in headers:
                headers[_CONNECTION] = "close"
                text += "\r\nConnection: close"
        # (The caller, the protocol, applies self._keep_alive to the connection.)
        self._must_be_empty_body = False
        self._eof_sent = True
        # The whole message in one write (see StreamWriter._send).
        writer._headers_written = writer._eof = True
        transport = writer._protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        head = (text + "\r\n\r\n").encode("utf-8", "surrogateescape")
        size = len(body)
        self._body_length = writer.output_size = len(head) + size
        if size < _COPY_LIMIT:
            transport.write(head + body)
        elif writer._writev_ok():
            transport.writelines((head, body))  # one writev, without copying the body
        elif size <= _JOIN_LIMIT:
            transport.write(head + body)
        else:
            transport.write(head)
            transport.write(body)
        return True


def json_response(
    data: Any = ...,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Any = None,
    content_type: str = _DEFAULT_JSON_TYPE,
    dumps: Callable[[Any], str] = json.dumps,
) -> Response:
    """Build a :class:`Response` whose body is ``dumps(data)``."""
    if data is not ...:
        if text or body:
            raise ValueError("only one of data, text, or body should be specified")
        text = dumps(data)
    return Response(
        text=text,
        body=body,
        status=status,
        reason=reason,
        headers=headers,
        content_type=content_type,
    )


def json_bytes_response(
    data: Any,
    *,
    dumps: Callable[[Any], bytes],
    status: int = 200,
    reason: str | None = None,
    headers: Any = None,
    content_type: str = _DEFAULT_JSON_TYPE,
) -> Response:
    """Build a :class:`Response` whose body is ``dumps(data)`` for a ``dumps`` giving bytes."""
    return Response(
        body=dumps(data), status=status, reason=reason, headers=headers, content_type=content_type
    )
