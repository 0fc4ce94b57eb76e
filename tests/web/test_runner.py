"""AppRunner/ServerRunner and the sites, driven by curl, requests, httpx and raw sockets."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import tempfile
from typing import Any

import httpx
import pytest
import requests
import trustme

from toolkit import web


def make_app(events: list[str] | None = None) -> web.Application:
    app = web.Application()
    log = events if events is not None else []

    async def hello(request: web.Request) -> web.StreamResponse:
        return web.Response(text="hello")

    async def echo(request: web.Request) -> web.StreamResponse:
        return web.Response(body=await request.read())

    async def slow(request: web.Request) -> web.StreamResponse:
        log.append("slow-start")
        await asyncio.sleep(0.3)
        log.append("slow-end")
        return web.Response(text="slow done")

    app.router.add_get("/", hello)
    app.router.add_post("/echo", echo)
    app.router.add_get("/slow", slow)

    async def on_startup(app: web.Application) -> None:
        log.append("startup")

    async def on_shutdown(app: web.Application) -> None:
        log.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        log.append("cleanup")

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


async def start(app: web.Application, **kwargs: Any) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, **kwargs)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def test_tcp_site_on_port_zero_and_lifecycle() -> None:
    events: list[str] = []
    runner, port = await start(make_app(events))
    try:
        assert events == ["startup"]
        assert port != 0
        (site,) = runner.sites
        assert site.name == f"http://127.0.0.1:{port}"
        assert runner.server is not None
        response = await asyncio.to_thread(requests.get, f"http://127.0.0.1:{port}/", timeout=5)
        assert (response.status_code, response.text) == (200, "hello")
    finally:
        await runner.cleanup()
    assert events == ["startup", "shutdown", "cleanup"]
    assert runner.server is None
    assert runner.addresses == []


async def test_graceful_cleanup_lets_in_flight_requests_finish() -> None:
    events: list[str] = []
    runner, port = await start(make_app(events), shutdown_timeout=5)
    async with httpx.AsyncClient() as client:
        request = asyncio.ensure_future(client.get(f"http://127.0.0.1:{port}/slow"))
        while "slow-start" not in events:
            await asyncio.sleep(0.01)
        await runner.cleanup()
        response = await request
    assert response.text == "slow done"
    # on_shutdown runs while the request is in flight (its exact place depends on timing)
    assert sorted(events) == sorted(["startup", "slow-start", "shutdown", "slow-end", "cleanup"])
    assert events[:2] == ["startup", "slow-start"]
    assert events[-1] == "cleanup"


async def test_keep_alive_reuse_with_a_requests_session() -> None:
    runner, port = await start(make_app())
    try:

        def two_requests() -> int:
            with requests.Session() as session:
                for _ in range(3):
                    assert session.get(f"http://127.0.0.1:{port}/", timeout=5).text == "hello"
            return 0

        await asyncio.to_thread(two_requests)
        assert runner.server is not None
        assert runner.server.requests_count == 3
    finally:
        await runner.cleanup()


async def test_curl_post_with_expect_100_continue() -> None:
    runner, port = await start(make_app())
    try:
        body = "x" * 5000
        proc = await asyncio.create_subprocess_exec(
            "curl", "-sS", "-v", "-H", "Expect: 100-continue", "--data-binary", body,
            f"http://127.0.0.1:{port}/echo",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, err
        assert out.decode() == body
        assert b"HTTP/1.1 100 Continue" in err
    finally:
        await runner.cleanup()


async def test_100_continue_is_sent_before_the_body_is_read() -> None:
    runner, port = await start(make_app())
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"data")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert await reader.readexactly(4) == b"data"
        writer.close()
    finally:
        await runner.cleanup()


async def test_request_body_over_client_max_size_is_413() -> None:
    app = web.Application(client_max_size=100)

    async def read_it(request: web.Request) -> web.StreamResponse:
        return web.Response(text=str(len(await request.read())))

    app.router.add_post("/", read_it)
    runner, port = await start(app)
    try:
        url = f"http://127.0.0.1:{port}/"
        small = await asyncio.to_thread(requests.post, url, data=b"a" * 100, timeout=5)
        assert small.text == "100"
        big = await asyncio.to_thread(requests.post, url, data=b"a" * 1000, timeout=5)
        assert big.status_code == 413
    finally:
        await runner.cleanup()


async def test_unix_site() -> None:
    runner = web.AppRunner(make_app())
    await runner.setup()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "web.sock")
        site = web.UnixSite(runner, path)
        await site.start()
        try:
            assert site.name == f"http://unix:{path}:"
            assert runner.addresses == [path]
            proc = await asyncio.create_subprocess_exec(
                "curl", "-sS", "--unix-socket", path, "http://localhost/",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(proc.communicate(), 20)
            assert out == b"hello", err
        finally:
            await runner.cleanup()


async def test_sock_site() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = web.AppRunner(make_app())
    await runner.setup()
    site = web.SockSite(runner, sock)
    assert site.name == f"http://127.0.0.1:{port}"
    await site.start()
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/")
        assert response.text == "hello"
    finally:
        await runner.cleanup()
        sock.close()


async def test_tls_site_with_trustme() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    runner = web.AppRunner(make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert site.name == f"https://127.0.0.1:{port}"
        client_ctx = ssl.create_default_context()
        ca.configure_trust(client_ctx)
        async with httpx.AsyncClient(verify=client_ctx) as client:
            for _ in range(2):
                response = await client.get(f"https://127.0.0.1:{port}/")
                assert response.text == "hello"
                assert response.http_version == "HTTP/1.1"
    finally:
        await runner.cleanup()


async def test_access_log_through_the_runner(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("toolkit.test.runner_access")
    runner, port = await start(
        make_app(), access_log=logger, access_log_format='%r %s "%{User-Agent}i"'
    )
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            async with httpx.AsyncClient(headers={"User-Agent": "ua/1"}) as client:
                await client.get(f"http://127.0.0.1:{port}/?q=1")
    finally:
        await runner.cleanup()
    messages = [r.getMessage() for r in caplog.records if r.name == logger.name]
    assert messages == ['GET /?q=1 HTTP/1.1 200 "ua/1"']


async def test_custom_access_logger_class() -> None:
    seen: list[tuple[str, int]] = []

    class Collect(web.AbstractAccessLogger):
        def log(self, request: Any, response: Any, time: float) -> None:
            seen.append((request.path, response.status))

    runner, port = await start(make_app(), access_log_class=Collect)
    try:
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/")
            await client.get(f"http://127.0.0.1:{port}/missing")
    finally:
        await runner.cleanup()
    assert seen == [("/", 200), ("/missing", 404)]


def test_access_log_class_must_be_an_access_logger() -> None:
    with pytest.raises(TypeError, match="access_log_class"):
        web.AppRunner(web.Application(), access_log_class=object)  # type: ignore[arg-type]


async def test_site_needs_a_set_up_runner() -> None:
    runner = web.AppRunner(web.Application())
    with pytest.raises(RuntimeError, match="setup"):
        web.TCPSite(runner)


async def test_server_runner_with_keepalive_kwargs() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="low")

    server = web.Server(handler, keepalive_timeout=0.1)
    runner = web.ServerRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 5)  # the idle connection is closed
        assert data.endswith(b"\r\n\r\nlow")
        writer.close()
    finally:
        await runner.cleanup()


def test_default_ports() -> None:
    async def main() -> None:
        runner = web.AppRunner(web.Application())
        await runner.setup()
        assert web.TCPSite(runner).name == "http://0.0.0.0:8080"
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        assert web.TCPSite(runner, "localhost", ssl_context=ctx).name == "https://localhost:8443"
        await runner.cleanup()

    asyncio.run(main())


def test_app_runner_needs_an_application() -> None:
    with pytest.raises(TypeError, match="Application"):
        web.AppRunner(object())  # type: ignore[arg-type]


async def test_several_sites_and_stopping_one() -> None:
    runner = web.AppRunner(make_app())
    await runner.setup()
    first = web.TCPSite(runner, "127.0.0.1", 0, reuse_address=True)
    second = web.TCPSite(runner, "127.0.0.1", 0, reuse_port=True)
    await first.start()
    await second.start()
    try:
        ports = [address[1] for address in runner.addresses]
        assert len(ports) == 2 and runner.sites == {first, second}
        with pytest.raises(RuntimeError, match="already started"):
            await first.start()
        await first.stop()
        assert runner.sites == {second}
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", ports[0])
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{ports[1]}/")).text == "hello"
    finally:
        await runner.cleanup()


async def test_cleanup_closes_tls_sockets_of_silent_clients(
    tls_server_context: ssl.SSLContext, tls_client_context: ssl.SSLContext
) -> None:
    """A TLS client that never answers close_notify must not keep the server's socket."""
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls_server_context)
    await site.start()
    port = runner.addresses[0][1]

    def connect() -> ssl.SSLSocket:
        tls = tls_client_context.wrap_socket(
            socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1"
        )
        tls.settimeout(10)
        tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while not received.endswith(b"hello"):
            received += tls.recv(4096)
        return tls

    def tcp_level_end(tls: ssl.SSLSocket) -> bytes:
        assert tls.recv(4096) == b""  # the server's close_notify
        # Read the TCP stream under the TLS layer: b"" once the server closed its socket.
        with socket.socket(fileno=os.dup(tls.fileno())) as raw:
            raw.settimeout(10)
            try:
                return raw.recv(4096)
            except ConnectionResetError:
                return b""

    tls = await asyncio.to_thread(connect)
    try:
        await runner.cleanup()
        assert await asyncio.to_thread(tcp_level_end, tls) == b""
    finally:
        tls.close()


async def test_cleanup_calls_an_overridden_server_shutdown_without_connections() -> None:
    calls: list[float | None] = []

    class MyServer(web.Server):
        async def shutdown(self, timeout: float | None = None) -> None:
            calls.append(timeout)
            await super().shutdown(timeout)

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response()

    runner = web.ServerRunner(MyServer(handler), shutdown_timeout=3)
    await runner.setup()
    await runner.cleanup()
    assert calls == [3]
    plain = web.ServerRunner(web.Server(handler))
    await plain.setup()
    await plain.cleanup()
    assert plain.server is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"shutdown_timeout": float("nan")}, ValueError, r"AppRunner\.shutdown_timeout"),
        ({"shutdown_timeout": "60"}, TypeError, r"AppRunner\.shutdown_timeout"),
        ({"shutdown_timeout": -1}, ValueError, r"AppRunner\.shutdown_timeout"),
        ({"keepalive_timeout": float("nan")}, ValueError, r"AppRunner\.keepalive_timeout"),
        ({"max_headers": -1}, ValueError, r"AppRunner\.max_headers"),
        ({"lingering_time": "10"}, TypeError, r"AppRunner\.lingering_time"),
    ],
)
def test_runner_checks_numbers_at_construction(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    # Before, the server options failed (or not) only when setup() made the server.
    with pytest.raises(error, match=message):
        web.AppRunner(web.Application(), **kwargs)


async def test_server_runner_and_site_check_shutdown_timeout() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response()

    server = web.Server(handler)
    with pytest.raises(ValueError, match=r"ServerRunner\.shutdown_timeout"):
        web.ServerRunner(server, shutdown_timeout=float("nan"))
    runner = web.AppRunner(make_app(), shutdown_timeout=0, keepalive_timeout=None)
    await runner.setup()
    try:
        with pytest.raises(ValueError, match=r"TCPSite\.shutdown_timeout"):
            web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=float("nan"))
        site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=None)
        assert site.name.startswith("http://")
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("name", ["shutdown_timeout", "keepalive_timeout"])
def test_run_app_checks_timeouts_before_starting(name: str) -> None:
    # (Unchecked, the run would fail on the path instead, with an OSError.)
    with pytest.raises(ValueError, match=rf"run_app\.{name} must be a number"):
        web.run_app(
            web.Application(),
            path="/nonexistent-dir/app.sock",
            handle_signals=False,
            print=None,
            **{name: float("nan")},
        )
