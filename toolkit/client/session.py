"""``ClientSession``: the client's entry point; a connection pool plus defaults."""

from __future__ import annotations

import asyncio
import json as _json
import sys
import traceback
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, istr
from yarl import URL

from toolkit import hdrs
from toolkit._checks import check_number
from toolkit.client import _unclosed
from toolkit.client.client_request import ClientRequest
from toolkit.client.context import _RequestContextManager, _SessionRequestContextManager
from toolkit.client.exceptions import InvalidUrlClientError
from toolkit.client.pipeline import RequestOptions, send_following_redirects
from toolkit.client.response import ClientResponse
from toolkit.client.session_options import (
    UNSET,
    coerce_timeout,
    deadline_clock,
    merge_headers,
    proxies_by_scheme,
    session_timeout,
)
from toolkit.client.timeouts import ClientTimeout, RequestTimer
from toolkit.cookiejar import CookieJar  # (loaded by the pipeline anyway)
from toolkit.helpers import TimerNoop
from toolkit.http import HttpVersion, HttpVersion11

if TYPE_CHECKING:
    from toolkit.client.connector import BaseConnector
    from toolkit.client.tracing import Trace, TraceConfig
    from toolkit.client.ws import _WSRequestContextManager
    from toolkit.cookiejar import AbstractCookieJar
    from toolkit.helpers import BasicAuth

__all__ = ["ClientSession", "request"]


def _utf8(response: ClientResponse, body: bytes) -> str:
    return "utf-8"


_new = object.__new__

#: How many URL strings a session keeps parsed (it starts afresh past that).
_URL_CACHE_SIZE = 256

#: The timer of requests without a total timeout.
_NO_TIMER = TimerNoop()


class ClientSession:
    """A pool of connections and the defaults shared by the requests made through it.

    Use it as ``async with ClientSession() as session:``; close it with
    ``await session.close()`` otherwise.
    """

    _source_traceback: traceback.StackSummary | None = None
    _connector: BaseConnector | None = None
    # (on the class: with 30 instance attributes CPython 3.11 makes each a dict of its own)
    _ws_response_class_arg: type[Any] | None = None
    _requote_redirect_url = True

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        cookies: Any = None,
        headers: Any = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        json_serialize: Callable[[Any], str] = _json.dumps,
        request_class: type[ClientRequest] = ClientRequest,
        response_class: type[ClientResponse] = ClientResponse,
        ws_response_class: type[Any] | None = None,
        version: HttpVersion = HttpVersion11,
        cookie_jar: AbstractCookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] = False,
        read_timeout: Any = UNSET,
        conn_timeout: float | None = None,
        timeout: Any = UNSET,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        trace_configs: list[TraceConfig] | None = None,
        read_bufsize: int = 2**16,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] = _utf8,
        max_redirects: int = 10,
        proxies: Mapping[str, str | URL] | None = None,
    ) -> None:
        if loop is not None:
            warnings.warn(
                "the loop argument is deprecated and ignored: the session uses the running loop",
                DeprecationWarning,
                stacklevel=2,
            )
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "ClientSession must be created inside a coroutine (there is no running event loop)"
            ) from None
        if self._loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))

        if base_url is None or isinstance(base_url, URL):
            self._base_url: URL | None = base_url
        else:
            self._base_url = URL(base_url)
        if self._base_url is not None:
            if not self._base_url.is_absolute():
                raise ValueError(f"base_url must be an absolute URL, got {str(base_url)!r}")
            if not self._base_url.path.endswith("/"):
                raise ValueError(
                    f"base_url's path must end with '/' so that relative URLs join under "
                    f"it, got {str(base_url)!r}"
                )

        # Everything that can fail is checked before the connector exists.
        self._timeout = session_timeout(timeout, read_timeout, conn_timeout)
        check_number("ClientSession", "read_bufsize", read_bufsize, unit="bytes", lowest="positive")
        check_number("ClientSession", "max_line_size", max_line_size, unit="bytes")
        check_number("ClientSession", "max_field_size", max_field_size, unit="bytes")
        check_number("ClientSession", "max_headers", max_headers, unit="headers")
        check_number("ClientSession", "max_redirects", max_redirects, unit="redirects")
        if connector is None:
            # TCPConnector, unless a mock made another the default in this context.
            from toolkit.client._default_connector import create_default_connector

            connector = create_default_connector()
        self._connector = connector
        self._deadlines = deadline_clock(connector, self._loop)  # (total timeouts)
        self._connector_owner = connector_owner

        if cookie_jar is None:
            cookie_jar = CookieJar()
        self._cookie_jar: AbstractCookieJar = cookie_jar
        if cookies:
            self._cookie_jar.update_cookies(cookies)

        self._default_headers: CIMultiDict[str] = CIMultiDict(headers) if headers else CIMultiDict()
        self._skip_auto_headers: frozenset[istr] = frozenset(
            map(istr, skip_auto_headers) if skip_auto_headers else ()
        )
        self._default_auth = auth
        self._default_proxy = URL(proxy) if isinstance(proxy, str) else proxy
        self._default_proxy_auth = proxy_auth
        self._json_serialize = json_serialize
        self._request_class = request_class
        self._response_class = response_class
        if ws_response_class is not None:  # (None: the default, loaded on first use)
            self._ws_response_class_arg = ws_response_class
        self._version = version
        self._raise_for_status = raise_for_status
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        if not requote_redirect_url:  # (the default is the class attribute's)
            self._requote_redirect_url = requote_redirect_url
        self._trace_configs = list(trace_configs or [])
        for trace_config in self._trace_configs:
            trace_config.freeze()
        self._read_bufsize = read_bufsize
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._resolve_charset = fallback_charset_resolver
        self._max_redirects = max_redirects
        self._urls: dict[str, URL] = {}  # see _build_url()
        self._proxies = proxies_by_scheme(proxies)
        if _unclosed.made is not None:
            _unclosed.made.append(_unclosed.ref(self))

    def __init_subclass__(cls: type[ClientSession]) -> None:
        warnings.warn(
            f"Inheritance class {cls.__name__} from ClientSession is discouraged",
            DeprecationWarning,
            stacklevel=2,
        )

    def __del__(self, _warnings: Any = warnings, _unclosed: Any = _unclosed) -> None:
        connector = self._connector
        if connector is not None and not connector.closed:  # (not self.closed, inline)
            _warnings.warn(f"Unclosed client session {self!r}", ResourceWarning, source=self)
            if _unclosed.listeners:
                _unclosed.report_unclosed("client_session", self)
            context: dict[str, Any] = {"client_session": self, "message": "Unclosed client session"}
            if self._source_traceback is not None:
                context["source_traceback"] = self._source_traceback
            if not self._loop.is_closed():
                self._loop.call_exception_handler(context)

    # ------------------------------------------------------------------ requests

    def request(self, method: str, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        """Perform an HTTP request; use as ``async with`` or ``await``."""
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(
        self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any
    ) -> _RequestContextManager:
        """Perform a GET request."""
        return _RequestContextManager(
            self._request(hdrs.METH_GET, url, allow_redirects=allow_redirects, **kwargs)
        )

    def options(
        self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any
    ) -> _RequestContextManager:
        """Perform an OPTIONS request."""
        return self.request(hdrs.METH_OPTIONS, url, allow_redirects=allow_redirects, **kwargs)

    def head(
        self, url: str | URL, *, allow_redirects: bool = False, **kwargs: Any
    ) -> _RequestContextManager:
        """Perform a HEAD request (redirects are not followed unless asked)."""
        return self.request(hdrs.METH_HEAD, url, allow_redirects=allow_redirects, **kwargs)

    def post(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        """Perform a POST request."""
        return self.request(hdrs.METH_POST, url, data=data, **kwargs)

    def put(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        """Perform a PUT request."""
        return self.request(hdrs.METH_PUT, url, data=data, **kwargs)

    def patch(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        """Perform a PATCH request."""
        return self.request(hdrs.METH_PATCH, url, data=data, **kwargs)

    def delete(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        """Perform a DELETE request."""
        return self.request(hdrs.METH_DELETE, url, **kwargs)

    def ws_connect(self, url: str | URL, **kwargs: Any) -> _WSRequestContextManager:
        """Open a WebSocket to ``url``; ``await`` it or use it with ``async with``.

        Keyword arguments are those of :func:`toolkit.client.ws.ws_connect` (protocols,
        timeout, receive_timeout, autoclose, autoping, heartbeat, auth, origin, params,
        headers, proxy, proxy_auth, ssl, server_hostname, proxy_headers, compress,
        max_msg_size, and the deprecated verify_ssl/fingerprint/ssl_context).
        """
        from toolkit.client.ws import ws_connect

        return ws_connect(self, url, **kwargs)

    def _build_url(self, str_or_url: str | URL) -> URL:
        if type(str_or_url) is str:
            # The same URL object for the same string: parsed once, and the values
            # yarl caches on it (host, port, path...) are worked out once too.
            cached = self._urls.get(str_or_url)
            if cached is not None:
                return cached
        try:
            url = str_or_url if isinstance(str_or_url, URL) else URL(str_or_url)
        except (ValueError, TypeError) as exc:
            raise InvalidUrlClientError(str_or_url, str(exc)) from exc
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        if type(str_or_url) is str:
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[str_or_url] = url
        return url

    async def _request(
        self,
        method: str,
        str_or_url: str | URL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        cookies: Any = None,
        headers: Any = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int | None = None,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None = None,
        read_until_eof: bool = True,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        timeout: Any = UNSET,
        verify_ssl: bool | None = None,
        fingerprint: bytes | None = None,
        ssl_context: Any = None,
        ssl: Any = True,
        server_hostname: str | None = None,
        proxy_headers: Any = None,
        trace_request_ctx: Any = None,
        read_bufsize: int | None = None,
        auto_decompress: bool | None = None,
        max_line_size: int | None = None,
        max_field_size: int | None = None,
        max_headers: int | None = None,
    ) -> ClientResponse:
        connector = self._connector
        if connector is None or connector.closed:
            raise RuntimeError("Session is closed")
        if (
            ssl is not True
            or verify_ssl is not None
            or ssl_context is not None
            or fingerprint is not None
        ):
            from toolkit.client.tls import merge_ssl_params  # (only TLS options need it)

            ssl = merge_ssl_params(ssl, verify_ssl, ssl_context, fingerprint, stacklevel=5)
        if data is not None and json is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        if json is not None:
            from toolkit.payload import JsonPayload

            data = JsonPayload(json, dumps=self._json_serialize)
        if cookies is not None:
            warnings.warn(
                "the per-request cookies argument is deprecated, "
                "use the session's cookie_jar or cookies=",
                DeprecationWarning,
                stacklevel=4,
            )

        history: list[ClientResponse] = []
        trace_configs = self._trace_configs
        if headers or trace_configs:
            headers = merge_headers(self._default_headers, headers)
        else:
            # Nothing to merge: the pipeline only reads the session's defaults (changes
            # for a redirect are made on copies).
            headers = self._default_headers
        proxy_headers_prepared = CIMultiDict(proxy_headers) if proxy_headers else None
        url = self._build_url(str_or_url)
        skip_headers: Iterable[str] = self._skip_auto_headers
        if skip_auto_headers is not None:
            skip_headers = set(skip_headers)
            skip_headers.update(istr(name) for name in skip_auto_headers)
        if proxy is None:
            proxy = self._default_proxy
            if proxy_auth is None:
                proxy_auth = self._default_proxy_auth
        proxy_url: URL | None
        try:
            proxy_url = URL(proxy) if isinstance(proxy, str) else proxy
        except ValueError as exc:
            raise InvalidUrlClientError(proxy, "invalid proxy URL") from exc
        if proxy_url is not None and (proxy_url.raw_user or proxy_url.raw_password):
            # Credentials in the proxy URL become proxy_auth (unless it was given).
            from toolkit.helpers import strip_auth_from_url

            proxy_url, url_proxy_auth = strip_auth_from_url(proxy_url)
            if proxy_auth is None:
                proxy_auth = url_proxy_auth

        real_timeout = (
            self._timeout
            if timeout is UNSET
            else coerce_timeout(timeout, where="a request", stacklevel=5)
        )
        total = real_timeout.total
        timer: RequestTimer | TimerNoop
        if total is not None and total > 0:
            timer = RequestTimer(self._loop, total, real_timeout.ceil_threshold, self._deadlines)
        else:
            timer = _NO_TIMER
        traces = self._start_traces(trace_configs, trace_request_ctx) if trace_configs else []
        for trace in traces:
            await trace.send_request_start(method, url, headers)

        # (A method call passes keyword arguments on as they are; a class call with
        # keyword arguments builds a dict for __init__: see RequestOptions.)
        new_opts: Any = _new(RequestOptions)
        opts: RequestOptions = new_opts
        new_opts.__init__(
            method,
            url,
            params=params,
            data=data,
            cookies=cookies,
            headers=headers,
            skip_headers=skip_headers,
            auth=auth,
            allow_redirects=allow_redirects,
            max_redirects=self._max_redirects if max_redirects is None else max_redirects,
            compress=compress,
            chunked=chunked,
            expect100=expect100,
            read_until_eof=read_until_eof,
            proxy=proxy_url,
            proxy_auth=proxy_auth,
            proxy_headers=proxy_headers_prepared,
            ssl=ssl,
            server_hostname=server_hostname,
            timeout=real_timeout,
            timer=timer,
            traces=traces,
            read_bufsize=read_bufsize or self._read_bufsize,
            auto_decompress=self._auto_decompress if auto_decompress is None else auto_decompress,
            max_line_size=max_line_size or self._max_line_size,
            max_field_size=max_field_size or self._max_field_size,
            max_headers=max_headers or self._max_headers,
        )
        try:
            with timer:
                resp = await send_following_redirects(self, opts, history)
            if raise_for_status is None:
                raise_for_status = self._raise_for_status
            if callable(raise_for_status):
                await raise_for_status(resp)
            elif raise_for_status:
                resp.raise_for_status()
        except BaseException as exc:
            if isinstance(timer, RequestTimer):
                timer.cancel()
            for trace in traces:
                await trace.send_request_exception(method, url, headers, exc)
            raise
        if isinstance(timer, RequestTimer):
            # The deadline covers the body too; a 101 has none: what follows is another
            # protocol (a WebSocket keeps the connection for its own lifetime).
            if resp._connection is not None and resp.status != 101:
                resp._add_release_callback(timer.cancel)
            else:
                timer.cancel()
        for trace in traces:
            await trace.send_request_end(method, url, headers, resp)
        return resp

    # ------------------------------------------------------------------ lifecycle

    async def close(self) -> None:
        """Close the session (and its connector when the session owns it)."""
        connector = self._connector
        if connector is not None and not connector.closed:  # (not self.closed, inline)
            if self._connector_owner:
                result: Any = connector.close()
                if hasattr(result, "__await__"):
                    await result
            self._connector = None

    def detach(self) -> None:
        """Let go of the connector without closing it; the session becomes closed."""
        self._connector = None

    @property
    def _ws_response_class(self) -> type[Any]:
        """The WebSocket response class; the default's module loads on first use."""
        cls = self._ws_response_class_arg
        if cls is None:
            from toolkit.client.ws import ClientWebSocketResponse

            cls = self._ws_response_class_arg = ClientWebSocketResponse
        return cls

    @property
    def closed(self) -> bool:
        """True once the session is closed or detached (or its connector is closed)."""
        return self._connector is None or bool(self._connector.closed)

    def __enter__(self) -> None:
        raise TypeError(
            "ClientSession is an asynchronous context manager: use "
            "'async with ClientSession() as session:' instead of 'with'"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        pass  # pragma: no cover - __enter__ always raises

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _start_traces(
        self, trace_configs: list[TraceConfig], trace_request_ctx: Any
    ) -> list[Trace]:
        # Only sessions that trace load the tracing module.
        from toolkit.client.tracing import Trace

        return [
            Trace(self, config, config.trace_config_ctx(trace_request_ctx=trace_request_ctx))
            for config in trace_configs
        ]

    # ------------------------------------------------------------------ properties

    @property
    def connector(self) -> BaseConnector | None:
        """The connector the session takes connections from."""
        return self._connector

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        """The session's cookie jar."""
        return self._cookie_jar

    @property
    def version(self) -> HttpVersion:
        """The HTTP version requests are sent with."""
        return self._version

    @property
    def requote_redirect_url(self) -> bool:
        """Whether redirect locations are requoted (see yarl's ``encoded``)."""
        return self._requote_redirect_url

    @requote_redirect_url.setter
    def requote_redirect_url(self, value: bool) -> None:
        warnings.warn(
            "session.requote_redirect_url modification is deprecated, pass "
            "requote_redirect_url= to ClientSession() instead",
            DeprecationWarning,
            stacklevel=2,
        )
        self._requote_redirect_url = value

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The session's event loop (deprecated)."""
        warnings.warn("ClientSession.loop property is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop

    @property
    def timeout(self) -> ClientTimeout:
        """The default timeouts of the session's requests."""
        timeout: ClientTimeout = self._timeout
        return timeout

    @property
    def headers(self) -> CIMultiDict[str]:
        """The default headers sent with every request."""
        return self._default_headers

    @property
    def skip_auto_headers(self) -> frozenset[istr]:
        """Headers that are not generated automatically."""
        return self._skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        """The default credentials."""
        return self._default_auth

    @property
    def json_serialize(self) -> Callable[[Any], str]:
        """The function that serializes ``json=`` arguments."""
        return self._json_serialize

    @property
    def connector_owner(self) -> bool:
        """Whether closing the session closes the connector."""
        return self._connector_owner

    @property
    def raise_for_status(self) -> bool | Callable[[ClientResponse], Awaitable[None]]:
        """Whether (or how) responses are checked for an error status."""
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        """Whether response bodies are decompressed."""
        return self._auto_decompress

    @property
    def trust_env(self) -> bool:
        """Whether proxies and credentials are read from the environment and .netrc."""
        return self._trust_env

    @property
    def trace_configs(self) -> list[TraceConfig]:
        """The trace configurations of the session."""
        return self._trace_configs


def request(
    method: str,
    url: str | URL,
    *,
    connector: BaseConnector | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    version: HttpVersion = HttpVersion11,
    cookies: Any = None,
    headers: Any = None,
    **kwargs: Any,
) -> _SessionRequestContextManager:
    """Make one request with a session of its own: ``async with request("GET", url) as r:``.

    The session (and, unless a ``connector`` is given, its connector) is closed when the
    block ends.
    """
    connector_owner = connector is None
    if connector is None:
        from toolkit.client._default_connector import create_default_connector

        connector = create_default_connector(force_close=True)
    session_kwargs: dict[str, Any] = {}
    if loop is not None:
        session_kwargs["loop"] = loop
    session = ClientSession(
        connector=connector,
        connector_owner=connector_owner,
        version=version,
        cookies=cookies,
        headers=headers,
        **session_kwargs,
    )
    return _SessionRequestContextManager(session._request(method, url, **kwargs), session)
