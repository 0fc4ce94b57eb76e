"""The in-memory transport pair under MemoryConnector, with plain recording protocols."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.client._memory_pipe import connect_memory_pipe
from toolkit.testing import MemoryTransport, create_memory_pipe


class Recorder(asyncio.Protocol):
    """Records every callback; ``keep_open`` is what ``eof_received`` returns."""

    def __init__(self, keep_open: bool = False) -> None:
        self.transport: Any = None
        self.events: list[tuple[str, Any]] = []
        self.data = bytearray()
        self.keep_open = keep_open
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.events.append(("made", None))

    def data_received(self, data: bytes) -> None:
        self.data += data
        self.events.append(("data", len(data)))

    def eof_received(self) -> bool:
        self.events.append(("eof", None))
        return self.keep_open

    def pause_writing(self) -> None:
        self.events.append(("pause_writing", None))

    def resume_writing(self) -> None:
        self.events.append(("resume_writing", None))

    def connection_lost(self, exc: BaseException | None) -> None:
        self.events.append(("lost", exc))
        if not self.lost.done():
            self.lost.set_result(exc)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


async def pipe(**kwargs: Any) -> tuple[Recorder, Recorder, MemoryTransport, MemoryTransport]:
    a, b = Recorder(**kwargs), Recorder()
    ta, tb = create_memory_pipe(
        asyncio.get_running_loop(),
        a,
        b,
        client_address=("127.0.0.1", 1111),
        server_address=("10.0.0.1", 80),
    )
    return a, b, ta, tb


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_connection_made_and_addresses() -> None:
    a, b, ta, tb = await pipe()
    assert a.kinds() == ["made"] and b.kinds() == ["made"]
    assert ta.get_extra_info("peername") == ("10.0.0.1", 80)
    assert ta.get_extra_info("sockname") == ("127.0.0.1", 1111)
    assert tb.get_extra_info("peername") == ("127.0.0.1", 1111)
    assert ta.get_extra_info("socket") is None
    assert ta.get_extra_info("sslcontext") is None
    assert ta.get_extra_info("missing", "dflt") == "dflt"
    assert ta.get_protocol() is a
    assert ta.can_write_eof()
    ta.abort()


async def test_bytes_arrive_later_in_order() -> None:
    _a, b, ta, _ = await pipe()
    ta.write(b"hello ")
    ta.write(bytearray(b"wor"))
    ta.write(memoryview(b"ld"))
    assert b.data == b""  # never synchronously
    await settle()
    assert bytes(b.data) == b"hello world"
    ta.abort()


async def test_write_rejects_text() -> None:
    _, _, ta, _ = await pipe()
    with pytest.raises(TypeError, match="bytes-like"):
        ta.write("text")  # type: ignore[arg-type]
    ta.abort()


async def test_flow_control_pauses_writer_while_reader_is_paused() -> None:
    a, b, ta, tb = await pipe()
    ta.set_write_buffer_limits(high=100, low=10)
    assert ta.get_write_buffer_limits() == (10, 100)
    tb.pause_reading()
    assert not tb.is_reading()
    ta.write(b"x" * 150)
    assert a.kinds()[-1] == "pause_writing"
    assert ta.get_write_buffer_size() == 150
    await settle()
    assert b.data == b""  # the reader is paused: nothing delivered
    tb.resume_reading()
    await settle()
    assert len(b.data) == 150
    assert a.kinds()[-1] == "resume_writing"
    assert ta.get_write_buffer_size() == 0
    ta.abort()


async def test_bad_buffer_limits() -> None:
    _, _, ta, _ = await pipe()
    with pytest.raises(ValueError, match="high"):
        ta.set_write_buffer_limits(high=1, low=5)
    ta.abort()


async def test_close_flushes_then_both_sides_lose_the_connection() -> None:
    a, b, ta, tb = await pipe()
    ta.write(b"last words")
    ta.close()
    assert ta.is_closing()
    ta.write(b"dropped")  # like asyncio: ignored after close
    assert await asyncio.wait_for(b.lost, 1) is None
    assert await asyncio.wait_for(a.lost, 1) is None
    assert bytes(b.data) == b"last words"
    assert b.kinds() == ["made", "data", "eof", "lost"]
    assert tb.is_closing()


async def test_finish_close_delivers_at_once_in_order() -> None:
    a, b, ta, tb = await pipe()
    ta.close()
    assert ta._finish_close()
    # What the loop would have delivered, in the same order, before returning.
    assert b.kinds() == ["made", "eof", "lost"]
    assert a.kinds() == ["made", "lost"]
    assert a.lost.done() and b.lost.done()
    assert ta.is_closing() and tb.is_closing()
    await settle()  # the flushes the loop still had scheduled change nothing
    assert b.kinds() == ["made", "eof", "lost"] and a.kinds() == ["made", "lost"]


async def test_finish_close_leaves_bytes_in_flight_to_the_loop() -> None:
    a, b, ta, tb = await pipe()
    tb.write(b"answer on its way")
    ta.close()
    assert not ta._finish_close()  # the peer's bytes are still buffered
    assert a.kinds() == ["made"] and b.kinds() == ["made"]
    await asyncio.wait_for(a.lost, 1)
    await asyncio.wait_for(b.lost, 1)
    a2, b2, ta2, _ = await pipe()
    ta2.write(b"ours too")
    ta2.close()
    assert not ta2._finish_close()
    await asyncio.wait_for(b2.lost, 1)
    await asyncio.wait_for(a2.lost, 1)
    assert bytes(b2.data) == b"ours too"
    assert ta2._finish_close()  # already gone: nothing more to do


async def test_finish_close_keeps_a_half_open_peer_open() -> None:
    a, b, ta, tb = await pipe()
    b.keep_open = True
    ta.close()
    assert ta._finish_close()
    assert a.kinds() == ["made", "lost"]
    assert b.kinds() == ["made", "eof"]  # it may still answer (to nobody: a reset)
    assert not tb.is_closing()
    tb.write(b"late")
    assert await asyncio.wait_for(b.lost, 1) is not None


async def test_finish_close_needs_a_close_first() -> None:
    a, b, ta, _ = await pipe()
    assert not ta._finish_close()
    assert a.kinds() == ["made"] and b.kinds() == ["made"]
    ta.abort()


async def test_half_close_keeps_the_other_direction_open() -> None:
    a, b, ta, tb = await pipe()
    b.keep_open = True
    ta.write_eof()
    with pytest.raises(RuntimeError, match="after write_eof"):
        ta.write(b"x")
    await settle()
    assert b.kinds()[-1] == "eof"
    assert not tb.is_closing()
    tb.write(b"answer")
    tb.close()
    await asyncio.wait_for(a.lost, 1)
    await asyncio.wait_for(b.lost, 1)
    assert bytes(a.data) == b"answer"
    assert "eof" in a.kinds()


async def test_abort_resets_the_peer() -> None:
    a, b, ta, tb = await pipe()
    tb.pause_reading()
    ta.write(b"never delivered")
    ta.abort()
    assert await asyncio.wait_for(a.lost, 1) is None
    exc = await asyncio.wait_for(b.lost, 1)
    assert isinstance(exc, ConnectionResetError)
    assert b.data == b""


async def test_writing_to_a_closed_peer_resets() -> None:
    a, b, ta, tb = await pipe(keep_open=True)
    tb.close()
    await asyncio.wait_for(b.lost, 1)
    await settle()
    ta.write(b"too late")
    exc = await asyncio.wait_for(a.lost, 1)
    assert isinstance(exc, ConnectionResetError)


async def test_closing_with_the_peers_bytes_unread_resets_the_peer() -> None:
    a, b, ta, tb = await pipe()
    ta.pause_reading()  # a never reads what b sends
    tb.set_write_buffer_limits(high=10)
    tb.write(b"y" * 100)
    assert b.kinds()[-1] == "pause_writing"
    ta.close()
    assert await asyncio.wait_for(a.lost, 1) is None
    exc = await asyncio.wait_for(b.lost, 1)
    assert isinstance(exc, ConnectionResetError)
    assert "unread" in str(exc)


async def test_protocol_error_in_data_received_aborts_and_reports() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))

    class Broken(Recorder):
        def data_received(self, data: bytes) -> None:
            raise ValueError("boom")

    a, b = Recorder(), Broken()
    ta, _ = create_memory_pipe(loop, a, b)
    ta.write(b"x")
    await asyncio.wait_for(b.lost, 1)
    assert isinstance(reported[0]["exception"], ValueError)
    assert "data_received" in reported[0]["message"]
    loop.set_exception_handler(None)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=20), st.booleans())
def test_any_writes_arrive_whole_and_in_order(chunks: list[bytes], pause: bool) -> None:
    async def run() -> None:
        a, b, ta, tb = await pipe()
        ta.set_write_buffer_limits(high=2048)
        if pause:
            tb.pause_reading()
        for chunk in chunks:
            ta.write(chunk)
            await asyncio.sleep(0)
        if pause:
            tb.resume_reading()
        ta.close()
        await asyncio.wait_for(b.lost, 1)
        assert bytes(b.data) == b"".join(chunks)
        # pause/resume_writing alternate, starting with a pause
        flow = [k for k in a.kinds() if k.endswith("_writing")]
        assert flow == ["pause_writing", "resume_writing"] * (len(flow) // 2)

    asyncio.run(run())


@pytest.mark.parametrize("how", ["close", "abort"])
async def test_the_ends_let_go_of_each_other_once_both_are_gone(how: str) -> None:
    # No reference cycle is left behind for the garbage collector.
    a, b, ta, tb = await pipe()
    ta.write(b"bye")
    getattr(ta, how)()
    await asyncio.wait_for(a.lost, 1)
    await asyncio.wait_for(b.lost, 1)
    await settle()
    assert ta._peer is None and tb._peer is None
    ta.write(b"ignored")  # writes after the end are still dropped quietly
    assert ta.get_write_buffer_size() == 0


# -- connect_memory_pipe: the server's connection_made waits for the client's first send


async def connected() -> tuple[Recorder, Recorder, MemoryTransport]:
    a, b = Recorder(), Recorder()
    ta = connect_memory_pipe(
        asyncio.get_running_loop(),
        a,
        b,
        client_address=("127.0.0.1", 1111),
        server_address=("10.0.0.1", 80),
    )
    return a, b, ta


async def test_connect_makes_the_server_when_the_client_sends() -> None:
    a, b, ta = await connected()
    assert a.kinds() == ["made"] and b.kinds() == []
    ta.write(b"GET")
    assert b.kinds() == ["made"]  # at once, so its first loop pass finds the bytes
    assert b.transport.get_extra_info("peername") == ("127.0.0.1", 1111)
    ta.write(b" /")
    await asyncio.sleep(0)
    assert b.kinds() == ["made", "data", "data"] and bytes(b.data) == b"GET /"
    ta.close()
    await asyncio.wait_for(b.lost, 1)
    assert b.kinds() == ["made", "data", "data", "eof", "lost"]


async def test_connect_makes_a_server_task_see_the_bytes_on_its_first_step() -> None:
    seen: list[bytes] = []

    class Server(Recorder):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            asyncio.get_running_loop().create_task(self.first_step())

        async def first_step(self) -> None:
            seen.append(bytes(self.data))

    a, b = Recorder(), Server()
    ta = connect_memory_pipe(
        asyncio.get_running_loop(), a, b, client_address=None, server_address=None
    )
    ta.write(b"request")
    await settle()
    assert seen == [b"request"]
    ta.abort()


async def test_connect_makes_a_silent_client_s_server_on_the_next_iteration() -> None:
    a, b, ta = await connected()
    await asyncio.sleep(0)
    assert b.kinds() == ["made"]
    b.transport.write(b"hello first")
    await settle()
    assert bytes(a.data) == b"hello first"
    ta.abort()
    await asyncio.wait_for(b.lost, 1)


@pytest.mark.parametrize("how", ["close", "abort", "close_at_once", "write_eof"])
async def test_connect_makes_the_server_before_any_other_event(how: str) -> None:
    _, b, ta = await connected()
    if how == "close_at_once":
        ta._close_at_once()
    else:
        getattr(ta, how)()
    await settle()
    assert b.kinds()[0] == "made" and b.kinds().count("made") == 1
    assert b.kinds()[1] in ("eof", "lost")
    ta.abort()


async def test_connect_reports_a_server_that_fails_to_start() -> None:
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: errors.append(context))

    class Broken(Recorder):
        def connection_made(self, transport: Any) -> None:
            raise RuntimeError("no")

    a = Recorder()
    ta = connect_memory_pipe(loop, a, Broken(), client_address=None, server_address=None)
    ta.write(b"x")
    assert await asyncio.wait_for(a.lost, 1) is not None  # the client sees a reset
    assert "connection_made() failed" in errors[0]["message"]
    loop.set_exception_handler(None)
