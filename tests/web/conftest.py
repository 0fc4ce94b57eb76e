"""Fixtures for the application-layer tests: a real server on 127.0.0.1 and fake requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from toolkit import web
from toolkit.http import HttpVersion, HttpVersion11, RequestHead
from toolkit.streams import EMPTY_PAYLOAD, StreamReader

Serve = Callable[..., Awaitable[str]]

# Header values as the parser gives them: latin-1 text, and any bytes decoded as UTF-8
# with surrogateescape (so lone surrogates and non-latin-1 characters too).
_FIELD_BYTES = st.binary(max_size=30).map(
    lambda b: b.translate(None, b"\r\n\x00").decode("utf-8", "surrogateescape")
)
_FIELD_TEXT = st.text(st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=30)
_FIELD_UNICODE = st.text(
    st.characters(exclude_characters="\r\n\x00", exclude_categories=["Cs"]), max_size=10
)
_FIELD_PIECES = st.sampled_from(
    [
        *('"', "W/", ",", ";", "=", "-", " ", "\t", "*", "bytes=", "charset=", "q=", "0"),
        *("GMT", "Sun, 06 Nov 1994 08:49:37", "[::1]", ":", "%", "\\", "for=", "proto="),
        *("+", "_", "\u00b2", "\u0665", "9" * 19, "1" * 4400, "gzip", "br", "nan", "1e3"),
    ]
)
header_values = st.lists(
    _FIELD_PIECES | _FIELD_TEXT | _FIELD_BYTES | _FIELD_UNICODE, max_size=6
).map("".join)


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``base_url = await serve(app, **runner_kwargs)``: run ``app`` on 127.0.0.1:0."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application, **kwargs: Any) -> str:
        kwargs.setdefault("access_log", None)
        runner = web.AppRunner(app, **kwargs)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield start
    for runner in reversed(runners):
        await runner.cleanup()


class FakeWriter:
    """Records what a response writes (the StreamWriter side of the seam)."""

    def __init__(self) -> None:
        self.status_line: str | None = None
        self.headers: CIMultiDict[str] | None = None
        self.body = bytearray()
        self.chunked = False
        self.compression: str | None = None
        self.eof = False
        self.output_size = 0

    def enable_chunking(self) -> None:
        self.chunked = True

    def enable_compression(self, encoding: str = "deflate") -> None:
        self.compression = encoding

    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        self.status_line = status_line
        self.headers = CIMultiDict(headers)

    async def write(self, chunk: bytes) -> None:
        self.body.extend(chunk)
        self.output_size += len(chunk)

    async def write_eof(self, chunk: bytes = b"") -> None:
        self.body.extend(chunk)
        self.output_size += len(chunk)
        self.eof = True

    async def drain(self) -> None:
        pass


class FakeProtocol:
    """Stands in for the RequestHandler: no transport, records keep_alive()."""

    transport = None

    def __init__(self) -> None:
        self.keep_alive_value: bool | None = None

    def keep_alive(self, value: bool) -> None:
        self.keep_alive_value = value

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def make_request(
    method: str,
    target: str,
    headers: Any = None,
    *,
    app: web.Application | None = None,
    body: bytes | None = None,
    version: HttpVersion = HttpVersion11,
    client_max_size: int = 1024**2,
    match_info: dict[str, str] | None = None,
) -> web.Request:
    """A :class:`web.Request` built without a connection (unit tests)."""
    hdrs = CIMultiDictProxy(CIMultiDict(headers or {}))
    message = RequestHead(
        method,
        target,
        version,
        hdrs,
        tuple((k.encode(), v.encode("utf-8", "surrogateescape")) for k, v in hdrs.items()),
        False,
        None,
        False,
        False,
    )
    protocol = FakeProtocol()
    payload: StreamReader
    if body is None:
        payload = EMPTY_PAYLOAD
    else:
        payload = StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
        payload.feed_data(body)
        payload.feed_eof()
    request = web.Request(
        message,
        payload,
        protocol,
        FakeWriter(),
        None,
        asyncio.get_running_loop(),
        client_max_size=client_max_size,
    )
    if app is not None or match_info is not None:
        info = web.UrlMappingMatchInfo(match_info or {}, _DummyRoute())
        info.add_app(app if app is not None else web.Application())
        request._match_info = info
    return request


class _DummyRoute(web.AbstractRoute):
    method = "GET"
    name = None
    resource = None

    @property
    def handler(self) -> Any:  # type: ignore[override]
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response()

        return handler

    def get_info(self) -> dict[str, Any]:
        return {}

    def url_for(self, *args: str, **kwargs: str) -> Any:
        raise RuntimeError("no URL")

    async def handle_expect_header(self, request: web.Request) -> None:
        return None
