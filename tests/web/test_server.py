"""The low-level web.Server with third-party clients: curl, requests, httpx, h11."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx
import pytest
import requests

from toolkit import web


async def info(request: web.BaseRequest) -> web.StreamResponse:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path_qs,
            "body": body.decode(),
            "ua": request.headers.get("User-Agent", ""),
        }
    )


@pytest.fixture
async def port() -> AsyncIterator[int]:
    runner = web.ServerRunner(web.Server(info))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1]
    await runner.cleanup()


async def test_curl(port: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-X", "PUT", "-d", "payload", "-A", "curl-test",
        f"http://127.0.0.1:{port}/p?x=1", f"http://127.0.0.1:{port}/second",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err
    assert out.count(b'"method": "PUT"') == 2
    assert b'"path": "/p?x=1"' in out and b'"body": "payload"' in out


async def test_requests(port: int) -> None:
    def call() -> Any:
        with requests.Session() as session:
            first = session.post(f"http://127.0.0.1:{port}/r", data=b"abc", timeout=5).json()
            chunked = session.post(
                f"http://127.0.0.1:{port}/c", data=iter([b"x", b"yz"]), timeout=5
            ).json()
            return first, chunked

    first, chunked = await asyncio.to_thread(call)
    assert first["body"] == "abc" and first["method"] == "POST"
    assert chunked["body"] == "xyz"


async def test_httpx_http10_and_head(port: int) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.head(f"http://127.0.0.1:{port}/h")
        assert response.status_code == 200
        assert response.content == b""
        assert int(response.headers["content-length"]) > 0
        response = await client.get(f"http://127.0.0.1:{port}/g")
        assert response.json()["path"] == "/g"


async def test_h11_client_sees_valid_http(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = h11.Connection(our_role=h11.CLIENT)
    for path in ("/a", "/b"):
        writer.write(
            conn.send(h11.Request(method="GET", target=path, headers=[("Host", "t")]))
            + conn.send(h11.EndOfMessage())
        )
        events: list[Any] = []
        while not events or not isinstance(events[-1], h11.EndOfMessage):
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
                continue
            events.append(event)
        assert isinstance(events[0], h11.Response) and events[0].status_code == 200
        assert b"".join(e.data for e in events if isinstance(e, h11.Data)).find(path.encode()) > 0
        conn.start_next_cycle()
    writer.close()


async def test_compressed_response() -> None:
    async def big(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(text="compress me " * 500)
        resp.enable_compression()
        return resp

    runner = web.ServerRunner(web.Server(big))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
        )
        data = await reader.read()
        head, body = data.split(b"\r\n\r\n", 1)
        assert b"Content-Encoding: gzip" in head
        assert gzip.decompress(body) == b"compress me " * 500
        writer.close()
    finally:
        await runner.cleanup()


async def test_request_factory_and_counters() -> None:
    made: list[str] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text=request["tag"])

    def factory(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> Any:
        request = web.BaseRequest(message, payload, protocol, writer, task, None)
        request["tag"] = f"made-{len(made)}"
        made.append(message.target)
        return request

    server = web.Server(handler, request_factory=factory)
    runner = web.ServerRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            assert (await client.get(url + "/1")).text == "made-0"
            assert (await client.get(url + "/2")).text == "made-1"
            assert len(server.connections) == 1
        assert made == ["/1", "/2"]
        assert server.requests_count == 2
    finally:
        await runner.cleanup()


async def test_unknown_keyword_is_rejected_early() -> None:
    with pytest.raises(TypeError, match="keepalive_timout"):
        web.Server(info, keepalive_timout=3)


async def test_server_is_a_protocol_factory() -> None:
    server = web.Server(info, max_line_size=100)
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(server, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
        writer.close()
    finally:
        await server.shutdown(1)
        srv.close()
        await srv.wait_closed()


def test_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def main() -> None:
        runner = web.ServerRunner(web.Server(info, keepalive_timeout=0.2))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
            writer.write(
                b"POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n"
                + b"z" * 200000
                + b"GET /b HTTP/1.1\r\nHost: t\r\n\r\n"
            )
            data = await asyncio.wait_for(reader.read(), 5)  # closed after the idle timeout
            assert data.count(b"HTTP/1.1 200 OK") == 2
            assert data.index(b'"path": "/a"') < data.index(b'"path": "/b"')
            writer.close()
        finally:
            await runner.cleanup()

    uvloop.run(main())


async def test_failing_request_factory_gets_500(caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any) -> Any:
        raise ValueError("cannot build")

    runner = web.ServerRunner(web.Server(info, request_factory=broken))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        with caplog.at_level(logging.ERROR, logger="toolkit.server"):
            reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert (await reader.read()).startswith(b"HTTP/1.1 500 ")
            writer.close()
        assert any("Cannot build the request" in r.getMessage() for r in caplog.records)
    finally:
        await runner.cleanup()


async def _ok(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response()


_SERVER_NUMBERS = [
    "keepalive_timeout",
    "read_headers_timeout",
    "lingering_time",
    "max_line_size",
    "max_field_size",
    "max_headers",
    "read_bufsize",
]


@pytest.mark.parametrize("name", _SERVER_NUMBERS)
@pytest.mark.parametrize(
    ("value", "error"),
    [(float("nan"), ValueError), ("5", TypeError), (True, TypeError), (-1, ValueError)],
)
async def test_numeric_options_are_checked_at_construction(
    name: str, value: object, error: type[Exception]
) -> None:
    # Before, they reached every connection: a NaN keep-alive deadline went to call_at().
    with pytest.raises(error, match=rf"Server\.{name} must be a number"):
        web.Server(_ok, **{name: value})


async def test_timeout_ceil_threshold_is_checked() -> None:
    with pytest.raises(ValueError, match=r"Server\.timeout_ceil_threshold"):
        web.Server(_ok, timeout_ceil_threshold=float("nan"))


async def test_values_with_a_meaning_are_still_accepted() -> None:
    # None disables a timeout; 0: close idle connections at once, no lingering, 0 limits.
    for value in (None, 0):
        web.Server(_ok, keepalive_timeout=value, read_headers_timeout=value, lingering_time=value)()
    web.Server(_ok, max_line_size=0, max_field_size=0, max_headers=0, timeout_ceil_threshold=-1)
    with pytest.raises(ValueError, match=r"read_bufsize must be a number of bytes > 0"):
        web.Server(_ok, read_bufsize=0)  # (every request body's StreamReader refused it)
