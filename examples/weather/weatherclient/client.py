"""``WeatherClient``: the API's endpoints as typed async methods."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from yarl import URL

import toolkit

from .errors import (
    AuthenticationError,
    CityNotFoundError,
    WeatherConnectionError,
    WeatherError,
    WeatherServerError,
    WeatherTimeoutError,
)
from .models import CurrentWeather, Forecast

__all__ = ["DEFAULT_BASE_URL", "WeatherClient"]

DEFAULT_BASE_URL = "https://api.acme-weather.test/"

_T = TypeVar("_T")


class WeatherClient:
    """An async client for the Acme Weather API.

    Use it as ``async with WeatherClient(token=...) as weather:``. Every request carries
    ``Authorization: Bearer <token>``. A 503 answer is retried ``retries`` times, waiting
    ``backoff``, ``2 * backoff``, ... seconds in between. HTTP and connection failures
    surface as :class:`~weatherclient.WeatherError` subclasses.

    ``session`` lets the caller bring its own ``toolkit.ClientSession`` (it is then not
    closed here); ``ssl`` is handed to the session's connector otherwise.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str | URL = DEFAULT_BASE_URL,
        session: toolkit.ClientSession | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.1,
        ssl: ssl.SSLContext | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.base_url = URL(str(base_url))
        if not self.base_url.path.endswith("/"):
            self.base_url = self.base_url.with_path(self.base_url.path + "/")
        self._token = token
        self._timeout = toolkit.ClientTimeout(total=timeout)
        self._retries = retries
        self._backoff = backoff
        self._ssl = ssl
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> WeatherClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session this client created (a session passed in stays open)."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> toolkit.ClientSession:
        if self._session is None:
            # Without ``ssl`` no connector is passed, so test doubles such as
            # aiotoolkit's ``mock_http`` can supply the default one.
            connector = None if self._ssl is None else toolkit.TCPConnector(ssl=self._ssl)
            self._session = toolkit.ClientSession(connector=connector)
        return self._session

    async def current(self, city: str) -> CurrentWeather:
        """The conditions in ``city`` now."""
        data = await self._get_json("v1/current", city, params={"city": city})
        return _parse(CurrentWeather.from_json, data, "v1/current")

    async def forecast(self, city: str, days: int = 3) -> Forecast:
        """A forecast for ``city`` over ``days`` days (1 to 14)."""
        if not 1 <= days <= 14:
            raise ValueError(f"days must be between 1 and 14, got {days}")
        data = await self._get_json("v1/forecast", city, params={"city": city, "days": days})
        return _parse(Forecast.from_json, data, "v1/forecast")

    async def iter_archive(self, city: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """Stream the city's CSV archive, ``chunk_size`` bytes at a time at most."""
        url = self.base_url.join(URL(f"v1/archive/{city}.csv"))
        try:
            resp = await self._send(url, city, params=None)
            async with resp:
                async for chunk in resp.content.iter_chunked(chunk_size):
                    yield chunk
        except asyncio.TimeoutError as exc:
            raise WeatherTimeoutError(f"archive download timed out: {url}", url=str(url)) from exc
        except toolkit.ClientError as exc:
            raise WeatherConnectionError(
                f"archive download failed: {url}: {exc}", url=str(url)
            ) from exc

    async def download_archive(self, city: str, dest: str | Path) -> int:
        """Save the city's CSV archive to ``dest``; returns the number of bytes written."""
        written = 0
        with open(dest, "wb") as out:
            async for chunk in self.iter_archive(city):
                out.write(chunk)
                written += len(chunk)
        return written

    async def _get_json(self, path: str, city: str, params: dict[str, Any]) -> Any:
        url = self.base_url.join(URL(path))
        try:
            resp = await self._send(url, city, params=params)
            async with resp:
                return await resp.json()
        except asyncio.TimeoutError as exc:
            raise WeatherTimeoutError(f"request timed out: {url}", url=str(url)) from exc
        except toolkit.ContentTypeError as exc:
            raise WeatherError(f"{url} did not answer JSON: {exc}", url=str(url)) from exc
        except toolkit.ClientError as exc:
            raise WeatherConnectionError(f"request failed: {url}: {exc}", url=str(url)) from exc

    async def _send(
        self, url: URL, city: str, params: dict[str, Any] | None
    ) -> toolkit.ClientResponse:
        """GET ``url``, retrying 503s; returns a 2xx response the caller must release."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        session = self._get_session()
        attempt = 0
        while True:
            resp = await session.get(url, params=params, headers=headers, timeout=self._timeout)
            if resp.status == 503 and attempt < self._retries:
                resp.release()
                await asyncio.sleep(self._backoff * 2**attempt)
                attempt += 1
                continue
            if resp.status < 400:
                return resp
            resp.release()
            raise _status_error(resp.status, str(resp.url), city, attempt)


def _status_error(status: int, url: str, city: str, retried: int) -> WeatherError:
    if status == 404:
        return CityNotFoundError(city, url=url)
    if status in (401, 403):
        return AuthenticationError(f"token rejected ({status}) by {url}", url=url, status=status)
    if status >= 500:
        suffix = f" after {retried} retries" if retried else ""
        return WeatherServerError(
            f"server error {status} from {url}{suffix}", url=url, status=status
        )
    return WeatherError(f"unexpected status {status} from {url}", url=url, status=status)


def _parse(build: Callable[[Any], _T], data: Any, what: str) -> _T:
    try:
        return build(data)
    except ValueError as exc:
        raise WeatherError(f"malformed {what} payload: {exc}") from exc
