"""toolkit._checks.check_number: what a configuration value may be, and the error."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from toolkit._checks import check_number


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        (0, {}),
        (0.5, {}),
        (Fraction(1, 3), {}),
        (10**400, {}),  # an int is finite, however large
        (None, {"none": True}),
        (-1, {"lowest": "any"}),
        (1, {"lowest": "positive"}),
    ],
)
def test_accepted(value: Any, kwargs: dict[str, Any]) -> None:
    check_number("Owner", "name", value, **kwargs)


@pytest.mark.parametrize(
    ("value", "kwargs", "error"),
    [
        (math.nan, {"lowest": "any", "none": True}, ValueError),
        (math.inf, {"lowest": "any"}, ValueError),
        (-math.inf, {"lowest": "any"}, ValueError),
        (-1, {}, ValueError),
        (0, {"lowest": "positive"}, ValueError),
        ("5", {"none": True}, TypeError),
        (True, {}, TypeError),
        (Decimal(5), {}, TypeError),
        (None, {}, TypeError),
    ],
)
def test_rejected(value: Any, kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        check_number("Owner", "name", value, **kwargs)


def test_message_names_owner_parameter_and_value() -> None:
    with pytest.raises(ValueError) as info:
        check_number("ClientTimeout", "total", math.nan, none=True, lowest="any")
    assert str(info.value) == "ClientTimeout.total must be a number of seconds or None, got nan"
    with pytest.raises(ValueError) as info:
        check_number("Server", "max_headers", -1, unit="headers")
    assert str(info.value) == "Server.max_headers must be a number of headers >= 0, got -1"
    with pytest.raises(TypeError, match=r"X\.limit must be a number of bytes > 0, got '1'"):
        check_number("X", "limit", "1", unit="bytes", lowest="positive")
