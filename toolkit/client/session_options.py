"""Normalising the session's arguments: timeouts in their old and new forms."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

from toolkit.client.timeouts import DEFAULT_TIMEOUT, ClientTimeout

__all__ = ["UNSET", "coerce_timeout", "session_timeout"]


class _Unset:
    """Marks an argument that was not passed."""

    def __repr__(self) -> str:
        return "<unset>"


#: The default of arguments whose ``None`` means something.
UNSET: Any = _Unset()


def coerce_timeout(value: Any, *, where: str, stacklevel: int = 4) -> ClientTimeout:
    """A ``ClientTimeout`` from the new form or the old number-of-seconds form."""
    if isinstance(value, ClientTimeout):
        return value
    if value is None:
        return ClientTimeout()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        warnings.warn(
            f"passing a number as {where} timeout is deprecated, "
            f"use timeout=ClientTimeout(total={value!r}) instead",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        return ClientTimeout(total=value or None)
    raise TypeError(
        f"timeout must be a ClientTimeout (or a number of seconds), got {type(value).__name__}"
    )


def session_timeout(timeout: Any, read_timeout: Any, conn_timeout: float | None) -> ClientTimeout:
    """The session's ``ClientTimeout`` from ``timeout`` or the deprecated 2.x arguments."""
    if timeout is UNSET:
        result = DEFAULT_TIMEOUT
        if read_timeout is not UNSET:
            warnings.warn(
                "read_timeout is deprecated, use timeout=ClientTimeout(total=...)",
                DeprecationWarning,
                stacklevel=4,
            )
            result = dataclasses.replace(result, total=read_timeout or None)
        if conn_timeout is not None:
            warnings.warn(
                "conn_timeout is deprecated, use timeout=ClientTimeout(connect=...)",
                DeprecationWarning,
                stacklevel=4,
            )
            result = dataclasses.replace(result, connect=conn_timeout)
        return result
    if read_timeout is not UNSET:
        raise ValueError("read_timeout and timeout parameters conflict, set timeout.total instead")
    if conn_timeout is not None:
        raise ValueError(
            "conn_timeout and timeout parameters conflict, set timeout.connect instead"
        )
    return coerce_timeout(timeout, where="the session", stacklevel=5)
