"""Parsing the API's JSON into the result dataclasses."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings, strategies as st
from weatherclient import CurrentWeather, DailyForecast, Forecast

temperatures = st.one_of(
    st.integers(-90, 60), st.floats(-90, 60, allow_nan=False, allow_infinity=False)
)


@settings(max_examples=50)
@given(city=st.text(min_size=1), temperature=temperatures, condition=st.text())
def test_current_round_trip(city: str, temperature: float, condition: str) -> None:
    observed = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc)
    result = CurrentWeather.from_json(
        {
            "city": city,
            "temperature_c": temperature,
            "condition": condition,
            "observed_at": observed.isoformat(),
        }
    )
    assert result == CurrentWeather(city, float(temperature), condition, observed)
    assert isinstance(result.temperature_c, float)


def test_forecast_days() -> None:
    day = {"date": "2024-05-02", "high_c": 10, "low_c": 2.5, "condition": "sun"}
    result = Forecast.from_json({"city": "oslo", "days": [day, day]})
    assert result.days == (DailyForecast(datetime.date(2024, 5, 2), 10.0, 2.5, "sun"),) * 2


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"city": "x", "days": "soon"}, "field 'days': expected list, got 'soon'"),
        ({"days": []}, "field 'city' missing"),
        ({"city": "x", "days": [{"date": "2024-05-02"}]}, "field 'high_c' missing"),
        (
            {
                "city": "x",
                "days": [{"date": "2024-05-02", "high_c": True, "low_c": 1, "condition": ""}],
            },
            "field 'high_c': expected float, got True",
        ),
        (
            {"city": "x", "days": [{"date": "May 2nd", "high_c": 1, "low_c": 1, "condition": ""}]},
            "field 'date': not an ISO 8601 value: 'May 2nd'",
        ),
    ],
)
def test_bad_payloads_name_the_field(payload: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        Forecast.from_json(payload)
    assert message in str(info.value)
