"""TestServer, RawTestServer and TestClient over TCP and over memory, with real requests."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator

import pytest
from yarl import URL

from toolkit import ClientSession, CookieJar, TCPConnector, web
from toolkit.testing import BaseTestServer, RawTestServer, TestClient, TestServer, unused_port

TRANSPORTS = ["tcp", "memory"]


def make_app() -> web.Application:
    app = web.Application()

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.method} {request.path_qs}")

    async def any_method(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(text=f"{request.method} {len(body)}")

    async def set_cookie(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        resp.set_cookie("token", request.query.get("v", "abc"))
        return resp

    async def get_cookie(request: web.Request) -> web.Response:
        return web.Response(text=request.cookies.get("token", "<none>"))

    async def redirect(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n <= 0:
            return web.Response(text="landed")
        raise web.HTTPFound(f"/redirect/{n - 1}")

    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(50):
            await resp.write(b"chunk%02d;" % i)
        await resp.write_eof()
        return resp

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            await sock.send_str(f"echo {msg.data}")
        return sock

    app.router.add_get("/", index)
    app.router.add_route("*", "/any", any_method)
    app.router.add_get("/cookie/set", set_cookie)
    app.router.add_get("/cookie/get", get_cookie)
    app.router.add_get("/redirect/{n}", redirect)
    app.router.add_get("/stream", stream)
    app.router.add_get("/ws", ws)
    return app


@pytest.fixture(params=TRANSPORTS)
async def client(request: pytest.FixtureRequest) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_app(), transport=request.param)) as c:
        yield c


async def test_every_method_with_relative_paths(client: TestClient) -> None:
    async with client.get("/?a=1") as resp:
        assert resp.status == 200
        assert await resp.text() == "GET /?a=1"
    for method in ("post", "put", "patch", "delete"):
        resp = await getattr(client, method)("/any", data=b"12345")
        assert await resp.text() == f"{method.upper()} 5"
    resp = await client.options("/any")
    assert await resp.text() == "OPTIONS 0"
    resp = await client.head("/any")
    assert resp.status == 200
    resp = await client.request("PROPFIND", "/any")
    assert await resp.text() == "PROPFIND 0"


async def test_properties_and_make_url(client: TestClient) -> None:
    assert client.host == "127.0.0.1"
    assert isinstance(client.port, int)
    assert client.make_url("/x?y=1") == URL(f"http://127.0.0.1:{client.port}/x?y=1")
    assert isinstance(client.server, TestServer)
    assert isinstance(client.app, web.Application)
    assert isinstance(client.session, ClientSession)
    assert client.server.started and not client.server.closed


async def test_cookies_persist_in_the_client_jar(client: TestClient) -> None:
    resp = await client.get("/cookie/set?v=s3cret")
    assert await resp.text() == "set"
    resp = await client.get("/cookie/get")
    assert await resp.text() == "s3cret"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_jar_given_is_the_one_used_and_shared(transport: str) -> None:
    jar = CookieJar(unsafe=True)
    async with TestClient(TestServer(make_app(), transport=transport), cookie_jar=jar) as first:
        assert first.session.cookie_jar is jar
        assert await (await first.get("/cookie/set?v=shared")).text() == "set"
        assert [cookie.value for cookie in jar] == ["shared"]
        # A second client on the same jar (another server: the jar is unsafe, by IP).
        second_server = TestServer(make_app(), transport=transport)
        async with TestClient(second_server, cookie_jar=jar) as second:
            assert await (await second.get("/cookie/get")).text() == "shared"


async def test_redirects_are_followed(client: TestClient) -> None:
    resp = await client.get("/redirect/3")
    assert await resp.text() == "landed"
    assert len(resp.history) == 3
    resp = await client.get("/redirect/1", allow_redirects=False)
    assert resp.status == 302


async def test_streaming_chunked_body(client: TestClient) -> None:
    async with client.get("/stream") as resp:
        received = b""
        async for chunk in resp.content.iter_any():
            received += chunk
    assert received == b"".join(b"chunk%02d;" % i for i in range(50))


async def test_websocket(client: TestClient) -> None:
    async with client.ws_connect("/ws") as ws:
        await ws.send_str("hi")
        msg = await ws.receive()
        assert msg.data == "echo hi"
    ws2 = await client.ws_connect("/ws")
    await ws2.send_str("left open")
    assert (await ws2.receive()).data == "echo left open"
    # left open on purpose: client.close() closes it


async def test_close_releases_everything() -> None:
    client = TestClient(TestServer(make_app(), transport="memory"))
    await client.start_server()
    resp = await client.get("/stream")  # body never read
    server = client.server
    await client.close()
    assert client.closed and server.closed
    assert resp.connection is None
    assert client.session.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.get("/")
    await client.close()  # idempotent


async def test_tcp_server_really_listens_and_stops() -> None:
    server = TestServer(make_app())
    async with server:
        assert server.port is not None
        port = server.port
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


async def test_explicit_port_and_memory_url() -> None:
    port = unused_port()
    async with TestServer(make_app(), port=port) as server:
        assert server.port == port
        assert str(server.make_url("/")) == f"http://127.0.0.1:{port}/"
    async with TestServer(make_app(), transport="memory", port=8123) as server:
        assert server.make_url("a") == URL("http://127.0.0.1:8123/a")


async def test_make_url_asserts_when_asked() -> None:
    async with TestServer(make_app(), transport="memory", skip_url_asserts=False) as server:
        with pytest.raises(ValueError, match="relative"):
            server.make_url("http://elsewhere/")
    server = TestServer(make_app())
    with pytest.raises(RuntimeError, match="start_server"):
        server.make_url("/")


async def test_raw_test_server() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response(text=f"raw {request.path}")

    for transport in TRANSPORTS:
        async with TestClient(RawTestServer(handler, transport=transport)) as client:  # type: ignore[arg-type]
            resp = await client.get("/p")
            assert await resp.text() == "raw /p"
            assert client.app is None


async def test_client_accepts_an_app_and_rejects_other_things() -> None:
    async with TestClient(make_app()) as client:
        resp = await client.get("/")
        assert resp.status == 200
        assert client.server.transport == "tcp"
    with pytest.raises(TypeError, match="TestServer"):
        TestClient("http://x")  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="transport"):
        TestServer(web.Application(), transport="udp")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Application"):
        TestServer(object())  # type: ignore[arg-type]
    assert BaseTestServer.__test__ is False and TestClient.__test__ is False


async def test_memory_transport_refuses_tls(tls_server_context: ssl.SSLContext) -> None:
    server = TestServer(make_app(), transport="memory", ssl=tls_server_context)
    with pytest.raises(ValueError, match="TLS"):
        await server.start_server()


async def test_https_server(
    tls_server_context: ssl.SSLContext, tls_client_context: ssl.SSLContext
) -> None:
    server = TestServer(make_app(), ssl=tls_server_context)
    async with TestClient(server, connector=TCPConnector(ssl=tls_client_context)) as client:
        assert server.scheme == "https"
        assert client.make_url("/").scheme == "https"
        resp = await client.get("/")
        assert await resp.text() == "GET /"


async def test_server_kwargs_reach_the_runner() -> None:
    server = TestServer(make_app(), transport="memory", keepalive_timeout=1.5)
    async with TestClient(server) as client:
        await client.get("/")
        handler = server.handler
        assert handler is not None
        assert handler.connections[0].keepalive_timeout == 1.5


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_client_reaches_its_server_while_a_mock_is_active(transport: str) -> None:
    from toolkit.testing import MockRouter

    with MockRouter() as mock:
        mock.get("http://api.test/", body="mocked")
        async with TestClient(TestServer(make_app(), transport=transport)) as client:
            async with client.get("/?q=1") as resp:
                assert await resp.text() == "GET /?q=1"
            async with ClientSession() as session, session.get("http://api.test/") as resp:
                assert await resp.text() == "mocked"  # sessions of the code under test
