"""Server responses whose body is written piece by piece: :class:`StreamResponse`.

A response collects its status, headers and cookies until :meth:`StreamResponse.prepare`
writes the head through the request's payload writer; the body follows through
:meth:`~StreamResponse.write` and :meth:`~StreamResponse.write_eof`.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from multidict import CIMultiDict

from toolkit import __version__, hdrs
from toolkit.http import HttpVersion, HttpVersion10, HttpVersion11
from toolkit.http._reasons import REASONS as _REASONS
from toolkit.web._compression import ContentCoding, choose_coding
from toolkit.web._helpers import http_date_now
from toolkit.web._keys import LazyState, ResponseKey
from toolkit.web._response_headers import HeadersMixin
from toolkit.web.writer import StreamWriter

if TYPE_CHECKING:
    from http.cookies import SimpleCookie

    from toolkit.web.request import BaseRequest

    # (for annotations only: a Protocol class costs a lot to create at import)
    class _PayloadWriter(Protocol):
        """What a response needs of the protocol's StreamWriter (see the toolkit.web seam)."""

        output_size: int

        def enable_chunking(self) -> None: ...
        def enable_compression(self, encoding: str = "deflate") -> None: ...
        async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None: ...
        async def write(self, chunk: bytes) -> None: ...
        async def write_eof(self, chunk: bytes = b"") -> None: ...
        async def drain(self) -> None: ...


__all__ = ["ContentCoding", "StreamResponse"]

_T = TypeVar("_T")

SERVER_SOFTWARE = (
    f"Python/{sys.version_info.major}.{sys.version_info.minor} aiotoolkit/{__version__}"
)
_DEFAULT_JSON_TYPE = "application/json"


# Methods whose responses Response._send_plain leaves to the general path.
_NO_BODY_METHODS = frozenset((hdrs.METH_HEAD, hdrs.METH_CONNECT))
_CONTENT_LENGTH = hdrs.CONTENT_LENGTH
_CONTENT_TYPE = hdrs.CONTENT_TYPE
_TRANSFER_ENCODING = hdrs.TRANSFER_ENCODING
_CONNECTION = hdrs.CONNECTION
_DATE = hdrs.DATE
_SERVER = hdrs.SERVER
_JOIN = "".join
_CHAIN = itertools.chain.from_iterable
_TEXT_PLAIN_UTF8 = "text/plain; charset=utf-8"


def without_content(status: int, method: str) -> bool:
    """True for responses that carry no content and no Content-Length (RFC 9110 §8.6)."""
    return 100 <= status < 200 or status == 204 or (method == "CONNECT" and 200 <= status < 300)


def _reason_for(status: int) -> str:
    return _REASONS.get(status, "")


class StreamResponse(
    HeadersMixin, LazyState[ResponseKey[Any]], MutableMapping["str | ResponseKey[Any]", Any]
):
    """A response whose body is written piece by piece after :meth:`prepare`.

    The response is also a mutable mapping for per-response state (``resp["key"]``).
    """

    _length_check = True
    # Defaults as class attributes: most responses never change them, and setting
    # each one in every __init__ costs time on every request.
    _body: Any = None
    _keep_alive: bool | None = None
    _chunked = False
    _compression = False
    _compression_force: ContentCoding | None = None
    _cookies: SimpleCookie | None = None
    _partitioned: set[str] | None = None
    _req: BaseRequest | None = None
    _payload_writer: _PayloadWriter | None = None
    _eof_sent = False
    _must_be_empty_body: bool | None = None
    _body_length = 0
    # Per-response state (``resp["key"]``), created on first assignment.

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Any = None,
    ) -> None:
        if headers is None:
            self._headers: CIMultiDict[str] = CIMultiDict()
        elif isinstance(headers, CIMultiDict):
            self._headers = headers
        else:
            self._headers = CIMultiDict(headers)
        if reason is None and type(status) is int and 100 <= status <= 999:
            self._status = status
            self._reason = _REASONS.get(status, "")
        else:
            self.set_status(status, reason)

    # -- status -------------------------------------------------------------------------

    @property
    def prepared(self) -> bool:
        """``True`` once the head was sent (or the response finished)."""
        return self._eof_sent or self._payload_writer is not None

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task that handles the request this response answers."""
        return self._req.task if self._req is not None else None

    @property
    def status(self) -> int:
        """The status code."""
        return self._status

    @property
    def chunked(self) -> bool:
        """``True`` when chunked transfer coding was enabled."""
        return self._chunked

    @property
    def compression(self) -> bool:
        """``True`` when compression was enabled."""
        return self._compression

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._reason

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Set the status code and reason phrase (before the head is sent)."""
        if self.prepared:
            raise RuntimeError(
                "cannot change the response status code after the headers have been sent"
            )
        status = int(status)
        if not 100 <= status <= 999:
            raise ValueError(f"status code must be a 3-digit number, got {status}")
        if reason is None:
            reason = _reason_for(status)
        elif "\r" in reason or "\n" in reason:
            raise ValueError(f"reason phrase cannot contain a line break: {reason!r}")
        self._status = status
        self._reason = reason

    # -- connection ---------------------------------------------------------------------

    @property
    def keep_alive(self) -> bool | None:
        """Whether the connection stays open after this response (``None``: undecided)."""
        return self._keep_alive

    def force_close(self) -> None:
        """Close the connection after this response."""
        self._keep_alive = False

    @property
    def body_length(self) -> int:
        """Bytes written to the transport for this response (after :meth:`write_eof`)."""
        return self._body_length

    def enable_chunked_encoding(self, chunk_size: int | None = None) -> None:
        """Send the body with chunked transfer coding."""
        if chunk_size is not None:
            raise ValueError("chunk_size is not supported; chunks follow write() calls")
        if hdrs.CONTENT_LENGTH in self._headers:
            raise RuntimeError(
                "you cannot enable chunked encoding when a Content-Length header is set"
            )
        self._chunked = True

    def enable_compression(
        self, force: ContentCoding | bool | None = None, strategy: int | None = None
    ) -> None:
        """Compress the body, with ``force`` or with the best coding the client accepts."""
        if isinstance(force, bool):
            force = ContentCoding.deflate if force else ContentCoding.identity
        elif force is not None and not isinstance(force, ContentCoding):
            raise TypeError(f"force must be a ContentCoding or None, got {force!r}")
        self._compression = True
        self._compression_force = force

    # -- sending ------------------------------------------------------------------------

    async def _start_compression(self, request: BaseRequest) -> None:
        if hdrs.CONTENT_ENCODING in self._headers:
            return  # already encoded (a pre-compressed file, for instance)
        coding = choose_coding(
            request.headers.get(hdrs.ACCEPT_ENCODING, ""), self._compression_force
        )
        if self._compression_force is None:
            vary = ",".join(self._headers.getall(hdrs.VARY, ())).lower()
            if "accept-encoding" not in vary and "*" not in vary:
                self._headers.add(hdrs.VARY, hdrs.ACCEPT_ENCODING)
        if coding is not ContentCoding.identity:
            await self._do_start_compression(coding)

    async def _do_start_compression(self, coding: ContentCoding) -> None:
        assert self._payload_writer is not None
        self._headers[hdrs.CONTENT_ENCODING] = coding.value
        if not self._must_be_empty_body:  # no body, so not even a gzip header and trailer
            self._payload_writer.enable_compression(coding.value)
        # The compressed length is not known in advance.
        self._headers.pop(hdrs.CONTENT_LENGTH, None)

    async def prepare(self, request: BaseRequest) -> _PayloadWriter | None:
        """Send the status line and headers; return the payload writer.

        Calling it again returns the same writer; after :meth:`write_eof` it returns
        ``None``.
        """
        if self._eof_sent:
            return None
        if self._payload_writer is not None:
            return self._payload_writer
        method = request.method
        status = self._status
        self._must_be_empty_body = (
            method == hdrs.METH_HEAD
            or status < 200
            or status == 204
            or status == 304
            or (method == hdrs.METH_CONNECT and 200 <= status < 300)
        )
        self._set_content_length(method)
        self._req = request
        writer: _PayloadWriter = request._payload_writer
        self._payload_writer = writer
        if request._run_prepare_hook:
            await request._prepare_hook(self)
        if self._cookies:
            self._add_cookie_headers()
        if self._compression:
            await self._start_compression(request)
        version = request.version
        self._prepare_headers(request, method, version, writer)
        if version is HttpVersion11:
            status_line = f"HTTP/1.1 {self._status} {self._reason}"
        else:
            status_line = f"HTTP/{version.major}.{version.minor} {self._status} {self._reason}"
        if type(writer) is StreamWriter:
            writer._set_head(status_line, self._headers)  # the same, without a coroutine
        else:
            await writer.write_headers(status_line, self._headers)
        return writer

    def _set_content_length(self, method: str) -> None:
        """Set Content-Length from a body known up front (:class:`Response`)."""

    def _add_cookie_headers(self) -> None:
        assert self._cookies is not None
        partitioned = self._partitioned or ()
        for name, morsel in self._cookies.items():
            value = morsel.output(header="")[1:]
            if name in partitioned:
                value += "; Partitioned"
            self._headers.add(hdrs.SET_COOKIE, value)

    def _prepare_headers(
        self, request: BaseRequest, method: str, version: HttpVersion, writer: _PayloadWriter
    ) -> None:
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = request.keep_alive
        headers = self._headers
        empty_body = self._must_be_empty_body
        if self._chunked:
            if version != HttpVersion11:
                raise RuntimeError(
                    f"chunked encoding is forbidden for HTTP/{version.major}.{version.minor}"
                )
            if not empty_body:
                writer.enable_chunking()
                headers[hdrs.TRANSFER_ENCODING] = "chunked"
            headers.pop(hdrs.CONTENT_LENGTH, None)
        elif self._length_check and hdrs.CONTENT_LENGTH not in headers:
            if version >= HttpVersion11:
                if not empty_body:
                    writer.enable_chunking()
                    headers[hdrs.TRANSFER_ENCODING] = "chunked"
            elif not empty_body:
                keep_alive = False  # HTTP/1.0 without a length: the close ends the body
        if empty_body:
            if without_content(self._status, method):
                headers.pop(hdrs.CONTENT_LENGTH, None)
            headers.pop(hdrs.TRANSFER_ENCODING, None)
        else:
            headers.setdefault(hdrs.CONTENT_TYPE, "application/octet-stream")
        headers.setdefault(hdrs.DATE, http_date_now())
        headers.setdefault(hdrs.SERVER, SERVER_SOFTWARE)
        if hdrs.CONNECTION not in headers:
            if keep_alive:
                if version == HttpVersion10:
                    headers[hdrs.CONNECTION] = "keep-alive"
            elif version == HttpVersion11:
                headers[hdrs.CONNECTION] = "close"
        self._keep_alive = keep_alive
        protocol = request._protocol
        if protocol is not None:
            protocol.keep_alive(keep_alive)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write a piece of the body (after :meth:`prepare`)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data).__name__!r})")
        if self._eof_sent:
            raise RuntimeError("cannot call write() after write_eof()")
        if self._payload_writer is None:
            raise RuntimeError("cannot call write() before prepare()")
        if self._must_be_empty_body:
            return  # HEAD, 204, 304: the head is all there is
        await self._payload_writer.write(bytes(data))

    async def drain(self) -> None:
        """Wait until the transport's write buffer has room."""
        if self._eof_sent:
            raise RuntimeError("EOF already sent")
        if self._payload_writer is None:
            raise RuntimeError("response has not been started")
        await self._payload_writer.drain()

    async def write_eof(self, data: bytes = b"") -> None:
        """Finish the body, writing ``data`` last."""
        if self._eof_sent:
            return
        if self._payload_writer is None:
            raise RuntimeError("response has not been started")
        writer = self._payload_writer
        await writer.write_eof(b"" if self._must_be_empty_body else bytes(data))
        self._end_of_body(writer)

    def _end_of_body(self, writer: _PayloadWriter) -> None:
        self._eof_sent = True
        self._req = None
        self._body_length = writer.output_size
        self._payload_writer = None

    def __repr__(self) -> str:
        if self._eof_sent:
            info = "eof"
        elif self._req is not None:
            info = f"{self._req.method} {self._req.path} "
        else:
            info = "not prepared"
        return f"<{self.__class__.__name__} {self.reason} {info}>"

    # -- state mapping ------------------------------------------------------------------

    @overload
    def __getitem__(self, key: ResponseKey[_T]) -> _T: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: str | ResponseKey[_T]) -> Any:
        return self._get_state(key)

    @overload
    def __setitem__(self, key: ResponseKey[_T], value: _T) -> None: ...

    @overload
    def __setitem__(self, key: str, value: Any) -> None: ...

    def __setitem__(self, key: str | ResponseKey[_T], value: Any) -> None:
        self._set_state(key, value)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        return True
