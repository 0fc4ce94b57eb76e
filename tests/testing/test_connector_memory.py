"""MemoryConnector: real client and server protocol code joined by memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings, strategies as st

from toolkit import ClientConnectionError, ClientSession, web
from toolkit.testing import MemoryConnector, RawTestServer, TestServer


def make_app(log: list[str] | None = None) -> web.Application:
    app = web.Application()

    async def peer(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.remote} {request.transport.get_extra_info('peername')}")

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for i in range(int(request.query.get("n", "10"))):
            await resp.write(b"%d:" % i + b"x" * 10000 + b"\n")
        await resp.write_eof()
        return resp

    async def close(request: web.Request) -> web.Response:
        return web.Response(text="bye", headers={"Connection": "close"})

    app.router.add_get("/peer", peer)
    app.router.add_post("/echo", echo)
    app.router.add_get("/stream", stream)
    app.router.add_get("/close", close)
    if log is not None:

        async def on_startup(app: web.Application) -> None:
            log.append("startup")

        async def on_cleanup(app: web.Application) -> None:
            log.append("cleanup")

        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
    return app


async def test_app_target_runs_signals_and_serves() -> None:
    log: list[str] = []
    connector = MemoryConnector(make_app(log))
    async with ClientSession(connector=connector) as session:
        async with session.post("http://anything.test/echo", data=b"ping") as resp:
            assert resp.status == 200
            assert await resp.read() == b"ping"
        assert log == ["startup"]
    assert log == ["startup", "cleanup"]


async def test_keep_alive_reuses_one_memory_connection() -> None:
    connector = MemoryConnector(make_app())
    async with ClientSession(connector=connector) as session:
        seen = set()
        for _ in range(3):
            async with session.get("http://x/peer") as resp:
                seen.add(await resp.text())
        assert len(seen) == 1, seen  # same client address: the connection was reused
        async with session.get("http://x/close") as resp:
            assert await resp.text() == "bye"
        async with session.get("http://x/peer") as resp:
            seen.add(await resp.text())
        assert len(seen) == 2  # the server closed it: a new connection


async def test_force_close_connector_opens_new_connections() -> None:
    connector = MemoryConnector(make_app(), force_close=True)
    async with ClientSession(connector=connector) as session:
        texts = set()
        for _ in range(2):
            async with session.get("http://x/peer") as resp:
                texts.add(await resp.text())
        assert len(texts) == 2


async def test_limit_queues_requests() -> None:
    connector = MemoryConnector(make_app(), limit=1)
    async with ClientSession(connector=connector) as session:

        async def one() -> bytes:
            async with session.post("http://x/echo", data=b"a" * 1000) as resp:
                return await resp.read()

        results = await asyncio.gather(*(one() for _ in range(5)))
        assert results == [b"a" * 1000] * 5


async def test_streaming_both_ways_with_flow_control() -> None:
    connector = MemoryConnector(make_app())
    body = b"0123456789" * 100_000  # 1 MB, far above the write buffer high-water mark

    async def gen() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    async with ClientSession(connector=connector) as session:
        async with session.post("http://x/echo", data=gen()) as resp:
            assert await resp.read() == body
        async with session.get("http://x/stream?n=200") as resp:
            lines = 0
            async for line in resp.content:
                assert line.endswith(b"\n")
                lines += 1
            assert lines == 200


async def test_server_protocol_factory_target() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response(text=request.method)

    server = web.Server(handler)
    async with (
        ClientSession(connector=MemoryConnector(server)) as session,
        session.put("http://x/") as resp,
    ):
        assert await resp.text() == "PUT"
    await server.shutdown()


async def test_test_server_target_must_be_started() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response(text="ok")

    server = RawTestServer(handler, transport="memory")
    async with ClientSession(connector=MemoryConnector(server)) as session:
        with pytest.raises(RuntimeError, match="not started"):
            await session.get("http://x/")
        await server.start_server()
        async with session.get("http://x/") as resp:
            assert await resp.text() == "ok"
    await server.close()


async def _start_slow_server() -> tuple[TestServer, asyncio.Event]:
    """A started in-memory server whose one route sets the event, then hangs for 10 s."""
    started = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(10)
        return web.Response()

    app = web.Application()
    app.router.add_get("/", slow)
    server = TestServer(app, transport="memory", shutdown_timeout=0.01)
    await server.start_server()
    return server, started


async def test_server_closing_disconnects_the_client() -> None:
    server, started = await _start_slow_server()
    async with ClientSession(connector=MemoryConnector(server)) as session:
        task = asyncio.ensure_future(session.get("http://x/"))
        await started.wait()
        await server.close()
        with pytest.raises(ClientConnectionError):
            await task


def test_bad_targets() -> None:
    with pytest.raises(TypeError, match="protocol factory"):
        MemoryConnector(42)
    with pytest.raises(TypeError, match="server_kwargs"):
        MemoryConnector(lambda: None, server_kwargs={"x": 1})


async def test_close_twice_and_without_await() -> None:
    log: list[str] = []
    connector = MemoryConnector(make_app(log))
    async with (
        ClientSession(connector=connector, connector_owner=False) as session,
        session.get("http://x/peer") as resp,
    ):
        assert resp.status == 200
    closing = connector.close()
    await connector.close()  # a second close does nothing more
    await closing
    assert connector.closed
    assert log == ["startup", "cleanup"]


async def test_closing_finishes_idle_connections_at_once() -> None:
    app = web.Application()
    seen: list[str] = []

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app.router.add_get("/", hello)
    server = TestServer(app, transport="memory")
    await server.start_server()
    try:
        connector = MemoryConnector(server)
        async with ClientSession(connector=connector, connector_owner=False) as session:
            async with session.get("http://x/") as resp:
                assert await resp.text() == "hi"
            assert server.handler is not None
            (server_protocol,) = server.handler.connections
            lost = server_protocol.connection_lost

            def record_lost(exc: BaseException | None) -> None:
                seen.append("server")
                lost(exc)

            server_protocol.connection_lost = record_lost  # type: ignore[method-assign]
            closing = connector.close()
            # Both ends saw the idle keep-alive connection go before close() returned.
            assert seen == ["server"]
            assert server.handler.connections == []
            loop = asyncio.get_running_loop()
            before = loop.time()
            await closing  # nothing left to wait for
            assert loop.time() - before < 1
    finally:
        await server.close()


async def test_closing_with_a_response_in_flight_still_works() -> None:
    server, started = await _start_slow_server()
    try:
        connector = MemoryConnector(server)
        session = ClientSession(connector=connector)
        task = asyncio.ensure_future(session.get("http://x/"))
        await started.wait()
        await session.close()  # an acquired connection: closed through the loop
        with pytest.raises(ClientConnectionError):
            await task
    finally:
        await server.close()


async def test_protocol_corners_over_memory() -> None:
    app = web.Application()

    async def no_content(request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def close_delimited(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.force_close()
        await resp.prepare(request)
        await resp.write(b"until the end")
        return resp

    async def upload(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app.router.add_get("/204", no_content)
    app.router.add_get("/eof", close_delimited)
    app.router.add_post("/upload", upload)
    async with ClientSession(connector=MemoryConnector(app)) as session:
        async with session.get("http://x/204") as resp:
            assert resp.status == 204 and await resp.read() == b""
        async with session.head("http://x/204") as resp:
            assert resp.status == 204
        async with session.get("http://x/eof") as resp:
            assert await resp.read() == b"until the end"
        async with session.post("http://x/upload", data=b"z" * 5000, expect100=True) as resp:
            assert await resp.text() == "5000"


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=300_000), st.booleans())
def test_any_body_round_trips(body: bytes, chunked: bool) -> None:
    async def run() -> None:
        async def echo(request: web.BaseRequest) -> web.StreamResponse:
            data = await request.read()
            resp = web.StreamResponse()
            if chunked:
                resp.enable_chunked_encoding()
            else:
                resp.content_length = len(data)
            await resp.prepare(request)
            for i in range(0, len(data), 70_000):
                await resp.write(data[i : i + 70_000])
            await resp.write_eof()
            return resp

        server = web.Server(echo)
        async with ClientSession(connector=MemoryConnector(server)) as session:
            for _ in range(2):  # the second one reuses the connection
                async with session.post("http://x/", data=body) as resp:
                    assert await resp.read() == body
        await server.shutdown()

    asyncio.run(run())
