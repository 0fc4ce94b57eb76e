"""The asyncio glue (toolkit._ws_async) driven without sockets: chunking, flow control."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings, strategies as st

from toolkit._ws_async import WebSocketBase
from toolkit.http.ws import Role, WebSocketWriter, WSConnection, WSMsgType


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


class SizedTransport(FakeTransport):
    def __init__(self) -> None:
        super().__init__()
        self.pending = 0

    def get_write_buffer_size(self) -> int:
        return self.pending


class UnsizedTransport(FakeTransport):
    def get_write_buffer_size(self) -> int:
        raise NotImplementedError


async def _count_drains(transport: FakeTransport) -> tuple[WebSocketBase, list[int]]:
    drains: list[int] = []

    async def drain() -> None:
        drains.append(1)

    ws = WebSocketBase()
    ws._attach(
        WSConnection(Role.SERVER),
        transport,  # type: ignore[arg-type]
        flow=FakeFlow(),
        drain=drain,
        loop=asyncio.get_running_loop(),
    )
    return ws, drains


async def test_send_skips_drain_only_when_the_write_buffer_is_empty() -> None:
    transport = SizedTransport()
    ws, drains = await _count_drains(transport)
    await ws.send_str("a")
    await ws.send_bytes(b"b")
    assert drains == []
    transport.pending = 10
    await ws.send_str("c")
    await ws.send_bytes(b"d")
    assert len(drains) == 2
    assert bytes(transport.written) == b"\x81\x01a\x82\x01b\x81\x01c\x82\x01d"


async def test_send_always_drains_without_a_buffer_size() -> None:
    for transport in (FakeTransport(), UnsizedTransport()):
        ws, drains = await _count_drains(transport)
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
