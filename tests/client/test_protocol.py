"""ResponseHandler over real sockets: heads, bodies, errors, timeouts, flow control, upgrades.

Every test runs with both parsers (httptools-backed and pure Python).
"""

from __future__ import annotations

import asyncio
import itertools
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from toolkit import http as toolkit_http
from toolkit.client import protocol as protocol_mod
from toolkit.client.exceptions import (
    ClientConnectionResetError,
    ClientOSError,
    ClientPayloadError,
    ClientResponseError,
    ServerDisconnectedError,
    SocketTimeoutError,
)
from toolkit.client.protocol import ResponseHandler
from toolkit.http.errors import HttpProcessingError

StartPeer = Callable[..., Awaitable[Any]]
REQUEST = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


@pytest.fixture(params=["default", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setattr(protocol_mod, "ResponseParser", toolkit_http.PyResponseParser)
    return str(request.param)


def script(*chunks: bytes | asyncio.Event, close: bool = False, hold: bool = True) -> Any:
    """A peer that reads one request head, then writes ``chunks`` one by one
    (an ``asyncio.Event`` in ``chunks`` makes it wait until the test sets it)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for chunk in chunks:
            if isinstance(chunk, asyncio.Event):
                await chunk.wait()
                continue
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(0)
        if close:
            writer.close()
        elif hold:
            await reader.read()

    return handler


@pytest.fixture
async def open_conn(
    start_peer: StartPeer, parser: str
) -> AsyncIterator[Callable[..., Awaitable[ResponseHandler]]]:
    protocols: list[ResponseHandler] = []

    async def open_(handler: Any, method: str = "GET", **params: Any) -> ResponseHandler:
        peer = await start_peer(handler)
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(lambda: ResponseHandler(loop), peer.host, peer.port)
        protocols.append(proto)
        proto.set_response_params(method=method, **params)
        assert proto.transport is not None
        proto.transport.write(REQUEST.replace(b"GET", method.encode(), 1))
        await proto.drain()
        return proto

    yield open_
    for proto in protocols:
        proto.close()


async def test_content_length_response(open_conn: Any) -> None:
    proto = await open_conn(script(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", b"hel", b"lo"))
    head, payload = await proto.read_response()
    assert (head.status, head.reason, head.headers["Content-Length"]) == (200, "OK", "5")
    assert await payload.read() == b"hello"
    assert payload.is_eof() and proto.is_connected()
    assert not proto.should_close


async def test_unexpected_bytes_after_the_response(open_conn: Any) -> None:
    body_read = asyncio.Event()
    proto = await open_conn(
        script(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", body_read, b"EXTRA")
    )
    _head, payload = await proto.read_response()
    assert await payload.read() == b"ok"
    assert not proto.should_close
    body_read.set()
    for _ in range(100):
        if proto.should_close:
            break
        await asyncio.sleep(0.01)
    assert proto.should_close  # bytes nobody asked for: the connection is not reusable


async def test_byte_by_byte_chunked(open_conn: Any) -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    proto = await open_conn(script(*(raw[i : i + 1] for i in range(len(raw)))))
    head, payload = await proto.read_response()
    assert head.chunked
    assert await payload.read() == b"abcde"
    assert not proto.should_close


async def test_interim_responses_are_skipped_and_wake_continue(open_conn: Any) -> None:
    proto = await open_conn(
        script(
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        )
    )
    cont = proto.expect_continue()
    await asyncio.wait_for(cont, 5)
    head, payload = await proto.read_response()
    assert head.status == 204
    assert await payload.read() == b""


async def test_close_delimited_body(open_conn: Any) -> None:
    proto = await open_conn(script(b"HTTP/1.1 200 OK\r\n\r\n", b"until ", b"the end", close=True))
    _head, payload = await proto.read_response()
    assert await payload.read() == b"until the end"
    assert proto.should_close


async def test_read_until_eof_false_gives_an_empty_body(open_conn: Any) -> None:
    proto = await open_conn(script(b"HTTP/1.1 200 OK\r\n\r\nignored"), read_until_eof=False)
    _head, payload = await proto.read_response()
    assert await payload.read() == b""
    assert proto.should_close


async def test_head_response_has_no_body(open_conn: Any) -> None:
    proto = await open_conn(
        script(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), method="HEAD"
    )
    head, payload = await proto.read_response()
    assert head.headers["Content-Length"] == "100"
    assert await payload.read() == b""
    assert not proto.should_close


async def test_decompression(open_conn: Any) -> None:
    body = zlib.compress(b"x" * 1000)
    proto = await open_conn(
        script(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n"
            % len(body),
            body,
        )
    )
    _head, payload = await proto.read_response()
    assert await payload.read() == b"x" * 1000


async def test_truncated_body(open_conn: Any) -> None:
    proto = await open_conn(
        script(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", b"short", close=True)
    )
    _head, payload = await proto.read_response()
    with pytest.raises(ClientPayloadError, match="Response payload is not completed") as info:
        await payload.read()
    assert isinstance(info.value.__cause__, HttpProcessingError)


async def test_disconnect_before_the_head(open_conn: Any) -> None:
    proto = await open_conn(script(close=True))
    with pytest.raises(ServerDisconnectedError):
        await proto.read_response()
    with pytest.raises(ServerDisconnectedError):
        await proto.read_response()  # and again: the error sticks


async def test_disconnect_in_the_middle_of_the_head(open_conn: Any) -> None:
    proto = await open_conn(script(b"HTTP/1.1 200 OK\r\nContent-Le", close=True))
    with pytest.raises(ServerDisconnectedError):
        await proto.read_response()


async def test_bad_status_line(open_conn: Any) -> None:
    proto = await open_conn(script(b"HTTP/1.1 abc Nope\r\n\r\n"))
    with pytest.raises(ClientResponseError) as info:
        await proto.read_response()
    assert info.value.status == 400 and info.value.message
    assert isinstance(info.value.__cause__, HttpProcessingError)
    assert proto.should_close and not proto.is_connected()


async def test_bad_chunk(open_conn: Any) -> None:
    head_read = asyncio.Event()
    proto = await open_conn(
        script(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            head_read,
            b"3\r\nabc\r\nzz\r\n",
        )
    )
    _head, payload = await proto.read_response()
    head_read.set()
    with pytest.raises(ClientPayloadError) as info:
        await payload.read()
    assert isinstance(info.value.__cause__, HttpProcessingError)


async def test_sock_read_timeout_waiting_for_the_head(open_conn: Any) -> None:
    proto = await open_conn(script(), read_timeout=0.02)
    with pytest.raises(SocketTimeoutError, match="Timeout on reading"):
        await proto.read_response()
    assert proto.should_close


async def test_sock_read_timeout_in_the_body(open_conn: Any) -> None:
    proto = await open_conn(
        script(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), read_timeout=0.05
    )
    _head, payload = await proto.read_response()
    with pytest.raises(SocketTimeoutError):
        await payload.read()


async def test_set_exception_fails_the_pending_read(open_conn: Any) -> None:
    proto = await open_conn(script())
    reading = asyncio.create_task(proto.read_response())
    await asyncio.sleep(0.01)
    proto.set_exception(ClientOSError(32, "Can not write request body"))
    with pytest.raises(ClientOSError, match="request body"):
        await reading
    assert proto.exception() is not None


async def test_upgrade_hands_over_trailing_data(open_conn: Any) -> None:
    proto = await open_conn(
        script(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\n\r\n\x81\x02hi",
            b"more",
        )
    )
    head, _ = await proto.read_response()
    assert head.status == 101 and proto.upgraded and proto.should_close
    await asyncio.sleep(0.01)
    received: list[bytes] = []
    proto.set_data_receiver(received.append)
    assert b"".join(received) == b"\x81\x02himore"
    assert proto.trailing_data == b""


async def test_flow_control_pauses_reading(open_conn: Any) -> None:
    body = b"y" * 200_000
    proto = await open_conn(
        script(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body), body),
        read_bufsize=1024,
    )
    paused: list[bool] = []
    original = proto.pause_reading

    def spy() -> None:
        paused.append(True)
        original()

    proto.pause_reading = spy  # type: ignore[method-assign]
    _head, payload = await proto.read_response()
    await asyncio.sleep(0.05)  # let the buffer fill up past the high-water mark
    assert paused
    assert await payload.read() == body


async def test_drain_after_connection_lost(open_conn: Any) -> None:
    proto = await open_conn(script(close=True))
    await asyncio.wait_for(proto.closed, 5)
    with pytest.raises(ClientConnectionResetError):
        await proto.drain()


# --------------------------------------------------------------------------- in memory


class MemoryTransport(asyncio.Transport):
    """Just enough of a transport to drive a ResponseHandler without a socket."""

    def __init__(self) -> None:
        super().__init__()
        self.closing = False
        self.reading = True

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass


def _response_bytes(body: bytes, chunked: bool, pieces: list[int]) -> bytes:
    if not chunked:
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    out = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"]
    pos = 0
    for size in [*pieces, len(body)]:
        chunk = body[pos : pos + max(size, 1)]
        if chunk:
            out.append(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        pos += len(chunk)
        if pos >= len(body):
            break
    out.append(b"0\r\n\r\n")
    return b"".join(out)


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=300),
    chunked=st.booleans(),
    pieces=st.lists(st.integers(1, 50), max_size=5),
    cuts=st.lists(st.integers(0, 400), max_size=8),
    python_parser=st.booleans(),
)
def test_any_split_gives_the_same_response(
    body: bytes, chunked: bool, pieces: list[int], cuts: list[int], python_parser: bool
) -> None:
    """However the bytes are cut into reads, the head and body come out the same, and
    the connection is reusable afterwards."""
    raw = _response_bytes(body, chunked, pieces)
    bounds = sorted({0, len(raw), *(c for c in cuts if c < len(raw))})
    loop = asyncio.new_event_loop()
    try:
        proto = ResponseHandler(loop)
        proto_parser = (
            toolkit_http.PyResponseParser if python_parser else toolkit_http.ResponseParser
        )
        original = protocol_mod.ResponseParser
        protocol_mod.ResponseParser = proto_parser  # type: ignore[misc]
        try:
            proto.connection_made(MemoryTransport())
            proto.set_response_params(method="GET", read_bufsize=16)
        finally:
            protocol_mod.ResponseParser = original  # type: ignore[misc]

        async def run() -> tuple[int, bytes]:
            for start, end in itertools.pairwise(bounds):
                proto.data_received(raw[start:end])
            head, payload = await proto.read_response()
            return head.status, await payload.read()

        status, received = loop.run_until_complete(run())
        assert (status, received) == (200, body)
        assert not proto.should_close
    finally:
        loop.close()


async def test_reading_resumes_when_the_body_ends(open_conn: Any) -> None:
    body = b"z" * 5000
    proto = await open_conn(
        script(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)),
        read_bufsize=16,
    )
    _head, payload = await proto.read_response()
    await asyncio.sleep(0.01)
    assert payload.is_eof()  # whole body buffered, nobody read it yet
    assert not proto._reading_paused and not proto.should_close
    assert await payload.read() == body


async def test_protocol_is_freed_without_the_garbage_collector() -> None:
    # Its read timer calls back through a weak reference: no protocol <-> timer cycle.
    import gc
    import weakref

    gc.disable()
    try:
        proto = ResponseHandler(asyncio.get_running_loop())
        ref = weakref.ref(proto)
        del proto
        assert ref() is None
    finally:
        gc.enable()


async def test_closed_future_whether_asked_before_or_after_connection_lost() -> None:
    early = ResponseHandler()
    early.connection_made(MemoryTransport())
    waiting = early.closed
    assert early.closed is waiting and not waiting.done()
    early.connection_lost(None)
    assert waiting.done() and waiting.result() is None

    late = ResponseHandler()
    late.connection_made(MemoryTransport())
    late.connection_lost(None)
    assert late.closed.done() and late.closed is late.closed
