"""Server requests: :class:`BaseRequest` (low-level server) and :class:`Request` (apps).

A request wraps the parsed head (:class:`toolkit.http.RequestHead`) and the body stream
the protocol feeds; it is also a mutable mapping for per-request state.
"""

from __future__ import annotations

import asyncio
import json
import socket
import string
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from toolkit import hdrs
from toolkit._lazy import lazy_load
from toolkit.helpers import content_length_value
from toolkit.http import HttpVersion, RequestHead
from toolkit.streams import EmptyStreamReader, StreamReader
from toolkit.web._conditional import ConditionalHeaders
from toolkit.web._helpers import parse_content_type, parse_forwarded
from toolkit.web._keys import LazyState, RequestKey

if TYPE_CHECKING:
    from toolkit.multipart import MultipartReader
    from toolkit.web._forms import FileField
    from toolkit.web.app import Application
    from toolkit.web.response import StreamResponse
    from toolkit.web.routing.abc import AbstractRoute
    from toolkit.web.routing.routes import UrlMappingMatchInfo

__all__ = ["BaseRequest", "FileField", "Request"]


#: FileField lives in the forms module, imported on first use (see post()).
_LAZY = {"FileField": "toolkit.web._forms"}


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _LAZY, name)


_POST_METHODS = frozenset({"PATCH", "POST", "PUT", "TRACE", "DELETE"})
_FORM_TYPES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data"})
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_SENTINEL: Any = object()
_T = TypeVar("_T")


class BaseRequest(
    ConditionalHeaders,
    LazyState[RequestKey[Any]],
    MutableMapping["str | RequestKey[Any]", Any],
):
    """An HTTP request as the handler sees it.

    Constructed by the protocol (see the toolkit.web seam) or by
    :meth:`Application._make_request`.
    """

    # Defaults as class attributes, so that __init__ (run for every request) sets
    # only what it was given.
    _scheme: str | None = None
    _host: str | None = None
    _remote: str | None = None
    _read_bytes: bytes | None = None
    _post: MultiDictProxy[str | bytes | FileField] | None = None
    _rel_url: URL | None = None  # built on first use: most handlers never need it
    _path: str | None = None
    #: False when prepare() may skip _prepare_hook (set by the app for its requests).
    _run_prepare_hook = True
    # Per-request state (``request["key"]``), created on first assignment.
    # Parsed on first use.
    _forwarded: tuple[Mapping[str, str], ...] | None = None
    _cookies: Mapping[str, str] | None = None

    def __init__(
        self,
        message: RequestHead,
        payload: StreamReader,
        protocol: Any,
        payload_writer: Any,
        task: asyncio.Task[None] | None,
        loop: asyncio.AbstractEventLoop | None,
        *,
        client_max_size: int = 1024**2,
        state: dict[str | RequestKey[Any], Any] | None = None,
        scheme: str | None = None,
        host: str | None = None,
        remote: str | None = None,
    ) -> None:
        self._message = message
        self._payload = payload
        self._protocol = protocol
        self._payload_writer = payload_writer
        self._task = task
        self._loop = loop
        self._client_max_size = client_max_size
        if state is not None:
            self._state = state
        if scheme is not None:
            self._scheme = scheme
        if host is not None:
            self._host = host
        if remote is not None:
            self._remote = remote

    @staticmethod
    def _parse_target(target: str) -> URL:
        if target.startswith("/"):
            path, _, query = target.partition("?")
            query = query.partition("#")[0]
            return URL.build(path=path, query_string=query, encoded=True)
        if target == "*":
            return URL.build(path="*", encoded=True)
        try:
            url = URL(target)
        except (ValueError, IndexError):  # yarl raises IndexError for e.g. "http://[]@"
            # An absolute-form target with a broken authority: keep it verbatim so
            # routing answers 404 instead of the connection failing.
            return URL.build(path=target, encoded=True)
        if url.is_absolute():
            return url.relative()
        return url

    @property
    def _raw_path_part(self) -> str:
        """The path of the target, still percent-encoded (what routing patterns match)."""
        target = self._message.target
        if target[:1] == "/":
            # The same as rel_url.raw_path for origin-form targets, without the URL object.
            return target.partition("?")[0]
        return self.rel_url.raw_path

    def clone(
        self,
        *,
        method: str = _SENTINEL,
        rel_url: str | URL = _SENTINEL,
        headers: Any = _SENTINEL,
        scheme: str = _SENTINEL,
        host: str = _SENTINEL,
        remote: str = _SENTINEL,
        client_max_size: int = _SENTINEL,
    ) -> BaseRequest:
        """Return a copy with some attributes replaced; the body stream is shared."""
        if self._read_bytes is not None:
            raise RuntimeError("cannot clone a request after reading its content")
        changes: dict[str, Any] = {}
        if method is not _SENTINEL:
            changes["method"] = method
        if rel_url is not _SENTINEL:
            new_url = URL(rel_url)
            if new_url.is_absolute():
                raise ValueError(f"rel_url must be a relative URL, got {rel_url!r}")
            changes["target"] = str(new_url)
        if headers is not _SENTINEL:
            new_headers = CIMultiDictProxy(CIMultiDict(headers))
            changes["headers"] = new_headers
            # (surrogateescape: the parser decodes values so, for bytes that are no UTF-8)
            changes["raw_headers"] = tuple(
                (k.encode("utf-8"), v.encode("utf-8", "surrogateescape"))
                for k, v in new_headers.items()
            )
        kwargs: dict[str, Any] = {}
        for name, value in (("scheme", scheme), ("host", host), ("remote", remote)):
            current = getattr(self, f"_{name}")
            kwargs[name] = value if value is not _SENTINEL else current
        if client_max_size is _SENTINEL:
            client_max_size = self._client_max_size
        return self.__class__(
            self._message._replace(**changes),
            self._payload,
            self._protocol,
            self._payload_writer,
            self._task,
            self._loop,
            client_max_size=client_max_size,
            state=self._state.copy() if self._state is not None else None,
            **kwargs,
        )

    # -- connection -----------------------------------------------------------------------

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task running the handler."""
        return self._task

    @property
    def protocol(self) -> Any:
        """The :class:`~toolkit.web.protocol.RequestHandler` serving the connection."""
        return self._protocol

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport (``None`` once it closed)."""
        if self._protocol is None:
            return None
        transport: asyncio.Transport | None = getattr(self._protocol, "transport", None)
        return transport

    @property
    def writer(self) -> Any:
        """The payload writer the response goes through."""
        return self._payload_writer

    @property
    def client_max_size(self) -> int:
        """The largest body :meth:`read` accepts (0: unlimited)."""
        return self._client_max_size

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop (deprecated: use :func:`asyncio.get_running_loop`)."""
        warnings.warn("request.loop property is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport information such as ``peername`` or ``sslcontext``."""
        transport = self.transport
        if transport is None:
            return default
        return transport.get_extra_info(name, default)

    @property
    def secure(self) -> bool:
        """``True`` for ``https`` requests."""
        return self.scheme == "https"

    @property
    def scheme(self) -> str:
        """``https`` on a TLS connection, else ``http`` (unless overridden by clone)."""
        if self._scheme is not None:
            return self._scheme
        return "https" if self.get_extra_info("sslcontext") else "http"

    @property
    def forwarded(self) -> tuple[Mapping[str, str], ...]:
        """The Forwarded headers parsed per RFC 7239, one mapping per element."""
        forwarded = self._forwarded
        if forwarded is None:
            values = self._message.headers.getall(hdrs.FORWARDED, [])
            forwarded = self._forwarded = parse_forwarded(values)
        return forwarded

    @property
    def host(self) -> str:
        """The Host header, else the local address of the connection (or the machine's name)."""
        if self._host is not None:
            return self._host
        host = self._message.headers.get(hdrs.HOST)
        if host is not None:
            return host
        sockname = self.get_extra_info("sockname")
        if isinstance(sockname, (list, tuple)) and len(sockname) >= 2:
            address = str(sockname[0])
            return f"[{address}]:{sockname[1]}" if ":" in address else f"{address}:{sockname[1]}"
        return socket.getfqdn()

    @property
    def remote(self) -> str | None:
        """The peer's address (IP, or the socket path for Unix sockets)."""
        if self._remote is not None:
            return self._remote
        peername = self.get_extra_info("peername")
        if isinstance(peername, (list, tuple)):
            return str(peername[0])
        return str(peername) if peername else None

    # -- request line ---------------------------------------------------------------------

    @property
    def message(self) -> RequestHead:
        """The parsed request head."""
        return self._message

    @property
    def method(self) -> str:
        """The request method, upper-cased (``GET``, ``POST`` ...)."""
        return self._message.method

    @property
    def version(self) -> HttpVersion:
        """The HTTP version as ``(major, minor)``."""
        return self._message.version

    @property
    def rel_url(self) -> URL:
        """The request target as a relative URL (path and query)."""
        rel_url = self._rel_url
        if rel_url is None:
            rel_url = self._rel_url = self._parse_target(self._message.target)
        return rel_url

    @property
    def url(self) -> URL:
        """The absolute URL, from scheme and host."""
        host = self.host
        try:
            base = URL.build(scheme=self.scheme, authority=host)
        except ValueError as exc:
            from toolkit.web.exceptions import HTTPBadRequest

            raise HTTPBadRequest(text=f"Invalid Host header: {host!r}") from exc
        return base.join(self.rel_url)

    @property
    def path(self) -> str:
        """The decoded path."""
        path = self._path
        if path is None:
            target = self._message.target
            if target[:1] == "/":
                path = target.partition("?")[0]
                if "%" in path:  # else decoding would change nothing
                    path = self.rel_url.path
            else:
                path = self.rel_url.path
            self._path = path
        return path

    @property
    def raw_path(self) -> str:
        """The request target exactly as sent (path and query, still encoded)."""
        return self._message.target

    @property
    def path_qs(self) -> str:
        """The decoded path with the query string."""
        return str(self.rel_url)

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query parameters."""
        return self.rel_url.query

    @property
    def query_string(self) -> str:
        """The decoded query string."""
        return self.rel_url.query_string

    # -- headers ----------------------------------------------------------------------------

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, read-only)."""
        return self._message.headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The headers as the bytes that were received."""
        return tuple(self._message.raw_headers)

    @property
    def keep_alive(self) -> bool:
        """``True`` when the client lets the connection stay open."""
        return not self._message.should_close

    @property
    def cookies(self) -> Mapping[str, str]:
        """Cookies sent in the Cookie header(s), as a read-only mapping."""
        cookies = self._cookies
        if cookies is None:
            from http.cookies import CookieError, SimpleCookie  # (costly to import)

            parsed: dict[str, str] = {}
            for header in self._message.headers.getall(hdrs.COOKIE, []):
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(header)
                except CookieError:
                    continue
                parsed.update((name, morsel.value) for name, morsel in jar.items())
            cookies = self._cookies = MappingProxyType(parsed)
        return cookies

    @property
    def content_type(self) -> str:
        """The media type of the body (default ``application/octet-stream``)."""
        ctype = parse_content_type(self._message.headers.get(hdrs.CONTENT_TYPE))[0]
        return ctype or "application/octet-stream"

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type."""
        return parse_content_type(self._message.headers.get(hdrs.CONTENT_TYPE))[1].get("charset")

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int; ``None`` when absent or not a number."""
        return content_length_value(self._message.headers.get(hdrs.CONTENT_LENGTH))

    # -- body --------------------------------------------------------------------------------

    @property
    def content(self) -> StreamReader:
        """The body as a :class:`~toolkit.streams.StreamReader`."""
        return self._payload

    @property
    def body_exists(self) -> bool:
        """``True`` when the request has a body (possibly already read)."""
        return not isinstance(self._payload, EmptyStreamReader)

    @property
    def has_body(self) -> bool:
        """Deprecated alias of :attr:`can_read_body`."""
        warnings.warn("use can_read_body instead", DeprecationWarning, stacklevel=2)
        return self.can_read_body

    @property
    def can_read_body(self) -> bool:
        """``True`` while there is body left to read."""
        return not self._payload.at_eof()

    async def release(self) -> None:
        """Read and discard the rest of the body."""
        while not self._payload.at_eof():
            await self._payload.readany()

    async def read(self) -> bytes:
        """Read the whole body; 413 when it passes ``client_max_size``."""
        if self._read_bytes is None:
            body = bytearray()
            limit = self._client_max_size
            while True:
                chunk = await self._payload.readany()
                body.extend(chunk)
                if limit and len(body) > limit:
                    from toolkit.web.exceptions import HTTPRequestEntityTooLarge

                    raise HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
                if not chunk:
                    break
            self._read_bytes = bytes(body)
        return self._read_bytes

    async def text(self) -> str:
        """The body decoded with the request charset (default UTF-8)."""
        body = await self.read()
        return body.decode(self.charset or "utf-8")

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """The body parsed as JSON with ``loads``."""
        return loads(await self.text())

    async def multipart(self) -> MultipartReader:
        """A streaming reader over a multipart body."""
        from toolkit.multipart import MultipartReader

        return MultipartReader(self._message.headers, self._payload)

    async def post(self) -> MultiDictProxy[str | bytes | FileField]:
        """Form fields of an urlencoded or multipart body (files as :class:`FileField`)."""
        if self._post is not None:
            return self._post
        if self._message.method not in _POST_METHODS:
            self._post = MultiDictProxy(MultiDict())
            return self._post
        header = self._message.headers.get(hdrs.CONTENT_TYPE)
        ctype = parse_content_type(header)[0]
        if ctype not in _FORM_TYPES:
            self._post = MultiDictProxy(MultiDict())
            return self._post
        # (The forms module, and the multipart and tempfile modules it needs, are
        # imported on the first form: many test suites never read one.)
        from toolkit.web._forms import FileField, read_multipart_form

        out: MultiDict[str | bytes | FileField] = MultiDict()
        try:
            if ctype == "multipart/form-data":
                await read_multipart_form(await self.multipart(), out, self._client_max_size)
            else:
                data = await self.read()
                if data:
                    charset = self.charset or "utf-8"
                    out.extend(
                        parse_qsl(
                            data.rstrip().decode(charset),
                            keep_blank_values=True,
                            encoding=charset,
                        )
                    )
        except (ValueError, LookupError) as exc:  # includes UnicodeDecodeError
            for value in out.values():
                if isinstance(value, FileField):
                    value.file.close()
            from toolkit.web.exceptions import HTTPBadRequest

            raise HTTPBadRequest(text=f"Malformed {ctype or 'form'} body: {exc}") from exc
        self._post = MultiDictProxy(out)
        return self._post

    async def _prepare_hook(self, response: StreamResponse) -> None:
        """Called by :meth:`StreamResponse.prepare`; apps send ``on_response_prepare``."""

    # -- state mapping ----------------------------------------------------------------------

    @overload
    def __getitem__(self, key: RequestKey[_T]) -> _T: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: str | RequestKey[_T]) -> Any:
        return self._get_state(key)

    @overload
    def __setitem__(self, key: RequestKey[_T], value: _T) -> None: ...

    @overload
    def __setitem__(self, key: str, value: Any) -> None: ...

    def __setitem__(self, key: str | RequestKey[_T], value: Any) -> None:
        self._set_state(key, value)

    def __bool__(self) -> bool:
        return True

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {self.method} {self.path}>"


class Request(BaseRequest):
    """A request routed by an :class:`~toolkit.web.Application`."""

    _match: UrlMappingMatchInfo | None = None
    # Set by Application._dispatch's shortcut instead of a match info, which is then
    # made on first use (most handlers never ask for it).
    _route: AbstractRoute | None = None
    _route_app: Application | None = None

    @property
    def _match_info(self) -> UrlMappingMatchInfo | None:
        match = self._match
        if match is None and self._route is not None:
            from toolkit.web.routing.routes import UrlMappingMatchInfo

            app = self._route_app
            assert app is not None
            match = self._match = UrlMappingMatchInfo._for_app({}, self._route, app)
        return match

    @_match_info.setter
    def _match_info(self, match: UrlMappingMatchInfo | None) -> None:
        self._match = match
        self._route = None

    def clone(self, **kwargs: Any) -> Request:
        """Return a copy with some attributes replaced; keeps the match info."""
        new = super().clone(**kwargs)
        assert isinstance(new, Request)
        new._match_info = self._match_info
        return new

    @property
    def match_info(self) -> UrlMappingMatchInfo:
        """The routing result: path variables plus the handler, route and apps."""
        match = self._match_info
        assert match is not None, "the request has not been routed yet"
        return match

    @property
    def app(self) -> Application:
        """The application whose handler serves this request."""
        app: Application = self.match_info.current_app
        return app

    @property
    def config_dict(self) -> Mapping[Any, Any]:
        """A read-only chain of the state of the apps on the route, innermost first."""
        from collections import ChainMap

        apps = self.match_info.apps
        return MappingProxyType(ChainMap(*(app for app in reversed(apps))))

    async def _prepare_hook(self, response: StreamResponse) -> None:
        match_info = self._match_info
        if match_info is None:
            return
        for app in match_info._apps:
            if app._has_prepare_handlers or not app.on_response_prepare.frozen:
                await app.on_response_prepare.send(self, response)
