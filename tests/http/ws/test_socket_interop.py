"""End to end over real sockets on 127.0.0.1: our sans-IO core against
``websockets``' asyncio client and server, with a few lines of asyncio glue
(the glue lives here; ``toolkit.http.ws`` itself does no I/O)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from multidict import CIMultiDict
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from toolkit.http.ws import (
    DeflateOffer,
    Role,
    WSConnection,
    WSHandshakeError,
    WSMessage,
    WSMsgType,
    WSState,
    build_client_request_headers,
    make_client_key,
    validate_client_request,
    validate_server_response,
)

TIMEOUT = 10


async def read_head(reader: asyncio.StreamReader) -> tuple[str, CIMultiDict[str]]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    lines = head.decode("latin-1").split("\r\n")[:-2]
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    return lines[0], headers


async def receive(conn: WSConnection, reader: asyncio.StreamReader) -> WSMessage:
    """Read until the engine delivers a message (the glue an async layer adds)."""
    while True:
        data = await asyncio.wait_for(reader.read(65536), TIMEOUT)
        if not data:
            conn.receive_eof()
            return WSMessage(WSMsgType.CLOSED, None, None)
        messages = conn.receive_data(data)
        if messages:
            assert len(messages) == 1, messages
            return messages[0]


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


@pytest.fixture
async def websockets_server() -> AsyncIterator[int]:
    async with serve(echo, "127.0.0.1", 0, compression="deflate", subprotocols=["chat"]) as server:  # type: ignore[list-item]
        yield server.sockets[0].getsockname()[1]


@pytest.mark.parametrize("compress", [0, 15, 10])
async def test_our_client_against_websockets_server(websockets_server: int, compress: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", websockets_server)
    try:
        key = make_client_key()
        offer = DeflateOffer.from_compress(compress) if compress else None
        headers = build_client_request_headers(key, protocols=["chat"], deflate_offer=offer)
        headers["Host"] = f"127.0.0.1:{websockets_server}"
        request = "GET / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(request.encode("latin-1") + b"\r\n")
        status_line, resp_headers = await read_head(reader)
        agreed = validate_server_response(
            int(status_line.split()[1]),
            resp_headers,
            key=key,
            protocols=["chat"],
            deflate_offer=offer,
        )
        assert agreed.protocol == "chat"
        assert (agreed.deflate is not None) is bool(compress)
        conn = WSConnection(Role.CLIENT, deflate=agreed.deflate)

        for payload in ["hello", "☃" * 10000, b"\x00\xff" * 40000]:
            if isinstance(payload, str):
                writer.write(conn.send_str(payload))
            else:
                writer.write(conn.send_bytes(payload))
            msg = await receive(conn, reader)
            assert msg.data == payload

        writer.write(conn.ping(b"still there?"))
        assert await receive(conn, reader) == WSMessage(WSMsgType.PONG, b"still there?", "")

        writer.write(conn.close(1000, "bye"))
        assert await receive(conn, reader) == WSMessage(WSMsgType.CLOSE, 1000, "bye")
        assert conn.state is WSState.CLOSED
        # the server closes the TCP connection after the close handshake
        assert await receive(conn, reader) == WSMessage(WSMsgType.CLOSED, None, None)
        assert conn.clean_close
    finally:
        writer.close()
        await writer.wait_closed()


async def our_echo_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A minimal server on our core: handshake, echo, close handshake."""
    try:
        request_line, headers = await read_head(reader)
        method, _, rest = request_line.partition(" ")
        version = tuple(int(x) for x in rest.rpartition("HTTP/")[2].split("."))
        try:
            result = validate_client_request(method, version, headers, protocols=["chat"])  # type: ignore[arg-type]
        except WSHandshakeError as exc:
            extra = "".join(f"{k}: {v}\r\n" for k, v in exc.headers)
            writer.write(
                f"HTTP/1.1 {exc.status} Error\r\n{extra}Content-Length: 0\r\n\r\n".encode()
            )
            return
        head = "HTTP/1.1 101 Switching Protocols\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in result.headers.items()
        )
        writer.write(head.encode("latin-1") + b"\r\n")
        conn = WSConnection(Role.SERVER, deflate=result.deflate)
        while conn.state is not WSState.CLOSED:
            data = await reader.read(65536)
            if not data:
                conn.receive_eof()
                break
            for msg in conn.receive_data(data):
                if msg.type is WSMsgType.TEXT:
                    writer.write(conn.send_str(msg.data))
                elif msg.type is WSMsgType.BINARY:
                    writer.write(conn.send_bytes(msg.data))
            writer.write(conn.data_to_send())
            await writer.drain()
    finally:
        writer.close()


@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_websockets_client_against_our_server(compression: str | None) -> None:
    server = await asyncio.start_server(our_echo_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with connect(
            f"ws://127.0.0.1:{port}/",
            compression=compression,
            subprotocols=["chat"],  # type: ignore[list-item]
            max_size=None,
            open_timeout=TIMEOUT,
        ) as ws:
            assert ws.subprotocol == "chat"
            for payload in ["hello", "☃" * 10000, b"\x00\xff" * 40000]:
                await ws.send(payload)
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == payload
            await asyncio.wait_for(await ws.ping(b"hb"), TIMEOUT)  # our automatic pong
            # fragmented message from an async iterator
            await ws.send(iter(["frag", "men", "ted"]))
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "fragmented"
        assert ws.close_code == 1000
    finally:
        server.close()
        await server.wait_closed()


async def test_our_server_refuses_a_bad_version_with_400() -> None:
    server = await asyncio.start_server(our_echo_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        headers = build_client_request_headers(make_client_key())
        headers["Sec-WebSocket-Version"] = "8"
        request = "GET / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(request.encode() + b"\r\n")
        status_line, resp_headers = await read_head(reader)
        assert status_line.split()[1] == "400"
        assert resp_headers["Sec-WebSocket-Version"] == "13"
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
