"""StreamWriter: coalescing, chunking, compression, flow control, header safety."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import Any

import pytest
from multidict import CIMultiDict

from toolkit.web.writer import StreamWriter, serialize_head


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    @property
    def data(self) -> bytes:
        return b"".join(self.writes)


class FakeProtocol:
    def __init__(self) -> None:
        self.transport: Any = FakeTransport()
        self.paused = False
        self.waiter: asyncio.Future[None] | None = None

    @property
    def _writing_paused(self) -> bool:
        return self.paused

    async def _drain_helper(self) -> None:
        if self.paused:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter


def make_writer() -> tuple[StreamWriter, FakeProtocol]:
    protocol = FakeProtocol()
    return StreamWriter(protocol, asyncio.get_running_loop()), protocol


def headers(**kw: str) -> CIMultiDict[str]:
    h: CIMultiDict[str] = CIMultiDict(Date="Thu, 01 Jan 2026 00:00:00 GMT")
    for key, value in kw.items():
        h[key.replace("_", "-")] = value
    return h


async def test_head_and_body_leave_in_one_write() -> None:
    writer, protocol = make_writer()
    await writer.write_headers("HTTP/1.1 200 OK", headers(Content_Length="5"))
    assert protocol.transport.writes == []
    await writer.write_eof(b"hello")
    assert protocol.transport.writes == [
        b"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Length: 5\r\n\r\nhello"
    ]
    assert writer.output_size == len(protocol.transport.writes[0])


async def test_large_body_is_not_copied_into_the_head() -> None:
    writer, protocol = make_writer()
    await writer.write_headers("HTTP/1.1 200 OK", headers())
    body = b"x" * 100_000
    await writer.write(body)
    assert len(protocol.transport.writes) == 2
    assert protocol.transport.writes[1] == body


async def test_drain_sends_a_buffered_head() -> None:
    writer, protocol = make_writer()
    await writer.write_headers("HTTP/1.1 101 Switching Protocols", headers())
    await writer.drain()
    assert protocol.transport.data.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")


async def test_chunked_body() -> None:
    writer, protocol = make_writer()
    writer.enable_chunking()
    await writer.write_headers("HTTP/1.1 200 OK", headers(Transfer_Encoding="chunked"))
    await writer.write(b"abc")
    await writer.write(b"")
    await writer.write_eof(b"defghijklmnopqrs")
    body = protocol.transport.data.split(b"\r\n\r\n", 1)[1]
    assert body == b"3\r\nabc\r\n10\r\ndefghijklmnopqrs\r\n0\r\n\r\n"


async def test_chunked_empty_eof_sends_last_chunk_only() -> None:
    writer, protocol = make_writer()
    writer.enable_chunking()
    await writer.write_headers("HTTP/1.1 200 OK", headers())
    await writer.write_eof()
    assert protocol.transport.data.endswith(b"\r\n\r\n0\r\n\r\n")


@pytest.mark.parametrize(
    ("encoding", "decode"),
    [
        ("gzip", gzip.decompress),
        ("deflate", lambda data: zlib.decompress(data)),
    ],
)
async def test_compressed_chunked_body(encoding: str, decode: Any) -> None:
    writer, protocol = make_writer()
    writer.enable_compression(encoding)
    writer.enable_chunking()
    await writer.write_headers("HTTP/1.1 200 OK", headers())
    payload = b"hello world " * 1000
    await writer.write(payload)
    await writer.write_eof(b"end")
    body = protocol.transport.data.split(b"\r\n\r\n", 1)[1]
    # de-chunk
    raw = b""
    while True:
        size_line, body = body.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            break
        raw += body[:size]
        body = body[size + 2 :]
    try:
        assert decode(raw) == payload + b"end"
    except zlib.error:
        assert zlib.decompress(raw, -zlib.MAX_WBITS) == payload + b"end"


async def test_brotli_body() -> None:
    brotli = pytest.importorskip("brotli")
    writer, protocol = make_writer()
    writer.enable_compression("br")
    await writer.write_headers("HTTP/1.1 200 OK", headers())
    await writer.write_eof(b"brotli " * 100)
    body = protocol.transport.data.split(b"\r\n\r\n", 1)[1]
    assert brotli.decompress(body) == b"brotli " * 100


async def test_length_caps_the_body() -> None:
    writer, protocol = make_writer()
    writer.length = 4
    await writer.write_headers("HTTP/1.1 200 OK", headers(Content_Length="4"))
    await writer.write(b"abc")
    await writer.write(b"defg")
    await writer.write_eof(b"more")
    assert protocol.transport.data.endswith(b"\r\n\r\nabcd")


async def test_bytes_before_headers_go_out_raw() -> None:
    writer, protocol = make_writer()
    await writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert protocol.transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    assert not writer.headers_written


async def test_write_to_closed_transport_raises() -> None:
    writer, protocol = make_writer()
    protocol.transport = None
    await writer.write_headers("HTTP/1.1 200 OK", headers())
    with pytest.raises(ConnectionResetError):
        await writer.write_eof(b"x")


async def test_large_writes_wait_for_drain() -> None:
    writer, protocol = make_writer()
    protocol.paused = True
    await writer.write_headers("HTTP/1.1 200 OK", headers())
    await writer.write(b"x" * 1000)  # below the limit: no drain
    task = asyncio.ensure_future(writer.write(b"y" * 100_000))
    await asyncio.sleep(0)
    assert not task.done()
    assert protocol.waiter is not None
    protocol.waiter.set_result(None)
    await task


@pytest.mark.parametrize(
    ("status_line", "name", "value"),
    [
        ("HTTP/1.1 200 OK", "X-Evil", "a\r\nSet-Cookie: x=1"),
        ("HTTP/1.1 200 OK", "X-Evil\r\nA", "b"),
        ("HTTP/1.1 200 OK\r\nX: y", "X", "y"),
        ("HTTP/1.1 200 OK", "X", "only-lf\nY: z"),
    ],
)
def test_serialize_head_refuses_line_injection(status_line: str, name: str, value: str) -> None:
    with pytest.raises(ValueError, match="Newline or carriage return"):
        serialize_head(status_line, CIMultiDict({name: value}))


def test_serialize_head_adds_date_when_missing() -> None:
    head = serialize_head("HTTP/1.1 204 No Content", CIMultiDict())
    assert head.startswith(b"HTTP/1.1 204 No Content\r\nDate: ")
    assert head.endswith(b" GMT\r\n\r\n")
