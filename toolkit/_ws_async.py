"""The asyncio half of a WebSocket, shared by the server and the client.

:class:`WebSocketBase` drives a sans-IO :class:`~toolkit.http.ws.WSConnection` over an
asyncio transport. The connection's protocol object pushes received bytes in with
:meth:`WebSocketBase._feed_data` (and the end of the stream with
:meth:`WebSocketBase._feed_eof`); the engine turns them into messages, which are queued
for :meth:`WebSocketBase.receive`. Replies the protocol requires (pongs, the close
reply, the close frame after a protocol error) are written at once, whether or not the
application reads.

The sending methods live in :class:`toolkit._ws_send.WebSocketSender`, the base class.
``web.WebSocketResponse`` and ``ClientWebSocketResponse`` mix this class in and add
the handshake, :meth:`WebSocketBase._close_transport` and the error types of their side.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

from toolkit.http.ws import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WSCloseCode,
    WSConnection,
    WSMessage,
    WSMsgType,
    WSState,
)

from ._checks import check_number
from ._ws_send import FlowControl, PausableWriter, WebSocketSender, _new_receiving, _Receiving

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
_WS_CLOSED = WSState.CLOSED
_PING, _PONG, _ERROR = WSMsgType.PING, WSMsgType.PONG, WSMsgType.ERROR
_Future = asyncio.Future


def _time_out(waiter: asyncio.Future[None]) -> None:
    """The receive timeout expired: fail the waiting ``receive()``."""
    if not waiter.done():
        waiter.set_exception(asyncio.TimeoutError())


class WebSocketBase(WebSocketSender):
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
        owner = type(self).__name__
        check_number(owner, "timeout", timeout, none=True)
        check_number(owner, "receive_timeout", receive_timeout, none=True)
        check_number(owner, "heartbeat", heartbeat, none=True, lowest="positive")
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
        self._write_flow: PausableWriter | None = None
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
        self._heartbeat_due = 0.0  # loop time the next ping is due
        self._heartbeat_at = 0.0  # loop time _heartbeat_cb fires
        self._pong_cb: asyncio.TimerHandle | None = None
        self._linger_cb: asyncio.TimerHandle | None = None
        # What receive() or ``async for`` returned while nothing was queued: the next
        # data message is set on it directly (no coroutine per message).
        self._direct: asyncio.Future[WSMessage] | None = None
        self._direct_iterating = False

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
        # drain only while the protocol says writing is paused (no buffer size query)
        self._write_flow = cast(PausableWriter, flow) if hasattr(flow, "_writing_paused") else None
        self._reset_heartbeat()

    def _close_transport(self) -> None:
        """Close the underlying connection (the subclass knows how)."""
        transport = self._transport
        if transport is not None:
            transport.close()

    # -- feeding (protocol callbacks) ---------------------------------------------------

    def _feed_data(self, data: bytes) -> None:
        """Bytes from the transport: parse, answer what needs answering, queue messages."""
        conn = self._conn
        if conn is None or self._eof:
            return
        if self._heartbeat is not None:
            self._reset_heartbeat()
        # The reader's C scanner, set while it waits for a new frame and the connection
        # can receive (WSConnection.receive_data() runs the same code first).
        scan = conn.reader._ready
        if scan is not None and type(data) is bytes:
            messages: list[WSMessage] = []
            pos = scan(data, 0, messages)
            if pos == len(data):
                # only whole TEXT/BINARY messages: nothing to answer, no state change
                direct = self._direct
                if direct is not None and messages:
                    self._direct = None
                    self._waiting = False  # _stop_waiting() inline: once per message
                    if self._close_wait is not None:
                        self._stop_waiting()
                    if not direct.done():  # (done: its task was cancelled)
                        direct.set_result(messages[0])
                        if len(messages) == 1:
                            return
                        del messages[0]
                queue = self._queue
                queued = self._queued
                for msg in messages:
                    queued += len(msg.data)
                    queue.append(msg)
                self._queued = queued
                self._wake_reader()
                if queued > _READ_HIGH_WATER and not self._paused and self._flow is not None:
                    self._paused = True
                    self._flow.pause_reading()
                return
            messages = conn.receive_rest(data, pos, messages)
        else:
            messages = conn.receive_data(data)
        if not messages:
            if conn.state is _WS_CLOSED:
                self._connection_done(conn)
            return
        queue = self._queue
        control = False
        queued = self._queued
        for msg in messages:
            kind = msg.type
            if kind is _TEXT or kind is _BINARY:
                # only data messages count for flow control (control ones are tiny)
                queued += len(msg.data)
                queue.append(msg)
                continue
            control = True
            if kind is _ERROR:
                if self._exception is None:
                    self._exception = msg.data
            elif self._autoping and (kind is _PING or kind is _PONG):
                continue  # the engine answered the ping; a pong only feeds the heartbeat
            queue.append(msg)
        self._queued = queued
        self._wake_reader()
        if queued > _READ_HIGH_WATER and not self._paused and self._flow is not None:
            self._paused = True
            self._flow.pause_reading()
        if control:  # only control frames and errors make the engine answer or end
            reply = conn.data_to_send()
            if reply:
                self._write(reply)
            if conn.state is _WS_CLOSED:
                self._connection_done(conn)

    def _connection_done(self, conn: WSConnection) -> None:
        """The engine is CLOSED: both close frames passed, or it failed."""
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
        direct = self._direct
        if direct is not None and (self._queue or self._eof):
            self._direct = None
            if direct.done():  # its task was cancelled
                self._stop_waiting()
                return
            # not a plain data message: the full receive() runs in a task of its own
            assert self._loop is not None
            task = self._loop.create_task(self._receive_into(direct))
            direct.add_done_callback(lambda fut: task.cancel() if fut.cancelled() else None)

    async def _receive_into(self, direct: asyncio.Future[WSMessage]) -> None:
        """Run receive() for the caller that awaits ``direct`` and pass the outcome on."""
        self._stop_waiting()  # the caller's wait ends here, as in receive()
        try:
            msg = await self._receive(None, self._direct_iterating, waited=True)
        except asyncio.CancelledError:
            direct.cancel()
            raise
        except Exception as exc:  # StopAsyncIteration included
            if not direct.done():
                direct.set_exception(exc)
            # exc's traceback holds this frame: with the future in it, a reference cycle.
            del direct
        else:
            if not direct.done():
                direct.set_result(msg)

    def _stop_waiting(self) -> None:
        """The receiving caller's wait is over: so is close()'s wait for it."""
        self._waiting = False
        close_wait = self._close_wait
        if close_wait is not None and not close_wait.done():
            close_wait.set_result(None)

    def _receiving(self) -> bool:
        """Whether a receive() waits (forgetting a direct future whose task went away)."""
        direct = self._direct
        if direct is not None and direct.done():
            self._direct = None
            self._stop_waiting()
        return self._waiting

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
        """The next queued message, CLOSED at the end; TimeoutError after ``timeout`` s."""
        if not self._queue:
            await self._wait(timeout)
        return self._pop() if self._queue else WS_CLOSED_MESSAGE

    async def _wait(self, timeout: float | None) -> None:
        """Wait until a message is queued or the stream ended (at most ``timeout`` s)."""
        deadline = None
        while not self._queue and not self._eof:
            loop = self._loop
            assert loop is not None
            waiter = self._read_waiter = _Future()
            try:
                if timeout is None:
                    await waiter
                else:
                    if deadline is None:
                        deadline = loop.time() + timeout
                    # one timer instead of wait_for()'s extra future and callbacks
                    timer = loop.call_at(deadline, _time_out, waiter)
                    try:
                        await waiter
                    finally:
                        timer.cancel()
            finally:
                self._read_waiter = None

    def _pop(self) -> WSMessage:
        """Take the first queued message, resuming reading below the low-water mark."""
        msg = self._queue.popleft()
        kind = msg.type
        if kind is _TEXT or kind is _BINARY:
            self._queued -= len(msg.data)
            if self._paused:
                self._resume_below_low_water()
        return msg

    def _resume_below_low_water(self) -> None:
        if self._queued <= _READ_HIGH_WATER // 2 and self._flow is not None:
            self._paused = False
            self._flow.resume_reading()

    # -- heartbeat (the timers are in WebSocketSender) ---------------------------------

    def _pong_not_received(self) -> None:
        self._pong_cb = None
        if self._closed or self._eof:
            return
        exc = self._heartbeat_error()
        self._closed = True
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._exception = exc
        self._cancel_heartbeat()
        if self._receiving():
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

        if self._receiving():
            # A receive() in another task will take the next message; wait for it.
            assert self._loop is not None
            waiter = self._close_wait = self._loop.create_future()
            if self._direct is not None:  # wake up too if that receive() is cancelled
                self._direct.add_done_callback(lambda _: self._receiving())
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

    def receive(self, timeout: float | None = None) -> Awaitable[WSMessage]:
        """Wait for the next message.

        TEXT and BINARY messages are returned as they are; PING and PONG only when
        ``autoping`` is off. A CLOSE message is returned once (the close reply is sent
        already when ``autoclose`` is on); then CLOSING or CLOSED. A protocol error
        gives an ERROR message whose data is the exception. ``timeout`` (or the
        ``receive_timeout`` given at construction) raises ``asyncio.TimeoutError``.

        The result is awaitable and, like a coroutine, can be given to
        ``asyncio.create_task()``. While nothing is queued it is a future that
        :meth:`_feed_data` completes with the next data message.
        """
        if not (
            self._queue or self._waiting or self._closed or self._closing or self._eof
        ) and not (timeout or self._receive_timeout or self._conn is None):
            self._waiting = True
            self._direct_iterating = False
            receiving = _new_receiving(_Receiving)
            receiving._future = self._direct = _Future()
            return receiving
        return self._receive(timeout, False)

    async def _receive(
        self, timeout: float | None, _iterating: bool, waited: bool = False
    ) -> WSMessage:
        """receive(); ``_iterating`` (``async for``): CLOSE, CLOSING, CLOSED end it;
        ``waited``: the caller's wait is over already (its direct future was woken)."""
        if self._conn is None:
            raise self._not_started()
        receive_timeout = timeout or self._receive_timeout
        queue = self._queue
        while True:
            if waited:
                waited = False
            else:
                if self._waiting and self._receiving():
                    raise RuntimeError("Concurrent call to receive() is not allowed")
                if self._closed:
                    self._conn_lost += 1
                    if self._conn_lost >= _CONNLOST_THRESHOLD:
                        raise RuntimeError("WebSocket connection is closed.")
                    if _iterating:
                        raise StopAsyncIteration
                    return WS_CLOSED_MESSAGE
                if self._closing:
                    if _iterating:
                        raise StopAsyncIteration
                    return WS_CLOSING_MESSAGE
                if not queue:
                    self._waiting = True
                    try:
                        await self._wait(receive_timeout)
                    finally:
                        self._stop_waiting()
            if queue:
                msg = queue.popleft()
                kind = msg.type
                if kind is _TEXT or kind is _BINARY:  # _pop(), inline
                    self._queued -= len(msg.data)
                    if self._paused:
                        self._resume_below_low_water()
                    return msg
            else:
                msg = WS_CLOSED_MESSAGE
            kind = msg.type
            if kind is WSMsgType.CLOSE:
                self._closing = True
                self._close_code = msg.data
                if not self._closed and self._autoclose:
                    await self.close(code=msg.data or WSCloseCode.OK)
                if _iterating:
                    raise StopAsyncIteration
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
                if _iterating:
                    raise StopAsyncIteration
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

    def __anext__(self) -> Awaitable[WSMessage]:
        # no coroutine per message: a future, or _receive() that raises StopAsyncIteration
        if not (
            self._queue or self._waiting or self._closed or self._closing or self._eof
        ) and not (self._receive_timeout or self._conn is None):  # receive()'s test
            self._waiting = True
            self._direct_iterating = True
            direct = self._direct = _Future()
            return direct
        return self._receive(None, True)
