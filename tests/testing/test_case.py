"""ToolkitTestCase / AioHTTPTestCase, and the loop helpers."""

from __future__ import annotations

import asyncio
import unittest

from toolkit import web
from toolkit.testing import (
    AioHTTPTestCase,
    TestClient,
    TestServer,
    ToolkitTestCase,
    loop_context,
    setup_test_loop,
    teardown_test_loop,
    unittest_run_loop,
)


def make_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    return app


class TestOverTcp(ToolkitTestCase):
    async def get_application(self) -> web.Application:
        return make_app()

    async def test_get(self) -> None:
        resp = await self.client.get("/")
        self.assertEqual(await resp.text(), "hello")
        self.assertIs(self.client.server, self.server)
        self.assertIs(self.server.app, self.app)
        self.assertIs(self.loop, asyncio.get_running_loop())

    @unittest_run_loop
    async def test_old_decorator(self) -> None:
        resp = await self.client.get("/")
        self.assertEqual(resp.status, 200)


class TestOverMemory(AioHTTPTestCase):
    async def get_application(self) -> web.Application:
        return make_app()

    async def get_server(self, app: web.Application) -> TestServer:
        return TestServer(app, transport="memory")

    async def get_client(self, server: TestServer) -> TestClient:
        return TestClient(server, headers={"X-Test": "1"})

    async def test_get(self) -> None:
        self.assertEqual(self.server.transport, "memory")
        resp = await self.client.get("/")
        self.assertEqual(await resp.text(), "hello")


def test_missing_get_application_fails_clearly() -> None:
    class Incomplete(ToolkitTestCase):
        async def test_nothing(self) -> None:
            pass

    result = unittest.TestResult()
    Incomplete("test_nothing").run(result)
    assert len(result.errors) == 1
    assert "get_application" in result.errors[0][1]


def test_aliases() -> None:
    assert AioHTTPTestCase is ToolkitTestCase


def test_loop_helpers() -> None:
    with loop_context() as loop:
        assert asyncio.get_event_loop_policy().get_event_loop() is loop
        assert loop.run_until_complete(asyncio.sleep(0, "ok")) == "ok"
    assert loop.is_closed()
    loop = setup_test_loop()

    async def forever() -> None:
        await asyncio.sleep(3600)

    task = loop.create_task(forever())
    teardown_test_loop(loop)
    assert task.cancelled() and loop.is_closed()
