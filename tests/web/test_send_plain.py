"""``Response._send_plain`` (prepare and write_eof in one step) sends what the general path sends.

Each case builds two identical responses and requests: one goes through the shortcut
(when it applies), the other through ``prepare()`` + ``write_eof()``. The bytes on the
wire, the final headers, ``body_length`` and the keep-alive decision must be equal.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from tests.web.conftest import Serve
from toolkit import web
from toolkit.http import HttpVersion, HttpVersion10, HttpVersion11, RequestHead
from toolkit.payload import StringPayload
from toolkit.streams import EMPTY_PAYLOAD
from toolkit.web import (
    _helpers as helpers_module,
    response as response_module,
    stream_response as stream_response_module,
)
from toolkit.web.request import BaseRequest
from toolkit.web.writer import StreamWriter

_DATE = "Thu, 01 Jan 2026 00:00:00 GMT"


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def writelines(self, data: Any) -> None:
        self.writes.extend(bytes(d) for d in data)

    def is_closing(self) -> bool:
        return False


class _Protocol:
    def __init__(self) -> None:
        self.transport: Any = _Transport()
        self._writing_paused = False
        self.keepalive: bool | None = None

    def keep_alive(self, value: bool) -> None:
        self.keepalive = value

    async def _drain_helper(self) -> None:
        pass


def _request(
    method: str, version: HttpVersion, should_close: bool, *, hook: bool
) -> tuple[BaseRequest, _Protocol]:
    headers = CIMultiDictProxy(CIMultiDict(Host="x"))
    message = RequestHead(
        method, "/p", version, headers, ((b"Host", b"x"),), should_close, None, False, False
    )
    protocol = _Protocol()
    loop = asyncio.get_running_loop()
    writer = StreamWriter(protocol, loop)
    request = BaseRequest(message, EMPTY_PAYLOAD, protocol, writer, None, loop)
    request._run_prepare_hook = hook
    return request, protocol


def _make(kind: str) -> web.Response:
    if kind == "text":
        return web.Response(text="Hello, World!")
    if kind == "json":
        return web.Response(text='{"a": 1}', content_type="application/json")
    if kind == "empty":
        return web.Response()
    if kind == "empty-bytes":
        return web.Response(body=b"")
    if kind == "big":
        return web.Response(body=b"x" * 0x5000)
    if kind == "medium":
        return web.Response(body=b"y" * 0x1000)
    if kind == "status":
        return web.Response(status=404, reason="Gone Fishing", text="no")
    if kind == "headers":
        return web.Response(text="h", headers={"X-A": "1", "Server": "mine", "Date": _DATE})
    if kind == "close":
        resp = web.Response(text="bye")
        resp.force_close()
        return resp
    if kind == "connection":
        return web.Response(text="c", headers={"Connection": "keep-alive"})
    if kind == "length":
        return web.Response(body=b"abc", headers={"Content-Length": "3"})
    if kind == "cookie":
        resp = web.Response(text="c")
        resp.set_cookie("k", "v")
        return resp
    if kind == "compressed":
        resp = web.Response(text="z" * 100)
        resp.enable_compression(web.ContentCoding.gzip)
        return resp
    if kind == "chunked":
        resp = web.Response(text="chunks")
        resp.enable_chunked_encoding()
        return resp
    if kind == "no-content":
        return web.Response(status=204)
    if kind == "not-modified":
        return web.Response(status=304)
    if kind == "payload":
        return web.Response(body=StringPayload("s"))
    raise AssertionError(kind)


_PLAIN_KINDS = [
    "text",
    "json",
    "empty",
    "empty-bytes",
    "big",
    "medium",
    "status",
    "headers",
    "close",
    "connection",
]
_KINDS = [
    *_PLAIN_KINDS,
    "length",
    "cookie",
    "compressed",
    "chunked",
    "no-content",
    "not-modified",
    "payload",
]
_PLAIN = set(_PLAIN_KINDS)


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD", "CONNECT"])
@pytest.mark.parametrize("version", [HttpVersion11, HttpVersion10])
@pytest.mark.parametrize("should_close", [False, True])
async def test_shortcut_sends_what_the_general_path_sends(
    kind: str,
    method: str,
    version: HttpVersion,
    should_close: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in (response_module, stream_response_module):
        monkeypatch.setattr(module, "http_date_now", lambda: _DATE)
    # (_send_plain reads the date cache itself while the second is the same.)
    monkeypatch.setattr(response_module, "_time", lambda: 0.0)
    monkeypatch.setattr(helpers_module, "_date_cache", (0, _DATE))
    fast, slow = _make(kind), _make(kind)
    fast_req, fast_proto = _request(method, version, should_close, hook=False)
    slow_req, slow_proto = _request(method, version, should_close, hook=True)

    took = fast._send_plain(fast_req)
    if took:  # what the protocol does after the shortcut
        fast_proto.keep_alive(bool(fast._keep_alive))
    errors: list[type[BaseException] | None] = []
    for resp, req, general in ((fast, fast_req, not took), (slow, slow_req, True)):
        try:
            if general:
                await resp.prepare(req)
                await resp.write_eof()
        except RuntimeError as exc:  # e.g. chunked for HTTP/1.0: both refuse
            errors.append(type(exc))
        else:
            errors.append(None)
    assert errors[0] == errors[1]
    if errors[0] is not None:
        assert not took
        return

    expected_plain = kind in _PLAIN and method in ("GET", "POST") and version == HttpVersion11
    assert took is expected_plain
    assert b"".join(fast_proto.transport.writes) == b"".join(slow_proto.transport.writes)
    assert list(fast.headers.items()) == list(slow.headers.items())
    assert fast.body_length == slow.body_length
    assert fast.keep_alive == slow.keep_alive
    assert fast_proto.keepalive == slow_proto.keepalive
    assert fast.prepared and slow.prepared
    assert fast._send_plain(fast_req) is False  # a finished response takes the general path


async def test_shortcut_needs_a_fresh_writer_and_no_prepare_hook() -> None:
    request, _ = _request("GET", HttpVersion11, False, hook=True)
    assert web.Response(text="a")._send_plain(request) is False
    request, _ = _request("GET", HttpVersion11, False, hook=False)
    request._payload_writer._headers_written = True
    assert web.Response(text="a")._send_plain(request) is False


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Evil": "a\r\nSet-Cookie: x=1"},
        {"X-Evil": "a\nb"},
        {"X-Evil": "a\rb"},
        {"X-Evil\r\nX-Other": "a"},
        {"Server": "s\n"},
    ],
)
async def test_header_injection_is_left_to_the_general_path(headers: dict[str, str]) -> None:
    request, protocol = _request("GET", HttpVersion11, False, hook=False)
    resp = web.Response(text="a", headers=headers)
    assert resp._send_plain(request) is False
    assert protocol.transport.writes == []
    assert not request._payload_writer.headers_written
    assert not resp._eof_sent
    with pytest.raises(ValueError, match="Newline or carriage return"):
        await resp.prepare(request)
    assert protocol.transport.writes == []


async def test_pipelined_plain_responses_keep_their_order(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.path == "/slow":
            await asyncio.sleep(0.01)
        return web.Response(text=request.path)

    app = web.Application()
    app.router.add_get("/{name}", handler)
    base = await serve(app)
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    data = await reader.read()
    writer.close()
    bodies = [chunk.rsplit(b"\r\n\r\n", 1)[-1] for chunk in data.split(b"HTTP/1.1 200 OK")[1:]]
    assert bodies == [b"/slow", b"/fast", b"/last"]
    assert data.count(b"Connection: close") == 1


async def test_large_plain_body_is_drained_through_a_real_socket(serve: Serve) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: the transport pauses writing

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(2):
            r = await client.get("/")
            assert r.content == body
            assert r.headers["Content-Length"] == str(len(body))


class _GatheringTransport(_Transport):
    """Looks like uvloop's transport: its writelines() is a single writev."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple[bytes, ...]]] = []

    def write(self, data: bytes) -> None:
        self.calls.append(("write", (data,)))
        super().write(data)

    def writelines(self, data: Any) -> None:
        self.calls.append(("writelines", tuple(data)))
        super().writelines(data)


_GatheringTransport.__module__ = "uvloop.loop"


@pytest.mark.parametrize("size", [0x4000 - 13, 0x4000 + 1, 0x30000])
async def test_body_leaves_with_the_head_in_one_writev_without_a_copy(size: int) -> None:
    request, protocol = _request("GET", HttpVersion11, False, hook=False)
    protocol.transport = _GatheringTransport()
    body = b"j" * size
    resp = web.Response(body=body, content_type="application/json")
    assert resp._send_plain(request)
    [(kind, parts)] = protocol.transport.calls
    assert kind == "writelines"
    head, sent = parts
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert sent is body  # the body object itself: not copied


@pytest.mark.parametrize(("size", "writes"), [(100, 1), (0x4000, 1), (0x10000, 1), (0x10001, 2)])
async def test_other_transports_get_one_write_up_to_64k(size: int, writes: int) -> None:
    # (asyncio's transports before Python 3.12 join what writelines() gets: a copy
    # anyway; one send beats two up to 64 KiB.)
    request, protocol = _request("GET", HttpVersion11, False, hook=False)
    body = b"k" * size
    assert web.Response(body=body)._send_plain(request)
    assert len(protocol.transport.writes) == writes
    assert b"".join(protocol.transport.writes).endswith(b"\r\n\r\n" + body)


async def test_general_path_coalesces_head_and_body_the_same_way() -> None:
    request, protocol = _request("GET", HttpVersion11, False, hook=True)
    protocol.transport = _GatheringTransport()
    body = b"g" * 0x8000
    resp = web.Response(body=body)
    await resp.prepare(request)
    await resp.write_eof()
    [(kind, parts)] = protocol.transport.calls
    assert kind == "writelines" and parts[1] is body
