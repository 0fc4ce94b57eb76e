"""The client runs on uvloop, whose transports are not ``asyncio.Transport`` subclasses."""

from __future__ import annotations

import asyncio

import pytest

import toolkit
from toolkit import web

uvloop = pytest.importorskip("uvloop", reason="uvloop is an optional speed-up")


def test_client_keeps_alive_over_tcp_on_uvloop() -> None:
    async def scenario() -> list[tuple[int, object]]:
        app = web.Application()

        async def handler(request: web.Request) -> web.Response:
            return web.json_response({"peer": request.transport is not None})

        app.router.add_get("/", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        seen = []
        assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
        try:
            connector = toolkit.TCPConnector(limit=1)
            async with toolkit.ClientSession(connector=connector) as session:
                for _ in range(3):
                    async with session.get(f"http://127.0.0.1:{port}/") as resp:
                        seen.append((resp.status, await resp.json()))
        finally:
            await runner.cleanup()
        return seen

    assert uvloop.run(scenario()) == [(200, {"peer": True})] * 3
