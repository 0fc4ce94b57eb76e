"""web.WebSocketResponse over real sockets: handshake, messages, close, errors, heartbeat."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from toolkit import web
from toolkit.client.session import ClientSession
from toolkit.http.ws import (
    Role,
    WebSocketReader,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    build_frame,
    close_payload,
    ws_accept_key,
)
from toolkit.web.websocket import WebSocketReady, WebSocketResponse

Serve = Callable[..., Awaitable[str]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MASK = b"\x01\x02\x03\x04"


async def start(serve: Serve, handler: Handler, done: asyncio.Event | None = None) -> str:
    """Serve ``handler`` at /ws; ``done`` is set when the handler returns."""

    async def tracked(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            if done is not None:
                done.set()

    app = web.Application()
    app.router.add_route("*", "/ws", tracked)
    base = await serve(app)
    return base.replace("http://", "ws://") + "/ws"


class RawClient:
    """A hand-driven WebSocket client: raw frames out, parsed messages in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = WebSocketReader(Role.CLIENT, max_msg_size=0)
        self.pending: list[WSMessage] = []
        self.head = b""

    @classmethod
    async def connect(cls, url: str, extra: str = "") -> RawClient:
        host, port = url.split("//")[1].split("/")[0].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        client = cls(reader, writer)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Key: {key}\r\n{extra}\r\n"
            ).encode()
        )
        client.head = await reader.readuntil(b"\r\n\r\n")
        assert client.head.startswith(b"HTTP/1.1 101"), client.head
        assert ws_accept_key(key).encode() in client.head
        return client

    def send(self, payload: bytes, opcode: int, **kw: Any) -> None:
        self.writer.write(build_frame(payload, opcode, mask=MASK, **kw))

    async def recv(self) -> WSMessage:
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(65536), 5)
            if not data:
                raise EOFError("server closed the connection")
            self.pending.extend(self.parser.feed_data(data))
        return self.pending.pop(0)

    async def at_eof(self) -> bool:
        data = await asyncio.wait_for(self.reader.read(65536), 5)
        return data == b""

    def close(self) -> None:
        self.writer.close()


# --------------------------------------------------------------------------- handshake


async def test_echo_text_binary_json(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        # An upgraded connection has no keep-alive or head timer left on the loop.
        assert request.protocol._timer is None
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data + "/answer")
            elif msg.type is WSMsgType.BINARY:
                await ws.send_bytes(msg.data[::-1])
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str("question")
        assert await ws.receive_str() == "question/answer"
        await ws.send_bytes(b"abc")
        assert await ws.receive_bytes() == b"cba"
        await ws.send_json({"a": 1})
        assert await ws.receive_str() == '{"a": 1}/answer'


async def test_handshake_headers_and_protocol(serve: Serve) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(protocols=("v2", "v1"), compress=False)
        seen["ready"] = ws.can_prepare(request)
        await ws.prepare(request)
        seen["protocol"] = (ws.ws_protocol, ws.protocol, ws.compress)
        seen["peer"] = ws.get_extra_info("peername")
        await ws.close()
        return ws

    url = await start(serve, handler)
    client = await RawClient.connect(url, "Sec-WebSocket-Protocol: v1, v2\r\n")
    assert b"Sec-WebSocket-Protocol: v1" in client.head
    assert b"Sec-WebSocket-Extensions" not in client.head
    assert b"Content-Type" not in client.head and b"Transfer-Encoding" not in client.head
    msg = await client.recv()
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, 1000)
    client.send(close_payload(1000), WSMsgType.CLOSE)
    assert await client.at_eof()
    client.close()
    assert seen["ready"] == WebSocketReady(True, "v1") and seen["ready"]
    assert seen["protocol"] == ("v1", "v1", 0)
    assert seen["peer"][0] == "127.0.0.1"


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("POST", "Upgrade: websocket\r\nConnection: Upgrade\r\n", 405),
        ("GET", "Connection: Upgrade\r\n", 400),
        ("GET", "Upgrade: websocket\r\n", 400),
        ("GET", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n", 400),
    ],
)
async def test_bad_handshake_gets_an_http_error(
    serve: Serve, method: str, headers: str, status: int
) -> None:
    ready: list[WebSocketReady] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        ready.append(ws.can_prepare(request))
        await ws.prepare(request)
        return ws

    url = await start(serve, handler)
    host, port = url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    if "Version" not in headers:
        headers += "Sec-WebSocket-Version: 13\r\n"
    writer.write(
        f"{method} /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n{headers}"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.close()
    assert head.startswith(f"HTTP/1.1 {status}".encode()), head
    assert ready == [WebSocketReady(False, None)]
    assert not ready[0]


async def test_prepare_twice_and_can_prepare_after_start(serve: Serve) -> None:
    errors: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        first = await ws.prepare(request)
        assert await ws.prepare(request) is first
        try:
            ws.can_prepare(request)
        except RuntimeError as exc:
            errors.append(str(exc))
        await ws.close()
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        assert (await ws.receive()).type is WSMsgType.CLOSE
    assert errors == ["Already started"]


# --------------------------------------------------------------------------- API errors


async def test_not_prepared_errors() -> None:
    ws = WebSocketResponse()
    with pytest.raises(RuntimeError, match="prepare"):
        await ws.send_str("x")
    with pytest.raises(RuntimeError, match="prepare"):
        await ws.receive()
    with pytest.raises(RuntimeError, match="prepare"):
        await ws.close()
    with pytest.raises(RuntimeError, match="prepare"):
        ws.ping()
    with pytest.raises(RuntimeError, match="not been started"):
        await ws.write_eof()
    assert not ws.closed and ws.close_code is None and ws.exception() is None
    assert ws.compress is True and ws.ws_protocol is None
    assert ws.get_extra_info("peername", "none") == "none"
    with pytest.raises(ValueError):
        WebSocketResponse(heartbeat=0)


async def test_type_errors_and_send_after_close(serve: Serve) -> None:
    results: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        for name, call in [
            ("send_str", lambda: ws.send_str(b"bytes")),  # type: ignore[arg-type]
            ("send_bytes", lambda: ws.send_bytes("text")),  # type: ignore[arg-type]
            ("send_json", lambda: ws.send_json(object())),
            ("write", lambda: ws.write(b"x")),
        ]:
            try:
                await call()
            except (TypeError, RuntimeError) as exc:
                results[name] = type(exc)
        msg = await ws.receive()
        results["received"] = msg.data
        await ws.close(code=4000, message=b"bye")
        try:
            await ws.send_str("late")
        except RuntimeError as exc:
            results["late"] = exc
        results["close_again"] = await ws.close()
        results["after"] = [(await ws.receive()).type for _ in range(4)]
        try:
            await ws.receive()
        except RuntimeError as exc:
            results["spin"] = str(exc)
        return ws

    done = asyncio.Event()
    url = await start(serve, handler, done)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str("hello")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4000, "bye")
        assert ws.close_code == 4000
    await asyncio.wait_for(done.wait(), 5)
    assert results["send_str"] is TypeError
    assert results["send_bytes"] is TypeError
    assert results["send_json"] is TypeError
    assert results["write"] is RuntimeError
    assert results["received"] == "hello"
    assert isinstance(results["late"], ConnectionResetError)
    assert results["close_again"] is False
    assert results["after"] == [WSMsgType.CLOSED] * 4
    assert "closed" in results["spin"]


async def test_receive_str_bytes_json_type_checks(serve: Serve) -> None:
    got: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        with pytest.raises(TypeError, match=r"is not WSMsgType\.TEXT"):
            await ws.receive_str()  # binary arrives
        with pytest.raises(TypeError, match=r"is not WSMsgType\.BINARY"):
            await ws.receive_bytes()  # text arrives
        with pytest.raises(ValueError):
            await ws.receive_json()  # not JSON
        got["json"] = await ws.receive_json()
        got["loads"] = await ws.receive_json(loads=lambda s: s.upper())
        await ws.close()
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_bytes(b"1")
        await ws.send_str("2")
        await ws.send_str("{not json")
        await ws.send_str(json.dumps([1, 2]))
        await ws.send_str("abc")
        assert (await ws.receive()).type is WSMsgType.CLOSE
    assert got == {"json": [1, 2], "loads": "ABC"}


async def test_receive_timeout(serve: Serve) -> None:
    outcome: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(receive_timeout=0.05)
        await ws.prepare(request)
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive()
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.01)
        outcome.append((await ws.receive(timeout=5)).data)
        await ws.close()
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        await asyncio.sleep(0.15)
        await ws.send_str("late but fine")
        assert (await ws.receive()).type is WSMsgType.CLOSE
    assert outcome == ["late but fine"]


async def test_concurrent_receive_is_refused(serve: Serve) -> None:
    errors: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        first = asyncio.ensure_future(ws.receive())
        await asyncio.sleep(0)
        try:
            await ws.receive()
        except RuntimeError as exc:
            errors.append(str(exc))
        assert (await first).data == "x"
        await ws.close()
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        await asyncio.sleep(0.05)
        await ws.send_str("x")
        assert (await ws.receive()).type is WSMsgType.CLOSE
    assert errors == ["Concurrent call to receive() is not allowed"]


# --------------------------------------------------------------------------- ping / close


async def test_autoping_answers_and_hides_pings(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        await ws.send_str(f"got {msg.type.name} {msg.data}")
        await ws.close()
        return ws

    url = await start(serve, handler)
    client = await RawClient.connect(url)
    client.send(b"hey", WSMsgType.PING)
    client.send(b"unsolicited", WSMsgType.PONG)
    client.send(b"data", WSMsgType.TEXT)
    pong = await client.recv()
    assert (pong.type, pong.data) == (WSMsgType.PONG, b"hey")
    assert (await client.recv()).data == "got TEXT data"
    assert (await client.recv()).type is WSMsgType.CLOSE
    client.send(close_payload(1000), WSMsgType.CLOSE)
    assert await client.at_eof()
    client.close()


async def test_autoping_off_delivers_ping_and_pong(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(autoping=False)
        await ws.prepare(request)
        ping = await ws.receive()
        await ws.pong(ping.data)
        pong = await ws.receive()
        await ws.send_str(f"{ping.type.name}:{ping.data!r} {pong.type.name}:{pong.data!r}")
        await ws.ping(b"server")
        await ws.close()
        return ws

    url = await start(serve, handler)
    client = await RawClient.connect(url)
    client.send(b"p1", WSMsgType.PING)
    client.send(b"p2", WSMsgType.PONG)
    assert (await client.recv()).data == b"p1"
    assert (await client.recv()).data == "PING:b'p1' PONG:b'p2'"
    ping = await client.recv()
    assert (ping.type, ping.data) == (WSMsgType.PING, b"server")
    client.close()


async def test_client_initiated_close(serve: Serve) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        seen.append((msg.type, msg.data, msg.extra, ws.closed, ws.close_code))
        seen.append((await ws.receive()).type)
        return ws

    done = asyncio.Event()
    url = await start(serve, handler, done)
    client = await RawClient.connect(url)
    client.send(close_payload(4001, "done"), WSMsgType.CLOSE)
    reply = await client.recv()
    assert (reply.type, reply.data) == (WSMsgType.CLOSE, 4001)
    assert await client.at_eof()
    client.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen == [(WSMsgType.CLOSE, 4001, "done", True, 4001), WSMsgType.CLOSED]


async def test_autoclose_off(serve: Serve) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(autoclose=False)
        await ws.prepare(request)
        msg = await ws.receive()
        seen.append((msg.type, ws.closed))
        seen.append((await ws.receive()).type)  # CLOSING until we close
        await ws.send_str("still allowed")
        await ws.close(code=1001)
        seen.append((ws.closed, ws.close_code))
        return ws

    done = asyncio.Event()
    url = await start(serve, handler, done)
    client = await RawClient.connect(url)
    client.send(close_payload(1000), WSMsgType.CLOSE)
    assert (await client.recv()).data == "still allowed"
    reply = await client.recv()
    assert (reply.type, reply.data) == (WSMsgType.CLOSE, 1001)
    client.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen == [(WSMsgType.CLOSE, False), WSMsgType.CLOSING, (True, 1000)]


async def test_close_times_out_without_a_reply(serve: Serve) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(timeout=0.1)
        await ws.prepare(request)
        seen.append(await ws.close())
        seen.append((ws.close_code, type(ws.exception())))
        return ws

    done = asyncio.Event()
    url = await start(serve, handler, done)
    client = await RawClient.connect(url)
    assert (await client.recv()).type is WSMsgType.CLOSE  # and never answer it
    assert await client.at_eof()
    client.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen == [True, (WSCloseCode.ABNORMAL_CLOSURE, asyncio.TimeoutError)]


async def test_connection_lost_gives_closed(serve: Serve) -> None:
    seen: list[Any] = []
    done = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        seen.append((await ws.receive()).type)
        seen.append(ws.close_code)
        done.set()
        return ws

    url = await start(serve, handler)
    client = await RawClient.connect(url)
    client.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen == [WSMsgType.CLOSED, WSCloseCode.ABNORMAL_CLOSURE]


async def test_heartbeat_closes_a_silent_peer(serve: Serve) -> None:
    seen: list[Any] = []
    done = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(heartbeat=0.05)
        await ws.prepare(request)
        msg = await ws.receive()
        seen.append((msg.type, type(msg.data), ws.close_code, ws.closed))
        done.set()
        return ws

    url = await start(serve, handler)
    client = await RawClient.connect(url)
    ping = await client.recv()  # a ping we never answer
    assert ping.type is WSMsgType.PING
    assert await client.at_eof()
    await asyncio.wait_for(done.wait(), 5)
    client.close()
    assert seen == [(WSMsgType.ERROR, asyncio.TimeoutError, WSCloseCode.ABNORMAL_CLOSURE, True)]


async def test_heartbeat_kept_alive_by_pongs(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(heartbeat=0.03)
        await ws.prepare(request)
        msg = await ws.receive()
        await ws.send_str(f"alive {msg.data}")
        await ws.close()
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        await asyncio.sleep(0.2)  # several heartbeats; our client answers the pings
        await ws.send_str("x")
        assert await ws.receive_str() == "alive x"


async def test_protocol_error_closes_with_1002(serve: Serve) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        seen.append((msg.type, ws.close_code, ws.exception() is msg.data))
        return ws

    done = asyncio.Event()
    url = await start(serve, handler, done)
    client = await RawClient.connect(url)
    client.writer.write(build_frame(b"x", WSMsgType.TEXT))  # unmasked: not allowed
    msg = await client.recv()
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, WSCloseCode.PROTOCOL_ERROR)
    client.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen == [(WSMsgType.ERROR, WSCloseCode.PROTOCOL_ERROR, True)]


async def test_message_too_big(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(max_msg_size=10)
        await ws.prepare(request)
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_bytes(b"y" * 11)
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.CLOSE, WSCloseCode.MESSAGE_TOO_BIG)


async def test_trailing_frames_sent_with_the_upgrade_request(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(await ws.receive_str())
        await ws.close()
        return ws

    url = await start(serve, handler)
    host, port = url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n".encode()
        + build_frame(b"early", WSMsgType.TEXT, mask=MASK)
    )
    client = RawClient(reader, writer)
    await reader.readuntil(b"\r\n\r\n")
    assert (await client.recv()).data == "early"
    writer.close()


async def test_many_messages_with_flow_control(serve: Serve) -> None:
    count = 300
    size = 4096

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await asyncio.sleep(0.05)  # let the queue fill up and reading pause
        total = 0
        for _ in range(count):
            total += len(await ws.receive_bytes())
        await ws.send_str(str(total))
        await ws.close()
        return ws

    url = await start(serve, handler)
    async with ClientSession() as session, session.ws_connect(url) as ws:
        for _ in range(count):
            await ws.send_bytes(b"z" * size)
        assert await ws.receive_str() == str(count * size)


async def test_close_after_the_peer_closed_and_left(serve: Serve) -> None:
    seen: list[Any] = []
    done = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse(autoclose=False)
        await ws.prepare(request)
        msg = await ws.receive()
        await asyncio.sleep(0.05)  # the client is gone by now
        seen.append((msg.type, await ws.close(), ws.close_code, ws.exception()))
        return ws

    url = await start(serve, handler, done)
    client = await RawClient.connect(url)
    client.send(close_payload(4005), WSMsgType.CLOSE)
    client.close()
    await asyncio.wait_for(done.wait(), 5)
    assert seen == [(WSMsgType.CLOSE, True, 4005, None)]


async def test_runner_cleanup_closes_open_websockets_with_1001() -> None:
    finished: list[Any] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        finished.append(ws.close_code)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"
    async with ClientSession() as session:
        ws = await session.ws_connect(url)
        cleanup = asyncio.ensure_future(runner.cleanup())
        msg = await ws.receive(timeout=5)
        assert (msg.type, msg.data) == (WSMsgType.CLOSE, WSCloseCode.GOING_AWAY)
        await asyncio.wait_for(cleanup, 5)  # not the runner's 60 s shutdown timeout
    assert finished == [WSCloseCode.GOING_AWAY]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"timeout": float("nan")}, ValueError, r"WebSocketResponse\.timeout"),
        ({"timeout": -1}, ValueError, r"WebSocketResponse\.timeout"),
        ({"receive_timeout": "5"}, TypeError, r"WebSocketResponse\.receive_timeout"),
        ({"receive_timeout": float("nan")}, ValueError, r"WebSocketResponse\.receive_timeout"),
        ({"heartbeat": float("nan")}, ValueError, r"WebSocketResponse\.heartbeat"),
        ({"heartbeat": "30"}, TypeError, r"WebSocketResponse\.heartbeat"),
        ({"max_msg_size": -1}, ValueError, r"WebSocketResponse\.max_msg_size"),
        ({"max_msg_size": float("nan")}, ValueError, r"WebSocketResponse\.max_msg_size"),
        ({"max_msg_size": "4M"}, TypeError, r"WebSocketResponse\.max_msg_size"),
    ],
)
def test_numbers_are_checked_at_construction(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        web.WebSocketResponse(**kwargs)


def test_none_and_zero_still_accepted() -> None:
    # max_msg_size 0: no bound; None: no close timeout, no receive timeout, no heartbeat.
    ws = web.WebSocketResponse(timeout=None, receive_timeout=0, heartbeat=None, max_msg_size=0)
    assert ws._max_msg_size == 0
    with pytest.raises(ValueError, match="timeout"):
        web.WebSocketResponse(timeout=float("nan"))
