"""The client WebSocket: :func:`ws_connect` and :class:`ClientWebSocketResponse`.

``session.ws_connect(url)`` sends the upgrade request through the session's normal
request path (connector, TLS, proxy tunnel, auth, cookies), checks the ``101``
answer, then takes the connection over: the protocol's bytes after the head go to
the WebSocket engine. It returns an object that can be awaited or used with
``async with`` (which closes the WebSocket on exit)::

    async with session.ws_connect("ws://127.0.0.1:8080/ws") as ws:
        await ws.send_str("hello")
        async for msg in ws:
            ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from toolkit._checks import check_number
from toolkit._ws_async import DEFAULT_CLOSE_TIMEOUT, WebSocketBase
from toolkit.http.ws import (
    DEFAULT_MAX_MSG_SIZE,
    DeflateOffer,
    Role,
    WSConnection,
    WSHandshakeError,
    build_client_request_headers,
    make_client_key,
    validate_server_response,
)

from .exceptions import (
    ClientConnectionResetError,
    ClientResponseError,
    ServerTimeoutError,
    WSServerHandshakeError,
)

if TYPE_CHECKING:
    from toolkit.helpers import BasicAuth

    from .response import ClientResponse
    from .session import ClientSession

__all__ = ["ClientWebSocketResponse", "ClientWSTimeout", "ws_connect"]


@dataclass(frozen=True)
class ClientWSTimeout:
    """Timeouts of a client WebSocket.

    ``ws_receive``: default timeout of :meth:`ClientWebSocketResponse.receive`
    (None: wait forever); ``ws_close``: how long :meth:`~ClientWebSocketResponse.close`
    waits for the server's close frame. Each is a number of seconds >= 0 or None;
    anything else raises ``TypeError`` or ``ValueError`` here.
    """

    ws_receive: float | None = None
    ws_close: float | None = None

    def __post_init__(self) -> None:
        check_number("ClientWSTimeout", "ws_receive", self.ws_receive, none=True)
        check_number("ClientWSTimeout", "ws_close", self.ws_close, none=True)


DEFAULT_WS_CLIENT_TIMEOUT = ClientWSTimeout(ws_receive=None, ws_close=DEFAULT_CLOSE_TIMEOUT)


class _WSClosingError(ClientConnectionResetError, RuntimeError):
    """Sending on a closing WebSocket (``ClientConnectionResetError`` and ``RuntimeError``)."""


class ClientWebSocketResponse(WebSocketBase):
    """A client WebSocket; get one from ``ClientSession.ws_connect``, never build it."""

    def __init__(
        self,
        response: ClientResponse,
        conn: WSConnection,
        *,
        timeout: ClientWSTimeout = DEFAULT_WS_CLIENT_TIMEOUT,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        protocol: str | None = None,
        compress: int = 0,
        client_notakeover: bool = False,
    ) -> None:
        super().__init__(
            timeout=timeout.ws_close,
            receive_timeout=timeout.ws_receive,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
        )
        self._response = response
        self._ws_timeout = timeout
        self._protocol = protocol
        self._compress = compress
        self._client_notakeover = client_notakeover
        connection = response.connection
        if connection is None or connection.transport is None or connection.protocol is None:
            raise ClientConnectionResetError(
                f"the connection to {response.url} closed during the WebSocket handshake"
            )
        handler = connection.protocol
        self._attach(
            conn,
            connection.transport,
            flow=handler,
            drain=handler.drain,
            loop=asyncio.get_running_loop(),
        )
        handler.set_data_receiver(self._feed_data, self._feed_eof)

    # -- properties ---------------------------------------------------------------------

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server chose (None: none)."""
        return self._protocol

    @property
    def compress(self) -> int:
        """The negotiated permessage-deflate window bits (0: no compression)."""
        return self._compress

    @property
    def client_notakeover(self) -> bool:
        """Whether our compressor resets its context after every message."""
        return self._client_notakeover

    @property
    def timeout(self) -> ClientWSTimeout:
        """The receive and close timeouts."""
        return self._ws_timeout

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """A transport attribute (``peername``, ``ssl_object`` …), or ``default``."""
        connection = self._response.connection
        if connection is None or connection.transport is None:
            return default
        return connection.transport.get_extra_info(name, default)

    # -- hooks --------------------------------------------------------------------------

    def _close_transport(self) -> None:
        self._response.close()

    def _closing_error(self, what: str) -> Exception:
        return _WSClosingError(f"Cannot write to closing transport ({what})")

    def _heartbeat_error(self) -> BaseException:
        return ServerTimeoutError(f"No PONG received after {self._pong_heartbeat} seconds")

    def _not_started(self) -> Exception:
        return RuntimeError("the WebSocket is not connected")

    # -- context manager ----------------------------------------------------------------

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<ClientWebSocketResponse {state} {self._response.url}>"


class _WSRequestContextManager:
    """``await session.ws_connect(...)`` or ``async with session.ws_connect(...) as ws``."""

    __slots__ = ("_coro", "_ws")

    def __init__(self, coro: Coroutine[Any, Any, ClientWebSocketResponse]) -> None:
        self._coro = coro
        self._ws: ClientWebSocketResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientWebSocketResponse]:
        return self._coro.__await__()

    async def __aenter__(self) -> ClientWebSocketResponse:
        self._ws = await self._coro
        return self._ws

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()


def _ws_timeout(timeout: Any, receive_timeout: float | None) -> ClientWSTimeout:
    result: ClientWSTimeout
    if timeout is None:
        result = DEFAULT_WS_CLIENT_TIMEOUT
    elif isinstance(timeout, ClientWSTimeout):
        result = timeout
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        result = ClientWSTimeout(ws_receive=None, ws_close=float(timeout))
    else:
        raise TypeError(
            f"timeout must be a number of seconds or a ClientWSTimeout, got {timeout!r}"
        )
    if receive_timeout is not None:
        result = ClientWSTimeout(ws_receive=receive_timeout, ws_close=result.ws_close)
    return result


async def _connect(
    session: ClientSession,
    url: str | URL,
    *,
    method: str,
    protocols: Iterable[str],
    timeout: Any,
    receive_timeout: float | None,
    autoclose: bool,
    autoping: bool,
    heartbeat: float | None,
    origin: str | None,
    headers: Any,
    compress: int,
    max_msg_size: int,
    request_kwargs: dict[str, Any],
) -> ClientWebSocketResponse:
    ws_timeout = _ws_timeout(timeout, receive_timeout)
    protocols = tuple(protocols)
    offer = DeflateOffer.from_compress(compress) if compress else None
    key = make_client_key()
    ws_headers = build_client_request_headers(
        key, protocols=protocols, origin=origin, deflate_offer=offer
    )
    real_headers: CIMultiDict[str] = CIMultiDict(
        headers.items() if isinstance(headers, Mapping) else (headers or ())
    )
    for name in ("Upgrade", "Connection", "Sec-WebSocket-Version"):
        real_headers.setdefault(name, ws_headers[name])
    for name in ("Sec-WebSocket-Key", "Sec-WebSocket-Protocol", "Origin"):
        if name in ws_headers:
            real_headers[name] = ws_headers[name]
    if "Sec-WebSocket-Extensions" in ws_headers:
        real_headers["Sec-WebSocket-Extensions"] = ws_headers["Sec-WebSocket-Extensions"]

    try:
        resp = await session._request(
            method, url, headers=real_headers, read_until_eof=False, **request_kwargs
        )
    except ClientResponseError as exc:
        if type(exc) is not ClientResponseError:
            raise
        # The response parser refused the head (a 101 without Upgrade/Connection …).
        raise WSServerHandshakeError(
            exc.request_info,
            exc.history,
            status=exc.status,
            message=exc.message,
            headers=exc.headers,
        ) from exc
    try:
        handshake = validate_server_response(
            resp.status, resp.headers, key=key, protocols=protocols, deflate_offer=offer
        )
    except WSHandshakeError as exc:
        resp.close()
        raise WSServerHandshakeError(
            resp.request_info,
            resp.history,
            message=exc.message,
            status=resp.status,
            headers=resp.headers,
        ) from exc
    deflate = handshake.deflate
    try:
        conn = WSConnection(
            Role.CLIENT,
            deflate=deflate,
            max_msg_size=max_msg_size,
            autoping=autoping,
            autoclose=autoclose,
        )
        response_class = getattr(session, "_ws_response_class", None) or ClientWebSocketResponse
        ws: ClientWebSocketResponse = response_class(
            resp,
            conn,
            timeout=ws_timeout,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
            protocol=handshake.protocol,
            compress=deflate.client_max_window_bits if deflate is not None else 0,
            client_notakeover=deflate.client_no_context_takeover if deflate else False,
        )
    except BaseException:
        resp.close()
        raise
    return ws


def ws_connect(
    session: ClientSession,
    url: str | URL,
    *,
    method: str = "GET",
    protocols: Iterable[str] = (),
    timeout: ClientWSTimeout | float | None = None,
    receive_timeout: float | None = None,
    autoclose: bool = True,
    autoping: bool = True,
    heartbeat: float | None = None,
    auth: BasicAuth | None = None,
    origin: str | None = None,
    params: Any = None,
    headers: Any = None,
    proxy: str | URL | None = None,
    proxy_auth: BasicAuth | None = None,
    ssl: Any = True,
    verify_ssl: bool | None = None,
    fingerprint: bytes | None = None,
    ssl_context: Any = None,
    server_hostname: str | None = None,
    proxy_headers: Any = None,
    compress: int = 0,
    max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
) -> _WSRequestContextManager:
    """Open a WebSocket to ``url`` through ``session`` (``ClientSession.ws_connect``).

    ``timeout`` is the close timeout in seconds (10 by default) or a
    :class:`ClientWSTimeout`; ``receive_timeout`` the default timeout of
    ``receive()``; ``compress`` 9-15 offers permessage-deflate with that window (0:
    off). Raises :class:`WSServerHandshakeError` when the server does not upgrade
    correctly (non-101 status, wrong ``Sec-WebSocket-Accept``, missing
    ``Upgrade``/``Connection``, a subprotocol or extension we did not offer).
    A timeout, ``heartbeat`` or ``max_msg_size`` (0: no bound) that is not a number,
    NaN or negative raises ``TypeError``/``ValueError`` at once, before connecting.
    """
    ws_timeout = _ws_timeout(timeout, receive_timeout)  # (checks both)
    check_number("ws_connect", "heartbeat", heartbeat, none=True, lowest="positive")
    check_number("ws_connect", "max_msg_size", max_msg_size, unit="bytes")
    request_kwargs: dict[str, Any] = {
        "auth": auth,
        "params": params,
        "proxy": proxy,
        "proxy_auth": proxy_auth,
        "ssl": ssl,
        "verify_ssl": verify_ssl,
        "fingerprint": fingerprint,
        "ssl_context": ssl_context,
        "server_hostname": server_hostname,
        "proxy_headers": proxy_headers,
    }
    return _WSRequestContextManager(
        _connect(
            session,
            url,
            method=method,
            protocols=protocols,
            timeout=ws_timeout,
            receive_timeout=None,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
            origin=origin,
            headers=headers,
            compress=compress,
            max_msg_size=max_msg_size,
            request_kwargs=request_kwargs,
        )
    )
