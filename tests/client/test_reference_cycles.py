"""A request leaves nothing for the garbage collector but the application's router.

Whatever a request or a connection leaves in a reference cycle is freed only by the
garbage collector, whose cost grows with it (the pytest plugin's leak check collects
after every test). Each test runs one exchange through a real ``TestServer`` and
``TestClient`` with the collector disabled, then collects with ``DEBUG_SAVEALL`` and
looks at what it found.

The one cycle allowed is the router's, made once per application: a resource lists its
routes and each route points back to its resource (``route.resource`` must keep working
for as long as the user holds a route).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable

import pytest

from toolkit import web
from toolkit.testing.client import TestClient
from toolkit.testing.server import TestServer
from toolkit.web.routing import PlainResource, ResourceRoute

Exchange = Callable[[TestClient], Awaitable[None]]


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def _stream(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    await resp.prepare(request)
    for _ in range(3):
        await resp.write(b"x" * 100)
    await resp.write_eof()
    return resp


async def _not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    msg = await ws.receive()
    await ws.send_str(msg.data)
    await ws.receive()  # the close frame
    return ws


async def _echo_iterating(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:  # ends with the StopAsyncIteration of the close
        await ws.send_str(msg.data)
    return ws


async def _get(client: TestClient) -> None:
    resp = await client.get("/")
    assert await resp.text() == "hello"


async def _get_stream(client: TestClient) -> None:
    resp = await client.get("/stream")
    assert len(await resp.read()) == 300


async def _get_404(client: TestClient) -> None:
    resp = await client.get("/missing")
    assert resp.status == 404
    await resp.read()


async def _unrouted(client: TestClient) -> None:
    # The router's own 404 and 405 answers (a SystemRoute raising the exception).
    resp = await client.get("/nowhere")
    assert resp.status == 404
    await resp.read()
    resp = await client.post("/")
    assert resp.status == 405
    await resp.read()


async def _websocket(client: TestClient) -> None:
    ws = await client.ws_connect("/ws")
    await ws.send_str("hi")
    assert (await ws.receive()).data == "hi"
    await ws.close()


async def _websocket_iterating(client: TestClient) -> None:
    ws = await client.ws_connect("/ws-iterating")
    await ws.send_str("hi")
    assert (await ws.receive()).data == "hi"
    await ws.close()


def _run(transport: str, exchange: Exchange) -> None:
    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", _hello)
        app.router.add_get("/stream", _stream)
        app.router.add_get("/missing", _not_found)
        app.router.add_get("/ws", _echo)
        app.router.add_get("/ws-iterating", _echo_iterating)
        client = TestClient(TestServer(app, transport=transport))
        await client.start_server()
        try:
            await exchange(client)
        finally:
            await client.close()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def _cyclic_garbage(transport: str, exchange: Exchange) -> list[object]:
    """The objects in reference cycles that one exchange leaves."""
    _run(transport, exchange)  # first-use work (lazy imports, caches) out of the way
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        _run(transport, exchange)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def _router_cycle(garbage: list[object]) -> set[int]:
    """The ids of the objects of the router's own cycle: resources, their route lists, routes."""
    allowed: set[int] = set()
    for obj in garbage:
        if type(obj) is PlainResource:
            allowed.add(id(obj))
            allowed.add(id(obj._routes))
            allowed.update(id(route) for route in obj._routes)
    return allowed


@pytest.mark.parametrize("transport", ["memory", "tcp"])
@pytest.mark.parametrize(
    "exchange",
    [_get, _get_stream, _get_404, _unrouted, _websocket, _websocket_iterating],
    ids=["get", "stream", "404", "unrouted", "websocket", "websocket-iterating"],
)
def test_an_exchange_leaves_only_the_router_cycle(transport: str, exchange: Exchange) -> None:
    garbage = _cyclic_garbage(transport, exchange)
    allowed = _router_cycle(garbage)
    left = sorted(type(obj).__qualname__ for obj in garbage if id(obj) not in allowed)
    assert left == []
    # The router's cycle is there (the test sees the garbage it is meant to see).
    assert any(type(obj) is ResourceRoute for obj in garbage)
