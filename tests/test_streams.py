"""Tests for toolkit.streams: the reading API, chunk boundaries and flow control."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.streams import (
    EMPTY_PAYLOAD,
    DataQueue,
    EmptyStreamReader,
    EofStream,
    FlowControlDataQueue,
    StreamReader,
)


class FakeProtocol:
    """Records flow-control calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.paused = False

    def pause_reading(self) -> None:
        assert not self.paused, "pause_reading() called twice"
        self.paused = True
        self.calls.append("pause")

    def resume_reading(self) -> None:
        assert self.paused, "resume_reading() called while not paused"
        self.paused = False
        self.calls.append("resume")


def make(data: bytes = b"", *, eof: bool = True, limit: int = 2**16) -> StreamReader:
    s = StreamReader(FakeProtocol(), limit)
    if data:
        s.feed_data(data)
    if eof:
        s.feed_eof()
    return s


async def test_read_all() -> None:
    s = make(b"hello world")
    assert await s.read() == b"hello world"
    assert s.at_eof()
    assert await s.read() == b""


async def test_read_n_returns_available_data() -> None:
    s = make(b"abcdef", eof=False)
    assert await s.read(4) == b"abcd"
    assert await s.read(4) == b"ef"
    s.feed_eof()
    assert await s.read(4) == b""


async def test_read_zero() -> None:
    s = make(b"x", eof=False)
    assert await s.read(0) == b""


async def test_read_waits_for_data() -> None:
    s = make(eof=False)
    task = asyncio.ensure_future(s.read(10))
    await asyncio.sleep(0)
    assert not task.done()
    s.feed_data(b"late")
    assert await task == b"late"


async def test_read_all_waits_for_eof() -> None:
    s = make(b"a", eof=False)
    task = asyncio.ensure_future(s.read())
    await asyncio.sleep(0)
    s.feed_data(b"b")
    await asyncio.sleep(0)
    assert not task.done()
    s.feed_eof()
    assert await task == b"ab"


async def test_readany() -> None:
    s = make(b"ab", eof=False)
    s.feed_data(b"cd")
    assert await s.readany() == b"abcd"
    s.feed_eof()
    assert await s.readany() == b""


async def test_readline() -> None:
    s = make(b"line1\nline2\r\nrest")
    assert await s.readline() == b"line1\n"
    assert await s.readline() == b"line2\r\n"
    assert await s.readline() == b"rest"
    assert await s.readline() == b""


async def test_readline_across_feeds() -> None:
    s = make(b"par", eof=False)
    task = asyncio.ensure_future(s.readline())
    await asyncio.sleep(0)
    s.feed_data(b"tial")
    await asyncio.sleep(0)
    assert not task.done()
    s.feed_data(b" line\nnext")
    assert await task == b"partial line\n"
    assert s.total_bytes == 17


async def test_readuntil_multibyte_separator_split_across_feeds() -> None:
    s = make(b"abc\r", eof=False)
    task = asyncio.ensure_future(s.readuntil(b"\r\n\r\n"))
    await asyncio.sleep(0)
    s.feed_data(b"\n\r")
    await asyncio.sleep(0)
    assert not task.done()
    s.feed_data(b"\nxyz")
    assert await task == b"abc\r\n\r\n"
    assert await s.read(3) == b"xyz"


async def test_readuntil_empty_separator() -> None:
    with pytest.raises(ValueError, match="separator"):
        await make(b"x").readuntil(b"")


async def test_readline_too_long() -> None:
    s = make(b"x" * 30, eof=False, limit=10)
    with pytest.raises(ValueError, match="limit of 20"):
        await s.readline()


async def test_readexactly() -> None:
    s = make(b"0123456789")
    assert await s.readexactly(3) == b"012"
    assert await s.readexactly(0) == b""
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await s.readexactly(10)
    assert info.value.partial == b"3456789"
    assert info.value.expected == 10


async def test_readexactly_larger_than_high_water_does_not_deadlock() -> None:
    proto = FakeProtocol()
    s = StreamReader(proto, limit=4)
    task = asyncio.ensure_future(s.readexactly(100))
    for _ in range(50):
        if proto.paused:
            break
        s.feed_data(b"xx")
        await asyncio.sleep(0)
    s.feed_data(b"x" * 100)
    s.feed_eof()
    assert await task == b"x" * 100


async def test_exception_is_raised_by_reads() -> None:
    s = make(b"data", eof=False)
    exc = ValueError("boom")
    s.set_exception(exc)
    assert s.exception() is exc
    for coro in (s.read(), s.readany(), s.readline(), s.readexactly(2), s.readchunk()):
        with pytest.raises(ValueError, match="boom"):
            await coro


async def test_exception_wakes_waiter() -> None:
    s = make(eof=False)
    task = asyncio.ensure_future(s.read())
    await asyncio.sleep(0)
    s.set_exception(ConnectionResetError("reset"))
    with pytest.raises(ConnectionResetError):
        await task


async def test_exception_cause() -> None:
    s = make(eof=False)
    cause = OSError("low level")
    s.set_exception(ValueError("high level"), cause)
    exc = s.exception()
    assert exc is not None and exc.__cause__ is cause


async def test_two_concurrent_readers_are_refused() -> None:
    s = make(eof=False)
    task = asyncio.ensure_future(s.read())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already waiting"):
        await s.read()
    s.feed_eof()
    assert await task == b""


async def test_eof_state_and_callbacks() -> None:
    s = make(b"x", eof=False)
    called: list[str] = []
    s.on_eof(lambda: called.append("early"))
    assert not s.is_eof()
    s.feed_eof()
    assert called == ["early"]
    assert s.is_eof() and not s.at_eof()
    s.on_eof(lambda: called.append("late"))
    assert called == ["early", "late"]
    await s.read()
    assert s.at_eof()


async def test_eof_callback_errors_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    s = make(eof=False)

    def bad() -> None:
        raise RuntimeError("callback failed")

    s.on_eof(bad)
    s.feed_eof()
    assert "Exception in eof callback" in caplog.text


async def test_wait_eof() -> None:
    s = make(eof=False)
    task = asyncio.ensure_future(s.wait_eof())
    await asyncio.sleep(0)
    assert not task.done()
    s.feed_eof()
    await task
    await s.wait_eof()


async def test_feed_after_eof_is_an_error() -> None:
    s = make()
    with pytest.raises(RuntimeError, match="after feed_eof"):
        s.feed_data(b"x")


async def test_readchunk_reports_http_chunk_ends() -> None:
    s = make(eof=False)
    s.begin_http_chunk_receiving()
    s.feed_data(b"hello ")
    s.end_http_chunk_receiving()
    s.feed_data(b"wor")
    s.feed_data(b"ld")
    s.end_http_chunk_receiving()
    s.feed_data(b"tail")
    s.feed_eof()
    assert await s.readchunk() == (b"hello ", True)
    assert await s.readchunk() == (b"world", True)
    assert await s.readchunk() == (b"tail", False)
    assert await s.readchunk() == (b"", False)


async def test_readchunk_after_partial_read() -> None:
    s = make(eof=False)
    s.begin_http_chunk_receiving()
    s.feed_data(b"abcdef")
    s.end_http_chunk_receiving()
    s.feed_eof()
    assert await s.read(2) == b"ab"
    assert await s.readchunk() == (b"cdef", True)


async def test_readchunk_waits() -> None:
    s = make(eof=False)
    task = asyncio.ensure_future(s.readchunk())
    await asyncio.sleep(0)
    s.feed_data(b"x")
    assert await task == (b"x", False)


async def test_begin_chunk_after_data_is_an_error() -> None:
    s = make(b"x", eof=False)
    with pytest.raises(RuntimeError, match="already fed"):
        s.begin_http_chunk_receiving()


async def test_empty_http_chunk_is_ignored() -> None:
    s = make(eof=False)
    s.begin_http_chunk_receiving()
    s.end_http_chunk_receiving()
    s.feed_data(b"a")
    s.end_http_chunk_receiving()
    s.end_http_chunk_receiving()
    s.feed_eof()
    assert [c async for c in s.iter_chunks()] == [(b"a", True)]


async def test_iterators() -> None:
    assert [c async for c in make(b"abcdefg").iter_chunked(3)] == [b"abc", b"def", b"g"]
    assert [c async for c in make(b"abc").iter_any()] == [b"abc"]
    assert [line async for line in make(b"a\nb\nc")] == [b"a\n", b"b\n", b"c"]


async def test_unread_data_is_deprecated() -> None:
    s = make(b"world")
    with pytest.warns(DeprecationWarning):
        s.unread_data(b"hello ")
    assert await s.read() == b"hello world"


async def test_repr() -> None:
    s = make(b"abc", eof=True, limit=5)
    assert "3 bytes" in repr(s) and "eof" in repr(s) and "low=5" in repr(s)


async def test_invalid_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        StreamReader(FakeProtocol(), 0)


@pytest.mark.parametrize("limit", [float("nan"), -1, 0])
async def test_invalid_limit_names_the_value(limit: float) -> None:
    # (NaN passed the old "limit <= 0" check)
    with pytest.raises(ValueError, match=r"StreamReader\.limit must be a number of bytes > 0"):
        StreamReader(FakeProtocol(), limit)  # type: ignore[arg-type]


# -- flow control -------------------------------------------------------------------


async def test_pause_past_high_water_resume_below_low_water() -> None:
    proto = FakeProtocol()
    s = StreamReader(proto, limit=10)
    assert s.get_read_buffer_limits() == (10, 20)
    s.feed_data(b"x" * 20)
    assert proto.calls == []  # at the mark, not past it
    s.feed_data(b"x")
    assert proto.calls == ["pause"]
    s.feed_data(b"x" * 5)  # already paused: no second call
    assert proto.calls == ["pause"]
    await s.read(10)  # 16 left: still above the low-water mark
    assert proto.calls == ["pause"]
    await s.read(7)  # 9 left
    assert proto.calls == ["pause", "resume"]
    s.feed_data(b"y" * 20)
    assert proto.calls == ["pause", "resume", "pause"]
    await s.read(100)
    assert proto.calls == ["pause", "resume", "pause", "resume"]


async def test_flow_control_for_every_reading_method() -> None:
    for method in ("readany", "readline", "readchunk", "read_all"):
        proto = FakeProtocol()
        s = StreamReader(proto, limit=4)
        s.feed_data(b"abcde\nfgh")
        assert proto.paused
        if method == "read_all":
            s.feed_eof()
            await s.read()
        else:
            await getattr(s, method)()
        assert not proto.paused, method


async def test_streaming_a_large_body_through_a_small_buffer() -> None:
    proto = FakeProtocol()
    s = StreamReader(proto, limit=16)
    body = bytes(range(256)) * 8

    async def producer() -> None:
        for i in range(0, len(body), 50):
            while proto.paused:
                await asyncio.sleep(0)
            s.feed_data(body[i : i + 50])
            await asyncio.sleep(0)
        s.feed_eof()

    task = asyncio.ensure_future(producer())
    received = bytearray()
    async for chunk in s.iter_chunked(5):
        received += chunk
        assert len(s._buffer) <= 32 + 50
    await task
    assert bytes(received) == body
    assert "pause" in proto.calls and "resume" in proto.calls


async def test_stream_without_protocol() -> None:
    s = StreamReader()
    s.feed_data(b"x" * (2**17 + 1))
    s.feed_eof()
    assert len(await s.read()) == 2**17 + 1


# -- timer ----------------------------------------------------------------------


class RecordingTimer:
    def __init__(self) -> None:
        self.entered = 0

    def __enter__(self) -> RecordingTimer:
        self.entered += 1
        return self

    def __exit__(self, *exc: object) -> None:
        return None


async def test_timer_context_is_used_around_waits() -> None:
    timer = RecordingTimer()
    s = StreamReader(FakeProtocol(), timer=timer)
    s.feed_data(b"buffered")
    await s.read(3)  # no wait
    assert timer.entered == 0
    task = asyncio.ensure_future(s.readexactly(10))
    await asyncio.sleep(0)
    s.feed_data(b"more!")
    assert await task == b"feredmore!"
    assert timer.entered == 1


async def test_timer_factory_raising_timeout() -> None:
    entered: list[int] = []

    @contextlib.contextmanager
    def factory() -> Iterator[None]:
        entered.append(1)
        try:
            yield
        except asyncio.CancelledError:
            raise asyncio.TimeoutError from None

    s = StreamReader(FakeProtocol(), timer=factory)
    task = asyncio.ensure_future(s.read())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.TimeoutError):
        await task
    assert entered == [1]
    # the waiter is cleared: a new read may wait again
    task2 = asyncio.ensure_future(s.read(1))
    await asyncio.sleep(0)
    s.feed_data(b"z")
    assert await task2 == b"z"


# -- empty stream ---------------------------------------------------------------


async def test_empty_stream_reader() -> None:
    s = EmptyStreamReader()
    assert s.at_eof() and s.is_eof()
    assert await s.read() == b""
    assert await s.readany() == b""
    assert await s.readline() == b""
    assert await s.readexactly(0) == b""
    with pytest.raises(asyncio.IncompleteReadError):
        await s.readexactly(1)
    assert await s.readchunk() == (b"", False)
    assert await s.readchunk() == (b"", False)
    assert [c async for c in s.iter_chunks()] == []
    await s.wait_eof()
    s.feed_data(b"ignored")
    assert await s.read() == b""
    assert [c async for c in EMPTY_PAYLOAD.iter_any()] == []
    called: list[int] = []
    s.on_eof(lambda: called.append(1))
    assert called == [1]
    assert isinstance(EMPTY_PAYLOAD, StreamReader)
    EMPTY_PAYLOAD.set_exception(OSError("must not stick to the shared instance"))
    assert EMPTY_PAYLOAD.exception() is None
    assert await EMPTY_PAYLOAD.read() == b""


# -- data queues ------------------------------------------------------------------


async def test_data_queue() -> None:
    q: DataQueue[str] = DataQueue()
    q.feed_data("a", 1)
    q.feed_data("b", 1)
    assert len(q) == 2
    assert await q.read() == "a"
    task = asyncio.ensure_future(q.read())
    await asyncio.sleep(0)
    assert await task == "b"
    task = asyncio.ensure_future(q.read())
    await asyncio.sleep(0)
    q.feed_data("c")
    assert await task == "c"
    q.feed_eof()
    assert q.is_eof() and q.at_eof()
    with pytest.raises(EofStream):
        await q.read()


async def test_data_queue_async_iteration() -> None:
    q: DataQueue[bytes] = DataQueue()
    for item in (b"x", b"", b"y"):
        q.feed_data(item)
    q.feed_eof()
    assert [m async for m in q] == [b"x", b"", b"y"]


async def test_data_queue_exception() -> None:
    q: DataQueue[int] = DataQueue()
    task = asyncio.ensure_future(q.read())
    await asyncio.sleep(0)
    q.set_exception(OSError("gone"))
    with pytest.raises(OSError, match="gone"):
        await task
    assert isinstance(q.exception(), OSError)
    with pytest.raises(OSError, match="gone"):
        await q.read()


async def test_data_queue_items_before_exception_are_delivered() -> None:
    q: DataQueue[int] = DataQueue()
    q.feed_data(1)
    q.set_exception(OSError("gone"))
    assert await q.read() == 1
    with pytest.raises(OSError):
        await q.read()


async def test_flow_control_data_queue() -> None:
    proto = FakeProtocol()
    q: FlowControlDataQueue[bytes] = FlowControlDataQueue(proto, limit=2)
    q.feed_data(b"abc", 3)
    assert proto.calls == []
    q.feed_data(b"de", 2)
    assert proto.calls == ["pause"]
    await q.read()
    assert proto.calls == ["pause", "resume"]


# -- property: any feed split and any mix of reads give back the same bytes -----------

_READ_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(min_value=1, max_value=40)),
        st.tuples(st.just("readany"), st.just(0)),
        st.tuples(st.just("readline"), st.just(0)),
        st.tuples(st.just("readchunk"), st.just(0)),
        # readexactly(0) consumes nothing: a list of only those would never drain the stream.
        st.tuples(st.just("readexactly"), st.integers(min_value=1, max_value=10)),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=80, deadline=None)
@given(
    pieces=st.lists(st.binary(min_size=1, max_size=30), max_size=20),
    ops=_READ_OPS,
    limit=st.integers(min_value=8, max_value=64),
)
def test_reads_reassemble_the_stream(
    pieces: list[bytes], ops: list[tuple[str, int]], limit: int
) -> None:
    async def run() -> None:
        proto = FakeProtocol()
        s = StreamReader(proto, limit)

        async def producer() -> None:
            for piece in pieces:
                s.feed_data(piece)
                await asyncio.sleep(0)
            s.feed_eof()

        task = asyncio.ensure_future(producer())
        out = bytearray()
        i = 0
        while not s.at_eof():
            assert i < 10_000, "the reads stopped making progress"
            op, n = ops[i % len(ops)]
            i += 1
            await asyncio.sleep(0)  # let the producer run between reads
            if op == "read":
                out += await s.read(n)
            elif op == "readany":
                out += await s.readany()
            elif op == "readline":
                try:
                    out += await s.readline()
                except ValueError:
                    out += await s.readany()  # a line longer than the limit
            elif op == "readchunk":
                out += (await s.readchunk())[0]
            else:
                try:
                    out += await s.readexactly(n)
                except asyncio.IncompleteReadError as exc:
                    out += exc.partial
        await task
        assert bytes(out) == b"".join(pieces)
        assert s.total_bytes == len(out)
        assert not proto.paused

    asyncio.run(run())
