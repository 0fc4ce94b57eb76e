"""Interoperability with the ``websockets`` library over real sockets on 127.0.0.1.

Both directions: our client against a ``websockets`` server, and a ``websockets``
client against our server; with and without permessage-deflate; text, binary and
fragmented messages; close handshakes started by either side.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect as wsl_connect
from websockets.asyncio.server import ServerConnection, serve as wsl_serve
from websockets.exceptions import ConnectionClosed

from toolkit import web
from toolkit.client.session import ClientSession
from toolkit.http.ws import WSCloseCode, WSMsgType
from toolkit.web.websocket import WebSocketResponse

COMPRESS = pytest.mark.parametrize("compress", [False, True], ids=["plain", "deflate"])
BIG = bytes(range(256)) * 2048  # 512 KiB, spans many reads


# --------------------------------------------------------------------------- our client


async def wsl_echo(conn: ServerConnection) -> None:
    async for message in conn:
        if message == "fragments":
            await conn.send(["frag", "ment", "ed"])
        elif message == "bin-fragments":
            await conn.send([b"\x00", b"\x01" * 70000, b"\x02"])
        elif message == "close-me":
            await conn.close(code=4000, reason="server says bye")
        else:
            await conn.send(message)


@pytest.fixture
async def wsl_server() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    servers: list[Any] = []

    async def start(compress: bool) -> str:
        server = await wsl_serve(
            wsl_echo,
            "127.0.0.1",
            0,
            compression="deflate" if compress else None,
            max_size=None,
        )
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


@COMPRESS
async def test_our_client_with_websockets_server(wsl_server: Any, compress: bool) -> None:
    url = await wsl_server(compress)
    async with (
        ClientSession() as session,
        session.ws_connect(url, compress=15 if compress else 0) as ws,
    ):
        assert bool(ws.compress) is compress
        await ws.send_str("héllo ✓")
        assert await ws.receive_str() == "héllo ✓"
        await ws.send_bytes(BIG)
        assert await ws.receive_bytes() == BIG
        await ws.send_str("fragments")
        assert await ws.receive_str() == "fragmented"
        await ws.send_str("bin-fragments")
        assert await ws.receive_bytes() == b"\x00" + b"\x01" * 70000 + b"\x02"
        await ws.send_str("")
        assert await ws.receive_str() == ""
        assert await ws.close(code=4001, message=b"client done") is True
        assert ws.close_code == 4001  # websockets echoes our code


async def test_websockets_server_closes_first(wsl_server: Any) -> None:
    url = await wsl_server(True)
    async with ClientSession() as session:
        ws = await session.ws_connect(url, compress=15)
        await ws.send_str("close-me")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4000, "server says bye")
        assert ws.closed and ws.close_code == 4000
        assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_our_client_answers_websockets_pings() -> None:
    pongs: list[float] = []

    async def handler(conn: ServerConnection) -> None:
        waiter = await conn.ping(b"are you there")
        pongs.append(await asyncio.wait_for(waiter, 5))
        await conn.send("pong seen")
        await conn.wait_closed()

    async with wsl_serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with (
            ClientSession() as session,
            session.ws_connect(f"ws://127.0.0.1:{port}/") as ws,
        ):
            assert await ws.receive_str() == "pong seen"
    assert len(pongs) == 1


# --------------------------------------------------------------------------- our server


@pytest.fixture
async def our_server() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> str:
        app = web.Application()
        app.router.add_get("/ws", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"

    yield start
    for runner in runners:
        await runner.cleanup()


closes: list[tuple[int | None, BaseException | None]] = []


async def our_echo(request: web.Request) -> web.StreamResponse:
    ws = WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            if msg.data == "close-me":
                await ws.close(code=4003, message="server done")
            else:
                await ws.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    closes.append((ws.close_code, ws.exception()))
    return ws


@COMPRESS
async def test_websockets_client_with_our_server(our_server: Any, compress: bool) -> None:
    url = await our_server(our_echo)
    closes.clear()
    async with wsl_connect(
        url, compression="deflate" if compress else None, max_size=None
    ) as client:
        extensions = client.response.headers.get("Sec-WebSocket-Extensions")
        assert (extensions is not None) is compress
        await client.send("text ✓")
        assert await client.recv() == "text ✓"
        await client.send(BIG)
        assert await client.recv() == BIG
        await client.send(["frag", "ment", "ed"])  # one message in three frames
        assert await client.recv() == "fragmented"
        await client.send([b"a" * 10, b"b" * 100000])
        assert await client.recv() == b"a" * 10 + b"b" * 100000
        await client.close(code=4004, reason="client done")
    assert client.close_code == 4004
    for _ in range(100):
        if closes:
            break
        await asyncio.sleep(0.01)
    assert closes == [(4004, None)]


async def test_our_server_closes_first(our_server: Any) -> None:
    url = await our_server(our_echo)
    closes.clear()
    async with wsl_connect(url) as client:
        await client.send("close-me")
        with pytest.raises(ConnectionClosed) as info:
            await client.recv()
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4003, "server done")
    assert client.close_code == 4003
    for _ in range(100):
        if closes:
            break
        await asyncio.sleep(0.01)
    assert closes == [(4003, None)]


async def test_our_server_heartbeat_with_websockets_client(our_server: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(heartbeat=0.03)
        await ws.prepare(request)
        await asyncio.sleep(0.2)  # pings go out; websockets answers them
        await ws.send_str("still here" if ws.exception() is None else "dead")
        await ws.close()
        return ws

    url = await our_server(handler)
    async with wsl_connect(url) as client:
        assert await client.recv() == "still here"


async def test_subprotocol_agreement(our_server: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(protocols=("graphql-ws", "chat"))
        await ws.prepare(request)
        await ws.send_str(str(ws.ws_protocol))
        await ws.close(code=WSCloseCode.GOING_AWAY)
        return ws

    url = await our_server(handler)
    async with wsl_connect(url, subprotocols=["chat"]) as client:  # type: ignore[list-item]
        assert client.subprotocol == "chat"
        assert await client.recv() == "chat"
        await client.wait_closed()
    assert client.close_code == WSCloseCode.GOING_AWAY


async def test_websockets_client_over_tls(
    tls_server_cert: Any, tls_client_context: ssl.SSLContext
) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_server_cert.configure_cert(server_ctx)
    app = web.Application()
    app.router.add_get("/ws", our_echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx).start()
        url = f"wss://localhost:{runner.addresses[0][1]}/ws"
        async with wsl_connect(url, ssl=tls_client_context) as client:
            await client.send("over tls")
            assert await client.recv() == "over tls"
            await client.send(BIG)
            assert await client.recv() == BIG
    finally:
        await runner.cleanup()
