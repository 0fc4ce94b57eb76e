"""The request pipeline of ``ClientSession``: one exchange on a pooled connection, and
the redirect loop around it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, istr
from yarl import URL

from toolkit import hdrs
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
from toolkit.client.redirects import (
    REDIRECT_STATUSES,
    is_resendable,
    next_method,
    redirect_target,
    same_origin,
    strip_body_headers,
    strip_for_new_origin,
)
from toolkit.client.response import ClientResponse
from toolkit.client.timeouts import ClientTimeout
from toolkit.client.tracing import Trace

if TYPE_CHECKING:
    from toolkit.client.session import ClientSession
    from toolkit.helpers import BasicAuth

__all__ = ["auth_for", "send_following_redirects", "send_once"]

_HTTP_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


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


async def send_following_redirects(
    session: ClientSession,
    method: str,
    url: URL,
    *,
    data: Any,
    cookies: Any,
    headers: CIMultiDict[str],
    auth: BasicAuth | None,
    allow_redirects: bool,
    max_redirects: int,
    proxy: URL | None,
    proxy_auth: BasicAuth | None,
    traces: list[Trace],
    history: list[ClientResponse],
    params: Any,
    **send_kwargs: Any,
) -> ClientResponse:
    """Send the request, then follow 3xx answers (``history`` collects them).

    Body and method change per RFC 9110 (see :func:`next_method`); credentials, the
    Authorization header and per-request cookies stay on the origin that was asked for.
    """
    first_url = url
    while True:
        resp = await send_once(
            session,
            method,
            url,
            data=data,
            cookies=cookies,
            headers=headers,
            auth=auth,
            proxy=proxy,
            proxy_auth=proxy_auth,
            traces=traces,
            params=params,
            redirected=bool(history),
            first_url=first_url,
            **send_kwargs,
        )
        if resp._cookies:  # (only made when the response set cookies)
            session._cookie_jar.update_cookies(resp._cookies, resp.url)
        if not allow_redirects or resp.status not in REDIRECT_STATUSES:
            break
        location = resp.headers.get(hdrs.LOCATION) or resp.headers.get(hdrs.URI)
        if location is None:
            break
        step = next_method(resp.status, resp.method)
        if step.keep_body and not is_resendable(data):
            break  # the body cannot be sent again: hand the 3xx to the caller
        for trace in traces:
            await trace.send_request_redirect(method, url, headers, resp)
        history.append(resp)
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
            method = step.method
            data = None
            headers = strip_body_headers(headers)
        if not same_origin(url, new_url):
            auth = None
            cookies = None
            headers = strip_for_new_origin(headers)
        # Query parameters were merged into the first URL; never re-add them.
        params = None
        url = new_url
    resp._history = tuple(history)
    return resp


async def send_once(
    session: ClientSession,
    method: str,
    url: URL,
    *,
    data: Any,
    cookies: Any,
    headers: CIMultiDict[str],
    skip_headers: set[istr],
    auth: BasicAuth | None,
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
    params: Any,
    redirected: bool,
    first_url: URL,
    read_bufsize: int | None,
    auto_decompress: bool | None,
    max_line_size: int | None,
    max_field_size: int | None,
    max_headers: int | None,
) -> ClientResponse:
    """One request/response exchange: build the request, get a connection, send the
    head (the body goes on in a task), and read the response head.

    Idempotent requests without a body are retried once on a fresh connection when a
    pooled one turns out to be dead (``ServerDisconnectedError`` / ``ClientOSError``).
    """
    invalid_url: type[InvalidUrlClientError] = (
        InvalidUrlRedirectClientError if redirected else InvalidUrlClientError
    )
    non_http: type[NonHttpUrlClientError] = (
        NonHttpUrlRedirectClientError if redirected else NonHttpUrlClientError
    )
    if url.scheme not in _HTTP_SCHEMES:
        raise non_http(url)
    if not url.raw_host:
        raise invalid_url(url, "the URL has no host")
    request_auth = auth_for(session, url, auth, first_url)
    if request_auth is not None and hdrs.AUTHORIZATION in headers:
        raise ValueError(
            "cannot combine an Authorization header with the auth argument or with "
            "credentials encoded in the URL"
        )
    all_cookies = session._cookie_jar.filter_cookies(url)
    if cookies:
        from toolkit.cookiejar import CookieJar

        request_jar = CookieJar(unsafe=True)
        request_jar.update_cookies(cookies)
        for name, morsel in request_jar.filter_cookies(url).items():
            all_cookies[name] = morsel
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

    retry = method in _IDEMPOTENT and data is None
    connector = session._connector
    if connector is None:
        raise RuntimeError("Session is closed")
    while True:
        req = session._request_class(
            method,
            url,
            params=params,
            headers=headers,
            skip_auto_headers=skip_headers,
            data=data,
            cookies=all_cookies,
            auth=request_auth,
            version=session._version,
            compress=compress,
            chunked=chunked,
            expect100=expect100,
            loop=session._loop,
            response_class=session._response_class,
            proxy=proxy,
            proxy_auth=proxy_auth,
            timer=timer,
            session=session,
            ssl=ssl,
            proxy_headers=proxy_headers,
            traces=traces,
            trust_env=session._trust_env,
            server_hostname=server_hostname,
            force_close=bool(getattr(connector, "force_close", False)),
        )
        conn = await connector.connect(req, traces, timeout)
        protocol = conn.protocol
        assert protocol is not None
        protocol.set_response_params(
            method=req.method,
            read_until_eof=read_until_eof,
            auto_decompress=(
                session._auto_decompress if auto_decompress is None else auto_decompress
            ),
            read_timeout=timeout.sock_read,
            timer=timer,
            max_line_size=max_line_size or session._max_line_size,
            max_field_size=max_field_size or session._max_field_size,
            max_headers=max_headers or session._max_headers,
            read_bufsize=read_bufsize or session._read_bufsize,
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
