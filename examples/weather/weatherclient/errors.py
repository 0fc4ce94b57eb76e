"""The library's own exceptions; callers never see toolkit's client errors."""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "CityNotFoundError",
    "WeatherConnectionError",
    "WeatherError",
    "WeatherServerError",
    "WeatherTimeoutError",
]


class WeatherError(Exception):
    """Base class of every error raised by :class:`~weatherclient.WeatherClient`."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        self.url = url
        self.status = status
        super().__init__(message)


class CityNotFoundError(WeatherError):
    """The API does not know the city (HTTP 404)."""

    def __init__(self, city: str, *, url: str | None = None) -> None:
        self.city = city
        super().__init__(f"unknown city {city!r} ({url})", url=url, status=404)


class AuthenticationError(WeatherError):
    """The token was missing or rejected (HTTP 401/403)."""


class WeatherServerError(WeatherError):
    """The API failed (HTTP 5xx), after any retries."""


class WeatherTimeoutError(WeatherError):
    """The API did not answer in time."""


class WeatherConnectionError(WeatherError):
    """The API could not be reached, or the connection broke."""
