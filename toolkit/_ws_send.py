"""The sending half of a WebSocket (:class:`WebSocketSender`), shared by both sides.

:class:`~toolkit._ws_async.WebSocketBase` builds on this class and sets the
attributes declared here when the handshake is done (``_attach``). Every send
encodes through the sans-IO :class:`~toolkit.http.ws.WSConnection` and writes the
bytes to the transport at once; it waits for the transport to drain only when the
write buffer is not empty.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from toolkit.http.ws import WSConnection, WSMsgType, WSStateError

__all__ = ["WebSocketSender", "write_buffer_probe"]


def write_buffer_probe(transport: asyncio.BaseTransport) -> Callable[[], int] | None:
    """``transport.get_write_buffer_size`` if the transport implements it."""
    get_size = getattr(transport, "get_write_buffer_size", None)
    if get_size is None:
        return None
    try:
        size = get_size()
    except (NotImplementedError, AttributeError, RuntimeError):
        return None
    return get_size if isinstance(size, int) else None


class _Sent:
    """Returned by :meth:`WebSocketBase.ping`/``pong``: the frame is already written.

    Awaiting it waits for the write buffer to drain (aiohttp 3 style); not awaiting
    it is fine too (aiohttp 2 called ``ping()`` without ``await``).
    """

    __slots__ = ("_drain",)

    def __init__(self, drain: Callable[[], Awaitable[None]]) -> None:
        self._drain = drain

    def __await__(self) -> Generator[Any, None, None]:
        return self._drain().__await__()


class WebSocketSender:
    """``send_str``, ``send_bytes``, ``send_json``, ``send_frame``, ``ping`` and ``pong``."""

    # set by WebSocketBase
    _conn: WSConnection | None
    _transport: asyncio.Transport | None
    _closed: bool
    _drain_fn: Callable[[], Awaitable[None]] | None
    _buffer_size: Callable[[], int] | None

    def _closing_error(self, what: str) -> Exception:
        """The exception for sending on a WebSocket that is closing."""
        return RuntimeError(f"cannot send {what}: the WebSocket is closing or closed")

    def _not_started(self) -> Exception:
        return RuntimeError("Call .prepare() first")

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if data and transport is not None and not transport.is_closing():
            transport.write(data)

    async def _drain(self) -> None:
        if self._drain_fn is not None:
            await self._drain_fn()

    def _connection_for_send(self, what: str) -> WSConnection:
        conn = self._conn
        if conn is None:
            raise self._not_started()
        transport = self._transport
        if self._closed or conn.close_sent or transport is None or transport.is_closing():
            raise self._closing_error(what)
        return conn

    def _compress_arg(self, compress: int | None) -> int | None:
        conn = self._conn
        return compress if conn is not None and conn.deflate is not None else None

    async def send_frame(
        self, message: bytes, opcode: WSMsgType | int, compress: int | None = None
    ) -> None:
        """Send one message (or control frame) with ``opcode``."""
        conn = self._connection_for_send(f"a frame with opcode {int(opcode):#x}")
        if opcode == WSMsgType.CLOSE:
            raise ValueError("use close() to send a close frame")
        self._write(conn.send_frame(message, int(opcode), self._compress_arg(compress)))
        await self._drain()

    def _send_error(self, what: str) -> Exception:
        """Why nothing can be sent now (not started, closing or closed)."""
        if self._conn is None:
            return self._not_started()
        return self._closing_error(what)

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text message; ``TypeError`` unless ``data`` is a ``str``."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        # send_bytes() is the same code, kept inline: a shared helper call costs about 2%
        # of a small round trip (callgrind)
        conn = self._conn
        transport = self._transport
        if conn is None or transport is None or self._closed or transport.is_closing():
            raise self._send_error("a text message")
        encode = conn.writer.plain_encode
        if encode is not None and not conn._close_sent and not conn._outgoing:
            # WSConnection.send_str() inline: C builds the frame, nothing queued before it
            frame = encode(0x81, data)
        else:
            frame = self._encode(conn, 0x81, data, compress, "a text message")
        transport.write(frame)
        get_size = self._buffer_size
        if get_size is None or get_size():
            await self._drain()

    async def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | None = None
    ) -> None:
        """Send a binary message; ``TypeError`` unless ``data`` is bytes-like."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        conn = self._conn
        transport = self._transport
        if conn is None or transport is None or self._closed or transport.is_closing():
            raise self._send_error("a binary message")
        encode = conn.writer.plain_encode
        if encode is not None and not conn._close_sent and not conn._outgoing:
            # WSConnection.send_bytes() inline: C builds the frame, nothing queued before it
            frame = encode(0x82, data)
        else:
            frame = self._encode(conn, 0x82, data, compress, "a binary message")
        transport.write(frame)
        get_size = self._buffer_size
        if get_size is None or get_size():
            await self._drain()

    def _encode(
        self, conn: WSConnection, opcode: int, data: Any, compress: int | None, what: str
    ) -> bytes:
        """A text (0x81) or binary (0x82) frame through the engine: the general path."""
        send = conn.send_str if opcode == 0x81 else conn.send_bytes
        try:
            return send(data, compress if conn.deflate is not None else None)
        except WSStateError:  # the engine already sent its close frame (autoclose)
            raise self._closing_error(what) from None

    async def send_json(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send ``dumps(data)`` as a text message."""
        await self.send_str(dumps(data), compress=compress)

    def ping(self, message: str | bytes = b"") -> _Sent:
        """Send a ping (at most 125 bytes); awaiting the result is optional."""
        conn = self._connection_for_send("a ping")
        self._write(conn.ping(message))
        return _Sent(self._drain)

    def pong(self, message: str | bytes = b"") -> _Sent:
        """Send an unsolicited pong; awaiting the result is optional."""
        conn = self._connection_for_send("a pong")
        self._write(conn.pong(message))
        return _Sent(self._drain)
