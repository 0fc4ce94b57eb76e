"""Fixtures: the fake API (``weatherclient.testing``) and a client talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from weatherclient import WeatherClient
from weatherclient.testing import TOKEN, make_app

from toolkit import web


@pytest.fixture
def weather_app() -> web.Application:
    return make_app()


@pytest.fixture
async def weather(http_client: Any, weather_app: web.Application) -> AsyncIterator[WeatherClient]:
    """A ``WeatherClient`` talking to the fake API over TCP through the test client's session."""
    client = await http_client(weather_app)
    async with WeatherClient(
        TOKEN, base_url=str(client.make_url("/")), session=client.session
    ) as weather:
        yield weather
