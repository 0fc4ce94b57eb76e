"""The server WebSocket: :class:`WebSocketResponse` (aiohttp's ``web.WebSocketResponse``).

A handler prepares the response (the opening handshake: ``101 Switching Protocols``),
then reads and writes messages until the close handshake::

    async def handler(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws

After the ``101`` head is written the connection's bytes (including those that came
with the upgrade request) go to this response through ``RequestHandler.set_parser``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from toolkit._checks import check_number
from toolkit._ws_async import DEFAULT_CLOSE_TIMEOUT, WebSocketBase
from toolkit.http.ws import (
    DEFAULT_MAX_MSG_SIZE,
    Role,
    ServerHandshake,
    WSConnection,
    WSHandshakeError,
    validate_client_request,
)

from .exceptions import HTTPBadRequest, HTTPMethodNotAllowed
from .response import StreamResponse

if TYPE_CHECKING:
    from .request import BaseRequest

__all__ = ["WebSocketResponse", "WebSocketReady"]


class WebSocketReady(NamedTuple):
    """What :meth:`WebSocketResponse.can_prepare` found: ``ok`` and the subprotocol."""

    ok: bool
    protocol: str | None

    def __bool__(self) -> bool:
        return self.ok


class _Feeder:
    """The object given to ``RequestHandler.set_parser``: raw bytes in.

    ``feed_data`` is the WebSocket's own bound method (one call less per read).
    """

    __slots__ = ("_ws", "feed_data")

    def __init__(self, ws: WebSocketResponse) -> None:
        self._ws = ws
        self.feed_data = ws._feed_data

    def feed_eof(self) -> None:
        self._ws._feed_eof()

    def shutdown(self) -> None:
        """The server is shutting down: close the WebSocket with 1001 (going away)."""
        self._ws._going_away()


class WebSocketResponse(WebSocketBase, StreamResponse):
    """A server-side WebSocket, created by the handler and prepared with the request.

    ``timeout`` bounds the wait for the peer's close frame in :meth:`close`;
    ``receive_timeout`` is the default timeout of :meth:`receive`; ``autoclose``
    answers the peer's close frame; ``autoping`` answers pings and hides pings and
    pongs from :meth:`receive`; ``heartbeat`` sends a ping after that many idle
    seconds and closes the connection (code 1006) when no pong comes within half of
    it; ``protocols`` are the subprotocols we speak, in order of preference;
    ``compress`` allows permessage-deflate; ``max_msg_size`` bounds a received
    message (0: no bound; larger messages close the connection with 1009). A timeout,
    ``heartbeat`` or ``max_msg_size`` that is not a number (or None where allowed), NaN
    or negative raises ``TypeError``/``ValueError`` here.
    """

    _length_check = False

    def __init__(
        self,
        *,
        timeout: float | None = DEFAULT_CLOSE_TIMEOUT,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        protocols: Iterable[str] = (),
        compress: bool = True,
        max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
    ) -> None:
        StreamResponse.__init__(self, status=101)
        WebSocketBase.__init__(
            self,
            timeout=timeout,
            receive_timeout=receive_timeout,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
        )
        self._protocols = tuple(protocols)
        self._ws_protocol: str | None = None
        self._compress: bool | int = compress
        check_number("WebSocketResponse", "max_msg_size", max_msg_size, unit="bytes")
        self._max_msg_size = max_msg_size
        self._ws_request: BaseRequest | None = None

    # -- handshake ----------------------------------------------------------------------

    def _handshake(self, request: BaseRequest) -> ServerHandshake:
        try:
            return validate_client_request(
                request.method,
                request.version,
                request.headers,
                protocols=self._protocols,
                compress=bool(self._compress),
            )
        except WSHandshakeError as exc:
            if exc.status == 405:
                raise HTTPMethodNotAllowed(request.method, ["GET"], text=exc.message) from exc
            raise HTTPBadRequest(text=exc.message, headers=exc.headers or None) from exc

    def can_prepare(self, request: BaseRequest) -> WebSocketReady:
        """Whether ``request`` is a valid WebSocket upgrade, and the subprotocol we'd pick."""
        if self._payload_writer is not None or self._conn is not None:
            raise RuntimeError("Already started")
        try:
            handshake = self._handshake(request)
        except (HTTPBadRequest, HTTPMethodNotAllowed):
            return WebSocketReady(False, None)
        return WebSocketReady(True, handshake.protocol)

    async def prepare(self, request: BaseRequest) -> Any:
        """Check the upgrade request, answer ``101`` and take the connection over.

        Raises ``HTTPMethodNotAllowed`` (not a GET) or ``HTTPBadRequest`` (missing or
        wrong upgrade headers) before anything is sent.
        """
        if self._payload_writer is not None:
            return self._payload_writer
        if self._eof_sent:
            return None
        handshake = self._handshake(request)
        self._ws_protocol = handshake.protocol
        deflate = handshake.deflate
        self._compress = deflate.server_max_window_bits if deflate is not None else 0
        self.headers.update(handshake.headers)
        writer = await super().prepare(request)
        assert writer is not None
        await writer.drain()  # the 101 head leaves now, before any frame
        protocol = request._protocol
        transport = protocol.transport
        if transport is None:
            raise ConnectionResetError("the client went away during the WebSocket handshake")
        conn = WSConnection(
            Role.SERVER,
            deflate=deflate,
            max_msg_size=self._max_msg_size,
            autoping=self._autoping,
            autoclose=self._autoclose,
        )
        self._ws_request = request
        self._attach(
            conn, transport, flow=protocol, drain=writer.drain, loop=asyncio.get_running_loop()
        )
        protocol.set_parser(_Feeder(self))
        return writer

    # -- properties ---------------------------------------------------------------------

    @property
    def ws_protocol(self) -> str | None:
        """The subprotocol chosen in the handshake (None: none in common)."""
        return self._ws_protocol

    @property
    def protocol(self) -> str | None:
        """Alias of :attr:`ws_protocol`."""
        return self._ws_protocol

    @property
    def compress(self) -> bool | int:
        """Before prepare: whether compression is allowed; after: the window bits (0: off)."""
        return self._compress

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """A transport attribute (``peername``, ``sslcontext`` …), or ``default``."""
        transport = self._transport
        if transport is None:
            return default
        return transport.get_extra_info(name, default)

    # -- StreamResponse -----------------------------------------------------------------

    def _not_started(self) -> Exception:
        return RuntimeError("Call .prepare() first")

    def _closing_error(self, what: str) -> Exception:
        return _WSClosingError(f"cannot send {what}: the WebSocket is closing or closed")

    def _close_transport(self) -> None:
        transport = self._transport
        if transport is not None:
            transport.close()

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Not available: use :meth:`send_bytes` / :meth:`send_str`."""
        raise RuntimeError("Cannot call .write() for websocket")

    async def write_eof(self, data: bytes = b"") -> None:
        """Close the WebSocket (the server calls this when the handler returns)."""
        if self._eof_sent:
            return
        if self._payload_writer is None:
            raise RuntimeError("Response has not been started")
        await self.close()
        self._eof_sent = True

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._conn is not None else "new")
        return f"<WebSocketResponse {state} protocol={self._ws_protocol!r}>"


class _WSClosingError(RuntimeError, ConnectionResetError):
    """Sending on a closing WebSocket (a ``RuntimeError`` and a ``ConnectionResetError``)."""
