"""WeatherClient against the fake API served by the plugin: TCP, memory and TLS."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path
from typing import Any

import pytest
from weatherclient import (
    AuthenticationError,
    CityNotFoundError,
    CurrentWeather,
    WeatherClient,
)
from weatherclient.testing import TOKEN, archive_csv

from toolkit import web


async def test_current(weather: WeatherClient) -> None:
    result = await weather.current("oslo")
    assert result == CurrentWeather(
        city="oslo",
        temperature_c=-3.5,
        condition="snow",
        observed_at=datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc),
    )


async def test_integer_temperature_becomes_float(weather: WeatherClient) -> None:
    result = await weather.current("lima")
    assert isinstance(result.temperature_c, float)
    assert result.temperature_c == 19.0


async def test_forecast(weather: WeatherClient) -> None:
    result = await weather.forecast("lima", days=5)
    assert result.city == "lima"
    assert [day.date for day in result.days] == [datetime.date(2024, 5, d) for d in range(2, 7)]
    assert all(day.high_c > day.low_c for day in result.days)


async def test_forecast_rejects_bad_days(weather: WeatherClient) -> None:
    with pytest.raises(ValueError, match="days must be between 1 and 14, got 0"):
        await weather.forecast("lima", days=0)


async def test_unknown_city_is_city_not_found(weather: WeatherClient) -> None:
    with pytest.raises(CityNotFoundError) as info:
        await weather.current("atlantis")
    assert info.value.city == "atlantis"
    assert info.value.status == 404


async def test_bad_token_is_authentication_error(http_client: Any, weather_app: Any) -> None:
    client = await http_client(weather_app)
    bad = WeatherClient("wrong", base_url=str(client.make_url("/")), session=client.session)
    with pytest.raises(AuthenticationError, match="401"):
        await bad.current("oslo")


async def test_archive_streams_in_chunks(weather: WeatherClient) -> None:
    chunks = [chunk async for chunk in weather.iter_archive("oslo", chunk_size=4096)]
    assert len(chunks) > 1
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert b"".join(chunks) == archive_csv("oslo")


async def test_download_archive(weather: WeatherClient, tmp_path: Path) -> None:
    dest = tmp_path / "lima.csv"
    written = await weather.download_archive("lima", dest)
    assert dest.read_bytes() == archive_csv("lima")
    assert written == len(archive_csv("lima"))


async def test_archive_of_unknown_city(weather: WeatherClient, tmp_path: Path) -> None:
    with pytest.raises(CityNotFoundError):
        await weather.download_archive("atlantis", tmp_path / "x.csv")


async def test_over_memory_transport(http_client: Any, weather_app: web.Application) -> None:
    client = await http_client(weather_app, memory=True)
    async with WeatherClient(
        TOKEN, base_url=str(client.make_url("/")), session=client.session
    ) as weather:
        assert (await weather.forecast("oslo", days=1)).days[0].condition == "snow"
        assert b"".join([c async for c in weather.iter_archive("oslo")]) == archive_csv("oslo")


async def test_over_tls_with_the_test_ca(
    http_server: Any, weather_app: web.Application, tls_client_context: ssl.SSLContext
) -> None:
    server = await http_server(weather_app, tls=True)
    base_url = str(server.make_url("/"))
    assert base_url.startswith("https://")
    # The client builds its own session; it trusts the plugin's throw-away CA.
    async with WeatherClient(TOKEN, base_url=base_url, ssl=tls_client_context) as weather:
        assert (await weather.current("oslo")).condition == "snow"


@pytest.mark.block_network
async def test_local_server_works_with_network_blocked(weather: WeatherClient) -> None:
    # Only loopback is reachable: the fake API on 127.0.0.1 still answers.
    assert (await weather.current("lima")).condition == "cloudy"
