"""The sending half of a WebSocket (:class:`WebSocketSender`), shared by both sides.

Also the heartbeat timers, the protocols the attached connection offers, and the
cheap awaitables a send or a waiting receive returns instead of a coroutine.

:class:`~toolkit._ws_async.WebSocketBase` builds on this class and sets the
attributes declared here when the handshake is done (``_attach``). Every send
encodes through the sans-IO :class:`~toolkit.http.ws.WSConnection` and writes the
bytes to the transport at once; it waits for the transport to drain only when the
transport asked the protocol to pause writing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Generator
from typing import Any, NoReturn, Protocol

from toolkit.http.ws import WSConnection, WSMessage, WSMsgType, WSStateError

__all__ = ["WebSocketSender", "FlowControl", "PausableWriter"]


class FlowControl(Protocol):
    """What the connection's protocol object offers for read flow control."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class PausableWriter(Protocol):
    """A connection protocol whose ``pause_writing()`` sets ``_writing_paused``."""

    _writing_paused: bool


async def _fail(exc: Exception) -> None:
    """Raise ``exc`` when awaited (a send fails where an ``async def`` would)."""
    raise exc


class _Done:
    """An awaitable that is already done: awaiting it (any number of times) returns None
    with no Python frame (``__await__`` is the empty tuple's C iterator), and it is a
    coroutine to ``asyncio.create_task()`` (send/throw/close). What a send returns when
    it need not wait, instead of a coroutine object per message."""

    __slots__ = ()
    __await__ = ().__iter__

    def send(self, value: object) -> NoReturn:
        raise StopIteration

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> NoReturn:
        raise typ if val is None else val

    def close(self) -> None:
        pass


_SENT: Awaitable[None] = _Done()  # type: ignore[assignment]


class _Receiving:
    """What :meth:`WebSocketBase.receive` returns while it must wait.

    ``await`` goes straight to the plain future ``_future`` (which ``_feed_data``
    completes); ``send``/``throw``/``close`` make it a coroutine too, so that
    ``asyncio.create_task(ws.receive())`` keeps working.
    """

    __slots__ = ("_future",)
    _future: asyncio.Future[WSMessage]

    def __await__(self) -> Generator[Any, None, WSMessage]:
        return self._future.__await__()

    def send(self, value: None) -> Any:
        return self._future.__await__().send(value)

    def throw(self, *exc_info: Any) -> Any:
        return self._future.__await__().throw(*exc_info)

    def close(self) -> None:
        self._future.cancel()


_new_receiving = object.__new__


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
    """``send_str``, ``send_bytes``, ``send_json``, ``send_frame``, ``ping``, ``pong``.

    Also the heartbeat's timers: a ping after ``heartbeat`` seconds without traffic.
    """

    # set by WebSocketBase
    _conn: WSConnection | None
    _transport: asyncio.Transport | None
    _closed: bool
    _drain_fn: Callable[[], Awaitable[None]] | None
    _write_flow: PausableWriter | None  # None: drain after every send
    _loop: asyncio.AbstractEventLoop | None
    _heartbeat: float | None
    _pong_heartbeat: float | None
    _heartbeat_cb: asyncio.TimerHandle | None
    _heartbeat_due: float
    _heartbeat_at: float
    _pong_cb: asyncio.TimerHandle | None

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

    def send_str(self, data: str, compress: int | None = None) -> Awaitable[None]:
        """Send a text message; ``TypeError`` unless ``data`` is a ``str``.

        The frame is written when this is called; awaiting the result (a coroutine,
        as of an ``async def``) waits while the transport has paused writing and
        raises what went wrong.
        """
        # send_bytes() is the same code, kept inline: a shared helper call costs about 2%
        # of a small round trip (callgrind); no coroutine per message either
        try:
            if not isinstance(data, str):
                raise TypeError(f"data argument must be str ({type(data)!r})")
            conn = self._conn
            transport = self._transport
            if conn is None or transport is None or self._closed or transport.is_closing():
                raise self._send_error("a text message")
            encode = conn.writer.plain_encode
            if encode is not None and not conn._close_sent and not conn._outgoing:
                # WSConnection.send_str() inline: C builds the frame, nothing queued before
                frame = encode(0x81, data)
            else:
                frame = self._encode(conn, 0x81, data, compress, "a text message")
            transport.write(frame)
        except Exception as exc:
            return _fail(exc)
        flow = self._write_flow
        if flow is None or flow._writing_paused:
            return self._drain()
        return _SENT

    def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | None = None
    ) -> Awaitable[None]:
        """Send a binary message; ``TypeError`` unless ``data`` is bytes-like.

        Written at once, like :meth:`send_str`.
        """
        try:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
            conn = self._conn
            transport = self._transport
            if conn is None or transport is None or self._closed or transport.is_closing():
                raise self._send_error("a binary message")
            encode = conn.writer.plain_encode
            if encode is not None and not conn._close_sent and not conn._outgoing:
                # WSConnection.send_bytes() inline: C builds the frame, nothing queued before
                frame = encode(0x82, data)
            else:
                frame = self._encode(conn, 0x82, data, compress, "a binary message")
            transport.write(frame)
        except Exception as exc:
            return _fail(exc)
        flow = self._write_flow
        if flow is None or flow._writing_paused:
            return self._drain()
        return _SENT

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

    # -- heartbeat: a ping after ``heartbeat`` idle seconds ---------------------------

    def _cancel_heartbeat(self) -> None:
        if self._heartbeat_cb is not None:
            self._heartbeat_cb.cancel()
            self._heartbeat_cb = None
        if self._pong_cb is not None:
            self._pong_cb.cancel()
            self._pong_cb = None

    def _reset_heartbeat(self) -> None:
        """Traffic arrived: the next ping is due ``heartbeat`` seconds from now.

        Only the due time moves; the one timer re-checks it when it fires (no timer
        handle is cancelled and created per message).
        """
        loop = self._loop
        if self._heartbeat is None or loop is None or self._closed:
            return
        self._heartbeat_due = due = loop.time() + self._heartbeat
        if self._pong_cb is not None:  # the peer is alive
            self._pong_cb.cancel()
            self._pong_cb = None
        if self._heartbeat_cb is None:
            self._heartbeat_at = due
            self._heartbeat_cb = loop.call_at(due, self._send_heartbeat)

    def _send_heartbeat(self) -> None:
        self._heartbeat_cb = None
        conn = self._conn
        loop = self._loop
        if conn is None or self._closed or conn.close_sent or loop is None:
            return
        if self._heartbeat_due > self._heartbeat_at:  # traffic since: not due yet
            self._heartbeat_at = due = self._heartbeat_due
            self._heartbeat_cb = loop.call_at(due, self._send_heartbeat)
            return
        assert self._pong_heartbeat is not None
        self._write(conn.ping())
        self._pong_cb = loop.call_later(self._pong_heartbeat, self._pong_not_received)

    def _pong_not_received(self) -> None:
        """No pong within ``heartbeat / 2`` seconds (the receiving side ends the connection)."""
        raise NotImplementedError

    def _heartbeat_error(self) -> BaseException:
        return asyncio.TimeoutError(f"No PONG received after {self._pong_heartbeat} seconds")
