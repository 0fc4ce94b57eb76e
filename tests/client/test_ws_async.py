"""The asyncio glue (toolkit._ws_async) driven without sockets: chunking, flow control."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

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

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class FakeFlow:
    def __init__(self) -> None:
        self.paused = False
        self.pauses = 0

    def pause_reading(self) -> None:
        assert not self.paused
        self.paused = True
        self.pauses += 1

    def resume_reading(self) -> None:
        assert self.paused
        self.paused = False


async def _noop() -> None:
    return None


def make(**kwargs: Any) -> tuple[WebSocketBase, FakeTransport, FakeFlow]:
    ws = WebSocketBase(**kwargs)
    transport, flow = FakeTransport(), FakeFlow()
    ws._attach(
        WSConnection(Role.CLIENT),
        transport,  # type: ignore[arg-type]
        flow=flow,
        drain=_noop,
        loop=asyncio.get_running_loop(),
    )
    return ws, transport, flow


messages = st.lists(
    st.one_of(
        st.tuples(st.just(WSMsgType.TEXT), st.text(max_size=300)),
        st.tuples(st.just(WSMsgType.BINARY), st.binary(max_size=70000)),
        st.tuples(st.just(WSMsgType.PING), st.binary(max_size=125)),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(msgs=messages, cuts=st.lists(st.integers(min_value=1, max_value=5000), max_size=30))
def test_any_chunking_delivers_the_same_messages(msgs: list[Any], cuts: list[int]) -> None:
    async def run() -> None:
        ws, transport, flow = make()
        server = WebSocketWriter(Role.SERVER, max_fragment_size=1000)
        wire = b"".join(
            server.ping(data)
            if kind is WSMsgType.PING
            else server.send_text(data)
            if kind is WSMsgType.TEXT
            else server.send_bytes(data)
            for kind, data in msgs
        )
        wire += server.close(1000, "done")
        pos = 0
        for cut in cuts:
            ws._feed_data(wire[pos : pos + cut])
            pos += cut
        ws._feed_data(wire[pos:])
        got = []
        while True:
            msg = await ws.receive()
            if msg.type is WSMsgType.CLOSE:
                break
            got.append((msg.type, msg.data))
        assert got == [(k, d) for k, d in msgs if k is not WSMsgType.PING]
        assert ws.closed and ws.close_code == 1000
        assert transport.closed
        assert not flow.paused  # every pause was undone by reading
        # the client answered every ping, then the close
        parsed = WSConnection(Role.SERVER).receive_data(bytes(transport.written))
        pongs = [m.data for m in parsed if m.type is WSMsgType.PONG]
        assert pongs == [d for k, d in msgs if k is WSMsgType.PING]
        assert parsed[-1].type is WSMsgType.CLOSE

    asyncio.run(run())


async def test_reading_pauses_above_the_high_water_mark() -> None:
    ws, _, flow = make()
    server = WebSocketWriter(Role.SERVER)
    for _ in range(5):
        ws._feed_data(server.send_bytes(b"x" * 40000))
    assert flow.paused and flow.pauses == 1
    for _ in range(5):
        assert len(await ws.receive_bytes()) == 40000
    assert not flow.paused


async def test_eof_without_close_is_abnormal() -> None:
    ws, transport, _ = make()
    ws._feed_data(WebSocketWriter(Role.SERVER).send_text("last"))
    ws._feed_eof()
    assert await ws.receive_str() == "last"
    msg = await ws.receive()
    assert msg.type is WSMsgType.CLOSED
    assert ws.close_code == 1006 and transport.closed


async def test_going_away_starts_the_close_handshake() -> None:
    ws, transport, _ = make(timeout=5)
    ws._going_away()
    frames = WSConnection(Role.SERVER).receive_data(bytes(transport.written))
    assert [(m.type, m.data) for m in frames] == [(WSMsgType.CLOSE, 1001)]
    with_close = WebSocketWriter(Role.SERVER).close(1001)
    ws._feed_data(with_close)
    msg = await ws.receive()
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, 1001)
    assert ws.closed and ws.close_code == 1001 and transport.closed
    assert ws._linger_cb is None  # the handshake finished: no timer left behind
    ws._going_away()  # a second call does nothing
    assert ws._linger_cb is None


async def test_going_away_without_an_answer_hangs_up() -> None:
    ws, transport, _ = make(timeout=0.01)
    ws._going_away()
    await asyncio.sleep(0.05)
    assert transport.closed


class WriteFlow(FakeFlow):
    """A flow whose transport paused writing (``pause_writing`` sets the flag)."""

    def __init__(self) -> None:
        super().__init__()
        self._writing_paused = False


async def _count_drains(flow: FakeFlow) -> tuple[WebSocketBase, list[int], FakeTransport]:
    drains: list[int] = []

    async def drain() -> None:
        drains.append(1)

    ws = WebSocketBase()
    transport = FakeTransport()
    ws._attach(
        WSConnection(Role.SERVER),
        transport,  # type: ignore[arg-type]
        flow=flow,
        drain=drain,
        loop=asyncio.get_running_loop(),
    )
    return ws, drains, transport


async def test_send_drains_only_while_writing_is_paused() -> None:
    flow = WriteFlow()
    ws, drains, transport = await _count_drains(flow)
    await ws.send_str("a")
    await ws.send_bytes(b"b")
    assert drains == []
    flow._writing_paused = True
    await ws.send_str("c")
    await ws.send_bytes(b"d")
    assert len(drains) == 2
    assert bytes(transport.written) == b"\x81\x01a\x82\x01b\x81\x01c\x82\x01d"


async def test_send_always_drains_without_a_write_pause_flag() -> None:
    ws, drains, _ = await _count_drains(FakeFlow())
    await ws.send_str("a")
    await ws.send_bytes(b"b")
    assert len(drains) == 2


async def test_receive_takes_a_queued_message_without_waiting() -> None:
    ws, _, _ = make()
    wire = WebSocketWriter(Role.SERVER)
    ws._feed_data(wire.send_text("one") + wire.send_text("two"))
    assert (await ws.receive()).data == "one"
    assert (await ws.receive()).data == "two"
    later = asyncio.ensure_future(ws.receive())
    await asyncio.sleep(0)
    assert not later.done()
    ws._feed_data(wire.send_bytes(b"three"))
    assert (await later).data == b"three"


# -- per-message shortcuts: _feed_data runs the reader's scanner itself, send_str and
# -- send_bytes build plain frames without WSConnection, the heartbeat timer is re-checked.


def sent_by_client(data: bytes) -> list[Any]:
    """The messages a server reads from the client's bytes ``data``."""
    return WebSocketReader(Role.SERVER, max_msg_size=0).feed_data(data)


SERVER = WebSocketWriter(Role.SERVER)


async def test_a_ping_after_text_in_one_read_is_answered_and_the_text_kept() -> None:
    ws, transport, _ = make()
    ws._feed_data(SERVER.send_text("one") + SERVER.ping(b"p") + SERVER.send_bytes(b"two"))
    assert [(m.type, m.data) for m in sent_by_client(bytes(transport.written))] == [
        (WSMsgType.PONG, b"p")
    ]
    assert (await ws.receive()).data == "one"
    assert (await ws.receive()).data == b"two"


async def test_send_after_the_engine_answered_close_raises() -> None:
    ws, transport, _ = make(autoclose=True)
    ws._feed_data(SERVER.close(1000))  # the engine queues and writes its close reply
    with pytest.raises(RuntimeError, match="closing"):
        await ws.send_str("late")
    with pytest.raises(RuntimeError, match="closing"):
        await ws.send_bytes(b"late")
    kinds = [m.type for m in sent_by_client(bytes(transport.written))]
    assert kinds == [WSMsgType.CLOSE]


async def test_queued_engine_bytes_go_out_before_the_next_message() -> None:
    ws, transport, _ = make()
    conn = ws._conn
    assert conn is not None
    conn.receive_data(SERVER.ping(b"q"))  # fed around the glue: the pong stays queued
    await ws.send_str("after")
    await ws.send_bytes(b"then")
    got = [(m.type, m.data) for m in sent_by_client(bytes(transport.written))]
    assert got == [(WSMsgType.PONG, b"q"), (WSMsgType.TEXT, "after"), (WSMsgType.BINARY, b"then")]


async def test_traffic_postpones_the_heartbeat_ping() -> None:
    ws, transport, _ = make(heartbeat=30.0)
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
    ws, _, _ = make(receive_timeout=0.01)
    loop = asyncio.get_running_loop()
    loop.call_soon(ws._feed_data, SERVER.send_text("in time"))
    assert (await ws.receive(timeout=5.0)).data == "in time"
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive()
    assert ws._read_waiter is None and not ws._waiting
    ws._feed_data(SERVER.send_bytes(b"later"))
    assert (await ws.receive()).data == b"later"


async def test_cancelling_a_timed_receive_cancels_its_timer() -> None:
    ws, _, _ = make()
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


# -- receive() and ``async for`` without a coroutine per message: while nothing is
# -- queued they hand out a future that _feed_data completes with the next message.


async def test_a_waiting_receive_works_as_a_task_and_with_wait_for() -> None:
    ws, _, _ = make()
    task = asyncio.create_task(ws.receive())  # still a coroutine as far as asyncio goes
    await asyncio.sleep(0)
    ws._feed_data(SERVER.send_text("one"))
    assert (await task).data == "one"
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.receive(), 0.01)  # cancels the waiting future
    ws._feed_data(SERVER.send_text("two"))  # not lost to the cancelled wait
    assert (await ws.receive()).data == "two"


async def test_a_second_receive_while_one_waits_is_refused() -> None:
    ws, _, _ = make()
    first = asyncio.ensure_future(ws.receive())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="Concurrent"):
        await ws.receive()
    ws._feed_data(SERVER.send_bytes(b"x"))
    assert (await first).data == b"x"


async def test_async_for_ends_on_close_and_pings_do_not_wake_it() -> None:
    ws, transport, _ = make()
    got: list[Any] = []

    async def consume() -> None:
        async for msg in ws:
            got.append(msg.data)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    ws._feed_data(SERVER.ping(b"p"))  # answered by the engine, not a message
    await asyncio.sleep(0)
    ws._feed_data(SERVER.send_text("a") + SERVER.send_text("b"))
    await asyncio.sleep(0)
    ws._feed_data(SERVER.close(1000))
    await asyncio.wait_for(task, 5)
    assert got == ["a", "b"]
    assert ws.closed and ws.close_code == 1000 and transport.closed


async def test_eof_ends_a_waiting_receive_with_closed() -> None:
    ws, _, _ = make()
    waiting = asyncio.ensure_future(ws.receive())
    await asyncio.sleep(0)
    ws._feed_eof()
    assert (await asyncio.wait_for(waiting, 5)).type is WSMsgType.CLOSED
    assert ws.close_code == 1006


async def test_close_does_not_wait_for_a_cancelled_receive() -> None:
    ws, _, _ = make(timeout=0.05)
    receiving = asyncio.create_task(ws.receive())
    await asyncio.sleep(0)
    closing = asyncio.create_task(ws.close())
    await asyncio.sleep(0)
    receiving.cancel()
    assert await asyncio.wait_for(closing, 5) is True  # no answer: gives up after 0.05 s
    assert ws.closed


async def test_sends_are_written_at_the_call_and_fail_when_awaited() -> None:
    ws, transport, _ = make()
    pending = ws.send_str("now")
    assert sent_by_client(bytes(transport.written))[0].data == "now"
    await pending
    await asyncio.create_task(ws.send_bytes(b"task"))  # type: ignore[arg-type]
    done = ws.send_str("again")
    # A coroutine to asyncio on every version: from Python 3.12 create_task() refuses
    # generator-based coroutines, so what a send returns must not be one.
    assert asyncio.iscoroutine(done) and not inspect.isgenerator(done)
    await done
    bad = ws.send_str(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await bad
    transport.closed = True
    late = ws.send_bytes(b"late")
    with pytest.raises(RuntimeError, match="closing"):
        await late
