"""Autobahn-style conformance: hand-built frames sent to our server and our client.

Each case writes raw frames over a real socket on 127.0.0.1 and checks the close
code the endpoint answers with (or the echo it sends back), that the connection is
then closed, and that nothing crashed: the handler/the client saw the documented
message and the server keeps serving new connections.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

import pytest

from toolkit import web
from toolkit.client.session import ClientSession
from toolkit.http.ws import (
    DeflateParams,
    Role,
    WebSocketReader,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    build_frame,
    close_payload,
    ws_accept_key,
)
from toolkit.web.websocket import WebSocketResponse

MASK = b"\x37\xfa\x21\x3d"
TEXT, BINARY, CONT = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION
CLOSE, PING, PONG = WSMsgType.CLOSE, WSMsgType.PING, WSMsgType.PONG
P_ERR, BAD_TEXT, TOO_BIG = (
    WSCloseCode.PROTOCOL_ERROR,
    WSCloseCode.INVALID_TEXT,
    WSCloseCode.MESSAGE_TOO_BIG,
)


class Frame(NamedTuple):
    payload: bytes
    opcode: int
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    raw: bytes | None = None  # send these bytes instead of building a frame


class Case(NamedTuple):
    frames: list[Frame]
    close_code: int  # what the tested endpoint's close frame carries
    echoed: list[Any] = []  # messages expected back before the close
    deflate: bool = False


def huge_length_frame(masked: bool) -> bytes:
    """A binary frame header announcing 2**63 bytes (the MSB must be 0)."""
    head = bytes((0x82, (0x80 if masked else 0) | 127)) + (1 << 63).to_bytes(8, "big")
    return head + (MASK if masked else b"")


# Cases for both directions. The close code is the one the endpoint under test sends.
CASES: dict[str, Case] = {
    # 1. framing
    "1.1 text echoed": Case([Frame(b"hello", TEXT)], 1000, ["hello"]),
    "1.2 empty binary echoed": Case([Frame(b"", BINARY)], 1000, [b""]),
    "1.3 large binary echoed": Case([Frame(b"\x07" * 60000, BINARY)], 1000, [b"\x07" * 60000]),
    # 2. pings and pongs
    "2.1 ping 125 bytes ok": Case(
        [Frame(b"p" * 125, PING), Frame(b"after", TEXT)], 1000, ["after"]
    ),
    "2.2 ping 126 bytes": Case([Frame(b"p" * 126, PING)], P_ERR),
    "2.3 unsolicited pong ignored": Case([Frame(b"x", PONG), Frame(b"t", TEXT)], 1000, ["t"]),
    "2.4 fragmented ping": Case([Frame(b"p", PING, fin=False)], P_ERR),
    # 3. reserved bits
    "3.1 rsv1 without deflate": Case([Frame(b"x", TEXT, rsv1=True)], P_ERR),
    "3.2 rsv2": Case([Frame(b"x", TEXT, rsv2=True)], P_ERR),
    "3.3 rsv3 on ping": Case([Frame(b"", PING, rsv3=True)], P_ERR),
    "3.4 all rsv after a good message": Case(
        # "ok" is delivered, but the close frame is already out: it cannot be echoed
        [Frame(b"ok", TEXT), Frame(b"x", BINARY, rsv1=True, rsv2=True, rsv3=True)],
        P_ERR,
    ),
    # 4. opcodes
    "4.1 reserved data opcode 3": Case([Frame(b"", 3)], P_ERR),
    "4.2 reserved data opcode 7": Case([Frame(b"x", 7)], P_ERR),
    "4.3 reserved control opcode 0xB": Case([Frame(b"", 0xB)], P_ERR),
    "4.4 reserved control opcode 0xF": Case([Frame(b"x", 0xF)], P_ERR),
    # 5. fragmentation
    "5.1 fragmented text": Case(
        [Frame(b"frag", TEXT, fin=False), Frame(b"ment", CONT, fin=False), Frame(b"ed", CONT)],
        1000,
        ["fragmented"],
    ),
    "5.2 ping between fragments": Case(
        [Frame(b"a", TEXT, fin=False), Frame(b"", PING), Frame(b"b", CONT)], 1000, ["ab"]
    ),
    "5.3 continuation without start": Case([Frame(b"x", CONT)], P_ERR),
    "5.4 new message inside a fragmented one": Case(
        [Frame(b"a", TEXT, fin=False), Frame(b"b", TEXT)], P_ERR
    ),
    "5.5 final continuation without start": Case([Frame(b"x", CONT, fin=True)], P_ERR),
    # 6. UTF-8
    "6.1 valid multibyte text": Case([Frame("κόσμε".encode(), TEXT)], 1000, ["κόσμε"]),
    "6.2 invalid utf-8": Case(
        [Frame(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", TEXT)], BAD_TEXT
    ),
    "6.3 code point split across fragments": Case(
        [Frame(b"\xce", TEXT, fin=False), Frame(b"\xba", CONT)], 1000, ["κ"]
    ),
    "6.4 truncated code point at the end": Case(
        [Frame(b"ok\xce", TEXT, fin=False), Frame(b"", CONT)], BAD_TEXT
    ),
    "6.5 invalid byte in first fragment": Case(
        [Frame(b"\xff", TEXT, fin=False), Frame(b"a", CONT)], BAD_TEXT
    ),
    # 7. close
    "7.1 close without payload": Case([Frame(b"", CLOSE)], 0),  # answered without a code
    "7.2 close with one byte": Case([Frame(b"\x03", CLOSE)], P_ERR),
    "7.3 close 1000 with reason": Case([Frame(close_payload(1000, "bye"), CLOSE)], 1000),
    "7.4 close 3000": Case([Frame(close_payload(3000), CLOSE)], 3000),
    "7.5 close 4999": Case([Frame(close_payload(4999), CLOSE)], 4999),
    "7.6 close 999": Case([Frame((999).to_bytes(2, "big"), CLOSE)], P_ERR),
    "7.7 close 1004": Case([Frame((1004).to_bytes(2, "big"), CLOSE)], P_ERR),
    "7.8 close 1005": Case([Frame((1005).to_bytes(2, "big"), CLOSE)], P_ERR),
    "7.9 close 1006": Case([Frame((1006).to_bytes(2, "big"), CLOSE)], P_ERR),
    "7.10 close 1015": Case([Frame((1015).to_bytes(2, "big"), CLOSE)], P_ERR),
    "7.11 close 5000": Case([Frame((5000).to_bytes(2, "big"), CLOSE)], P_ERR),
    "7.12 close reason not utf-8": Case([Frame(b"\x03\xe8\xff\xfe", CLOSE)], BAD_TEXT),
    "7.13 close 126 bytes": Case([Frame(b"\x03\xe8" + b"r" * 124, CLOSE)], P_ERR),
    "7.14 data after close ignored": Case([Frame(b"", CLOSE), Frame(b"late", TEXT)], 0),
    # 9. limits
    "9.1 2**63 length": Case([Frame(b"", BINARY, raw=b"?")], P_ERR),
    "9.2 too big for max_msg_size": Case([Frame(b"\x00" * 70000, BINARY)], TOO_BIG),
    # 12. permessage-deflate
    "12.1 compressed text": Case(
        [Frame(b"\xcaH\xcd\xc9\xc9\x07\x00", TEXT, rsv1=True)], 1000, ["hello"], deflate=True
    ),
    "12.2 corrupt deflate data": Case(
        [Frame(b"\xff\xff\xff\xff", TEXT, rsv1=True)], P_ERR, deflate=True
    ),
    "12.3 rsv1 on a continuation": Case(
        [Frame(b"\xcaH", TEXT, fin=False, rsv1=True), Frame(b"\xcd", CONT, rsv1=True)],
        P_ERR,
        deflate=True,
    ),
    "12.4 rsv1 on a ping": Case([Frame(b"", PING, rsv1=True)], P_ERR, deflate=True),
}
MAX_MSG_SIZE = 65536
ERROR_CODES = frozenset({P_ERR, BAD_TEXT, TOO_BIG})


def encode(frames: list[Frame], *, masked: bool) -> bytes:
    out = b""
    for f in frames:
        if f.raw is not None:
            out += huge_length_frame(masked)
            continue
        out += build_frame(
            f.payload,
            f.opcode,
            fin=f.fin,
            rsv1=f.rsv1,
            rsv2=f.rsv2,
            rsv3=f.rsv3,
            mask=MASK if masked else None,
        )
    return out


class RawPeer:
    """One side of a raw connection: frames out, messages in."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        role: Role,
        deflate: bool = False,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.masked = role is Role.CLIENT
        params = DeflateParams() if deflate else None
        self.parser = WebSocketReader(role, max_msg_size=0, deflate=params)
        self.pending: list[WSMessage] = []

    async def next(self) -> WSMessage | None:
        """The next message, or None at EOF."""
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(65536), 5)
            if not data:
                return None
            self.pending.extend(
                m for m in self.parser.feed_data(data) if m.type not in (PING, PONG)
            )
        return self.pending.pop(0)

    async def at_eof(self) -> bool:
        try:
            return await asyncio.wait_for(self.reader.read(), 5) == b""
        except ConnectionResetError:
            return True

    async def run(self, case: Case) -> tuple[list[Any], WSMessage | None]:
        """Send the case; for a good exchange read the echoes, then close with 1000.

        Returns the data messages received and the peer's close frame (None if none).
        """
        self.writer.write(encode(case.frames, masked=self.masked))
        messages: list[Any] = []
        if case.close_code not in ERROR_CODES:
            for _ in case.echoed:
                msg = await self.next()
                if msg is None or msg.type is CLOSE:
                    return messages, msg
                messages.append(msg.data)
            if not any(f.opcode == CLOSE for f in case.frames):
                self.writer.write(
                    build_frame(close_payload(1000), CLOSE, mask=MASK if self.masked else None)
                )
        while True:
            msg = await self.next()
            if msg is None or msg.type is CLOSE:
                return messages, msg
            messages.append(msg.data)


# --------------------------------------------------------------------------- our server


class ServerUnderTest(NamedTuple):
    url: str
    outcomes: list[tuple[int | None, str]]


@pytest.fixture
async def server() -> AsyncIterator[ServerUnderTest]:
    outcomes: list[tuple[int | None, str]] = []

    async def echo(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(max_msg_size=MAX_MSG_SIZE)
        await ws.prepare(request)
        async for msg in ws:
            try:
                if msg.type is WSMsgType.TEXT:
                    await ws.send_str(msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await ws.send_bytes(msg.data)
            except RuntimeError:
                pass  # delivered before a protocol error: our close frame is already out
        outcomes.append((ws.close_code, type(ws.exception()).__name__))
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield ServerUnderTest(f"127.0.0.1:{runner.addresses[0][1]}", outcomes)
    await runner.cleanup()


async def open_raw(address: str, deflate: bool) -> tuple[asyncio.StreamReader, Any]:
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else ""
    writer.write(
        f"GET / HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n{ext}\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101") and ws_accept_key(key).encode() in head
    assert (b"permessage-deflate" in head) is deflate
    return reader, writer


@pytest.mark.parametrize("name", list(CASES))
async def test_server(server: ServerUnderTest, name: str, caplog: pytest.LogCaptureFixture) -> None:
    case = CASES[name]
    caplog.set_level(logging.ERROR)
    reader, writer = await open_raw(server.url, case.deflate)
    peer = RawPeer(reader, writer, Role.CLIENT, case.deflate)
    messages, close = await peer.run(case)
    eof = await peer.at_eof()
    writer.close()
    assert messages == case.echoed
    assert close is not None, "the server sent no close frame"
    assert close.data == case.close_code, close
    assert eof, "the server did not close the connection"
    for _ in range(200):
        if server.outcomes:
            break
        await asyncio.sleep(0.01)
    code, error = server.outcomes[0]
    assert code == case.close_code
    assert error == ("WebSocketError" if code in ERROR_CODES else "NoneType")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_server_survives_all_cases(server: ServerUnderTest) -> None:
    """Every bad input, one connection each, at once; then a normal client still works."""

    async def one(case: Case) -> None:
        reader, writer = await open_raw(server.url, case.deflate)
        writer.write(encode(case.frames, masked=True))
        try:
            await asyncio.wait_for(reader.read(), 5)
        finally:
            writer.close()

    await asyncio.gather(*(one(c) for c in CASES.values() if c.close_code in ERROR_CODES))
    async with (
        ClientSession() as session,
        session.ws_connect(f"ws://{server.url}/") as ws,
    ):
        await ws.send_str("alive")
        assert await ws.receive_str() == "alive"


# --------------------------------------------------------------------------- our client


@pytest.fixture
async def raw_server() -> AsyncIterator[
    Callable[[Case], Awaitable[tuple[str, asyncio.Future[Any]]]]
]:
    servers: list[asyncio.Server] = []

    async def start(case: Case) -> tuple[str, asyncio.Future[Any]]:
        result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                key = head.split("Sec-WebSocket-Key: ")[1].split("\r\n")[0]
                ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if case.deflate else ""
                writer.write(
                    f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Accept: {ws_accept_key(key)}\r\n"
                    f"{ext}\r\n".encode()
                )
                messages, close = await RawPeer(reader, writer, Role.SERVER, case.deflate).run(case)
                result.set_result((messages, close))
            except BaseException as exc:  # report to the test instead of losing it
                if not result.done():
                    result.set_exception(exc)
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/", result

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("name", list(CASES))
async def test_client(raw_server: Any, name: str) -> None:
    case = CASES[name]
    url, result = await raw_server(case)
    received: list[Any] = []
    async with ClientSession() as session:
        ws = await session.ws_connect(
            url, max_msg_size=MAX_MSG_SIZE, compress=15 if case.deflate else 0
        )
        while True:
            msg = await ws.receive(timeout=5)
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                received.append(msg.data)
                try:
                    await (ws.send_str(msg.data) if msg.type is TEXT else ws.send_bytes(msg.data))
                except RuntimeError:
                    assert case.close_code in ERROR_CODES  # our close frame is already out
                continue
            break
        if case.close_code in ERROR_CODES:
            assert msg.type is WSMsgType.ERROR, msg
            assert ws.exception() is msg.data
        else:
            assert msg.type is WSMsgType.CLOSE, msg
            assert ws.exception() is None
        assert ws.close_code == case.close_code
        await ws.close()
    echoed, close = await asyncio.wait_for(result, 5)
    assert echoed == case.echoed
    if case.close_code not in ERROR_CODES:
        assert received == case.echoed
    assert close is not None and close.data == case.close_code
