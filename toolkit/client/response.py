"""``ClientResponse``: the status, headers and streamed body of one response."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import json
import re
import warnings
from collections.abc import Callable, Generator, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from toolkit import hdrs
from toolkit._lazy import lazy_dir, lazy_load, lazy_pattern
from toolkit.client.exceptions import (
    ClientConnectionError,
    ClientResponseError,
    ContentTypeError,
    RequestInfo,
)
from toolkit.helpers import content_length_value
from toolkit.http import HttpVersion

if TYPE_CHECKING:
    from http.cookies import SimpleCookie

    from toolkit.client._content_disposition import ContentDisposition as ContentDisposition
    from toolkit.client.connector import Connection
    from toolkit.streams import StreamReader

__all__ = ["ClientResponse", "ContentDisposition"]

# Patterns of properties many programs never use: compiled on first use.
_JSON_RE = lazy_pattern(r"application/(?:[\w.+-]+?\+)?json")
_LINK_SPLIT_RE = lazy_pattern(r",(?=\s*<)")
_LINK_RE = lazy_pattern(r"(?s)\s*<(.*)>(.*)$")
_SURROGATES_RE = lazy_pattern("[\ud800-\udfff]")
_LINK_PARAM_RE = lazy_pattern(r"\s*(\S*)\s*=\s*(['\"]?)(.*?)(\2)\s*$")


#: Names this module exports but loads on first use (PEP 562).
_LAZY_NAMES = {"ContentDisposition": "toolkit.client._content_disposition"}


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _LAZY_NAMES, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), _LAZY_NAMES)


class _Done:
    """An already finished awaitable: ``release()`` works with and without ``await``."""

    def __await__(self) -> Generator[None, None, None]:
        return
        yield  # pragma: no cover - makes this a generator


_DONE = _Done()  # stateless: one instance serves every release()


def _text_codec_name(charset: str) -> str | None:
    """Python's name for ``charset``; None if unknown or no text encoding (rot13, base64,
    zlib... are transforms bytes.decode() refuses; "undefined" refuses everything)."""
    try:
        codec = codecs.lookup(charset)
    except (LookupError, ValueError):
        return None
    if not codec._is_text_encoding or codec.name == "undefined":
        return None
    return codec.name


_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


#: ``type/subtype`` with at most one ``name=value`` parameter, all made of ASCII letters,
#: digits and ``_.+-``: no quoting, no RFC 2231 (``*``, ``'``), nothing the email package
#: would read differently.
_SIMPLE_CONTENT_TYPE_RE = re.compile(
    r"[ \t]*([\w.+-]+/[\w.+-]+)(?:[ \t]*;[ \t]*([\w.+-]+)=([\w.+-]+))?[ \t]*", re.ASCII
)


@functools.lru_cache(maxsize=64)
def _parse_content_type(raw: str) -> tuple[str, Mapping[str, str]]:
    simple = _SIMPLE_CONTENT_TYPE_RE.fullmatch(raw)
    if simple is not None:  # the usual value: parsed without loading the email package
        content_type, name, value = simple.groups()
        if name is None:
            return content_type.lower(), _NO_PARAMS
        return content_type.lower(), MappingProxyType({name.lower(): value})
    # The email package parses quoting and RFC 2231 exactly but costs ~100 us a call;
    # servers send the same few Content-Type values over and over.
    from email.parser import HeaderParser

    # The email package reads a value with surrogates (bytes that were not UTF-8) as
    # 8-bit bytes and fails on any other non-ASCII character next to them: U+FFFD.
    raw = _SURROGATES_RE.sub("\ufffd", raw)
    message = HeaderParser().parsestr("Content-Type: " + raw)
    content_type = message.get_content_type()
    params = message.get_params(()) or []
    parameters = {}
    for key, value in params[1:]:
        parameters[str(key).lower()] = value if isinstance(value, str) else _rfc2231_text(value)
    return content_type, MappingProxyType(parameters)


def _rfc2231_text(value: tuple[str | None, str | None, str]) -> str:
    """An RFC 2231 ``name*=charset'lang'%xx`` value as the email package hands it (a
    tuple), decoded as it decodes them; Latin-1 when no charset is given."""
    from email.utils import collapse_rfc2231_value

    try:
        return collapse_rfc2231_value(value, "replace", "latin-1")
    except UnicodeError:  # (the "undefined" codec refuses everything)
        return value[2]


def _content_disposition_filename(params: dict[str, str]) -> str | None:
    if "filename*" in params:
        return params["filename*"]
    if "filename" in params:
        return params["filename"]
    return None


class ClientResponse:
    """A response to a request made with ``ClientSession``.

    Not created by users: ``session.request()`` and friends return it. Use it as an
    ``async with`` block, or call :meth:`release` when done with the body.
    """

    version: HttpVersion | None = None
    status: int = None  # type: ignore[assignment]
    reason: str | None = None
    content: StreamReader = None  # type: ignore[assignment]
    _headers: CIMultiDictProxy[str] = None  # type: ignore[assignment]
    _raw_headers: tuple[tuple[bytes, bytes], ...] = None  # type: ignore[assignment]
    _connection: Connection | None = None
    _body: bytes | None = None
    _should_close = True
    # Defaults most responses keep (class attributes: no per-instance write).
    _history: tuple[ClientResponse, ...] = ()
    _cookies: SimpleCookie | None = None  # made on first use
    _closed = True  # until start() has a connection
    _released = False
    _content_type: str | None = None

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        writer: asyncio.Task[bool] | None,
        continue100: asyncio.Future[bool] | None,
        timer: Any,
        request_info: RequestInfo,
        traces: list[Any],
        loop: asyncio.AbstractEventLoop,
        session: Any,
    ) -> None:
        self.method = method
        self._real_url = url
        self._url = url.with_fragment(None) if url.raw_fragment else url
        self._writer = writer
        if writer is not None:
            writer.add_done_callback(self._on_writer_done)
        self._continue = continue100
        # A context manager around the wait for the head (the total timeout), or None.
        # (Body reads wait inside the timer the protocol gave the stream.)
        self._timer: Any = timer
        self._request_info = request_info
        self._traces = traces
        self._loop = loop
        self._session = session
        self._release_callbacks: list[Callable[[], None]] = []
        self._body = self._cookies = None  # (read per response: see ResponseHandler)
        self._content_params: Mapping[str, str] = _NO_PARAMS
        self._resolve_charset: Callable[[ClientResponse, bytes], str] = (
            session._resolve_charset if session is not None else (lambda r, b: "utf-8")
        )

    # ------------------------------------------------------------------ lifecycle

    async def start(self, connection: Connection) -> ClientResponse:
        """Read the response head from ``connection`` and attach the body stream."""
        self._closed = False
        self._connection = connection
        protocol = connection.protocol
        assert protocol is not None
        timer = self._timer
        if timer is None:
            head, payload = await protocol.read_response()
        else:
            with timer:
                head, payload = await protocol.read_response()
        (
            self.version,
            self.status,
            self.reason,
            self._headers,
            self._raw_headers,
            should_close,
        ) = head[:6]
        self._should_close = bool(should_close)
        self.content = payload
        if self._continue is not None and not self._continue.done():
            # A final answer instead of 100 Continue: the body is never sent.
            self._continue.cancel()
        set_cookies = self._headers.getall(hdrs.SET_COOKIE, ())
        if set_cookies:
            from http.cookies import CookieError

            jar = self.cookies
            for value in set_cookies:
                try:
                    jar.load(value)
                except CookieError:
                    continue
        payload.on_eof(self._on_body_eof)
        return self

    def _on_body_eof(self) -> None:
        if self._closed or self._connection is None:
            return
        protocol = self._connection.protocol
        if protocol is not None and getattr(protocol, "upgraded", False):
            return
        self._closed = True
        self._release_connection()

    def _on_writer_done(self, task: asyncio.Task[bool]) -> None:
        if self._closed and not self._released and self._connection is not None:
            self._release_connection()

    def _reusable(self) -> bool:
        if self._should_close or self.content is None or not self.content.is_eof():
            return False
        if self.content.exception() is not None:
            return False
        if self._writer is None:
            return True
        return (
            self._writer.done()
            and not self._writer.cancelled()
            and self._writer.exception() is None
            and self._writer.result() is True
        )

    def _add_release_callback(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` once the connection is released or closed."""
        self._release_callbacks.append(callback)

    def _run_release_callbacks(self) -> None:
        callbacks, self._release_callbacks = self._release_callbacks, []
        for callback in callbacks:
            callback()

    def _release_connection(self) -> None:
        """Give the connection back to the pool, or close it if it is not reusable."""
        connection = self._connection
        if connection is None:
            return
        if self._writer is not None and not self._writer.done():
            if self.content is not None and self.content.is_eof() and not self._should_close:
                return  # wait for the body writer: _on_writer_done() finishes the job
            self._writer.cancel()
        self._connection = None
        self._released = True
        if self._reusable():
            connection.release()
        else:
            connection.close()
        self._run_release_callbacks()

    def release(self) -> _Done:
        """Return the connection to the pool (closing it if the body was not fully read).

        Works both as ``resp.release()`` and ``await resp.release()``.
        """
        self._closed = True
        if self._connection is not None:
            self._release_connection()
        return _DONE

    def close(self) -> None:
        """Close the response and its connection (it is not reused)."""
        if self._released and self._connection is None and self._closed:
            return
        self._closed = True
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
        connection, self._connection = self._connection, None
        self._released = True
        if connection is not None:
            connection.close()
        self._run_release_callbacks()

    async def wait_for_close(self) -> None:
        """Wait for the request body to be sent, then release the response."""
        if self._writer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        self.release()

    @property
    def closed(self) -> bool:
        """True once the response was released or closed."""
        return self._closed

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.release()
        await self.wait_for_close()

    def __del__(self, _warnings: Any = warnings) -> None:
        connection = getattr(self, "_connection", None)
        if connection is None:
            return
        self._connection = None
        try:
            connection.close()
        except RuntimeError:  # the event loop is already closed
            return
        if self._loop.get_debug():
            _warnings.warn(f"Unclosed response {self!r}", ResourceWarning, source=self)

    # ------------------------------------------------------------------ attributes

    @property
    def url(self) -> URL:
        """The URL of the response (after redirects), without the fragment."""
        return self._url

    @property
    def real_url(self) -> URL:
        """The URL as it was requested, fragment included."""
        return self._real_url

    @property
    def host(self) -> str:
        """The host of :attr:`url`."""
        assert self._url.host is not None
        return self._url.host

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The response headers (case-insensitive, multi-valued)."""
        return self._headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The header fields as the server sent them, undecoded."""
        return self._raw_headers

    @property
    def request_info(self) -> RequestInfo:
        """The request that produced this response."""
        return self._request_info

    @property
    def history(self) -> tuple[ClientResponse, ...]:
        """The redirect responses that led here, oldest first."""
        return self._history

    @property
    def cookies(self) -> SimpleCookie:
        """Cookies set by this response's ``Set-Cookie`` header fields."""
        if self._cookies is None:
            from http.cookies import SimpleCookie  # (loaded when cookies are used)

            self._cookies = SimpleCookie()
        return self._cookies

    @property
    def connection(self) -> Connection | None:
        """The connection the body is read from (None once released)."""
        return self._connection

    @property
    def ok(self) -> bool:
        """True for status codes below 400."""
        return self.status < 400

    def _parse_type(self) -> None:
        raw = self._headers.get(hdrs.CONTENT_TYPE) if self._headers is not None else None
        if raw is None:
            self._content_type, self._content_params = "application/octet-stream", _NO_PARAMS
        else:
            self._content_type, self._content_params = _parse_content_type(raw)

    @property
    def content_type(self) -> str:
        """The media type of the body, ``application/octet-stream`` when not declared."""
        self._parse_type()
        assert self._content_type is not None
        return self._content_type

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of the Content-Type, if any."""
        self._parse_type()
        return self._content_params.get("charset")

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int, None when absent or not a number."""
        value = self._headers.get(hdrs.CONTENT_LENGTH) if self._headers is not None else None
        return content_length_value(value)

    @property
    def content_disposition(self) -> ContentDisposition | None:
        """The parsed Content-Disposition header, or None."""
        raw = self._headers.get(hdrs.CONTENT_DISPOSITION) if self._headers else None
        if raw is None:
            return None
        from toolkit.client._content_disposition import ContentDisposition
        from toolkit.multipart import parse_content_disposition

        disposition_type, params = parse_content_disposition(raw)
        params_dict = dict(params)
        return ContentDisposition(
            disposition_type,
            MappingProxyType(params_dict),
            _content_disposition_filename(params_dict),
        )

    @property
    def links(self) -> MultiDictProxy[MultiDictProxy[str | URL]]:
        """The ``Link`` header fields, keyed by ``rel`` (or by URL when there is none).

        A link whose target is not a URL is left out.
        """
        links: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
        values = self._headers.getall("Link", ()) if self._headers is not None else ()
        for value in values:
            for part in _LINK_SPLIT_RE.split(value):
                match = _LINK_RE.match(part)
                if match is None:
                    continue
                target, params_text = match.groups()
                try:
                    url = self.url.join(URL(target))
                except ValueError:
                    continue  # not a URL (bad port, bad IPv6 literal...): no link
                link: MultiDict[str | URL] = MultiDict()
                for param in params_text.split(";"):
                    pmatch = _LINK_PARAM_RE.match(param)
                    if pmatch is None:
                        continue
                    key, _, pvalue, _ = pmatch.groups()
                    link.add(key, pvalue)
                key = link.get("rel", target)
                link.add("url", url)
                links.add(str(key), MultiDictProxy(link))
        return MultiDictProxy(links)

    # ------------------------------------------------------------------ body

    async def read(self) -> bytes:
        """Read the whole body (cached: later calls return the same bytes)."""
        if self._body is None:
            if self.content is None:
                raise ClientConnectionError("the response was not started: no body to read")
            if self._released and not self.content.is_eof():
                raise ClientConnectionError(
                    f"Connection closed: the response from {self.url} was released "
                    "before its body was read"
                )
            content = self.content
            try:
                if content.is_eof():  # all of it has arrived: no coroutine to wait in
                    self._body = content.read_nowait()
                else:  # (the stream's waits run inside the total timeout's timer)
                    self._body = await content.read()
            except BaseException:
                self.close()
                raise
            for trace in self._traces:
                send = getattr(trace, "send_response_chunk_received", None)
                if send is not None:
                    await send(self.method, self.url, self._body)
            if self.content.is_eof():
                self.release()
        return self._body

    def get_encoding(self) -> str:
        """The charset to decode the body with: declared, else the session's resolver."""
        self._parse_type()
        declared = self._content_params.get("charset")
        if declared:
            name = _text_codec_name(declared)
            if name is not None:
                return name
        assert self._content_type is not None
        if self._content_type in ("application/json", "application/rdap+json"):
            return "utf-8"  # RFC 8259: JSON text is UTF-8
        if self._body is None:
            raise RuntimeError("cannot guess the encoding of a body that was not read yet")
        return self._resolve_charset(self, self._body)

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """Read the body and decode it (``encoding`` overrides the detected charset)."""
        body = await self.read()
        if encoding is None:
            encoding = self.get_encoding()
        return body.decode(encoding, errors=errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = json.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """Read the body and parse it as JSON; None for an empty body.

        Raises ``ContentTypeError`` when the Content-Type does not match
        ``content_type`` (pass None to skip the check).
        """
        body = await self.read()
        if content_type:
            actual = self._headers.get(hdrs.CONTENT_TYPE, "").lower()
            expected = content_type.lower()
            matches = (
                _JSON_RE.match(actual) is not None
                if expected == "application/json"
                else expected in actual
            )
            if not matches:
                raise ContentTypeError(
                    self.request_info,
                    self.history,
                    status=self.status,
                    message=(
                        f"Attempt to decode JSON with unexpected mimetype: {actual!r} "
                        f"(expected {content_type!r})"
                    ),
                    headers=self.headers,
                )
        stripped = body.strip()
        if not stripped:
            return None
        if encoding is None:
            encoding = self.get_encoding()
        return loads(stripped.decode(encoding))

    def raise_for_status(self) -> None:
        """Raise ``ClientResponseError`` (and release) when the status is 400 or more."""
        if self.ok:
            return
        self.release()
        raise ClientResponseError(
            self.request_info,
            self.history,
            status=self.status,
            message=self.reason or "",
            headers=self.headers,
        )

    def __repr__(self) -> str:
        reason = self.reason or ""
        return f"<ClientResponse({self.url}) [{self.status} {reason}]>"
