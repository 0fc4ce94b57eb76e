"""Conformance checks every connector must pass: :func:`check_connector`.

::

    async def test_my_connector() -> None:
        await check_connector(lambda server: MyConnector(TCPConnector()))

The check serves a small application on a :class:`~toolkit.testing.TestServer`, builds
a session on the connector returned by ``make_connector(server)``, and sends requests
that exercise what a connector must carry unchanged: bodies both ways (small, large,
streamed, chunked, compressed), bodiless responses, keep-alive and server-side closes,
concurrency, and closing. A failure raises :class:`ConnectorConformanceError` naming
the check.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

from toolkit.client.connector import BaseConnector
from toolkit.client.session import ClientSession
from toolkit.web import Application, Request, Response, StreamResponse, UrlDispatcher

from .server import BaseTestServer, TestServer

__all__ = ["ConnectorConformanceError", "check_connector", "conformance_app"]

_LARGE = 1_000_003  # over any write buffer's high-water mark, and not a round number


class ConnectorConformanceError(AssertionError):
    """A connector failed one of the checks; the message names it."""


def _body(size: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(size))


def conformance_app() -> Application:
    """The application :func:`check_connector` talks to."""

    async def echo(request: Request) -> Response:
        data = await request.read()
        return Response(
            body=data,
            headers={
                "X-Length": str(len(data)),
                "X-Sha256": hashlib.sha256(data).hexdigest(),
                "X-Peer": str(request.get_extra_info("peername")),
            },
        )

    async def chunked(request: Request) -> StreamResponse:
        size = int(request.query.get("size", "0"))
        data = _body(size)
        resp = StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(0, size, 50_000):
            await resp.write(data[i : i + 50_000])
        await resp.write_eof()
        return resp

    async def gzipped(request: Request) -> Response:
        resp = Response(body=gzip.compress(b"compressed " * 1000))
        resp.headers["Content-Encoding"] = "gzip"
        return resp

    async def empty(request: Request) -> Response:
        return Response(status=204)

    async def closing(request: Request) -> Response:
        return Response(text="bye", headers={"Connection": "close"})

    app = Application()
    router = app.router
    assert isinstance(router, UrlDispatcher)
    router.add_route("*", "/echo", echo)
    router.add_get("/chunked", chunked)
    router.add_get("/gzip", gzipped)
    router.add_get("/empty", empty)
    router.add_get("/close", closing)
    return app


async def check_connector(
    make_connector: Callable[[BaseTestServer], BaseConnector],
    *,
    transport: Literal["tcp", "memory"] = "tcp",
    expect_reuse: bool = True,
    timeout: float = 30.0,
) -> None:
    """Run the conformance checks against the connector ``make_connector(server)``.

    ``transport`` is the test server's (``"tcp"``/``"memory"``); ``expect_reuse=False``
    skips the keep-alive check for connectors that never reuse connections; each check
    must finish within ``timeout`` seconds.
    """
    server = TestServer(conformance_app(), transport=transport)
    await server.start_server()
    try:
        connector = make_connector(server)
        async with ClientSession(connector=connector) as session:
            for name, check in _CHECKS:
                if name == "keep-alive" and not expect_reuse:
                    continue
                try:
                    await asyncio.wait_for(check(session, server), timeout)
                except Exception as exc:
                    raise ConnectorConformanceError(
                        f"{type(connector).__name__} failed the {name!r} check: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
        if not connector.closed:
            raise ConnectorConformanceError(
                f"{type(connector).__name__}.closed is False after its session closed"
            )
    finally:
        await server.close()


async def _small(session: ClientSession, server: BaseTestServer) -> None:
    async with session.post(server.make_url("/echo"), data=b"hello") as resp:
        assert resp.status == 200, resp.status
        assert await resp.read() == b"hello"


async def _large_both_ways(session: ClientSession, server: BaseTestServer) -> None:
    data = _body(_LARGE)
    async with session.put(server.make_url("/echo"), data=data) as resp:
        assert resp.headers["X-Sha256"] == hashlib.sha256(data).hexdigest(), "request body"
        assert await resp.read() == data, "response body"


async def _streamed_upload(session: ClientSession, server: BaseTestServer) -> None:
    data = _body(300_000)

    async def gen() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 40_000):
            yield data[i : i + 40_000]

    async with session.post(server.make_url("/echo"), data=gen()) as resp:
        assert resp.headers["X-Length"] == str(len(data))


async def _chunked_download(session: ClientSession, server: BaseTestServer) -> None:
    async with session.get(server.make_url("/chunked?size=400000")) as resp:
        got = bytearray()
        async for chunk in resp.content.iter_chunked(8192):
            got += chunk
        assert bytes(got) == _body(400_000)


async def _gzip(session: ClientSession, server: BaseTestServer) -> None:
    async with session.get(server.make_url("/gzip")) as resp:
        assert await resp.read() == b"compressed " * 1000


async def _bodiless(session: ClientSession, server: BaseTestServer) -> None:
    async with session.get(server.make_url("/empty")) as resp:
        assert resp.status == 204 and await resp.read() == b""
    async with session.head(server.make_url("/echo")) as resp:
        assert resp.status == 200 and await resp.read() == b""


async def _keep_alive(session: ClientSession, server: BaseTestServer) -> None:
    peers = set()
    for _ in range(3):
        async with session.get(server.make_url("/echo")) as resp:
            await resp.read()
            peers.add(resp.headers["X-Peer"])
    assert len(peers) == 1, f"3 sequential requests used {len(peers)} connections"


async def _server_closes(session: ClientSession, server: BaseTestServer) -> None:
    for _ in range(2):
        async with session.get(server.make_url("/close")) as resp:
            assert await resp.text() == "bye"
    await _small(session, server)


async def _concurrent(session: ClientSession, server: BaseTestServer) -> None:
    async def one(i: int) -> None:
        payload = b"%d" % i * 100
        async with session.post(server.make_url("/echo"), data=payload) as resp:
            assert await resp.read() == payload

    await asyncio.gather(*(one(i) for i in range(10)))


_CHECKS: list[tuple[str, Callable[[ClientSession, BaseTestServer], Any]]] = [
    ("small body", _small),
    ("large bodies both ways", _large_both_ways),
    ("streamed upload", _streamed_upload),
    ("chunked download", _chunked_download),
    ("gzip", _gzip),
    ("bodiless responses", _bodiless),
    ("keep-alive", _keep_alive),
    ("server closes", _server_closes),
    ("concurrent requests", _concurrent),
]
