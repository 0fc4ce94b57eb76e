"""Checks of configuration values (timeouts, sizes, counts) when an object is made.

A NaN, a string or a negative size passed silently before and failed much later, or
never: a NaN deadline left asyncio's timer heap unordered. Long-lived objects (sessions,
connectors, servers, runners, apps, timeouts) call :func:`check_number` in their
constructors, never on the per-request path. No asyncio import: ``toolkit.http`` uses it.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Literal, cast

__all__ = ("check_number",)

_LOWEST = {"any": "", "zero": " >= 0", "positive": " > 0"}


def check_number(
    owner: str,
    name: str,
    value: object,
    *,
    unit: str = "seconds",
    none: bool = False,
    lowest: Literal["any", "zero", "positive"] = "zero",
) -> None:
    """Raise unless ``value`` is a finite real number (not a bool) at or above ``lowest``.

    ``lowest`` is ``"any"`` (negatives allowed), ``"zero"`` or ``"positive"``; ``none``
    allows None. A value of the wrong type raises :class:`TypeError`, a NaN, an infinity
    or a number out of range :class:`ValueError`; the message names ``owner.name``,
    what it must be (a number of ``unit``) and the value, e.g. "ClientTimeout.total must
    be a number of seconds or None, got nan".
    """
    error: type[Exception]
    if value is None:
        if none:
            return
        error = TypeError
    elif (
        type(value) is int
        or type(value) is float
        or (isinstance(value, Real) and not isinstance(value, bool))
    ):
        number = cast(float, value)
        # (an int is finite, however large: float() of a huge one would overflow)
        if (isinstance(number, Integral) or math.isfinite(number)) and (
            lowest == "any" or number > 0 or (number == 0 and lowest == "zero")
        ):
            return
        error = ValueError
    else:
        error = TypeError
    what = f"a number of {unit}{_LOWEST[lowest]}{' or None' if none else ''}"
    raise error(f"{owner}.{name} must be {what}, got {value!r}")
