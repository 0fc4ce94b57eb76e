"""Responses: headers, cookies, compression, chunking, validators, streaming."""

from __future__ import annotations

import datetime
import gzip
import json
import zlib

import brotli
import httpx
import pytest

from tests.web.conftest import FakeWriter, Serve, make_request
from toolkit import web
from toolkit.helpers import ETag
from toolkit.http import HttpVersion10


async def prepared(resp: web.StreamResponse, *args: object, **kwargs: object) -> FakeWriter:
    request = make_request(*args, **kwargs)  # type: ignore[arg-type]
    await resp.prepare(request)
    await resp.write_eof()
    writer = request.writer
    assert isinstance(writer, FakeWriter)
    return writer


def test_response_constructor_rules() -> None:
    resp = web.Response(text="héllo")
    assert resp.content_type == "text/plain"
    assert resp.charset == "utf-8"
    assert resp.body == "héllo".encode()
    assert resp.text == "héllo"
    assert web.Response(body=b"x", content_type="image/png").content_type == "image/png"
    r = web.Response(text="x", content_type="text/html", charset="latin-1")
    assert r.headers["Content-Type"] == "text/html; charset=latin-1"
    with pytest.raises(ValueError, match="together"):
        web.Response(body=b"x", text="y")
    with pytest.raises(ValueError, match="charset must not be"):
        web.Response(text="x", content_type="text/plain; charset=utf-8")
    with pytest.raises(ValueError, match="forbidden"):
        web.Response(text="x", headers={"Content-Type": "a/b"}, content_type="c/d")
    with pytest.raises(TypeError, match="must be str"):
        web.Response(text=b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="line break"):
        web.Response(reason="bad\r\nX-Injected: 1")
    resp = web.Response(status=299)
    assert resp.reason == ""
    assert web.Response(status=404).reason == "Not Found"
    with pytest.raises(ValueError, match="only one"):
        web.json_response({"a": 1}, text="x")


def test_json_response() -> None:
    resp = web.json_response({"a": [1, 2]}, status=201, dumps=lambda d: json.dumps(d, indent=1))
    assert resp.status == 201
    assert resp.content_type == "application/json"
    assert json.loads(resp.text or "") == {"a": [1, 2]}


def test_cookies_all_options() -> None:
    resp = web.StreamResponse()
    resp.set_cookie(
        "session",
        "abc",
        domain="example.com",
        max_age=60,
        path="/app",
        secure=True,
        httponly=True,
        samesite="Strict",
        partitioned=True,
        expires="Wed, 21 Oct 2035 07:28:00 GMT",
    )
    resp.set_cookie("plain", "1")
    resp.del_cookie("gone", path="/x")
    morsel = resp.cookies["session"]
    assert morsel["samesite"] == "Strict"
    assert resp.cookies["gone"]["max-age"] == "0"


async def test_cookie_headers_written() -> None:
    resp = web.Response(text="x")
    resp.set_cookie("session", "abc", secure=True, httponly=True, samesite="Lax", partitioned=True)
    resp.del_cookie("gone")
    writer = await prepared(resp, "GET", "/")
    assert writer.headers is not None
    cookies = writer.headers.getall("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    for part in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Partitioned"):
        assert part in session
    gone = next(c for c in cookies if c.startswith("gone="))
    assert 'gone=""' in gone and "Max-Age=0" in gone and "1970" in gone


async def test_head_and_empty_statuses_write_no_body() -> None:
    writer = await prepared(web.Response(text="body"), "HEAD", "/")
    assert writer.body == b""
    assert writer.headers is not None and writer.headers["Content-Length"] == "4"
    writer = await prepared(web.Response(status=204, text="ignored"), "GET", "/")
    assert writer.body == b""
    assert writer.headers is not None and "Content-Length" not in writer.headers
    writer = await prepared(web.HTTPNotModified(), "GET", "/")
    assert writer.status_line == "HTTP/1.1 304 Not Modified"
    assert writer.body == b""


async def test_http10_and_keep_alive() -> None:
    resp = web.StreamResponse()
    request = make_request("GET", "/", version=HttpVersion10)
    await resp.prepare(request)
    writer = request.writer
    assert writer.status_line == "HTTP/1.0 200 OK"
    assert not writer.chunked  # no chunked coding on HTTP/1.0
    assert resp.keep_alive is False  # body delimited by closing the connection
    assert request.protocol.keep_alive_value is False

    resp = web.Response(text="x")
    resp.force_close()
    writer = await prepared(resp, "GET", "/")
    assert writer.headers is not None and writer.headers["Connection"] == "close"

    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    with pytest.raises(RuntimeError, match=r"HTTP/1\.0"):
        await resp.prepare(make_request("GET", "/", version=HttpVersion10))


async def test_stream_response_lifecycle_errors() -> None:
    resp = web.StreamResponse()
    with pytest.raises(RuntimeError, match="before prepare"):
        await resp.write(b"x")
    request = make_request("GET", "/")
    writer = await resp.prepare(request)
    assert resp.prepared
    assert await resp.prepare(request) is writer
    with pytest.raises(RuntimeError, match="after the headers"):
        resp.set_status(404)
    await resp.write(b"abc")
    with pytest.raises(TypeError):
        await resp.write("text")  # type: ignore[arg-type]
    await resp.write_eof(b"def")
    with pytest.raises(RuntimeError, match="after write_eof"):
        await resp.write(b"more")
    assert request.writer.body == b"abcdef"
    assert request.writer.chunked  # unknown length on HTTP/1.1
    resp2 = web.StreamResponse(headers={"Content-Length": "3"})
    with pytest.raises(RuntimeError, match="Content-Length"):
        resp2.enable_chunked_encoding()


def test_validators_and_content_props() -> None:
    resp = web.StreamResponse()
    when = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    resp.last_modified = when
    assert resp.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert resp.last_modified == when
    resp.last_modified = 0
    assert resp.last_modified == datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    resp.last_modified = None
    assert "Last-Modified" not in resp.headers
    resp.etag = "abc"
    assert resp.headers["ETag"] == '"abc"'
    resp.etag = ETag("w", is_weak=True)
    assert resp.headers["ETag"] == 'W/"w"'
    assert resp.etag == ETag("w", is_weak=True)
    with pytest.raises(ValueError, match="invalid ETag"):
        resp.etag = 'bad"quote'
    resp.content_type = "text/html"
    resp.charset = "utf-8"
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    resp.content_length = 10
    assert resp.content_length == 10
    resp["state"] = 1
    assert resp["state"] == 1 and len(resp) == 1 and bool(web.StreamResponse())


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("gzip;q=0.5, br;q=1.000, deflate;q=0", {"gzip": 0.5, "br": 1.0, "deflate": 0.0}),
        ("GZIP ; q = 0.25 ", {"gzip": 0.25}),
        ("gzip;q=1.", {"gzip": 1.0}),
        ("gzip;q=nan", {"gzip": 0.0}),  # float() takes all of these
        ("gzip;q=inf", {"gzip": 0.0}),
        ("gzip;q=1e-3", {"gzip": 0.0}),
        ("gzip;q=0_5", {"gzip": 0.0}),
        ("gzip;q=-1", {"gzip": 0.0}),
        ("gzip;q=\u0661", {"gzip": 0.0}),  # Arabic-Indic one
        ("gzip;q=0.5\x1f", {"gzip": 0.0}),  # str.strip() takes the control character
    ],
)
def test_parse_accept_encoding(accept: str, expected: dict[str, float]) -> None:
    from toolkit.web._helpers import parse_accept_encoding

    assert parse_accept_encoding(accept) == expected


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("br", "br"),
        ("gzip;q=0.5, br;q=0.4, deflate;q=0.9", "deflate"),
        ("br, gzip", "br"),
        ("identity", None),
        ("gzip;q=0", None),
    ],
)
async def test_compression_negotiation(serve: Serve, accept: str, coding: str | None) -> None:
    payload = "compress me " * 200

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text=payload)
        resp.enable_compression()
        return resp

    async def streamed(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_compression()
        await resp.prepare(request)
        for _ in range(10):
            await resp.write(payload[:240].encode())
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    app.router.add_get("/stream", streamed)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        for path, expected in (("/", payload), ("/stream", payload[:240] * 10)):
            async with client.stream("GET", path, headers={"Accept-Encoding": accept}) as r:
                raw = b"".join([chunk async for chunk in r.aiter_raw()])
            assert r.headers.get("Content-Encoding") == coding
            assert "Accept-Encoding" in r.headers.get("Vary", "")
            decoded = {
                None: lambda b: b,
                "gzip": gzip.decompress,
                "deflate": zlib.decompress,
                "br": brotli.decompress,
            }[coding](raw)
            assert decoded.decode() == expected


async def test_forced_compression(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(body=b"a" * 1000, zlib_executor_size=10)
        resp.enable_compression(web.ContentCoding.gzip)
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/", headers={"Accept-Encoding": "identity"})
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.content == b"a" * 1000


async def test_chunked_streaming_over_the_wire(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"X-Stream": "1"})
        resp.content_type = "text/plain"
        await resp.prepare(request)
        for i in range(5):
            await resp.write(f"part{i};".encode())
            await resp.drain()
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
    assert r.headers["Transfer-Encoding"] == "chunked"
    assert r.text == "part0;part1;part2;part3;part4;"


async def test_exceptions_returned_and_raised(serve: Serve) -> None:
    async def raised(request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere", headers={"X-A": "1"})

    async def custom(request: web.Request) -> web.Response:
        raise web.HTTPBadRequest(text="nope", content_type="text/csv")

    app = web.Application()
    app.router.add_get("/raised", raised)
    app.router.add_get("/custom", custom)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/raised")
        assert (r.status_code, r.headers["Location"], r.headers["X-A"]) == (302, "/elsewhere", "1")
        assert r.text == "302: Found"
        r = await client.get("/custom")
        assert (r.status_code, r.text, r.headers["Content-Type"]) == (
            400,
            "nope",
            "text/csv; charset=utf-8",
        )


async def test_exception_returned_from_handler(serve: Serve) -> None:
    async def returned(request: web.Request) -> web.Response:
        return web.HTTPAccepted(text="queued")

    app = web.Application()
    app.router.add_get("/", returned)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
    assert (r.status_code, r.text) == (202, "queued")


async def test_head_with_streamed_compression_sends_no_body(serve: Serve) -> None:
    import asyncio

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Vary": "accept-encoding"})
        resp.enable_compression()
        await resp.prepare(request)
        await resp.write(b"data" * 100)
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"HEAD / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    head_response, _, rest = data.partition(b"\r\n\r\n")
    assert b"Content-Encoding: gzip" in head_response
    assert head_response.lower().count(b"vary") == 1
    # the HEAD response has no body at all: the next bytes are the GET's status line
    assert rest.startswith(b"HTTP/1.1 200 OK")
    get_head, _, body = rest.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in get_head
    chunks = bytearray()
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        chunks += body[:size]
        body = body[size + 2 :]
    assert gzip.decompress(bytes(chunks)) == b"data" * 100


async def test_payload_bodies_over_the_wire(serve: Serve, tmp_path: object) -> None:
    import io

    async def chunks() -> object:
        for part in (b"as", b"ync"):
            yield part

    bodies = {
        "/str": ("strbody", "text/plain; charset=utf-8", b"strbody"),
        "/bytesio": (lambda: io.BytesIO(b"bio"), "application/octet-stream", b"bio"),
        "/agen": (chunks, "application/octet-stream", b"async"),
    }

    def make(path: str) -> object:
        async def handler(request: web.Request) -> web.Response:
            body = bodies[path][0]
            return web.Response(body=body() if callable(body) else body)

        return handler

    app = web.Application()
    for path in bodies:
        app.router.add_get(path, make(path))
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        for path, (_, ctype, expected) in bodies.items():
            r = await client.get(path)
            assert (r.headers["Content-Type"], r.content) == (ctype, expected), path
    with pytest.raises(ValueError, match="unsupported body type 'dict'"):
        web.Response(body={"a": 1})


def test_response_body_and_text_properties() -> None:
    resp = web.Response()
    assert resp.body is None and resp.text is None and resp.content_length == 0
    resp.text = "héllo"
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert resp.content_length == len("héllo".encode())
    resp.body = bytearray(b"abc")
    assert resp.body == b"abc" and resp.content_length == 3
    with pytest.raises(RuntimeError, match="automatically"):
        resp.content_length = 5
    resp.enable_chunked_encoding()
    assert resp.content_length is None and resp.chunked
    with pytest.raises(TypeError):
        resp.text = b"x"  # type: ignore[assignment]
    latin = web.Response(text="é", headers={"Content-Type": "text/plain; charset=latin-1"})
    assert latin.body == "é".encode("latin-1")
    assert repr(web.Response()) == "<Response OK not prepared>"
