"""Checks of configuration values (timeouts, sizes, counts) when an object is made.

A NaN, a string or a negative size passed silently before and failed much later, or
never: a NaN deadline left asyncio's timer heap unordered. Long-lived objects (sessions,
connectors, servers, runners, apps, timeouts) call :func:`check_number` in their
constructors, never on the per-request path. No asyncio import: ``toolkit.http`` uses it.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Literal

__all__ = ("check_number",)

_LOWEST = {"any": "", "zero": " >= 0", "positive": " > 0"}


def check_number(
    owner: str,
    name: str,
    value: Any,
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
    kind = type(value)
    error: type[Exception] = TypeError
    if value is None:
        if none:
            return
    elif kind is int or kind is float or (kind is not bool and isinstance(value, Real)):
        # (an int is finite, however large: float() of a huge one would overflow)
        if kind is int:
            finite = True
        elif kind is float:
            finite = math.isfinite(value)
        else:
            finite = isinstance(value, Integral) or math.isfinite(value)
        if finite and (lowest == "any" or value > 0 or (value == 0 and lowest == "zero")):
            return
        error = ValueError
    what = f"a number of {unit}{_LOWEST[lowest]}{' or None' if none else ''}"
    raise error(f"{owner}.{name} must be {what}, got {value!r}")
