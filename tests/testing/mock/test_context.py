"""The default-connector switch: sessions made by the code under test use the mock."""

from __future__ import annotations

import asyncio

import pytest

import toolkit
from toolkit import ClientSession, TCPConnector
from toolkit.client._default_connector import (
    create_default_connector,
    get_default_connector_factory,
)
from toolkit.testing.mock import MockConnector, MockRouter, mock_http

API = "http://api.test"


async def fetch_name(user_id: int) -> str:
    """Code under test: it builds its own session."""
    async with (
        ClientSession() as session,
        session.get(f"{API}/users/{user_id}", raise_for_status=True) as resp,
    ):
        name: str = (await resp.json())["name"]
        return name


async def test_with_block_switches_the_default_connector() -> None:
    assert get_default_connector_factory() is None
    with MockRouter() as mock:
        route = mock.get(f"{API}/users/{{id}}", json={"name": "ann"})
        assert await fetch_name(1) == "ann"
    assert route.call_count == 1
    assert get_default_connector_factory() is None
    connector = create_default_connector()
    assert isinstance(connector, TCPConnector)
    await connector.close()


async def test_async_with_and_tasks_inherit_the_mock() -> None:
    async with mock_http() as mock:
        mock.get(f"{API}/users/{{id}}", json={"name": "bob"}, repeat=True)
        names = await asyncio.gather(*(asyncio.create_task(fetch_name(i)) for i in range(3)))
    assert names == ["bob"] * 3
    assert sorted(c.url.path for c in mock.calls) == ["/users/0", "/users/1", "/users/2"]


async def test_explicit_connector_wins() -> None:
    with MockRouter() as mock:
        outer = MockRouter()
        outer.get(f"{API}/users/1", json={"name": "outer"})
        async with ClientSession(connector=outer.connector()) as session:
            assert isinstance(session.connector, MockConnector)
            assert session.connector.router is outer
            async with session.get(f"{API}/users/1") as resp:
                assert (await resp.json())["name"] == "outer"
    mock.assert_not_called()


async def test_nested_routers_restore_in_order() -> None:
    with MockRouter() as first:
        with MockRouter() as second:
            second.get(f"{API}/users/2", json={"name": "inner"})
            assert await fetch_name(2) == "inner"
        first.get(f"{API}/users/2", json={"name": "outer"})
        assert await fetch_name(2) == "outer"


async def test_toolkit_request_uses_the_mock() -> None:
    with MockRouter() as mock:
        mock.get(f"{API}/one", body="shot")
        async with toolkit.request("GET", f"{API}/one") as resp:
            assert await resp.text() == "shot"


async def test_assert_all_called_on_exit() -> None:
    with (
        pytest.raises(AssertionError, match="1 mocked route"),
        MockRouter(assert_all_called=True) as mock,
    ):
        mock.get(f"{API}/used")
        mock.get(f"{API}/unused")
        async with ClientSession() as session:
            (await session.get(f"{API}/used")).release()
    # an error inside the block is not masked by the check
    with pytest.raises(KeyError), MockRouter(assert_all_called=True) as mock:
        mock.get(f"{API}/unused")
        raise KeyError("inner")
