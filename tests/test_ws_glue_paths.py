"""The per-message shortcuts of the WebSocket glue keep the engine's behaviour.

``_feed_data`` runs the reader's scanner itself, ``send_str``/``send_bytes`` build
plain frames without going through ``WSConnection``, and the heartbeat timer is
re-checked instead of re-created per message. Driven without sockets.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from toolkit._ws_async import WebSocketBase
from toolkit.http.ws import Role, WebSocketReader, WebSocketWriter, WSConnection, WSMsgType


class FakeTransport:
    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


async def _noop() -> None:
    return None


def make(**kwargs: Any) -> tuple[WebSocketBase, FakeTransport]:
    ws = WebSocketBase(**kwargs)
    transport = FakeTransport()
    ws._attach(
        WSConnection(Role.CLIENT),
        transport,  # type: ignore[arg-type]
        flow=None,
        drain=_noop,
        loop=asyncio.get_running_loop(),
    )
    return ws, transport


def sent_by_client(data: bytes) -> list[Any]:
    """The messages a server reads from the client's bytes ``data``."""
    return WebSocketReader(Role.SERVER, max_msg_size=0).feed_data(data)


SERVER = WebSocketWriter(Role.SERVER)


async def test_a_ping_after_text_in_one_read_is_answered_and_the_text_kept() -> None:
    ws, transport = make()
    ws._feed_data(SERVER.send_text("one") + SERVER.ping(b"p") + SERVER.send_bytes(b"two"))
    assert [(m.type, m.data) for m in sent_by_client(bytes(transport.written))] == [
        (WSMsgType.PONG, b"p")
    ]
    assert (await ws.receive()).data == "one"
    assert (await ws.receive()).data == b"two"


async def test_send_after_the_engine_answered_close_raises() -> None:
    ws, transport = make(autoclose=True)
    ws._feed_data(SERVER.close(1000))  # the engine queues and writes its close reply
    with pytest.raises(RuntimeError, match="closing"):
        await ws.send_str("late")
    with pytest.raises(RuntimeError, match="closing"):
        await ws.send_bytes(b"late")
    kinds = [m.type for m in sent_by_client(bytes(transport.written))]
    assert kinds == [WSMsgType.CLOSE]


async def test_queued_engine_bytes_go_out_before_the_next_message() -> None:
    ws, transport = make()
    conn = ws._conn
    assert conn is not None
    conn.receive_data(SERVER.ping(b"q"))  # fed around the glue: the pong stays queued
    await ws.send_str("after")
    await ws.send_bytes(b"then")
    got = [(m.type, m.data) for m in sent_by_client(bytes(transport.written))]
    assert got == [(WSMsgType.PONG, b"q"), (WSMsgType.TEXT, "after"), (WSMsgType.BINARY, b"then")]


async def test_traffic_postpones_the_heartbeat_ping() -> None:
    ws, transport = make(heartbeat=30.0)
    timer = ws._heartbeat_cb
    assert timer is not None
    ws._feed_data(SERVER.send_text("x"))
    assert ws._heartbeat_cb is timer  # the same timer; only the due time moved
    ws._heartbeat_due += 5.0  # as if the message came 5 s later
    timer.cancel()
    ws._send_heartbeat()  # the timer fires at its old time: not due, re-armed
    assert transport.written == b""
    rearmed = ws._heartbeat_cb
    assert rearmed is not None and rearmed.when() == ws._heartbeat_due
    rearmed.cancel()
    ws._send_heartbeat()  # no traffic since: the ping goes out
    assert [m.type for m in sent_by_client(bytes(transport.written))] == [WSMsgType.PING]
    assert ws._pong_cb is not None
    ws._feed_data(SERVER.pong(b""))  # the answer stops the pong wait, re-arms the ping
    assert ws._pong_cb is None
    assert ws._heartbeat_cb is not None
    ws._feed_eof()  # the connection ends: no timer is left behind
    assert ws._heartbeat_cb is None and ws._pong_cb is None


async def test_receive_timeout_expires_and_leaves_the_websocket_usable() -> None:
    ws, _ = make(receive_timeout=0.01)
    loop = asyncio.get_running_loop()
    loop.call_soon(ws._feed_data, SERVER.send_text("in time"))
    assert (await ws.receive(timeout=5.0)).data == "in time"
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive()
    assert ws._read_waiter is None and not ws._waiting
    ws._feed_data(SERVER.send_bytes(b"later"))
    assert (await ws.receive()).data == b"later"


async def test_cancelling_a_timed_receive_cancels_its_timer() -> None:
    ws, _ = make()
    loop = asyncio.get_running_loop()
    before = len(loop._scheduled)  # type: ignore[attr-defined]
    task = loop.create_task(ws.receive(timeout=60.0))
    await asyncio.sleep(0)
    assert ws._waiting
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    live = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
    assert len(live) <= before
    ws._feed_data(SERVER.send_text("still works"))
    assert (await ws.receive()).data == "still works"
