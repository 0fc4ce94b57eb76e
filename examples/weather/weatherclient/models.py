"""Typed results, parsed from the API's JSON."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

__all__ = ["CurrentWeather", "DailyForecast", "Forecast"]


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    try:
        value = data[name]
    except (KeyError, TypeError):
        raise ValueError(f"field {name!r} missing from {data!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise ValueError(f"field {name!r}: expected {kind.__name__}, got {value!r}")
    return value


def _iso(data: dict[str, Any], name: str, parse: Any) -> Any:
    text = _field(data, name, str)
    try:
        return parse(text)
    except ValueError:
        raise ValueError(f"field {name!r}: not an ISO 8601 value: {text!r}") from None


@dataclass(frozen=True)
class CurrentWeather:
    """Conditions observed now in one city."""

    city: str
    temperature_c: float
    condition: str
    observed_at: datetime.datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CurrentWeather:
        """Build from the ``/v1/current`` payload; raises ``ValueError`` on bad data."""
        return cls(
            city=_field(data, "city", str),
            temperature_c=_field(data, "temperature_c", float),
            condition=_field(data, "condition", str),
            observed_at=_iso(data, "observed_at", datetime.datetime.fromisoformat),
        )


@dataclass(frozen=True)
class DailyForecast:
    """The forecast for one day."""

    date: datetime.date
    high_c: float
    low_c: float
    condition: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DailyForecast:
        """Build from one entry of the ``/v1/forecast`` ``days`` list."""
        return cls(
            date=_iso(data, "date", datetime.date.fromisoformat),
            high_c=_field(data, "high_c", float),
            low_c=_field(data, "low_c", float),
            condition=_field(data, "condition", str),
        )


@dataclass(frozen=True)
class Forecast:
    """A multi-day forecast for one city."""

    city: str
    days: tuple[DailyForecast, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Forecast:
        """Build from the ``/v1/forecast`` payload."""
        days = _field(data, "days", list)
        return cls(
            city=_field(data, "city", str),
            days=tuple(DailyForecast.from_json(day) for day in days),
        )
