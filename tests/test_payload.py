"""Tests for toolkit.payload."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from toolkit import payload
from toolkit.payload import (
    PAYLOAD_REGISTRY,
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Order,
    Payload,
    PayloadLookupError,
    PayloadRegistry,
    StreamReaderPayload,
    StreamWrapperPayload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
    streamer,
)
from toolkit.streams import StreamReader


class BufferWriter:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        assert isinstance(chunk, bytes)
        self.chunks.append(chunk)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


async def written(p: Payload) -> bytes:
    w = BufferWriter()
    await p.write(w)
    return w.data


async def test_bytes_payload() -> None:
    p = get_payload(b"data")
    assert isinstance(p, BytesPayload)
    assert p.size == 4 and p.content_type == "application/octet-stream"
    assert await written(p) == b"data"
    assert p.decode() == "data"
    mv = get_payload(memoryview(b"abc"))
    assert mv.size == 3 and await written(mv) == b"abc"
    assert isinstance(get_payload(bytearray(b"x")), BytesPayload)
    with pytest.raises(TypeError, match="byte-ish"):
        BytesPayload("text")  # type: ignore[arg-type]


async def test_string_payload_encodings() -> None:
    p = get_payload("привет")
    assert isinstance(p, StringPayload)
    assert p.content_type == "text/plain; charset=utf-8" and p.encoding == "utf-8"
    assert await written(p) == "привет".encode()
    assert p.size == len("привет".encode())
    p = StringPayload("привет", encoding="koi8-r")
    assert p.content_type == "text/plain; charset=koi8-r"
    assert await written(p) == "привет".encode("koi8-r")
    p = StringPayload("привет", content_type="text/html; charset=cp1251")
    assert p.encoding == "cp1251" and await written(p) == "привет".encode("cp1251")
    p = StringPayload("x", content_type="application/xml")
    assert p.encoding == "utf-8" and p.content_type == "application/xml"


async def test_string_io_payload() -> None:
    p = get_payload(io.StringIO("text"))
    assert isinstance(p, StringIOPayload)
    assert await written(p) == b"text"


async def test_json_payload() -> None:
    p = JsonPayload({"a": [1, "é"]})
    assert p.content_type == "application/json"
    assert json.loads(await written(p)) == {"a": [1, "é"]}
    p = JsonPayload({"a": 1}, dumps=lambda v: "custom", content_type="application/vnd+json")
    assert await written(p) == b"custom" and p.content_type == "application/vnd+json"


async def test_file_payload(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    content = b"a,b\n" * 50_000
    path.write_bytes(content)
    with open(path, "rb") as f:
        p = get_payload(f)
        assert isinstance(p, BufferedReaderPayload)
        assert p.size == len(content)
        assert p.filename == "report.csv"
        assert p.content_type == "text/csv"
        assert p.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
        w = BufferWriter()
        await p.write(w)
        assert w.data == content
        assert len(w.chunks) > 1  # streamed in blocks
        assert f.closed


async def test_file_payload_size_counts_from_position(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as f:
        f.seek(4)
        p = get_payload(f)
        assert p.size == 6
        assert await written(p) == b"456789"


async def test_text_file_payload(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("héllo", encoding="utf-8")
    with open(path, encoding="utf-8") as f:
        p = get_payload(f)
        assert isinstance(p, TextIOPayload)
        assert p.size is None
        assert p.content_type == "text/plain; charset=utf-8"
        assert await written(p) == "héllo".encode()


async def test_text_file_payload_charset_from_content_type(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("héllo", encoding="utf-8")
    with open(path, encoding="utf-8") as f:
        p = TextIOPayload(f, content_type="text/plain; charset=latin-1")
        assert await written(p) == "héllo".encode("latin-1")


async def test_bytesio_payload() -> None:
    buf = io.BytesIO(b"prefix-body")
    buf.seek(7)
    p = get_payload(buf)
    assert isinstance(p, BytesIOPayload)
    assert p.size == 4
    assert p.decode() == "body"
    assert p.filename is None and "Content-Disposition" not in p.headers
    assert await written(p) == b"body"


async def test_iobase_payload_fallback() -> None:
    class Reader(io.RawIOBase):
        def __init__(self) -> None:
            self.data = io.BytesIO(b"raw data")

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.data.read(size)

    p = get_payload(Reader())
    assert type(p) is IOBasePayload
    assert p.size is None
    assert await written(p) == b"raw data"


async def test_async_iterable_payload() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"one "
        yield b"two"

    p = get_payload(gen())
    assert isinstance(p, AsyncIterablePayload)
    assert p.size is None
    assert await written(p) == b"one two"
    with pytest.raises(RuntimeError, match="already written"):
        await written(p)
    with pytest.raises(TypeError, match="async iteration"):
        AsyncIterablePayload([b"x"])  # type: ignore[arg-type]


async def test_stream_reader_payload() -> None:
    s = StreamReader()
    s.feed_data(b"streamed ")
    s.feed_data(b"body")
    s.feed_eof()
    p = get_payload(s)
    assert isinstance(p, StreamReaderPayload)
    assert await written(p) == b"streamed body"


async def test_streamer_async_def() -> None:
    @streamer
    async def sender(writer: Any, count: int, *, sep: bytes = b",") -> None:
        for i in range(count):
            await writer.write(str(i).encode() + sep)

    p = get_payload(sender(3, sep=b";"))
    assert isinstance(p, StreamWrapperPayload)
    assert p.size is None
    assert await written(p) == b"0;1;2;"


async def test_streamer_2x_generator_style() -> None:
    @streamer
    def file_sender(writer: Any, chunks: list[bytes]) -> Any:
        for chunk in chunks:
            yield from writer.write(chunk)

    assert await written(get_payload(file_sender(chunks=[b"a", b"b"]))) == b"ab"


async def test_streamer_is_exported_from_package() -> None:
    assert payload.streamer is streamer


def test_unknown_type() -> None:
    with pytest.raises(TypeError, match=r"builtins\.object"):
        get_payload(object())
    with pytest.raises(LookupError):
        get_payload(12)
    assert issubclass(PayloadLookupError, TypeError)


def test_payload_passes_through() -> None:
    p = BytesPayload(b"x")
    assert get_payload(p) is p
    assert PAYLOAD_REGISTRY.get(p) is p


def test_registry_order() -> None:
    registry = PayloadRegistry()

    class First(BytesPayload):
        pass

    class Last(BytesPayload):
        pass

    registry.register(Last, bytes, order=Order.try_last)
    registry.register(BytesPayload, bytes)
    registry.register(First, bytes, order=Order.try_first)
    assert type(registry.get(b"x")) is First
    with pytest.raises(ValueError, match="order"):
        registry.register(First, bytes, order="bogus")  # type: ignore[arg-type]


def test_payload_headers_and_disposition() -> None:
    p = BytesPayload(b"x", headers={"X-Extra": "1"}, content_type="image/png")
    assert p.headers["X-Extra"] == "1" and p.content_type == "image/png"
    p.set_content_disposition("attachment", filename="résumé.pdf")
    assert p.headers["Content-Disposition"] == 'attachment; filename="r%C3%A9sum%C3%A9.pdf"'
    # like aiohttp, raw bytes are octet-stream unless told otherwise
    assert BytesPayload(b"x", filename="pic.png").content_type == "application/octet-stream"
    assert BytesIOPayload(io.BytesIO(b"x"), filename="pic.png").content_type == "image/png"
    p = BytesIOPayload(io.BytesIO(b"x"), filename="unknown.zzzz")
    assert p.content_type == "application/octet-stream"
    p = BytesPayload(b"x")
    assert p._binary_headers == b"Content-Type: application/octet-stream\r\n\r\n"


async def test_decode_unsupported() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b""

    with pytest.raises(TypeError, match="cannot be decoded"):
        AsyncIterablePayload(gen()).decode()
