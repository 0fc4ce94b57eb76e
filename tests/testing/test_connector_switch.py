"""``toolkit.testing.default_connector``: sessions made without a connector use the
factory inside the block (and its tasks), and only there."""

from __future__ import annotations

import asyncio
from typing import Any

import toolkit
from toolkit import ClientSession, TCPConnector, web
from toolkit.testing import MemoryConnector, default_connector


def hello_app(text: str) -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=text)

    app = web.Application()
    app.router.add_get("/", hello)
    return app


async def fetch(url: str) -> str:
    """Code under test: it makes its own session."""
    async with ClientSession() as session, session.get(url) as resp:
        return await resp.text()


async def test_sessions_without_connector_use_the_factory() -> None:
    made: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> MemoryConnector:
        made.append(kwargs)
        return MemoryConnector(hello_app("in memory"), **kwargs)

    with default_connector(factory):
        assert await fetch("http://api.test/") == "in memory"
        # Tasks started inside inherit it.
        assert await asyncio.create_task(fetch("http://api.test/")) == "in memory"
        # toolkit.request() asks for a connection that is not kept alive.
        async with toolkit.request("GET", "http://api.test/") as resp:
            assert await resp.text() == "in memory"
        assert made[-1] == {"force_close": True}
        async with ClientSession(connector=TCPConnector()) as session:  # given: left alone
            assert isinstance(session.connector, TCPConnector)
    async with ClientSession() as session:
        assert isinstance(session.connector, TCPConnector)
    assert len(made) == 3


async def test_blocks_nest_and_undo_in_order() -> None:
    outer = hello_app("outer")
    inner = hello_app("inner")
    with default_connector(lambda **kw: MemoryConnector(outer, **kw)):
        with default_connector(lambda **kw: MemoryConnector(inner, **kw)):
            assert await fetch("http://api.test/") == "inner"
        assert await fetch("http://api.test/") == "outer"


async def test_the_process_wide_factory_reaches_contexts_made_before_it() -> None:
    # What mock_http does for anyio's tests, whose task was made before the fixture.
    from toolkit.client._default_connector import set_process_default_connector_factory

    started = asyncio.Event()
    go = asyncio.Event()

    async def made_before() -> str:
        started.set()
        await go.wait()
        return await fetch("http://api.test/")

    task = asyncio.create_task(made_before())
    await started.wait()
    previous = set_process_default_connector_factory(
        lambda **kw: MemoryConnector(hello_app("process-wide"), **kw)
    )
    try:
        go.set()
        assert await task == "process-wide"
        with default_connector(lambda **kw: MemoryConnector(hello_app("context"), **kw)):
            assert await fetch("http://api.test/") == "context"  # the context's wins
    finally:
        assert set_process_default_connector_factory(previous) is not None
    assert previous is None
    async with ClientSession() as session:
        assert isinstance(session.connector, TCPConnector)
