"""The request pipeline of ``ClientSession``: one exchange on a pooled connection, and
the redirect loop around it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from toolkit import hdrs
from toolkit.client._construct import constructor
from toolkit.client.client_request import ClientRequest
from toolkit.client.exceptions import (
    ClientConnectorError,
    ClientError,
    ClientOSError,
    ClientResponseError,
    ConnectionTimeoutError,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    ServerDisconnectedError,
    TooManyRedirects,
)
from toolkit.client.response import ClientResponse
from toolkit.client.timeouts import ClientTimeout
from toolkit.cookiejar import CookieJar

if TYPE_CHECKING:
    from toolkit.client.session import ClientSession
    from toolkit.client.tracing import Trace
    from toolkit.helpers import BasicAuth

__all__ = ["RequestOptions", "auth_for", "send_following_redirects", "send_once"]

_HTTP_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
#: ``toolkit.client.redirects.REDIRECT_STATUSES``: that module loads on the first redirect
#: (or the first session credentials) instead of with every session.
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def auth_for(
    session: ClientSession, url: URL, auth: BasicAuth | None, first_url: URL
) -> BasicAuth | None:
    """The credentials for a request to ``url``; ``first_url`` is the one asked for.

    Precedence: the ``auth`` argument, credentials in the URL (taken by the request
    itself), the session's ``auth`` (same origin only), then ``.netrc`` with trust_env.
    """
    if auth is not None:
        return auth
    if url.raw_user or url.raw_password:
        return None  # the request takes the credentials from the URL
    # Session credentials go to the origin asked for (the base URL's, if any), never
    # to another origin a redirect leads to.
    from toolkit.client.redirects import same_origin

    if (
        session._default_auth is not None
        and same_origin(first_url, url)
        and (session._base_url is None or same_origin(session._base_url, url))
    ):
        return session._default_auth
    if session._trust_env and url.host:
        from toolkit.helpers import basicauth_from_netrc, netrc_from_env

        try:
            return basicauth_from_netrc(netrc_from_env(), url.host)
        except LookupError:
            return None
    return None


class RequestOptions:
    """The arguments of one ``ClientSession._request()`` call, resolved against the
    session's defaults, as the pipeline uses them.

    One object travels down the pipeline instead of a score of keyword arguments; the
    redirect loop updates ``method``, ``url``, ``data``, ``headers``, ``auth``,
    ``cookies`` and ``params`` for the next hop.
    """

    __slots__ = (
        "allow_redirects",
        "auth",
        "auto_decompress",
        "chunked",
        "compress",
        "cookies",
        "data",
        "expect100",
        "headers",
        "max_field_size",
        "max_headers",
        "max_line_size",
        "max_redirects",
        "method",
        "params",
        "proxy",
        "proxy_auth",
        "proxy_headers",
        "read_bufsize",
        "read_until_eof",
        "server_hostname",
        "skip_headers",
        "ssl",
        "timeout",
        "timer",
        "traces",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        params: Any,
        data: Any,
        cookies: Any,
        headers: CIMultiDict[str],
        skip_headers: Iterable[str],
        auth: BasicAuth | None,
        allow_redirects: bool,
        max_redirects: int,
        compress: str | bool | None,
        chunked: bool | None,
        expect100: bool,
        read_until_eof: bool,
        proxy: URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: CIMultiDict[str] | None,
        ssl: Any,
        server_hostname: str | None,
        timeout: ClientTimeout,
        timer: Any,
        traces: list[Trace],
        read_bufsize: int,
        auto_decompress: bool,
        max_line_size: int,
        max_field_size: int,
        max_headers: int,
    ) -> None:
        self.method = method
        self.url = url
        self.params = params
        self.data = data
        self.cookies = cookies
        #: Read, never changed in place (it may be the session's default headers).
        self.headers = headers
        self.skip_headers = skip_headers
        self.auth = auth
        self.allow_redirects = allow_redirects
        self.max_redirects = max_redirects
        self.compress = compress
        self.chunked = chunked
        self.expect100 = expect100
        self.read_until_eof = read_until_eof
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        self.proxy_headers = proxy_headers
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.timeout = timeout
        self.timer = timer
        self.traces = traces
        self.read_bufsize = read_bufsize
        self.auto_decompress = auto_decompress
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_headers = max_headers


async def send_following_redirects(
    session: ClientSession, opts: RequestOptions, history: list[ClientResponse]
) -> ClientResponse:
    """Send the request, then follow 3xx answers (``history`` collects them).

    Body and method change per RFC 9110 (see :func:`next_method`); credentials, the
    Authorization header and per-request cookies stay on the origin that was asked for.
    """
    first_url = opts.url
    traces = opts.traces
    while True:
        resp = await send_once(session, opts, redirected=bool(history), first_url=first_url)
        if resp._cookies:  # (only made when the response set cookies)
            session._cookie_jar.update_cookies(resp._cookies, resp.url)
        if not opts.allow_redirects or resp.status not in _REDIRECT_STATUSES:
            break
        location = resp.headers.get(hdrs.LOCATION) or resp.headers.get(hdrs.URI)
        if location is None:
            break
        from toolkit.client.redirects import (
            is_resendable,
            next_method,
            redirect_target,
            same_origin,
            strip_body_headers,
            strip_for_new_origin,
        )

        step = next_method(resp.status, resp.method)
        if step.keep_body and not is_resendable(opts.data):
            break  # the body cannot be sent again: hand the 3xx to the caller
        url = opts.url
        for trace in traces:
            await trace.send_request_redirect(opts.method, url, opts.headers, resp)
        history.append(resp)
        max_redirects = opts.max_redirects
        if max_redirects and len(history) >= max_redirects:
            resp.close()
            raise TooManyRedirects(
                history[0].request_info,
                tuple(history),
                status=resp.status,
                message=f"Exceeded {max_redirects} redirects, last to {location!r}",
                headers=resp.headers,
            )
        resp.release()
        try:
            new_url = redirect_target(location, url, requote=session._requote_redirect_url)
        except (InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError):
            resp.close()
            raise
        if not step.keep_body:
            opts.method = step.method
            opts.data = None
            opts.headers = strip_body_headers(opts.headers)
        if not same_origin(url, new_url):
            opts.auth = None
            opts.cookies = None
            opts.headers = strip_for_new_origin(opts.headers)
        # Query parameters were merged into the first URL; never re-add them.
        opts.params = None
        opts.url = new_url
    if history:
        resp._history = tuple(history)
    return resp


async def send_once(
    session: ClientSession, opts: RequestOptions, *, redirected: bool, first_url: URL
) -> ClientResponse:
    """One request/response exchange: build the request, get a connection, send the
    head (the body goes on in a task), and read the response head.

    Idempotent requests without a body are retried once on a fresh connection when a
    pooled one turns out to be dead (``ServerDisconnectedError`` / ``ClientOSError``).
    """
    method = opts.method
    url = opts.url
    if url.scheme not in _HTTP_SCHEMES:
        raise (NonHttpUrlRedirectClientError if redirected else NonHttpUrlClientError)(url)
    if not url.raw_host:
        raise (InvalidUrlRedirectClientError if redirected else InvalidUrlClientError)(
            url, "the URL has no host"
        )
    auth = opts.auth
    if auth is not None or session._default_auth is not None or session._trust_env:
        request_auth = auth_for(session, url, auth, first_url)
        if request_auth is not None and hdrs.AUTHORIZATION in opts.headers:
            raise ValueError(
                "cannot combine an Authorization header with the auth argument or with "
                "credentials encoded in the URL"
            )
    else:
        request_auth = None  # (what auth_for() says without auth, session auth or .netrc)
    cookies = opts.cookies
    jar = session._cookie_jar
    all_cookies: Any
    if not cookies and type(jar) is CookieJar and not jar._cookies:
        all_cookies = None  # (an empty jar filters to no cookies)
    else:
        all_cookies = jar.filter_cookies(url)
        if cookies:
            request_jar = CookieJar(unsafe=True)
            request_jar.update_cookies(cookies)
            for name, morsel in request_jar.filter_cookies(url).items():
                all_cookies[name] = morsel
    proxy = opts.proxy
    proxy_auth = opts.proxy_auth
    if proxy is None and url.scheme in session._proxies:
        from toolkit.helpers import strip_auth_from_url

        proxy, from_url = strip_auth_from_url(session._proxies[url.scheme])
        proxy_auth = proxy_auth or from_url
    if proxy is None and session._trust_env:
        from toolkit.helpers import get_env_proxy_for_url

        try:
            proxy, proxy_auth = get_env_proxy_for_url(url)
        except LookupError:
            proxy, proxy_auth = None, None

    data = opts.data
    retry = method in _IDEMPOTENT and data is None
    connector = session._connector
    if connector is None:
        raise RuntimeError("Session is closed")
    traces = opts.traces
    timeout = opts.timeout
    request_class = session._request_class
    while True:
        built = constructor(request_class)
        # (An attribute call: see constructor().)
        made = built.make(
            method,
            url,
            params=opts.params,
            headers=opts.headers,
            skip_auto_headers=opts.skip_headers,
            data=data,
            cookies=all_cookies,
            auth=request_auth,
            version=session._version,
            compress=opts.compress,
            chunked=opts.chunked,
            expect100=opts.expect100,
            loop=session._loop,
            response_class=session._response_class,
            proxy=proxy,
            proxy_auth=proxy_auth,
            # None: the session's ``with timer:`` covers this whole exchange, and the
            # body reader waits inside the timer by itself (set_response_params).
            timer=None,
            session=session,
            ssl=opts.ssl,
            proxy_headers=opts.proxy_headers,
            traces=traces,
            trust_env=session._trust_env,
            server_hostname=opts.server_hostname,
            force_close=bool(getattr(connector, "force_close", False)),
        )
        req: ClientRequest = made if built.instance is None else built.instance
        conn = await connector.connect(req, traces, timeout)
        protocol = conn.protocol
        assert protocol is not None
        protocol.set_response_params(
            method=req.method,
            read_until_eof=opts.read_until_eof,
            auto_decompress=opts.auto_decompress,
            read_timeout=timeout.sock_read,
            timer=opts.timer,
            max_line_size=opts.max_line_size,
            max_field_size=opts.max_field_size,
            max_headers=opts.max_headers,
            read_bufsize=opts.read_bufsize,
            timeout_ceil_threshold=timeout.ceil_threshold,
        )
        try:
            try:
                resp = await req.send(conn)
                try:
                    await resp.start(conn)
                except BaseException:
                    resp.close()
                    raise
            except BaseException:
                req.terminate()
                conn.close()
                raise
        except (ConnectionTimeoutError, ClientConnectorError):
            raise
        except (ClientOSError, ServerDisconnectedError):
            if not retry:
                raise
            retry = False
            continue
        except ClientResponseError as exc:
            if exc.request_info is None:
                # The protocol does not know the request: say which one got the bad answer.
                exc.request_info = req.request_info
            raise
        except ClientError:
            raise
        except OSError as exc:
            if exc.errno is None and isinstance(exc, asyncio.TimeoutError):
                raise
            raise ClientOSError(*exc.args) from exc
        return resp
