"""toolkit.testing.httpbin's later endpoints: the same assertions against httpbin and ours.

Every endpoint both servers have runs through one shared test, parametrized over the real
httpbin (gunicorn, from tests/conftest.py) and ``make_httpbin_app()`` served by
``AppRunner`` + ``TCPSite`` on 127.0.0.1 port 0. ``/ws/echo`` is ours alone.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

from toolkit import ClientSession, ClientTimeout
from toolkit.testing import make_httpbin_app
from toolkit.web import AppRunner, TCPSite


@pytest.fixture(params=["httpbin", "ours"])
def which(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def ours() -> AsyncIterator[URL]:
    runner = AppRunner(make_httpbin_app())
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield URL(site.name)
    finally:
        await runner.cleanup()


@pytest.fixture
def base(which: str, ours: URL, httpbin: Any) -> URL:
    """The base URL of the real httpbin or of ours (one test run for each)."""
    return URL(str(httpbin.url)) if which == "httpbin" else ours


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as s:
        yield s


async def test_bearer(base: URL, session: ClientSession) -> None:
    async with session.get(base / "bearer") as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"] == "Bearer"
    async with session.get(base / "bearer", headers={"Authorization": "Basic eDp5"}) as resp:
        assert resp.status == 401
    async with session.get(base / "bearer", headers={"Authorization": "Bearer t0k"}) as resp:
        assert resp.status == 200
        assert await resp.json() == {"authenticated": True, "token": "t0k"}


async def test_hidden_basic_auth(base: URL, session: ClientSession) -> None:
    url = base / "hidden-basic-auth/u/p"
    async with session.get(url) as resp:
        assert resp.status == 404 and "WWW-Authenticate" not in resp.headers
    good = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    async with session.get(url, headers=good) as resp:
        assert await resp.json() == {"authenticated": True, "user": "u"}


@pytest.mark.skipif(importlib.util.find_spec("brotli") is None, reason="brotli not installed")
async def test_brotli(base: URL, session: ClientSession) -> None:
    headers = {"Accept-Encoding": "br"}
    async with session.get(base / "brotli", headers=headers) as resp:
        assert resp.status == 200 and resp.headers["Content-Encoding"] == "br"
        data = await resp.json()
    assert data["brotli"] is True and data["method"] == "GET"
    assert set(data) == {"brotli", "headers", "method", "origin"}


async def test_stream_bytes(base: URL, session: ClientSession) -> None:
    url = (base / "stream-bytes/300").with_query(seed="3", chunk_size="64")
    async with session.get(url) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/octet-stream"
        first = await resp.read()
    async with session.get(url) as resp:
        assert await resp.read() == first
    assert len(first) == 300
    async with session.get(base / "stream-bytes/0") as resp:
        assert await resp.read() == b""


def _alphabet(first: int, last: int) -> bytes:
    return bytes(ord("a") + i % 26 for i in range(first, last + 1))


@pytest.mark.parametrize(
    ("range_header", "status", "first", "last"),
    [
        (None, 200, 0, 99),
        ("bytes=10-19", 206, 10, 19),
        ("bytes=90-", 206, 90, 99),
        ("bytes=-5", 206, 95, 99),
        ("bytes=0-99", 200, 0, 99),
    ],
)
async def test_range(
    base: URL,
    session: ClientSession,
    range_header: str | None,
    status: int,
    first: int,
    last: int,
) -> None:
    headers = {"Range": range_header} if range_header else {}
    async with session.get(base / "range/100", headers=headers) as resp:
        assert resp.status == status
        assert resp.headers["ETag"] == "range100"
        assert resp.headers["Accept-Ranges"] == "bytes"
        assert resp.headers["Content-Range"] == f"bytes {first}-{last}/100"
        assert await resp.read() == _alphabet(first, last)


async def test_range_unsatisfiable_and_out_of_bounds(base: URL, session: ClientSession) -> None:
    async with session.get(base / "range/100", headers={"Range": "bytes=100-200"}) as resp:
        assert resp.status == 416
        assert resp.headers["Content-Range"] == "bytes */100"
        assert await resp.read() == b""
    async with session.get(base / "range/0") as resp:
        assert resp.status == 404 and resp.headers["ETag"] == "range0"
        assert "range (0, 102400]" in await resp.text()


async def test_drip(base: URL, session: ClientSession) -> None:
    query = {"duration": "0", "numbytes": "5", "code": "201", "delay": "0"}
    async with session.get((base / "drip").with_query(query)) as resp:
        assert resp.status == 201
        assert resp.headers["Content-Length"] == "5"
        assert resp.content_type == "application/octet-stream"
        assert await resp.read() == b"*****"
    async with session.get((base / "drip").with_query(numbytes="0")) as resp:
        assert resp.status == 400


_FIVE_SECONDS = ClientTimeout(total=5)


@pytest.mark.parametrize(
    "path",
    [
        "delay/nan",  # asyncio.sleep(nan) never returns, and wedged the loop's timers
        "delay/\u0663",  # float() takes other scripts' digits
        "drip?numbytes=2&delay=inf",
        "drip?numbytes=2&duration=nan",
        "drip?numbytes=1_0",
        "range/10?duration=1e9",
        "stream-bytes/5?chunk_size=%20%205",
    ],
)
async def test_numbers_not_in_ascii_decimal_are_bad_requests(
    ours: URL, session: ClientSession, path: str
) -> None:
    """Ours only (httpbin answers some with a 500, others by sleeping)."""
    async with session.get(
        URL(f"{ours}/{path}", encoded="%" in path), timeout=_FIVE_SECONDS
    ) as resp:
        assert resp.status == 400
        assert "must be" in await resp.text()
    async with session.get(ours / "delay/0.01", timeout=_FIVE_SECONDS) as resp:  # still serving
        assert resp.status == 200


async def test_text_formats(base: URL, session: ClientSession) -> None:
    async with session.get(base / "encoding/utf8") as resp:
        assert resp.content_type == "text/html" and resp.charset == "utf-8"
        assert any(ord(ch) > 0x7F for ch in await resp.text())
    async with session.get(base / "xml") as resp:
        assert resp.content_type == "application/xml"
        assert (await resp.text()).startswith("<?xml")
    async with session.get(base / "robots.txt") as resp:
        assert resp.content_type == "text/plain"
        assert "Disallow: /deny" in await resp.text()
    async with session.get(base / "deny") as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"


async def test_base64(base: URL, session: ClientSession) -> None:
    value = base64.urlsafe_b64encode("héllo?>".encode()).decode()
    async with session.get(base / "base64" / value) as resp:
        assert resp.content_type == "text/html"
        assert await resp.text() == "héllo?>"
    for bad in ("Y", "_w=="):  # bad padding; not UTF-8
        async with session.get(base / "base64" / bad) as resp:
            assert (await resp.text()).startswith("Incorrect Base64 data"), bad


async def test_links(base: URL, session: ClientSession) -> None:
    async with session.get(base / "links/3/1") as resp:
        text = await resp.text()
    assert resp.content_type == "text/html"
    assert "<a href='/links/3/0'>0</a> 1 <a href='/links/3/2'>2</a>" in text
    async with session.get(base / "links/2", allow_redirects=False) as resp:
        assert resp.status == 302
        assert URL(resp.headers["Location"]).path == "/links/2/0"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_response_headers(base: URL, session: ClientSession, method: str) -> None:
    url = (base / "response-headers").with_query([("X-One", "1"), ("X-Two", "a"), ("X-Two", "b")])
    async with session.request(method, url) as resp:
        assert resp.status == 200
        assert resp.headers["X-One"] == "1"
        assert resp.headers.getall("X-Two") == ["a", "b"]
        body = await resp.read()
    doc = json.loads(body)
    assert doc["X-One"] == "1" and doc["X-Two"] == ["a", "b"]
    assert doc["Content-Type"] == "application/json"
    assert doc["Content-Length"] == str(len(body))


async def test_cache(base: URL, session: ClientSession) -> None:
    async with session.get(base / "cache") as resp:
        assert resp.status == 200 and "Last-Modified" in resp.headers
        etag = resp.headers["ETag"]
        assert set(await resp.json()) == {"args", "headers", "origin", "url"}
    for header in ({"If-None-Match": etag}, {"If-Modified-Since": resp.headers["Last-Modified"]}):
        async with session.get(base / "cache", headers=header) as resp:
            assert resp.status == 304
    async with session.get(base / "cache/30") as resp:
        assert resp.headers["Cache-Control"] == "public, max-age=30"
        assert "url" in await resp.json()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 200),
        ({"If-None-Match": '"abc"'}, 304),
        ({"If-None-Match": 'W/"x", "abc"'}, 304),
        ({"If-None-Match": "*"}, 304),
        ({"If-None-Match": '"other"'}, 200),
        ({"If-Match": '"abc"'}, 200),
        ({"If-Match": '"other"'}, 412),
        ({"If-Match": "*"}, 200),
    ],
)
async def test_etag(
    base: URL, session: ClientSession, headers: dict[str, str], status: int
) -> None:
    async with session.get(base / "etag/abc", headers=headers) as resp:
        assert resp.status == status
        if status != 412:
            assert resp.headers["ETag"] == "abc"
        if status == 200:
            assert "args" in await resp.json()


async def test_ws_echo(ours: URL, session: ClientSession) -> None:
    payload = random.Random(1).randbytes(300)
    async with session.ws_connect(ours / "ws/echo") as ws:
        await ws.send_str("hello")
        assert await ws.receive_str() == "hello"
        await ws.send_bytes(payload)
        assert await ws.receive_bytes() == payload
        await ws.send_json({"a": [1]})
        assert await ws.receive_json() == {"a": [1]}
        await ws.close()
    assert ws.closed


def _shape(doc: Any) -> Any:
    return {k: _shape(v) for k, v in doc.items()} if isinstance(doc, dict) else type(doc)


async def test_ours_matches_httpbin_json_shapes(
    ours: URL, httpbin: Any, session: ClientSession
) -> None:
    """Key-for-key shape of the JSON endpoints (headers' contents differ by server)."""
    for path in ("cache/5", "etag/x", "bearer"):
        headers = {"Authorization": "Bearer z"}
        async with session.get(ours / path, headers=headers) as mine:
            our_doc = await mine.json()
        async with session.get(httpbin.url / path, headers=headers) as theirs:
            their_doc = await theirs.json()
        our_doc.pop("headers", None), their_doc.pop("headers", None)
        assert _shape(our_doc) == _shape(their_doc), path
