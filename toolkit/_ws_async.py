"""The asyncio half of a WebSocket, shared by the server and the client.

:class:`WebSocketBase` drives a sans-IO :class:`~toolkit.http.ws.WSConnection` over an
asyncio transport. The connection's protocol object pushes received bytes in with
:meth:`WebSocketBase._feed_data` (and the end of the stream with
:meth:`WebSocketBase._feed_eof`); the engine turns them into messages, which are queued
for :meth:`WebSocketBase.receive`. Replies the protocol requires (pongs, the close
reply, the close frame after a protocol error) are written at once, whether or not the
application reads.

``web.WebSocketResponse`` and ``ClientWebSocketResponse`` mix this class in and add
the handshake, :meth:`WebSocketBase._close_transport` and the error types of their side.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Protocol

from toolkit.http.ws import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WSCloseCode,
    WSConnection,
    WSMessage,
    WSMsgType,
    WSState,
    WSStateError,
)

__all__ = ["WebSocketBase", "FlowControl", "DEFAULT_CLOSE_TIMEOUT"]

#: Seconds :meth:`WebSocketBase.close` waits for the peer's close frame (aiohttp's default).
DEFAULT_CLOSE_TIMEOUT = 10.0
# receive() on a closed WebSocket returns CLOSED this many times, then raises (a
# ``while True: await ws.receive()`` loop that ignores CLOSED must not spin forever).
_CONNLOST_THRESHOLD = 5
# Queued message bytes above which the transport stops reading.
_READ_HIGH_WATER = 2**17
# Seconds a failed connection waits for the peer to close before closing itself.
_LINGER_SECONDS = 2.0
_TEXT, _BINARY = WSMsgType.TEXT, WSMsgType.BINARY
_DATA_TYPES = frozenset({_TEXT, _BINARY})
_PING, _PONG, _ERROR = WSMsgType.PING, WSMsgType.PONG, WSMsgType.ERROR


class FlowControl(Protocol):
    """What the connection's protocol object offers for read flow control."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


def _size(msg: WSMessage) -> int:
    data = msg.data
    return len(data) if isinstance(data, (str, bytes, bytearray)) else 0


def _buffer_size_probe(transport: asyncio.BaseTransport) -> Callable[[], int] | None:
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


class WebSocketBase:
    """Messages, the close handshake and the heartbeat over an attached transport."""

    def __init__(
        self,
        *,
        timeout: float | None = DEFAULT_CLOSE_TIMEOUT,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
    ) -> None:
        if heartbeat is not None and heartbeat <= 0:
            raise ValueError(f"heartbeat must be a positive number of seconds, got {heartbeat!r}")
        self._timeout = timeout
        self._receive_timeout = receive_timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._pong_heartbeat = heartbeat / 2.0 if heartbeat is not None else None
        self._conn: WSConnection | None = None
        self._transport: asyncio.Transport | None = None
        self._flow: FlowControl | None = None
        self._drain_fn: Callable[[], Awaitable[None]] | None = None
        self._buffer_size: Callable[[], int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: collections.deque[WSMessage] = collections.deque()
        self._queued = 0
        self._paused = False
        self._read_waiter: asyncio.Future[None] | None = None
        self._eof = False
        self._closed = False  # our close() ran, or the connection is gone
        self._closing = False  # the peer's close frame was handed to the application
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._waiting = False
        self._close_wait: asyncio.Future[None] | None = None
        self._conn_lost = 0
        self._heartbeat_cb: asyncio.TimerHandle | None = None
        self._pong_cb: asyncio.TimerHandle | None = None
        self._linger_cb: asyncio.TimerHandle | None = None

    # -- wiring (called by the subclass once the handshake is done) ---------------------

    def _attach(
        self,
        conn: WSConnection,
        transport: asyncio.Transport,
        *,
        flow: FlowControl | None,
        drain: Callable[[], Awaitable[None]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._conn = conn
        self._transport = transport
        self._flow = flow
        self._drain_fn = drain
        self._loop = loop
        self._buffer_size = _buffer_size_probe(transport)
        self._reset_heartbeat()

    def _close_transport(self) -> None:
        """Close the underlying connection (the subclass knows how)."""
        transport = self._transport
        if transport is not None:
            transport.close()

    def _closing_error(self, what: str) -> Exception:
        """The exception for sending on a WebSocket that is closing."""
        return RuntimeError(f"cannot send {what}: the WebSocket is closing or closed")

    def _heartbeat_error(self) -> BaseException:
        return asyncio.TimeoutError(f"No PONG received after {self._pong_heartbeat} seconds")

    def _not_started(self) -> Exception:
        return RuntimeError("Call .prepare() first")

    # -- feeding (protocol callbacks) ---------------------------------------------------

    def _feed_data(self, data: bytes) -> None:
        """Bytes from the transport: parse, answer what needs answering, queue messages."""
        conn = self._conn
        if conn is None or self._eof:
            return
        messages = conn.receive_data(data)
        if self._heartbeat is not None:
            self._reset_heartbeat()
        queue = self._queue
        control = False
        for msg in messages:
            kind = msg.type
            if kind is _TEXT or kind is _BINARY:
                self._queued += len(msg.data)
                queue.append(msg)
                continue
            control = True
            if kind is _ERROR:
                if self._exception is None:
                    self._exception = msg.data
            elif self._autoping and (kind is _PING or kind is _PONG):
                continue  # the engine answered the ping; a pong only feeds the heartbeat
            else:
                self._queued += _size(msg)
            queue.append(msg)
        if control:  # only control frames and errors make the engine answer
            reply = conn.data_to_send()
            if reply:
                self._write(reply)
        if messages:
            waiter = self._read_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            if self._queued > _READ_HIGH_WATER and not self._paused and self._flow is not None:
                self._paused = True
                self._flow.pause_reading()
        # Only a CLOSE or an ERROR (always the last message) can end the connection.
        if (not messages or messages[-1].type not in _DATA_TYPES) and conn.state is WSState.CLOSED:
            self._cancel_heartbeat()
            if conn.exception() is not None:
                self._linger()  # let the peer read our close frame before we hang up
            else:
                self._hang_up()  # both close frames exchanged

    def _feed_eof(self, exc: BaseException | None = None) -> None:
        """The transport reached its end (or was lost)."""
        if self._eof:
            return
        self._eof = True
        if self._conn is not None:
            self._conn.receive_eof()
        self._cancel_heartbeat()
        self._hang_up()
        self._wake_reader()

    def _hang_up(self) -> None:
        """Close the transport now, forgetting a pending linger timer."""
        if self._linger_cb is not None:
            self._linger_cb.cancel()
            self._linger_cb = None
        self._close_transport()

    def _linger_expired(self) -> None:
        self._linger_cb = None
        self._close_transport()

    def _wake_reader(self) -> None:
        waiter = self._read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _linger(self) -> None:
        transport = self._transport
        if transport is None or self._linger_cb is not None or self._loop is None:
            return
        try:
            if transport.can_write_eof():
                transport.write_eof()
        except (AttributeError, OSError, RuntimeError, NotImplementedError):
            pass  # not every transport can half-close (TLS, in-memory pipes)
        self._linger_cb = self._loop.call_later(_LINGER_SECONDS, self._linger_expired)

    async def _read(self, timeout: float | None = None) -> WSMessage:
        """The next queued message; ``WS_CLOSED_MESSAGE`` once the stream ended.

        Raises ``asyncio.TimeoutError`` when nothing arrives within ``timeout`` seconds.
        """
        deadline = None
        while not self._queue:
            if self._eof:
                return WS_CLOSED_MESSAGE
            loop = self._loop
            assert loop is not None
            waiter = self._read_waiter = loop.create_future()
            try:
                if timeout is None:
                    await waiter
                else:
                    if deadline is None:
                        deadline = loop.time() + timeout
                    await asyncio.wait_for(waiter, max(deadline - loop.time(), 0))
            finally:
                self._read_waiter = None
        return self._pop()

    def _pop(self) -> WSMessage:
        """Take the first queued message, resuming reading below the low-water mark."""
        msg = self._queue.popleft()
        data = msg.data
        if type(data) is str or type(data) is bytes:
            self._queued -= len(data)
        else:
            self._queued -= _size(msg)
        if self._paused and self._queued <= _READ_HIGH_WATER // 2 and self._flow is not None:
            self._paused = False
            self._flow.resume_reading()
        return msg

    # -- heartbeat ----------------------------------------------------------------------

    def _cancel_heartbeat(self) -> None:
        if self._heartbeat_cb is not None:
            self._heartbeat_cb.cancel()
            self._heartbeat_cb = None
        if self._pong_cb is not None:
            self._pong_cb.cancel()
            self._pong_cb = None

    def _reset_heartbeat(self) -> None:
        """Traffic arrived: the next ping is due ``heartbeat`` seconds from now."""
        if self._heartbeat is None or self._loop is None or self._closed:
            return
        self._cancel_heartbeat()
        self._heartbeat_cb = self._loop.call_later(self._heartbeat, self._send_heartbeat)

    def _send_heartbeat(self) -> None:
        self._heartbeat_cb = None
        conn = self._conn
        if conn is None or self._closed or conn.close_sent or self._loop is None:
            return
        assert self._pong_heartbeat is not None
        self._write(conn.ping())
        self._pong_cb = self._loop.call_later(self._pong_heartbeat, self._pong_not_received)

    def _pong_not_received(self) -> None:
        self._pong_cb = None
        if self._closed or self._eof:
            return
        exc = self._heartbeat_error()
        self._closed = True
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._exception = exc
        self._cancel_heartbeat()
        if self._waiting:
            self._queue.append(WSMessage(WSMsgType.ERROR, exc, None))
            self._wake_reader()
        self._hang_up()

    # -- state --------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called or the connection is gone."""
        return self._closed

    @property
    def close_code(self) -> int | None:
        """The close code: the peer's, ours, or 1006 after an abnormal end."""
        return self._close_code

    def exception(self) -> BaseException | None:
        """The error that ended the connection, if any."""
        return self._exception

    # -- sending ------------------------------------------------------------------------

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

    def _write_data(
        self, data: str | bytes | bytearray | memoryview, compress: int | None, what: str
    ) -> bool:
        """Write one data message's frames; True when the caller must wait for drain."""
        conn = self._conn
        transport = self._transport
        if conn is None or transport is None or self._closed or transport.is_closing():
            self._connection_for_send(what)  # raises
            return False
        level = compress if conn.deflate is not None else None
        try:
            if isinstance(data, str):
                frame = conn.send_str(data, level)
            else:
                frame = conn.send_bytes(data, level)
        except WSStateError:  # the engine already sent its close frame (autoclose)
            raise self._closing_error(what) from None
        transport.write(frame)
        get_size = self._buffer_size
        return get_size is None or get_size() > 0

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text message; ``TypeError`` unless ``data`` is a ``str``."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        if self._write_data(data, compress, "a text message"):
            await self._drain()

    async def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | None = None
    ) -> None:
        """Send a binary message; ``TypeError`` unless ``data`` is bytes-like."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        if self._write_data(data, compress, "a binary message"):
            await self._drain()

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

    # -- closing ------------------------------------------------------------------------

    def _going_away(self, reason: str = "server shutdown") -> None:
        """Start the close handshake with 1001 (the server is shutting down).

        The handler's ``receive()`` then gets the peer's CLOSE answer and returns;
        without an answer the connection is closed after ``timeout`` seconds.
        """
        conn = self._conn
        if conn is None or self._closed or self._eof or conn.close_sent:
            return
        self._write(conn.close(WSCloseCode.GOING_AWAY, reason))
        self._cancel_heartbeat()
        if self._loop is not None and self._linger_cb is None:
            delay = self._timeout if self._timeout is not None else _LINGER_SECONDS
            self._linger_cb = self._loop.call_later(delay, self._linger_expired)

    def _finish(self, code: int | None, exc: BaseException | None = None) -> None:
        if code is not None:
            self._close_code = code
        if exc is not None and self._exception is None:
            self._exception = exc
        self._cancel_heartbeat()
        self._hang_up()

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes | str = b"") -> bool:
        """Send a close frame and wait (up to ``timeout``) for the peer's.

        Returns False when the WebSocket was already closed.
        """
        conn = self._conn
        if conn is None:
            raise self._not_started()
        if self._closed:
            if self._linger_cb is not None:  # failed earlier: stop waiting for the peer
                self._hang_up()
            return False
        frame = conn.close(code, message)  # ValueError for a bad code or reason
        self._closed = True
        self._cancel_heartbeat()
        try:
            # empty when the engine already answered the peer's close
            if frame and not self._eof:
                self._write(frame)
                await self._drain()
        except asyncio.CancelledError:
            self._finish(WSCloseCode.ABNORMAL_CLOSURE)
            raise
        except Exception as exc:
            if not conn.close_received:  # else the handshake is complete anyway
                self._finish(WSCloseCode.ABNORMAL_CLOSURE, exc)
                return True

        if self._waiting:
            # A receive() in another task will take the next message; wait for it.
            assert self._loop is not None
            waiter = self._close_wait = self._loop.create_future()
            try:
                await waiter
            finally:
                self._close_wait = None

        if self._closing or conn.close_received:
            self._finish(conn.close_code)
            return True
        if conn.exception() is not None:
            self._finish(conn.close_code)
            return True
        loop = self._loop
        assert loop is not None
        deadline = None if self._timeout is None else loop.time() + self._timeout
        try:
            while True:
                remaining = None if deadline is None else max(deadline - loop.time(), 0)
                msg = await self._read(remaining)
                if msg.type is WSMsgType.CLOSE:
                    self._finish(msg.data)
                    return True
                if msg.type is WSMsgType.ERROR:
                    code = getattr(msg.data, "code", WSCloseCode.ABNORMAL_CLOSURE)
                    self._finish(code, msg.data)
                    return True
                if msg.type is WSMsgType.CLOSED:
                    self._finish(WSCloseCode.ABNORMAL_CLOSURE)
                    return True
        except asyncio.CancelledError:
            self._finish(WSCloseCode.ABNORMAL_CLOSURE)
            raise
        except Exception as exc:
            self._finish(WSCloseCode.ABNORMAL_CLOSURE, exc)
            return True

    # -- receiving ----------------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """Wait for the next message.

        TEXT and BINARY messages are returned as they are; PING and PONG only when
        ``autoping`` is off. A CLOSE message is returned once (the close reply is sent
        already when ``autoclose`` is on); then CLOSING or CLOSED. A protocol error
        gives an ERROR message whose data is the exception. ``timeout`` (or the
        ``receive_timeout`` given at construction) raises ``asyncio.TimeoutError``.
        """
        if self._conn is None:
            raise self._not_started()
        receive_timeout = timeout or self._receive_timeout
        queue = self._queue
        while True:
            if self._waiting:
                raise RuntimeError("Concurrent call to receive() is not allowed")
            if self._closed:
                self._conn_lost += 1
                if self._conn_lost >= _CONNLOST_THRESHOLD:
                    raise RuntimeError("WebSocket connection is closed.")
                return WS_CLOSED_MESSAGE
            if self._closing:
                return WS_CLOSING_MESSAGE
            if queue:  # a message is waiting already: no future, no suspension
                msg = self._pop()
            else:
                self._waiting = True
                try:
                    if receive_timeout:
                        msg = await self._read(receive_timeout)
                    else:  # _read() inlined: one coroutine level less per message
                        while not queue and not self._eof:
                            loop = self._loop
                            assert loop is not None
                            waiter = self._read_waiter = loop.create_future()
                            try:
                                await waiter
                            finally:
                                self._read_waiter = None
                        msg = self._pop() if queue else WS_CLOSED_MESSAGE
                finally:
                    self._waiting = False
                    close_wait = self._close_wait
                    if close_wait is not None and not close_wait.done():
                        close_wait.set_result(None)
            kind = msg.type
            if kind is _TEXT or kind is _BINARY:
                return msg
            if kind is WSMsgType.CLOSE:
                self._closing = True
                self._close_code = msg.data
                if not self._closed and self._autoclose:
                    await self.close(code=msg.data or WSCloseCode.OK)
                return msg
            if kind is WSMsgType.ERROR:
                # The engine sent its close frame already; the linger timer (or the
                # peer) closes the transport.
                self._closed = True
                self._cancel_heartbeat()
                if isinstance(msg.data, WebSocketError):
                    self._close_code = msg.data.code
                if self._exception is None:
                    self._exception = msg.data
                return msg
            if kind is WSMsgType.CLOSED:
                self._closed = True
                self._finish(
                    self._close_code
                    if self._close_code is not None
                    else WSCloseCode.ABNORMAL_CLOSURE
                )
                return msg
            if (kind is WSMsgType.PING or kind is WSMsgType.PONG) and self._autoping:
                continue
            return msg

    async def receive_str(self, *, timeout: float | None = None) -> str:
        """Receive a TEXT message's data; ``TypeError`` for any other message."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.TEXT:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT")
        data: str = msg.data
        return data

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """Receive a BINARY message's data; ``TypeError`` for any other message."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.BINARY:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY")
        data: bytes = msg.data
        return data

    async def receive_json(
        self, *, loads: Callable[[str], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """Receive a TEXT message and decode it with ``loads`` (``ValueError`` if invalid)."""
        data = await self.receive_str(timeout=timeout)
        return loads(data)

    def __aiter__(self) -> WebSocketBase:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return msg
