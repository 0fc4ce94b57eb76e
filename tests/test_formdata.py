"""Tests for toolkit.formdata."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from multidict import MultiDict

from toolkit.formdata import FormData
from toolkit.multipart import BodyPartReader, MultipartReader, MultipartWriter
from toolkit.payload import BytesPayload, Payload
from toolkit.streams import StreamReader


class BufferWriter:
    def __init__(self) -> None:
        self.buf = bytearray()

    async def write(self, chunk: bytes) -> None:
        self.buf += chunk


async def body_of(p: Payload) -> bytes:
    w = BufferWriter()
    await p.write(w)
    return bytes(w.buf)


async def read_parts(writer: MultipartWriter) -> list[tuple[Any, Any, Any, bytes]]:
    s = StreamReader()
    s.feed_data(await body_of(writer))
    s.feed_eof()
    out = []
    async for part in MultipartReader(writer.headers, s):
        assert isinstance(part, BodyPartReader)
        out.append((part.name, part.filename, part.headers.get("Content-Type"), await part.read()))
    return out


async def test_urlencoded() -> None:
    form = FormData({"a": "1", "b": "x y"})
    assert not form.is_multipart
    p = form()
    assert isinstance(p, BytesPayload)
    assert p.content_type == "application/x-www-form-urlencoded"
    assert await body_of(p) == b"a=1&b=x+y"
    # urlencoded bodies may be generated again
    assert await body_of(form()) == b"a=1&b=x+y"


async def test_urlencoded_fields_forms() -> None:
    assert await body_of(FormData([("k", "v"), ("k", "w")])()) == b"k=v&k=w"
    assert await body_of(FormData(MultiDict([("m", "1"), ("m", "2")]))()) == b"m=1&m=2"
    assert await body_of(FormData({"n": 5})()) == b"n=5"


async def test_urlencoded_charset() -> None:
    p = FormData({"k": "é"}, charset="latin-1")()
    assert p.content_type == "application/x-www-form-urlencoded; charset=latin-1"
    assert await body_of(p) == b"k=%E9"


async def test_file_field_makes_multipart(tmp_path: Path) -> None:
    path = tmp_path / "report.xls"
    path.write_bytes(b"excel bytes")
    form = FormData()
    form.add_field("name", "value")
    with open(path, "rb") as f:
        form.add_field("file", f, filename="report.xls", content_type="application/vnd.ms-excel")
        assert form.is_multipart
        writer = form()
        assert isinstance(writer, MultipartWriter)
        assert writer.content_type.startswith("multipart/form-data; boundary=")
        parts = await read_parts(writer)
    assert parts == [
        ("name", None, "text/plain; charset=utf-8", b"value"),
        ("file", "report.xls", "application/vnd.ms-excel", b"excel bytes"),
    ]


async def test_file_name_guessed(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b"{}")
    with open(path, "rb") as f:
        writer = FormData({"upload": f})()
        assert isinstance(writer, MultipartWriter)
        parts = await read_parts(writer)
    assert parts == [("upload", "data.json", "application/json", b"{}")]


async def test_add_fields_with_bare_file(tmp_path: Path) -> None:
    path = tmp_path / "bare.txt"
    path.write_bytes(b"bare")
    with open(path, "rb") as f:
        form = FormData()
        form.add_fields(f)
        parts = await read_parts(form())  # type: ignore[arg-type]
    assert parts[0][:2] == ("bare.txt", "bare.txt")


async def test_bytes_value_is_a_file() -> None:
    form = FormData()
    form.add_field("blob", b"\x00\x01")
    assert form.is_multipart
    parts = await read_parts(form())  # type: ignore[arg-type]
    assert parts == [("blob", "blob", "application/octet-stream", b"\x00\x01")]


async def test_content_type_and_transfer_encoding() -> None:
    form = FormData()
    form.add_field("j", '{"a": 1}', content_type="application/json")
    form.add_field("b64", b"raw", filename="r.bin", content_transfer_encoding="base64")
    writer = form()
    assert isinstance(writer, MultipartWriter)
    body = await body_of(writer)
    assert b"Content-Transfer-Encoding: base64" in body and b"cmF3" in body
    s = StreamReader()
    s.feed_data(body)
    s.feed_eof()
    reader = MultipartReader(writer.headers, s)
    part = await reader.next()
    assert isinstance(part, BodyPartReader)
    assert await part.json() == {"a": 1}
    part = await reader.next()
    assert isinstance(part, BodyPartReader)
    assert await part.read(decode=True) == b"raw"


async def test_bytesio_field() -> None:
    form = FormData()
    form.add_field("f", io.BytesIO(b"mem"), filename="m.txt")
    assert (await read_parts(form()))[0] == ("f", "m.txt", "application/octet-stream", b"mem")  # type: ignore[arg-type]


async def test_default_to_multipart_and_quote_fields() -> None:
    form = FormData({"ключ": "v"}, default_to_multipart=True)
    body = await body_of(form())
    assert b"name*=utf-8''%D0%BA%D0%BB%D1%8E%D1%87" in body
    form = FormData({"a": "v"}, quote_fields=False, default_to_multipart=True)
    assert b'name="a"' in await body_of(form())


def test_multipart_reuse_is_an_error() -> None:
    form = FormData()
    form.add_field("f", b"x", filename="x")
    form()
    with pytest.raises(RuntimeError, match="processed already"):
        form()


def test_argument_errors() -> None:
    form = FormData()
    with pytest.raises(TypeError, match="filename must be an instance of str"):
        form.add_field("f", "v", filename=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="content_type must be an instance of str"):
        form.add_field("f", "v", content_type=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="content_transfer_encoding must be"):
        form.add_field("f", "v", content_transfer_encoding=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Only io\.IOBase, multidict and"):
        form.add_fields(("a", "b", "c"))


def test_unserializable_multipart_value() -> None:
    form = FormData(default_to_multipart=True)
    form.add_field("n", 1.5)
    with pytest.raises(TypeError, match="Can not serialize value type"):
        form()
