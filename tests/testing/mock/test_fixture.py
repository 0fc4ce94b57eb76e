"""The ``mock_http`` pytest fixture (pytest_plugin.mock_fixtures)."""

from __future__ import annotations

import pytest

from pytest_plugin import mock_fixtures
from toolkit import ClientSession
from toolkit.client._default_connector import get_default_connector_factory
from toolkit.testing.mock import MockRouter, MockUnmatchedError

# Registered by the plugin as well; importing it here keeps this module self-contained.
mock_http = mock_fixtures.mock_http


async def test_fixture_mocks_sessions_made_in_the_test(mock_http: MockRouter) -> None:
    mock_http.post("http://api.test/items", status=201, json={"id": 7})
    async with ClientSession() as session:
        async with session.post("http://api.test/items", json={"name": "x"}) as resp:
            assert resp.status == 201
            assert await resp.json() == {"id": 7}
        with pytest.raises(MockUnmatchedError):
            await session.get("http://api.test/other")
    mock_http.assert_called_with("POST", "http://api.test/items", json={"name": "x"})


def test_fixture_is_active_only_during_the_test(mock_http: MockRouter) -> None:
    assert get_default_connector_factory() == mock_http.connector


def test_no_mock_outside_the_fixture() -> None:
    assert get_default_connector_factory() is None


def test_plugin_registers_the_fixture() -> None:
    from pytest_plugin import plugin

    assert plugin.mock_http is mock_fixtures.mock_http
    assert "mock_http" in plugin.__all__
