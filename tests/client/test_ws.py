"""ClientWebSocketResponse and ws_connect over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import _peers as peers  # registered by conftest.py
import pytest
import trustme
from hypothesis import example, given, settings
from multidict import CIMultiDict

from toolkit import web
from toolkit.client.exceptions import (
    ClientConnectionResetError,
    ClientResponseError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    WSServerHandshakeError,
)
from toolkit.client.session import ClientSession
from toolkit.client.tls import Fingerprint
from toolkit.client.ws import ClientWebSocketResponse, ClientWSTimeout, ws_connect
from toolkit.helpers import BasicAuth
from toolkit.http.ws import (
    DeflateOffer,
    Role,
    WebSocketReader,
    WSCloseCode,
    WSHandshakeError,
    WSMsgType,
    build_frame,
    close_payload,
    validate_server_response,
    ws_accept_key,
)
from toolkit.web.websocket import WebSocketResponse

StartPeer = Callable[..., Awaitable[Any]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve_ws() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """``url = await serve_ws(handler, ssl_context=None)``: our server at /ws."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> str:
        app = web.Application()
        app.router.add_get("/ws", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port = runner.addresses[0][1]
        scheme = "wss" if ssl_context else "ws"
        host = "localhost" if ssl_context else "127.0.0.1"
        return f"{scheme}://{host}:{port}/ws"

    yield start
    for runner in runners:
        await runner.cleanup()


async def echo(request: web.Request) -> web.StreamResponse:
    ws = WebSocketResponse(protocols=("chat",))
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            if msg.data == "close":
                await ws.close(code=4002, message=b"asked")
            else:
                await ws.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def upgrade_reply(
    head: bytes, extra: str = "", *, status: str = "101 Switching Protocols"
) -> bytes:
    key = ""
    for line in head.decode().split("\r\n"):
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip()
    return (
        f"HTTP/1.1 {status}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {ws_accept_key(key)}\r\n{extra}\r\n"
    ).encode()


def scripted(reply: Callable[[bytes], bytes], then: Any = None) -> Any:
    """A raw peer handler: read the request head, send ``reply(head)``, run ``then``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(reply(head))
        if then is not None:
            await then(reader, writer)
        else:
            await reader.read()

    return handle


# --------------------------------------------------------------------------- basics


async def test_echo_roundtrip_and_properties(serve_ws: Any) -> None:
    url = await serve_ws(echo)
    async with (
        ClientSession() as session,
        session.ws_connect(url, protocols=("other", "chat")) as ws,
    ):
        assert isinstance(ws, ClientWebSocketResponse)
        assert ws.protocol == "chat"
        assert ws.compress == 0 and ws.client_notakeover is False
        assert ws.get_extra_info("peername")[0] == "127.0.0.1"
        assert ws.timeout == ClientWSTimeout(ws_receive=None, ws_close=10.0)
        # The handshake's request deadline left no idle timer on the loop behind.
        assert not session._deadlines.armed
        await ws.send_str("hi")
        assert (await ws.receive()).data == "hi"
        await ws.send_bytes(bytearray(b"\x00\xff"))
        assert await ws.receive_bytes() == b"\x00\xff"
        await ws.send_json({"k": [1]})
        assert await ws.receive_json() == {"k": [1]}
        await ws.ping(b"p")  # answered by the server, hidden by autoping
        ws.ping()  # not awaiting is fine too (aiohttp 2 style)
        await ws.send_str("after ping")
        assert await ws.receive_str() == "after ping"
        assert await ws.close() is True
        assert ws.closed and ws.close_code == WSCloseCode.OK
        assert await ws.close() is False
        assert ws.get_extra_info("peername", "gone") == "gone"


async def test_await_form_and_iteration(serve_ws: Any) -> None:
    url = await serve_ws(echo)
    async with ClientSession() as session:
        ws = await session.ws_connect(url)
        for text in ("a", "b", "close"):
            await ws.send_str(text)
        got = [msg.data async for msg in ws]
        assert got == ["a", "b"]
        assert ws.closed and ws.close_code == 4002
        assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_compression_negotiated(serve_ws: Any) -> None:
    url = await serve_ws(echo)
    async with ClientSession() as session, session.ws_connect(url, compress=15) as ws:
        assert ws.compress == 15
        big = "compressible " * 5000
        await ws.send_str(big)
        assert await ws.receive_str() == big
        await ws.send_str("raw", compress=0)
        assert await ws.receive_str() == "raw"


async def test_errors_on_wrong_types_and_after_close(serve_ws: Any) -> None:
    url = await serve_ws(echo)
    async with ClientSession() as session:
        ws = await session.ws_connect(url)
        with pytest.raises(TypeError):
            await ws.send_str(b"x")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await ws.send_bytes("x")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await ws.send_json({1, 2})
        await ws.send_bytes(b"bin")
        with pytest.raises(TypeError, match=r"is not WSMsgType\.TEXT"):
            await ws.receive_str()
        await ws.send_str("text")
        with pytest.raises(TypeError, match=r"is not WSMsgType\.BINARY"):
            await ws.receive_bytes()
        await ws.send_str("not json")
        with pytest.raises(ValueError):
            await ws.receive_json()
        await ws.close()
        for call in (ws.send_str("x"), ws.send_bytes(b"x"), ws.send_json(1)):
            with pytest.raises(RuntimeError) as info:
                await call
            assert isinstance(info.value, ClientConnectionResetError)
        with pytest.raises(RuntimeError):
            ws.ping()


async def test_request_headers_auth_origin_params(start_peer: StartPeer) -> None:
    heads: list[bytes] = []

    def reply(head: bytes) -> bytes:
        heads.append(head)
        return upgrade_reply(head)

    peer = await start_peer(scripted(reply))
    async with ClientSession() as session:
        ws = await ws_connect(
            session,
            peer.url("/path", scheme="ws"),
            auth=BasicAuth("u", "p"),
            origin="http://example.test",
            params={"q": "1"},
            headers={"X-Extra": "yes"},
            protocols=("a", "b"),
            compress=10,
            timeout=0.2,
        )
        await ws.close()  # the peer never answers: close times out
        assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE
        assert isinstance(ws.exception(), asyncio.TimeoutError)
    head = heads[0].decode()
    assert head.startswith("GET /path?q=1 HTTP/1.1\r\n")
    for line in (
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Version: 13",
        "Authorization: Basic dTpw",
        "Origin: http://example.test",
        "X-Extra: yes",
        "Sec-WebSocket-Protocol: a,b",
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10;"
        " client_max_window_bits",
    ):
        assert line in head, line


def test_timeout_argument_forms() -> None:
    from toolkit.client.ws import _ws_timeout

    assert _ws_timeout(None, None) == ClientWSTimeout(None, 10.0)
    assert _ws_timeout(3, 1.5) == ClientWSTimeout(1.5, 3.0)
    given = ClientWSTimeout(ws_receive=2, ws_close=4)
    assert _ws_timeout(given, None) is given
    with pytest.raises(TypeError, match="ClientWSTimeout"):
        _ws_timeout("10", None)


async def test_receive_timeout(serve_ws: Any) -> None:
    url = await serve_ws(echo)
    async with (
        ClientSession() as session,
        session.ws_connect(url, receive_timeout=0.05) as ws,
    ):
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive()
        await ws.send_str("still open")
        assert await ws.receive_str() == "still open"
        timeout = ClientWSTimeout(ws_receive=0.05, ws_close=1)
        async with session.ws_connect(url, timeout=timeout) as ws:
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive_str()


# --------------------------------------------------------------------------- handshake


@pytest.mark.parametrize(
    ("reply", "status", "fragment"),
    [
        (lambda h: b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 404, "status 404"),
        (lambda h: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno", 200, "status 200"),
        (
            lambda h: (
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n"
            ),
            101,
            "Sec-WebSocket-Accept",
        ),
        # the response parser itself may refuse these 101s (then the status is 400)
        (lambda h: upgrade_reply(h).replace(b"Upgrade: websocket\r\n", b""), None, "Upgrade"),
        (
            lambda h: upgrade_reply(h).replace(b"Connection: Upgrade\r\n", b"Connection: x\r\n"),
            None,
            "Connection",
        ),
        (lambda h: upgrade_reply(h, "Sec-WebSocket-Protocol: zzz\r\n"), 101, "zzz"),
        (
            lambda h: upgrade_reply(h, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
            101,
            "extensions",
        ),
    ],
)
async def test_handshake_errors(
    start_peer: StartPeer, reply: Callable[[bytes], bytes], status: int | None, fragment: str
) -> None:
    peer = await start_peer(scripted(reply))
    url = peer.url("/ws", scheme="ws")
    async with ClientSession() as session:
        with pytest.raises(WSServerHandshakeError) as info:
            await session.ws_connect(url)
    exc = info.value
    assert isinstance(exc, ClientResponseError)
    assert exc.status == status if status is not None else exc.status in (101, 400)
    assert fragment in exc.message
    if status is not None:
        assert exc.request_info.url == url


async def test_handshake_refused_by_our_server(serve_ws: Any) -> None:
    async def plain(request: web.Request) -> web.StreamResponse:
        return web.Response(text="no websocket here")

    url = await serve_ws(plain)
    async with ClientSession() as session:
        with pytest.raises(WSServerHandshakeError) as info:
            await session.ws_connect(url)
    assert info.value.status == 200


async def test_frames_in_the_same_packet_as_the_101(start_peer: StartPeer) -> None:
    def reply(head: bytes) -> bytes:
        return upgrade_reply(head) + build_frame(b"first", WSMsgType.TEXT)

    peer = await start_peer(scripted(reply))
    async with ClientSession() as session:
        ws = await session.ws_connect(peer.url("/", scheme="ws"), timeout=0.1)
        assert await ws.receive_str() == "first"
        await ws.close()


# --------------------------------------------------------------------------- lifecycle


async def test_server_disconnects(start_peer: StartPeer) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    peer = await start_peer(scripted(upgrade_reply, hang_up))
    async with ClientSession() as session:
        ws = await session.ws_connect(peer.url("/", scheme="ws"))
        msg = await ws.receive()
        assert msg.type is WSMsgType.CLOSED
        assert ws.closed and ws.close_code == WSCloseCode.ABNORMAL_CLOSURE


async def test_server_initiated_close_with_autoclose_off(serve_ws: Any) -> None:
    url = await serve_ws(echo)
    async with ClientSession() as session:
        ws = await session.ws_connect(url, autoclose=False)
        await ws.send_str("close")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4002, "asked")
        assert not ws.closed
        assert (await ws.receive()).type is WSMsgType.CLOSING
        await ws.close()
        assert ws.closed and ws.close_code == 4002


async def test_heartbeat_without_pong(start_peer: StartPeer) -> None:
    pings: list[bytes] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parser = WebSocketReader(Role.SERVER)
        while data := await reader.read(1024):
            pings.extend(m.type.name.encode() for m in parser.feed_data(data))

    peer = await start_peer(scripted(upgrade_reply, silent))
    async with ClientSession() as session:
        ws = await session.ws_connect(peer.url("/", scheme="ws"), heartbeat=0.05)
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR
        assert isinstance(msg.data, ServerTimeoutError)
        assert ws.exception() is msg.data
        assert ws.closed and ws.close_code == WSCloseCode.ABNORMAL_CLOSURE
    assert pings[:1] == [b"PING"]


async def test_heartbeat_answered(serve_ws: Any) -> None:
    url = await serve_ws(echo)
    async with ClientSession() as session, session.ws_connect(url, heartbeat=0.03) as ws:
        await asyncio.sleep(0.2)
        await ws.send_str("ok")
        assert await ws.receive_str() == "ok"
        assert ws.exception() is None


async def test_autoping_off_returns_pings(start_peer: StartPeer) -> None:
    async def pinger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(build_frame(b"srv", WSMsgType.PING))
        await reader.read()

    peer = await start_peer(scripted(upgrade_reply, pinger))
    async with ClientSession() as session:
        ws = await session.ws_connect(peer.url("/", scheme="ws"), autoping=False, timeout=0.1)
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.PING, b"srv")
        await ws.pong(msg.data)
        await ws.close()


async def test_protocol_error_from_server(start_peer: StartPeer) -> None:
    received: list[bytes] = []

    async def bad(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(build_frame(b"x", WSMsgType.TEXT, mask=b"abcd"))  # servers don't mask
        received.append(await reader.read(1024))
        await reader.read()

    peer = await start_peer(scripted(upgrade_reply, bad))
    async with ClientSession() as session:
        ws = await session.ws_connect(peer.url("/", scheme="ws"))
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR
        assert ws.close_code == WSCloseCode.PROTOCOL_ERROR
        await ws.close()
    parsed = WebSocketReader(Role.SERVER).feed_data(received[0])
    assert parsed[0].type is WSMsgType.CLOSE and parsed[0].data == WSCloseCode.PROTOCOL_ERROR


# --------------------------------------------------------------------------- TLS / proxy


async def test_wss_with_trustme(
    serve_ws: Any, tls_server_cert: trustme.LeafCert, tls_client_context: ssl.SSLContext
) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_server_cert.configure_cert(server_ctx)
    url = await serve_ws(echo, ssl_context=server_ctx)
    async with (
        ClientSession() as session,
        session.ws_connect(url, ssl=tls_client_context, compress=15) as ws,
    ):
        assert ws.get_extra_info("sslcontext") is not None
        await ws.send_str("secure")
        assert await ws.receive_str() == "secure"
        with pytest.raises(Exception) as info:  # our CA is not trusted by default
            await session.ws_connect(url)
        assert "certificate" in str(info.value).lower()


@pytest.mark.needs_tinyproxy
async def test_wss_through_tinyproxy(
    serve_ws: Any,
    tls_server_cert: trustme.LeafCert,
    tls_client_context: ssl.SSLContext,
    tinyproxy: Any,
) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_server_cert.configure_cert(server_ctx)
    url = await serve_ws(echo, ssl_context=server_ctx)
    async with (
        ClientSession() as session,
        session.ws_connect(url, ssl=tls_client_context, proxy=tinyproxy.url) as ws,
    ):
        assert ws.get_extra_info("peername")[1] == tinyproxy.port
        await ws.send_str("tunnelled")
        assert await ws.receive_str() == "tunnelled"


async def test_close_frame_bytes(start_peer: StartPeer) -> None:
    got: list[bytes] = []

    async def reader_task(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(1024)
        got.append(data)
        writer.write(build_frame(close_payload(1000), WSMsgType.CLOSE))
        await reader.read()

    peer = await start_peer(scripted(upgrade_reply, reader_task))
    async with ClientSession() as session:
        ws = await session.ws_connect(peer.url("/", scheme="ws"))
        assert await ws.close(code=3001, message="bye") is True
        assert ws.close_code == 1000
    msg = WebSocketReader(Role.SERVER).feed_data(got[0])[0]
    assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 3001, "bye")


async def test_wss_with_a_pinned_fingerprint(
    serve_ws: Any, tls_server_cert: trustme.LeafCert
) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_server_cert.configure_cert(server_ctx)
    url = await serve_ws(echo, ssl_context=server_ctx)
    pem = tls_server_cert.cert_chain_pems[0].bytes().decode()
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).digest()
    async with ClientSession() as session:
        async with session.ws_connect(url, ssl=Fingerprint(digest)) as ws:
            await ws.send_str("pinned")
            assert await ws.receive_str() == "pinned"
        with pytest.raises(ServerFingerprintMismatch):
            await session.ws_connect(url, ssl=Fingerprint(bytes(32)))


@pytest.mark.parametrize("field", ["ws_receive", "ws_close"])
@pytest.mark.parametrize(
    ("value", "error"), [(float("nan"), ValueError), ("1", TypeError), (-1, ValueError)]
)
def test_ws_timeout_rejects_what_is_not_seconds(
    field: str, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=rf"ClientWSTimeout\.{field} must be a number of seconds"):
        ClientWSTimeout(**{field: value})


def test_ws_timeout_none_and_zero_still_accepted() -> None:
    timeout = ClientWSTimeout(ws_receive=0, ws_close=None)
    assert timeout.ws_receive == 0
    with pytest.raises(ValueError, match="ws_close"):
        dataclasses.replace(timeout, ws_close=float("nan"))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"timeout": float("nan")}, ValueError, r"ClientWSTimeout\.ws_close"),
        ({"receive_timeout": -1}, ValueError, r"ClientWSTimeout\.ws_receive"),
        ({"receive_timeout": "5"}, TypeError, r"ClientWSTimeout\.ws_receive"),
        ({"heartbeat": float("nan")}, ValueError, r"ws_connect\.heartbeat"),
        ({"heartbeat": 0}, ValueError, r"ws_connect\.heartbeat"),
        ({"max_msg_size": -1}, ValueError, r"ws_connect\.max_msg_size"),
        ({"max_msg_size": float("nan")}, ValueError, r"ws_connect\.max_msg_size"),
        ({"max_msg_size": "4MB"}, TypeError, r"ws_connect\.max_msg_size"),
    ],
)
async def test_ws_connect_checks_numbers_before_connecting(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    async with ClientSession() as session:
        with pytest.raises(error, match=message):
            session.ws_connect("ws://127.0.0.1:1/", **kwargs)


async def test_ws_connect_zero_max_msg_size_and_none_timeouts_accepted(serve_ws: Any) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("hi")
        await ws.close()
        return ws

    url = await serve_ws(handler)
    async with ClientSession() as session:
        async with session.ws_connect(
            url, max_msg_size=0, receive_timeout=None, timeout=ClientWSTimeout(None, None)
        ) as ws:
            assert (await ws.receive()).data == "hi"
        with pytest.raises(ValueError, match="max_msg_size"):
            session.ws_connect(url, max_msg_size=-1)


@given(
    accept=peers.header_values,
    protocol=peers.header_values,
    extensions=peers.header_values,
    token=peers.header_values,
)
@example(accept="", protocol="\x0c", extensions="", token="")  # a protocol that is no OWS
@settings(max_examples=200, deadline=None)
def test_any_handshake_response_headers_give_a_handshake_or_an_error(
    accept: str, protocol: str, extensions: str, token: str
) -> None:
    """Whatever a server answers in Sec-WebSocket-Accept/-Protocol/-Extensions, Upgrade
    and Connection, the client's check gives a handshake or WSHandshakeError (which
    ws_connect() raises as WSServerHandshakeError)."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    good = ws_accept_key(key)
    answers = [
        [
            ("Sec-WebSocket-Accept", a),
            ("Sec-WebSocket-Protocol", protocol),
            ("Sec-WebSocket-Extensions", extensions),
        ]
        for a in (accept, good)
    ]
    answers += [[("Upgrade", token), ("Sec-WebSocket-Accept", good)]]
    answers += [[("Connection", token), ("Sec-WebSocket-Accept", good)]]
    for fields in answers:
        headers = CIMultiDict([("Upgrade", "websocket"), ("Connection", "Upgrade")])
        headers.update(fields)
        for offer in (None, DeflateOffer.from_compress(15), DeflateOffer.from_compress(9)):
            try:
                agreed = validate_server_response(
                    101, headers, key=key, protocols=("chat", protocol), deflate_offer=offer
                )
            except WSHandshakeError:
                continue
            assert agreed.protocol in (None, "chat", protocol.strip(" \t"))
