"""``unittest`` support: :class:`ToolkitTestCase` (alias ``AioHTTPTestCase``) and loop helpers."""

from __future__ import annotations

import asyncio
import contextlib
import unittest
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .client import TestClient
from .server import TestServer

if TYPE_CHECKING:
    from toolkit.web.app import Application

__all__ = [
    "AioHTTPTestCase",
    "ToolkitTestCase",
    "loop_context",
    "setup_test_loop",
    "teardown_test_loop",
    "unittest_run_loop",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class ToolkitTestCase(unittest.IsolatedAsyncioTestCase):
    """A test case with an application served for each test.

    Override :meth:`get_application`; in ``async def test_*`` methods use
    ``self.client`` (a started :class:`TestClient`), ``self.server`` and ``self.app``.
    Override :meth:`get_server` / :meth:`get_client` to change how they are built
    (e.g. ``TestServer(app, transport="memory")``).
    """

    app: Application
    server: TestServer
    client: TestClient

    async def get_application(self) -> Application:
        """Return the application to test (must be overridden)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define async get_application() returning a web.Application"
        )

    async def get_server(self, app: Application) -> TestServer:
        """Return the (not yet started) server for ``app``."""
        return TestServer(app)

    async def get_client(self, server: TestServer) -> TestClient:
        """Return the (not yet started) client for ``server``."""
        return TestClient(server)

    async def asyncSetUp(self) -> None:
        self.app = await self.get_application()
        self.server = await self.get_server(self.app)
        self.client = await self.get_client(self.server)
        await self.client.start_server()

    async def asyncTearDown(self) -> None:
        await self.client.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop running the test (aiohttp compatibility)."""
        return asyncio.get_running_loop()


AioHTTPTestCase = ToolkitTestCase


def unittest_run_loop(func: _F) -> _F:
    """A no-op kept for old test cases: async test methods already run on the loop."""
    return func


def setup_test_loop(
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
) -> asyncio.AbstractEventLoop:
    """Create a new event loop and make it the current one."""
    loop = loop_factory()
    asyncio.set_event_loop(loop)
    return loop


def teardown_test_loop(loop: asyncio.AbstractEventLoop, fast: bool = False) -> None:
    """Cancel what still runs on ``loop``, shut its generators down and close it."""
    if not loop.is_closed():
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        if not fast:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    asyncio.set_event_loop(None)


@contextlib.contextmanager
def loop_context(
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    fast: bool = False,
) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop for the ``with`` block, closed afterwards."""
    loop = setup_test_loop(loop_factory)
    try:
        yield loop
    finally:
        teardown_test_loop(loop, fast=fast)
