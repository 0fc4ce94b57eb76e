"""RequestHandler over real sockets: keep-alive, pipelining, bodies, errors, timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.web.exceptions import HTTPNotFound
from toolkit.web.request import BaseRequest
from toolkit.web.response import Response, StreamResponse
from toolkit.web.runner import ServerRunner, TCPSite
from toolkit.web.server import Server

Handler = Callable[[BaseRequest], Awaitable[StreamResponse]]


@contextlib.asynccontextmanager
async def serve(
    handler: Handler, *, shutdown_timeout: float = 5.0, **kwargs: Any
) -> AsyncIterator[tuple[Server, int]]:
    server = Server(handler, **kwargs)
    runner = ServerRunner(server, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield server, runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Read one response (Content-Length or chunked) from ``reader``."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.read()
    return status, headers, body


async def hello(request: BaseRequest) -> StreamResponse:
    return Response(text=f"hello {request.path}")


async def echo(request: BaseRequest) -> StreamResponse:
    return Response(body=await request.read())


@contextlib.asynccontextmanager
async def connect(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def get(path: str = "/", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n".encode()


async def test_keep_alive_reuses_the_connection() -> None:
    async with serve(hello) as (server, port), connect(port) as (reader, writer):
        for path in ("/one", "/two", "/three"):
            writer.write(get(path))
            status, headers, body = await read_response(reader)
            assert (status, body) == (200, f"hello {path}".encode())
            assert "connection" not in headers
        assert len(server.connections) == 1
        assert server.requests_count == 3


async def test_pipelined_requests_are_answered_in_order() -> None:
    async def slow_first(request: BaseRequest) -> StreamResponse:
        delay = {"/a": 0.05, "/b": 0.0, "/c": 0.01}[request.path]
        await asyncio.sleep(delay)
        return Response(text=request.path)

    async with serve(slow_first) as (_, port), connect(port) as (reader, writer):
        writer.write(get("/a") + get("/b") + get("/c"))
        bodies = [(await read_response(reader))[2] for _ in range(3)]
        assert bodies == [b"/a", b"/b", b"/c"]


async def test_pipelined_post_bodies_go_to_their_requests() -> None:
    async with serve(echo) as (_, port), connect(port) as (reader, writer):
        data = b""
        for body in (b"first", b"", b"third body"):
            data += b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (
                len(body),
                body,
            )
        data += b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        data += b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        # whole, then byte by byte
        writer.write(data)
        for expected in (b"first", b"", b"third body", b"abcde"):
            assert (await read_response(reader))[2] == expected
        for i in range(len(data)):
            writer.write(data[i : i + 1])
        for expected in (b"first", b"", b"third body", b"abcde"):
            assert (await read_response(reader))[2] == expected


async def test_large_body_with_flow_control() -> None:
    received: list[int] = []

    async def slow_reader(request: BaseRequest) -> StreamResponse:
        total = 0
        while chunk := await request.content.read(4096):
            total += len(chunk)
            if total < 200_000:
                await asyncio.sleep(0)
        received.append(total)
        return Response(text=str(total))

    size = 3 * 1024 * 1024
    async with serve(slow_reader, read_bufsize=2**14) as (_, port), connect(port) as (r, w):
        w.write(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % size)
        w.write(b"x" * size)
        status, _, body = await read_response(r)
        assert (status, body) == (200, str(size).encode())


async def test_unread_body_is_discarded_and_the_connection_reused() -> None:
    async with serve(hello) as (server, port), connect(port) as (reader, writer):
        writer.write(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n")
        writer.write(b"y" * 100000)
        writer.write(get("/next"))
        assert (await read_response(reader))[2] == b"hello /x"
        assert (await read_response(reader))[2] == b"hello /next"
        assert len(server.connections) == 1


async def test_connection_close_and_http10() -> None:
    async with serve(hello) as (_, port):
        async with connect(port) as (reader, writer):
            writer.write(get("/", "Connection: close\r\n"))
            _status, headers, _ = await read_response(reader)
            assert headers["connection"] == "close"
            assert await reader.read() == b""
        async with connect(port) as (reader, writer):
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            assert (await read_response(reader))[0] == 200
            assert await reader.read() == b""


async def test_half_closed_client_still_gets_its_answer() -> None:
    async with serve(hello) as (_, port), connect(port) as (reader, writer):
        writer.write(get("/half"))
        writer.write_eof()
        assert (await read_response(reader))[2] == b"hello /half"
        assert await reader.read() == b""


async def test_handler_exception_is_500_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def boom(request: BaseRequest) -> StreamResponse:
        raise ValueError("secret detail")

    with caplog.at_level(logging.ERROR, logger="toolkit.server"):
        async with serve(boom) as (_, port), connect(port) as (reader, writer):
            writer.write(get())
            status, headers, body = await read_response(reader)
            assert status == 500
            assert b"secret detail" not in body
            assert b"Traceback" not in body
            assert headers["connection"] == "close"
    records = [r for r in caplog.records if r.name == "toolkit.server"]
    assert records and records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], ValueError)


async def test_debug_500_shows_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def boom(request: BaseRequest) -> StreamResponse:
        raise ValueError("secret detail")

    with caplog.at_level(logging.CRITICAL, logger="toolkit.server"):
        async with serve(boom, debug=True) as (_, port), connect(port) as (reader, writer):
            writer.write(get("/", "Accept: text/html\r\n"))
            status, headers, body = await read_response(reader)
    assert status == 500
    assert headers["content-type"].startswith("text/html")
    assert b"Traceback" in body and b"secret detail" in body


async def test_http_exception_becomes_its_response() -> None:
    async def missing(request: BaseRequest) -> StreamResponse:
        raise HTTPNotFound(text="nothing here")

    async with serve(missing) as (_, port), connect(port) as (reader, writer):
        for _ in range(2):
            writer.write(get())
            status, _, body = await read_response(reader)
            assert (status, body) == (404, b"nothing here")


async def test_handler_returning_none_is_500(caplog: pytest.LogCaptureFixture) -> None:
    async def forgot(request: BaseRequest) -> Any:
        return None

    with caplog.at_level(logging.CRITICAL, logger="toolkit.server"):
        async with serve(forgot) as (_, port), connect(port) as (reader, writer):
            writer.write(get())
            assert (await read_response(reader))[0] == 500


async def test_error_after_headers_closes_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def half(request: BaseRequest) -> StreamResponse:
        resp = StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"partial")
        raise RuntimeError("midway")

    with caplog.at_level(logging.CRITICAL, logger="toolkit.server"):
        async with serve(half) as (_, port), connect(port) as (reader, writer):
            writer.write(get())
            data = await reader.read()
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b"partial" in data
    assert not data.endswith(b"0\r\n\r\n")


async def test_idle_keep_alive_connection_is_closed() -> None:
    async with serve(hello, keepalive_timeout=0.1) as (server, port):
        async with connect(port) as (reader, writer):
            writer.write(get())
            await read_response(reader)
            assert await asyncio.wait_for(reader.read(), 5) == b""
        assert server.connections == []


async def test_slow_request_head_gets_408() -> None:
    async with serve(hello, read_headers_timeout=0.1) as (_, port):
        async with connect(port) as (reader, writer):
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            status, headers, _ = await asyncio.wait_for(read_response(reader), 5)
            assert status == 408
            assert headers["connection"] == "close"
            assert await reader.read() == b""
        # a silent connection is closed too, without a response
        async with connect(port) as (reader, writer):
            assert await asyncio.wait_for(reader.read(), 5) == b""


async def test_the_head_timer_does_not_cut_slow_handlers() -> None:
    async def slow(request: BaseRequest) -> StreamResponse:
        await asyncio.sleep(0.3)
        return Response(text="done")

    timeouts = {"read_headers_timeout": 0.05, "keepalive_timeout": 0.05}
    async with serve(slow, **timeouts) as (_, port), connect(port) as (reader, writer):
        writer.write(get())
        assert (await read_response(reader))[2] == b"done"


@pytest.mark.parametrize("cancellation", [True, False])
async def test_handler_cancellation_on_disconnect(cancellation: bool) -> None:
    started = asyncio.Event()
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def waits(request: BaseRequest) -> StreamResponse:
        started.set()
        try:
            # long enough that only a cancellation can end it early
            await asyncio.sleep(30 if cancellation else 0.2)
        except asyncio.CancelledError:
            outcome.set_result("cancelled")
            raise
        outcome.set_result("finished")
        return Response(text="late")

    async with serve(waits, handler_cancellation=cancellation) as (_, port):
        async with connect(port) as (_reader, writer):
            writer.write(get())
            await started.wait()
        result = await asyncio.wait_for(outcome, 20)
    assert result == ("cancelled" if cancellation else "finished")


async def test_force_close_from_a_handler() -> None:
    async def closing(request: BaseRequest) -> StreamResponse:
        resp = Response(text="bye")
        resp.force_close()
        return resp

    async with serve(closing) as (_, port), connect(port) as (reader, writer):
        writer.write(get() + get())
        _status, headers, _body = await read_response(reader)
        assert headers["connection"] == "close"
        assert await reader.read() == b""


async def test_shutdown_finishes_in_flight_and_closes_idle() -> None:
    started = asyncio.Event()

    async def slow(request: BaseRequest) -> StreamResponse:
        if request.path == "/slow":
            started.set()
            await asyncio.sleep(0.2)
        return Response(text=request.path)

    server = Server(slow)
    runner = ServerRunner(server, shutdown_timeout=5)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with connect(port) as (idle_r, idle_w), connect(port) as (busy_r, busy_w):
        idle_w.write(get("/idle"))
        assert (await read_response(idle_r))[2] == b"/idle"
        busy_w.write(get("/slow"))
        await started.wait()
        await runner.cleanup()
        assert await idle_r.read() == b""
        status, _, body = await read_response(busy_r)
        assert (status, body) == (200, b"/slow")
        assert await busy_r.read() == b""
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_shutdown_timeout_cancels_stuck_handlers() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def stuck(request: BaseRequest) -> StreamResponse:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Response()

    async with serve(stuck, shutdown_timeout=0.1) as (_, port), connect(port) as (_reader, writer):
        writer.write(get())
        await started.wait()
    assert cancelled.is_set()


async def test_streaming_response_and_drain() -> None:
    async def stream(request: BaseRequest) -> StreamResponse:
        resp = StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(50):
            await resp.write(b"%d," % i * 1000)
        await resp.write_eof()
        return resp

    async with serve(stream) as (_, port), connect(port) as (reader, writer):
        writer.write(get())
        _status, headers, body = await read_response(reader)
        assert headers["transfer-encoding"] == "chunked"
        assert body == b"".join(b"%d," % i * 1000 for i in range(50))


async def test_bytes_after_a_declined_upgrade_are_parsed() -> None:
    async with serve(hello) as (_, port), connect(port) as (reader, writer):
        writer.write(get("/up", "Connection: Upgrade\r\nUpgrade: h2c\r\n") + get("/after"))
        assert (await read_response(reader))[2] == b"hello /up"
        assert (await read_response(reader))[2] == b"hello /after"


async def test_set_parser_takes_the_connection_over() -> None:
    class Collector:
        def __init__(self) -> None:
            self.data = b""
            self.eof = asyncio.Event()

        def feed_data(self, data: bytes) -> None:
            self.data += data

        def feed_eof(self) -> None:
            self.eof.set()

    collector = Collector()

    async def upgrade(request: BaseRequest) -> StreamResponse:
        resp = StreamResponse(status=101, headers={"Upgrade": "echo", "Connection": "Upgrade"})
        await resp.prepare(request)
        await resp.drain()
        request.protocol.set_parser(collector)
        await collector.eof.wait()
        request.transport.write(b"got:" + collector.data)  # type: ignore[union-attr]
        return resp

    async with serve(upgrade) as (_, port), connect(port) as (reader, writer):
        writer.write(get("/", "Connection: Upgrade\r\nUpgrade: echo\r\n") + b"early")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        writer.write(b" late")
        writer.write_eof()
        assert await reader.read() == b"got:early late"


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_compressed_request_bodies_are_decoded(coding: str) -> None:
    import gzip
    import zlib

    raw = b"compressed request body " * 200
    data = gzip.compress(raw) if coding == "gzip" else zlib.compress(raw)
    async with serve(echo) as (_, port), connect(port) as (reader, writer):
        writer.write(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n%s"
            % (coding.encode(), len(data), data)
        )
        assert (await read_response(reader))[2] == raw


async def test_corrupt_compressed_body_fails_the_read(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL):
        async with serve(echo) as (_, port), connect(port) as (reader, writer):
            writer.write(
                b"POST / HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\n"
                b"Content-Length: 10\r\n\r\nnot gzip!!"
            )
            status, _, _ = await read_response(reader)
            assert status == 400
            assert await reader.read() == b""


async def test_500_reaches_a_client_still_uploading(caplog: pytest.LogCaptureFixture) -> None:
    async def fails_early(request: BaseRequest) -> StreamResponse:
        raise RuntimeError("refuse before reading the body")

    with caplog.at_level(logging.CRITICAL):
        async with serve(fails_early) as (_, port), connect(port) as (reader, writer):
            writer.write(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3000000\r\n\r\n")
            for _ in range(30):
                writer.write(b"u" * 100_000)
                await asyncio.sleep(0)
            status, headers, _ = await asyncio.wait_for(read_response(reader), 10)
            assert status == 500
            assert headers["connection"] == "close"


class MemoryTransport(asyncio.Transport):
    """Collects what the server writes; no socket."""

    def __init__(self, protocol: asyncio.BaseProtocol | None = None) -> None:
        super().__init__()
        self.data = bytearray()
        self.closed = False
        self.wrote = asyncio.Event()
        self.protocol = protocol

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.data += data
        self.wrote.set()

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        # Like a socket transport: the protocol hears of it on the next loop pass.
        if not self.closed and self.protocol is not None:
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)
        self.closed = True

    def can_write_eof(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


@settings(max_examples=30, deadline=None)
@given(
    bodies=st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    chunked=st.lists(st.booleans(), min_size=5, max_size=5),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=12),
)
def test_pipelined_stream_cut_anywhere(
    bodies: list[bytes], chunked: list[bool], cuts: list[int]
) -> None:
    """However the input is split, every request gets its own body back, in order."""
    stream = b""
    for body, use_chunks in zip(bodies, chunked):
        if use_chunks:
            framed = b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7])
                for i in range(0, len(body), 7)
            )
            stream += b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            stream += framed + b"0\r\n\r\n"
        else:
            stream += b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (
                len(body),
                body,
            )
    points = sorted({c for c in cuts if c < len(stream)} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in itertools.pairwise(points)]

    async def run() -> bytes:
        server = Server(echo)
        protocol = server()
        transport = MemoryTransport(protocol)
        protocol.connection_made(transport)
        for piece in pieces:
            protocol.data_received(piece)
            await asyncio.sleep(0)
        for _ in range(200):
            if transport.data.count(b"HTTP/1.1 200 OK") == len(bodies):
                break
            await asyncio.sleep(0.001)
        await server.shutdown(1)
        return bytes(transport.data)

    data = asyncio.run(run())

    async def parse() -> list[bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return [(await read_response(reader))[2] for _ in bodies]

    assert asyncio.run(parse()) == bodies


async def test_body_cannot_be_read_after_the_response() -> None:
    from toolkit.web.exceptions import PayloadAccessError

    kept: list[BaseRequest] = []

    async def keep(request: BaseRequest) -> StreamResponse:
        kept.append(request)
        return Response(text=str(len(await request.read())))

    async with serve(keep) as (_, port), connect(port) as (reader, writer):
        writer.write(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
        assert (await read_response(reader))[2] == b"3"
    with pytest.raises(PayloadAccessError):
        await kept[0].content.read()


async def test_client_gone_mid_body_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    from toolkit.http.errors import ContentLengthError
    from toolkit.web.exceptions import RequestPayloadError

    seen: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def reads(request: BaseRequest) -> StreamResponse:
        try:
            await request.read()
        except BaseException as exc:
            seen.set_result(exc)
            raise
        return Response()

    with caplog.at_level(logging.ERROR):
        async with serve(reads) as (_, port):
            async with connect(port) as (_reader, writer):
                writer.write(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
                await asyncio.sleep(0.05)
            # EOF mid-body: the parser's truncation error, or the connection loss
            error = await asyncio.wait_for(seen, 10)
            assert isinstance(error, (RequestPayloadError, ContentLengthError)), error
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_write_flow_control_with_a_slow_reader() -> None:
    paused: list[bool] = []

    async def firehose(request: BaseRequest) -> StreamResponse:
        resp = StreamResponse()
        resp.content_length = 32 * 1024 * 1024
        await resp.prepare(request)
        chunk = b"f" * 65536
        for _ in range(512):
            await resp.write(chunk)
            paused.append(request.protocol._writing_paused)
        return resp

    async with serve(firehose) as (_, port), connect(port) as (reader, writer):
        writer.write(get())
        await asyncio.sleep(0.1)  # let the server fill the socket buffers
        status, _, body = await read_response(reader)
    assert status == 200 and len(body) == 32 * 1024 * 1024
    assert any(paused), "the transport never asked the writer to wait"


async def test_keepalive_timeout_zero_closes_after_each_response() -> None:
    async with serve(hello, keepalive_timeout=0) as (_, port), connect(port) as (reader, writer):
        writer.write(get("/only"))
        assert (await read_response(reader))[2] == b"hello /only"
        assert await asyncio.wait_for(reader.read(), 5) == b""


async def test_http10_keep_alive_is_honoured() -> None:
    async with serve(hello) as (server, port), connect(port) as (reader, writer):
        for path in ("/a", "/b"):
            writer.write(f"GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            status, headers, body = await read_response(reader)
            assert (status, body) == (200, f"hello {path}".encode())
            assert headers["connection"].lower() == "keep-alive"
        assert len(server.connections) == 1


async def test_unread_body_that_never_ends_closes_after_lingering_time() -> None:
    async with serve(hello, lingering_time=0.1) as (_, port), connect(port) as (r, w):
        w.write(b"POST /stuck HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789")
        assert (await read_response(r))[2] == b"hello /stuck"
        assert await asyncio.wait_for(r.read(), 5) == b""


@pytest.mark.parametrize("streamed", [False, True], ids=["response", "stream-response"])
async def test_obs_text_in_a_field_goes_back_as_the_bytes_that_came(streamed: bool) -> None:
    """A field value with bytes that are no UTF-8 (obs-text) is decoded with
    surrogateescape; copied into a response field, it is sent as those same bytes (it
    raised UnicodeEncodeError: a 500)."""

    async def copy_header(request: BaseRequest) -> StreamResponse:
        value = request.headers["X-Raw"]
        assert value == "caf\udce9"
        if not streamed:
            return Response(text="ok", headers={"X-Copy": value})
        resp = StreamResponse(headers={"X-Copy": value})
        await resp.prepare(request)
        await resp.write(b"ok")
        await resp.write_eof()
        return resp

    async with serve(copy_header) as (_, port), connect(port) as (reader, writer):
        writer.write(b"GET / HTTP/1.1\r\nHost: test\r\nX-Raw: caf\xe9\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"\r\nX-Copy: caf\xe9\r\n" in head
