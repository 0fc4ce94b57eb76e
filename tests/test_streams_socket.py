"""StreamReader fed by a real TCP connection on 127.0.0.1: flow control reaches the socket."""

from __future__ import annotations

import asyncio
import hashlib

from toolkit.multipart import BodyPartReader, MultipartReader, MultipartWriter
from toolkit.streams import StreamReader


class ReaderProtocol(asyncio.Protocol):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pauses = 0
        self.resumes = 0
        self.transport: asyncio.Transport | None = None
        self.reader: StreamReader | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.reader = StreamReader(self, self.limit)

    def pause_reading(self) -> None:
        self.pauses += 1
        assert self.transport is not None
        self.transport.pause_reading()

    def resume_reading(self) -> None:
        self.resumes += 1
        assert self.transport is not None
        self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        assert self.reader is not None
        self.reader.feed_data(data)

    def eof_received(self) -> bool | None:
        assert self.reader is not None
        self.reader.feed_eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        assert self.reader is not None
        if exc is not None:
            self.reader.set_exception(exc)
        elif not self.reader.is_eof():
            self.reader.feed_eof()


async def serve(payload: bytes) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port


async def connect(port: int, limit: int) -> tuple[asyncio.Transport, ReaderProtocol]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: ReaderProtocol(limit), "127.0.0.1", port
    )
    return transport, protocol


async def test_slow_reader_pauses_the_socket() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    server, port = await serve(payload)
    try:
        transport, protocol = await connect(port, limit=4096)
        assert protocol.reader is not None
        digest = hashlib.sha256()
        total = 0
        async for chunk in protocol.reader.iter_chunked(1000):
            digest.update(chunk)
            total += len(chunk)
            assert len(protocol.reader._buffer) <= 8192 + 2**18  # bounded by the mark
            await asyncio.sleep(0)
        assert total == len(payload)
        assert digest.digest() == hashlib.sha256(payload).digest()
        assert protocol.pauses >= 1
        assert protocol.resumes >= 1
        transport.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_multipart_over_a_socket() -> None:
    writer = MultipartWriter(boundary="sock")
    writer.append(b"\x00" * 100_000)
    writer.append("tail")
    body = bytearray()

    class Sink:
        async def write(self, chunk: bytes) -> None:
            body.extend(chunk)

    await writer.write(Sink())
    server, port = await serve(bytes(body))
    try:
        transport, protocol = await connect(port, limit=1024)
        reader = MultipartReader(writer.headers, protocol.reader)
        sizes = []
        async for part in reader:
            assert isinstance(part, BodyPartReader)
            sizes.append(len(await part.read()))
        assert sizes == [100_000, 4]
        transport.close()
    finally:
        server.close()
        await server.wait_closed()
