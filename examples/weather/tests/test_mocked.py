"""Error paths and retries, with the API mocked by the plugin's ``mock_http`` fixture.

``WeatherClient`` builds its own session without ``connector=``, so while ``mock_http``
is active every request it makes is answered by the mock routes below.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from weatherclient import (
    WeatherClient,
    WeatherConnectionError,
    WeatherError,
    WeatherServerError,
    WeatherTimeoutError,
)

import toolkit

BASE = "https://api.acme-weather.test/"
CURRENT = BASE + "v1/current"
OSLO = {
    "city": "oslo",
    "temperature_c": 1.5,
    "condition": "rain",
    "observed_at": "2024-05-01T12:00:00+00:00",
}


@pytest.fixture
async def weather() -> AsyncIterator[WeatherClient]:
    async with WeatherClient("tok", base_url=BASE, retries=2, backoff=0.001) as client:
        yield client


async def test_sends_token_and_city(mock_http: Any, weather: WeatherClient) -> None:
    route = mock_http.get(
        CURRENT,
        match_params={"city": "oslo"},
        match_headers={"Authorization": "Bearer tok"},
        json=OSLO,
    )
    assert (await weather.current("oslo")).condition == "rain"
    route.assert_called_once()
    # The URL given to an assertion is matched like a route's: the query is part of it.
    mock_http.assert_called_with(
        "GET", CURRENT + "?city=oslo", headers={"Authorization": "Bearer tok"}
    )


async def test_retries_503_then_succeeds(mock_http: Any, weather: WeatherClient) -> None:
    unavailable = mock_http.get(CURRENT, match_params={"city": "oslo"}, status=503, repeat=2)
    ok = mock_http.get(CURRENT, match_params={"city": "oslo"}, json=OSLO)
    assert (await weather.current("oslo")).temperature_c == 1.5
    assert unavailable.call_count == 2
    ok.assert_called_once()
    mock_http.assert_all_called()
    assert len(mock_http.calls) == 3


async def test_gives_up_after_retries(mock_http: Any, weather: WeatherClient) -> None:
    route = mock_http.get(CURRENT, match_params={"city": "oslo"}, status=503, repeat=True)
    with pytest.raises(WeatherServerError, match=r"503 .* after 2 retries") as info:
        await weather.current("oslo")
    assert info.value.status == 503
    assert route.call_count == 3  # the first try and two retries


async def test_500_is_not_retried(mock_http: Any, weather: WeatherClient) -> None:
    route = mock_http.get(CURRENT, match_params={"city": "oslo"}, status=500, repeat=True)
    with pytest.raises(WeatherServerError, match="server error 500"):
        await weather.current("oslo")
    route.assert_called_once()


@pytest.mark.parametrize("exc", [asyncio.TimeoutError, toolkit.ServerTimeoutError("slow")])
async def test_timeout_becomes_weather_timeout(
    mock_http: Any, weather: WeatherClient, exc: Any
) -> None:
    mock_http.get(CURRENT, match_params={"city": "oslo"}, exception=exc)
    with pytest.raises(WeatherTimeoutError, match=r"timed out: https://api\.acme-weather\.test/"):
        await weather.current("oslo")


async def test_slow_server_trips_the_timeout(mock_http: Any) -> None:
    async def slow(request: Any) -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"json": OSLO}

    mock_http.get(CURRENT, match_params={"city": "oslo"}, callback=slow)
    async with WeatherClient("tok", base_url=BASE, timeout=0.05) as weather:
        with pytest.raises(WeatherTimeoutError):
            await weather.current("oslo")


async def test_connection_error(mock_http: Any, weather: WeatherClient) -> None:
    mock_http.get(CURRENT, match_params={"city": "oslo"}, exception=ConnectionRefusedError())
    with pytest.raises(WeatherConnectionError, match="request failed") as info:
        await weather.current("oslo")
    assert isinstance(info.value.__cause__, toolkit.ClientConnectorError)


async def test_unmocked_request_is_a_connection_error(
    mock_http: Any, weather: WeatherClient
) -> None:
    with pytest.raises(WeatherConnectionError, match="No mocked route matches"):
        await weather.forecast("oslo")
    mock_http.assert_called_once("GET")


async def test_malformed_payload(mock_http: Any, weather: WeatherClient) -> None:
    mock_http.get(CURRENT, match_params={"city": "oslo"}, json={"city": "oslo"})
    with pytest.raises(WeatherError, match="malformed v1/current payload: field 'temperature_c'"):
        await weather.current("oslo")


async def test_html_instead_of_json(mock_http: Any, weather: WeatherClient) -> None:
    mock_http.get(CURRENT, match_params={"city": "oslo"}, body="<html/>", content_type="text/html")
    with pytest.raises(WeatherError, match="did not answer JSON"):
        await weather.current("oslo")


async def test_archive_streams_mocked_chunks(mock_http: Any, weather: WeatherClient) -> None:
    chunks = [b"timestamp,city,temperature_c\n", b"2020-01-01T00:00,oslo,1\n"]
    mock_http.get(BASE + "v1/archive/oslo.csv", body=chunks, content_type="text/csv")
    data = b"".join([chunk async for chunk in weather.iter_archive("oslo")])
    assert data == b"".join(chunks)


async def test_archive_timeout(mock_http: Any, weather: WeatherClient) -> None:
    mock_http.get(BASE + "v1/archive/oslo.csv", exception=asyncio.TimeoutError)
    with pytest.raises(WeatherTimeoutError, match="archive download timed out"):
        async for _ in weather.iter_archive("oslo"):
            pass


def test_rejects_negative_retries() -> None:
    with pytest.raises(ValueError, match="retries must be >= 0, got -1"):
        WeatherClient("tok", retries=-1)
