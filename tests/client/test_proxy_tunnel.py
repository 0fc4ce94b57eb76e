"""Proxies: plain HTTP through a proxy, CONNECT tunnels (scripted proxy and real tinyproxy)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trustme
from yarl import URL

from toolkit.auth import BasicAuth
from toolkit.client.connector import TCPConnector
from toolkit.client.exceptions import ClientHttpProxyError, ClientProxyConnectionError
from toolkit.client.protocol import ResponseHandler
from toolkit.client.timeouts import ClientTimeout
from toolkit.client.tunnel import build_connect_request

MakeRequest = Callable[..., Any]
StartPeer = Callable[..., Awaitable[Any]]

HELLO = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


@pytest.fixture
def server_ssl(tls_server_cert: trustme.LeafCert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_server_cert.configure_cert(ctx)
    return ctx


async def answer_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An origin server: answers every request head with ``hello``."""
    while True:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(HELLO)
        await writer.drain()


async def roundtrip(proto: ResponseHandler, head: bytes) -> bytes:
    proto.set_response_params(method="GET")
    assert proto.transport is not None
    proto.transport.write(head)
    await proto.drain()
    _, payload = await proto.read_response()
    return await payload.read()


def test_connect_request_bytes(make_request: MakeRequest) -> None:
    req = make_request(
        "https://[::1]:8443/x",
        proxy_auth=BasicAuth("u", "p"),
        proxy_headers={"X-Trace": "1", "Host": "ignored"},
    )
    data, headers = build_connect_request(req)
    assert data == (
        b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nX-Trace: 1\r\n"
        b"Proxy-Authorization: Basic dTpw\r\n\r\n"
    )
    assert headers["Host"] == "[::1]:8443"
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        build_connect_request(make_request("https://h/", proxy_headers={"X": "a\r\nB: c"}))


async def test_tunnel_through_a_scripted_proxy(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
) -> None:
    origin = await start_peer(answer_hello, ssl=server_ssl)
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        up_reader, up_writer = await asyncio.open_connection(origin.host, origin.port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            up_writer.close()

    proxy_peer = await start_peer(proxy)
    async with TCPConnector(ssl=tls_client_context) as connector:
        req = make_request(
            origin.url(scheme="https").with_host("localhost"),
            proxy=proxy_peer.url(),
            proxy_auth=BasicAuth("user", "pass"),
        )
        conn = await connector.connect(req, [], ClientTimeout(sock_read=10))
        proto = conn.protocol
        assert proto is not None and conn.transport is not None
        assert conn.transport.get_extra_info("ssl_object") is not None
        assert await roundtrip(proto, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") == b"hello"
        conn.release()
        # the tunnel is pooled under a key that includes the proxy
        conn = await connector.connect(req, [], ClientTimeout())
        assert conn.protocol is proto
        conn.release()
    assert seen[0].startswith(f"CONNECT localhost:{origin.port} HTTP/1.1\r\n".encode())
    assert b"Proxy-Authorization: Basic dXNlcjpwYXNz\r\n" in seen[0]


async def test_proxy_refuses_the_tunnel(make_request: MakeRequest, start_peer: StartPeer) -> None:
    async def forbid(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nX-Why: policy\r\n\r\nnope")
        await reader.read()

    proxy_peer = await start_peer(forbid)
    async with TCPConnector() as connector:
        req = make_request("https://example.test/", proxy=proxy_peer.url())
        with pytest.raises(ClientHttpProxyError) as info:
            await connector.connect(req, [], ClientTimeout())
        assert not connector._acquired
    err = info.value
    assert (err.status, err.message) == (403, "Forbidden")
    assert err.headers is not None and err.headers["X-Why"] == "policy"
    assert err.request_info is not None and err.request_info.method == "CONNECT"


async def test_proxy_down(make_request: MakeRequest) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with TCPConnector() as connector:
        req = make_request("http://example.test/", proxy=URL(f"http://127.0.0.1:{port}"))
        with pytest.raises(ClientProxyConnectionError) as info:
            await connector.connect(req, [], ClientTimeout())
    assert info.value.host == "example.test"  # the key names the origin, as in aiohttp


# --------------------------------------------------------------------------- tinyproxy


@pytest.mark.needs_tinyproxy
async def test_plain_http_through_tinyproxy(
    make_request: MakeRequest, start_peer: StartPeer, tinyproxy: Any
) -> None:
    origin = await start_peer(answer_hello)
    async with TCPConnector() as connector:
        req = make_request(origin.url("/p"), proxy=tinyproxy.url)
        conn = await connector.connect(req, [], ClientTimeout())
        proto = conn.protocol
        assert proto is not None and conn.transport is not None
        assert conn.transport.get_extra_info("peername")[1] == tinyproxy.port
        head = f"GET {origin.url('/p')} HTTP/1.1\r\nHost: 127.0.0.1:{origin.port}\r\n\r\n"
        assert await roundtrip(proto, head.encode()) == b"hello"
        conn.release()


@pytest.mark.needs_tinyproxy
async def test_https_through_tinyproxy(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
    tinyproxy: Any,
) -> None:
    origin = await start_peer(answer_hello, ssl=server_ssl)
    async with TCPConnector(ssl=tls_client_context) as connector:
        req = make_request(origin.url(scheme="https").with_host("localhost"), proxy=tinyproxy.url)
        conn = await connector.connect(req, [], ClientTimeout(sock_read=10))
        proto = conn.protocol
        assert proto is not None
        assert await roundtrip(proto, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") == b"hello"
        conn.release()


@pytest.mark.needs_tinyproxy
async def test_tinyproxy_auth(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
    tinyproxy_auth: Any,
) -> None:
    origin = await start_peer(answer_hello, ssl=server_ssl)
    url = origin.url(scheme="https").with_host("localhost")
    async with TCPConnector(ssl=tls_client_context) as connector:
        with pytest.raises(ClientHttpProxyError) as info:
            await connector.connect(
                make_request(url, proxy=tinyproxy_auth.url), [], ClientTimeout()
            )
        assert info.value.status == 407
        auth = BasicAuth(tinyproxy_auth.login, tinyproxy_auth.password)
        req = make_request(url, proxy=tinyproxy_auth.url, proxy_auth=auth)
        conn = await connector.connect(req, [], ClientTimeout(sock_read=10))
        assert conn.protocol is not None
        assert (
            await roundtrip(conn.protocol, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") == b"hello"
        )
        conn.release()


# --------------------------------------------------------------------------- with a session


@pytest.mark.needs_tinyproxy
async def test_session_through_tinyproxy(
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
    tinyproxy_auth: Any,
) -> None:
    """End to end: ClientSession(proxy=..., proxy_auth=...) for http:// and https://."""
    from toolkit.client.session import ClientSession

    plain = await start_peer(answer_hello)
    secure = await start_peer(answer_hello, ssl=server_ssl)
    auth = BasicAuth(tinyproxy_auth.login, tinyproxy_auth.password)
    async with ClientSession(connector=TCPConnector(ssl=tls_client_context)) as session:
        async with session.get(plain.url("/x"), proxy=tinyproxy_auth.url, proxy_auth=auth) as r:
            assert (r.status, await r.read()) == (200, b"hello")
        url = secure.url("/y", scheme="https").with_host("localhost")
        async with session.get(url, proxy=tinyproxy_auth.url, proxy_auth=auth) as r:
            assert (r.status, await r.read()) == (200, b"hello")
        with pytest.raises(ClientHttpProxyError) as info:
            await session.get(url, proxy=tinyproxy_auth.url)
        assert info.value.status == 407
