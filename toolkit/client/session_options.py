"""Normalising the session's arguments: timeouts in their old and new forms, proxies,
request headers, the deadline clock."""

from __future__ import annotations

import asyncio
import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from toolkit.client.timeouts import DEFAULT_TIMEOUT, ClientTimeout, DeadlineClock

__all__ = [
    "UNSET",
    "coerce_timeout",
    "deadline_clock",
    "merge_headers",
    "proxies_by_scheme",
    "session_timeout",
]


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


def proxies_by_scheme(proxies: Mapping[str, str | URL] | None) -> dict[str, URL]:
    """The reference's ``proxies``: a default proxy per URL scheme (``{"http": url}``)."""
    if not proxies:
        return {}
    return {
        scheme.lower(): URL(value) if isinstance(value, str) else value
        for scheme, value in proxies.items()
    }


def deadline_clock(connector: Any, loop: asyncio.AbstractEventLoop) -> DeadlineClock:
    """The clock of a session's total timeouts: its connector's when it has one on
    ``loop`` (the pool's idle cleanup runs on it too: one loop timer), else a new one."""
    clock_of = getattr(connector, "_deadline_clock", None)
    clock = clock_of() if clock_of is not None else None
    if not isinstance(clock, DeadlineClock) or clock._loop is not loop:
        clock = DeadlineClock(loop)
    return clock


def merge_headers(defaults: CIMultiDict[str], headers: Any) -> CIMultiDict[str]:
    """The session's default headers overridden (not extended) by a request's."""
    result = CIMultiDict(defaults)
    if headers:
        if not isinstance(headers, (CIMultiDictProxy, CIMultiDict, Mapping)):
            headers = CIMultiDict(headers)
        added: set[str] = set()
        for name, value in headers.items():
            if name in added:
                result.add(name, value)
            else:
                result[name] = value
                added.add(name)
    return result
