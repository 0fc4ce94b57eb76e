"""The connector side of the mock: passthrough, kept-alive connections, closing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from toolkit import ClientSession, ServerDisconnectedError, web
from toolkit.testing.mock import MockConnector, MockRequest, MockRouter, MockUnmatchedError

API = "http://api.test"

ServerFactory = Callable[..., Awaitable[Any]]


def real_app() -> web.Application:
    app = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"real {request.method} {request.path}")

    app.router.add_route("*", "/{tail:.*}", hello)
    return app


async def test_passthrough_per_host_reaches_a_real_server(http_server: ServerFactory) -> None:
    server = await http_server(real_app())
    mock = MockRouter(passthrough=["127.0.0.1"])
    mock.get(str(server.make_url("/mocked")), body="mocked")
    async with ClientSession(connector=mock.connector()) as session:
        async with session.get(server.make_url("/mocked")) as resp:
            assert await resp.text() == "mocked"
        async with session.post(server.make_url("/live"), data=b"x") as resp:
            assert await resp.text() == "real POST /live"
        with pytest.raises(MockUnmatchedError):
            await session.get(f"{API}/nothing")
    assert [c.passed_through for c in mock.calls] == [False, True, False]
    assert mock.calls[1].body == b"x"


async def test_passthrough_true_and_host_port(http_server: ServerFactory) -> None:
    server = await http_server(real_app())
    for passthrough in (True, [f"127.0.0.1:{server.port}"]):
        mock = MockRouter(passthrough=passthrough)
        async with (
            ClientSession(connector=mock.connector()) as session,
            session.get(server.make_url("/x")) as resp,
        ):
            assert await resp.text() == "real GET /x"


def test_passthrough_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError, match="list of hosts"):
        MockRouter(passthrough="127.0.0.1")


async def test_kept_alive_connections_are_matched_by_the_server() -> None:
    mock = MockRouter()
    mock.get(f"{API}/a", body="a")
    mock.get(f"{API}/b", body="b")
    mock.get(f"{API}/c", callback=lambda request: ServerDisconnectedError("mocked drop"))
    connector = mock.connector(keepalive_timeout=30)
    async with ClientSession(connector=connector) as session:
        async with session.get(f"{API}/a") as resp:
            assert await resp.text() == "a"
        async with session.get(f"{API}/b") as resp:  # same connection
            assert await resp.text() == "b"
        with pytest.raises(MockUnmatchedError):  # answered by the server on that connection
            await session.get(f"{API}/b")
    assert [c.url.path for c in mock.calls] == ["/a", "/b", "/b"]


async def test_callback_dropping_the_connection_is_retried_like_a_real_one() -> None:
    """A callback's ServerDisconnectedError arrives through the connection, so the
    session retries an idempotent request once, as it would against a real server."""
    mock = MockRouter()
    answers: list[Any] = [ServerDisconnectedError("mocked drop"), {"body": "second try"}]

    def flaky(request: MockRequest) -> Any:
        return answers.pop(0)

    route = mock.get(f"{API}/flaky", callback=flaky, repeat=2)
    async with mock.session() as session, session.get(f"{API}/flaky") as resp:
        assert await resp.text() == "second try"
    assert route.call_count == 2


async def test_connector_is_a_memory_connector_without_keepalive() -> None:
    mock = MockRouter()
    connector = mock.connector()
    assert isinstance(connector, MockConnector)
    assert connector.router is mock
    assert connector.keepalive_timeout == 0
    forced = mock.connector(force_close=True)
    assert forced.force_close
    await connector.close()
    await forced.close()


async def test_https_urls_on_kept_alive_connections() -> None:
    mock = MockRouter()
    route = mock.get("https://secure.test/item", body="s", repeat=2)
    async with ClientSession(connector=mock.connector(keepalive_timeout=30)) as session:
        for _ in range(2):
            async with session.get("https://secure.test/item") as resp:
                assert await resp.text() == "s"
    assert [str(c.url) for c in route.calls] == ["https://secure.test/item"] * 2


async def test_expect_100_continue_is_answered() -> None:
    mock = MockRouter()
    mock.post(f"{API}/upload", match_body=b"payload", status=201)
    async with (
        ClientSession(connector=mock.connector()) as session,
        session.post(f"{API}/upload", data=b"payload", expect100=True) as resp,
    ):
        assert resp.status == 201
    assert mock.calls[0].headers["Expect"] == "100-continue"


async def test_passthrough_connector_passes_the_conformance_checks() -> None:
    from toolkit.testing import check_connector

    await check_connector(
        lambda server: MockRouter(passthrough=True).connector(), expect_reuse=False
    )
