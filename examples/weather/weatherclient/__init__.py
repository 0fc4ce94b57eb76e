"""weatherclient: an async client for the (made-up) Acme Weather JSON API.

Built on ``toolkit.ClientSession``; an example of a library tested with aiotoolkit's
pytest plugin (see ``examples/weather/tests``).
"""

from __future__ import annotations

from .client import WeatherClient
from .errors import (
    AuthenticationError,
    CityNotFoundError,
    WeatherConnectionError,
    WeatherError,
    WeatherServerError,
    WeatherTimeoutError,
)
from .models import CurrentWeather, DailyForecast, Forecast

__all__ = [
    "AuthenticationError",
    "CityNotFoundError",
    "CurrentWeather",
    "DailyForecast",
    "Forecast",
    "WeatherClient",
    "WeatherConnectionError",
    "WeatherError",
    "WeatherServerError",
    "WeatherTimeoutError",
]
