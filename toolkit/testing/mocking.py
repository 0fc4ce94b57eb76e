"""Requests without a server: :func:`make_mocked_request`, and :func:`make_mocked_coro`.

A mocked request is a real :class:`toolkit.web.Request` whose protocol, transport and
payload writer are :class:`unittest.mock.Mock` objects, so handlers, middlewares and
responses can be unit-tested without a connection::

    req = make_mocked_request("GET", "/users/7", match_info={"id": "7"})
    resp = await handler(req)
"""

from __future__ import annotations

import asyncio
import ssl as _ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, cast
from unittest import mock

from multidict import CIMultiDict, CIMultiDictProxy

from toolkit.http import HttpVersion, HttpVersion11, RequestHead
from toolkit.streams import EMPTY_PAYLOAD, StreamReader
from toolkit.web.app import Application
from toolkit.web.request import Request
from toolkit.web.routing.routes import UrlMappingMatchInfo

if TYPE_CHECKING:
    from toolkit.web.routing.abc import AbstractRoute

__all__ = ["make_mocked_coro", "make_mocked_request"]

_SENTINEL: Any = object()


def make_mocked_coro(
    return_value: Any = None, raise_exception: BaseException | type[BaseException] | None = None
) -> mock.Mock:
    """A :class:`~unittest.mock.Mock` whose calls return a coroutine.

    Awaiting the result returns ``return_value``, or raises ``raise_exception``.
    The mock records calls as usual (``assert_called_once_with`` …).
    """

    async def coro(*args: Any, **kwargs: Any) -> Any:
        if raise_exception is not None:
            raise raise_exception
        return return_value

    return mock.Mock(wraps=coro)


def _mocked_transport(sslcontext: _ssl.SSLContext | None) -> mock.Mock:
    transport = mock.Mock()
    info = {
        "sslcontext": sslcontext,
        "peername": ("127.0.0.1", 51234),
        "sockname": ("127.0.0.1", 8080),
        "socket": None,
    }

    def get_extra_info(name: str, default: Any = None) -> Any:
        return info.get(name, default)

    transport.get_extra_info.side_effect = get_extra_info
    transport.is_closing.return_value = False
    return transport


def _mocked_writer(transport: Any) -> mock.Mock:
    writer = mock.Mock()
    writer.write_headers = make_mocked_coro(None)
    writer.write = make_mocked_coro(None)
    writer.write_eof = make_mocked_coro(None)
    writer.drain = make_mocked_coro(None)
    writer.transport = transport
    writer.buffer_size = 0
    writer.output_size = 0
    writer.headers_written = False
    return writer


def make_mocked_request(
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    *,
    match_info: Mapping[str, str] | None = _SENTINEL,
    version: HttpVersion = HttpVersion11,
    closing: bool = False,
    app: Application | None = None,
    writer: Any = _SENTINEL,
    protocol: Any = _SENTINEL,
    transport: Any = _SENTINEL,
    payload: StreamReader = EMPTY_PAYLOAD,
    sslcontext: _ssl.SSLContext | None = None,
    client_max_size: int = 1024**2,
    loop: Any = None,
) -> Request:
    """Build a :class:`toolkit.web.Request` for unit tests (aiohttp's test utility).

    ``path`` is the request target (``"/a?b=1"``); ``headers`` a mapping (or multidict).
    ``match_info`` fills ``request.match_info`` (no routing happens); ``app`` is the
    request's application (a fresh ``web.Application`` by default; it gets
    ``pre_freeze()``-d, as a running app is, so its router, middlewares and signals
    become read-only). ``writer``,
    ``protocol`` and ``transport`` default to mocks; the transport reports
    ``sslcontext`` and fake peer/socket addresses. ``payload`` is the body reader.
    """
    hdrs: CIMultiDict[str] = CIMultiDict(headers or {})
    # (surrogateescape: values the parser decoded from non-UTF-8 bytes go back to those bytes)
    raw_headers = tuple(
        (k.encode("utf-8"), v.encode("utf-8", "surrogateescape")) for k, v in hdrs.items()
    )
    connection = hdrs.get("Connection", "").lower()
    should_close = closing or version < HttpVersion11 or "close" in connection
    upgrade = "upgrade" in connection and "Upgrade" in hdrs
    chunked = "chunked" in hdrs.get("Transfer-Encoding", "").lower()
    message = RequestHead(
        method.upper(),
        path,
        version,
        CIMultiDictProxy(hdrs),
        raw_headers,
        should_close,
        None,
        upgrade,
        chunked,
    )

    if transport is _SENTINEL:
        transport = _mocked_transport(sslcontext)
    if protocol is _SENTINEL:
        protocol = mock.Mock()
    protocol.transport = transport
    if writer is _SENTINEL:
        writer = _mocked_writer(transport)
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
    if app is None:
        app = Application()
    # As a running app is: StreamResponse.prepare() sends the frozen on_response_prepare.
    app.pre_freeze()

    request = Request(
        message,
        payload,
        protocol,
        writer,
        None,
        loop,
        client_max_size=client_max_size,
    )
    info = UrlMappingMatchInfo(
        {} if match_info is _SENTINEL or match_info is None else dict(match_info),
        cast("AbstractRoute", _MockedRoute()),
    )
    info.add_app(app)
    request._match_info = info
    return request


class _MockedRoute:
    """The route of a mocked request's match info: nothing was routed."""

    handler: Callable[..., Awaitable[Any]] | None = None
    name = None
    resource = None
    method = "*"

    async def handle_expect_header(self, request: Any) -> None:
        return None

    def get_info(self) -> dict[str, Any]:
        return {}
