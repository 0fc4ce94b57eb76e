"""The DNS cache of ``TCPConnector``: resolved addresses per ``(host, port)`` with a TTL.

Concurrent lookups of the same key share one resolver call, and every read rotates the
address list so that connections spread over the addresses of a host.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from .resolver import ResolveResult

__all__ = ("DNSCache",)

_Key = tuple[str, int]


class DNSCache:
    """Resolved addresses, expiring ``ttl`` seconds after the lookup (None: never)."""

    def __init__(self, ttl: float | None = None, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._addrs: dict[_Key, list[ResolveResult]] = {}
        self._stamps: dict[_Key, float] = {}
        self._pending: dict[_Key, asyncio.Future[list[ResolveResult]]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._addrs

    @property
    def hosts(self) -> Mapping[_Key, list[ResolveResult]]:
        """A read-only view of the cached entries."""
        return MappingProxyType(self._addrs)

    def add(self, key: _Key, addrs: list[ResolveResult]) -> None:
        """Store the addresses of ``key`` (now)."""
        self._addrs[key] = list(addrs)
        self._stamps[key] = self._clock()

    def remove(self, key: _Key) -> None:
        """Forget one entry."""
        self._addrs.pop(key, None)
        self._stamps.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._addrs.clear()
        self._stamps.clear()

    def expired(self, key: _Key) -> bool:
        """True when ``key``'s entry is older than the TTL."""
        if self._ttl is None:
            return False
        return self._stamps[key] + self._ttl < self._clock()

    def next_addrs(self, key: _Key) -> list[ResolveResult]:
        """The addresses of ``key``, rotated by one for the next caller."""
        addrs = self._addrs[key]
        self._addrs[key] = addrs[1:] + addrs[:1]
        return list(addrs)

    async def lookup(
        self,
        key: _Key,
        resolve: Callable[[], Awaitable[list[ResolveResult]]],
        *,
        on_hit: Callable[[], Awaitable[None]] | None = None,
        on_miss: Callable[[], Awaitable[None]] | None = None,
    ) -> list[ResolveResult]:
        """Cached addresses of ``key``, calling ``resolve()`` once when missing or stale."""
        if key in self._addrs and not self.expired(key):
            if on_hit is not None:
                await on_hit()
            return self.next_addrs(key)
        pending = self._pending.get(key)
        if pending is not None:
            await asyncio.wait([pending])  # raises only if *we* are cancelled
            if pending.cancelled():  # the task that was resolving was cancelled: our turn
                return await self.lookup(key, resolve, on_hit=on_hit, on_miss=on_miss)
            return list(pending.result())
        if on_miss is not None:
            await on_miss()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[ResolveResult]] = loop.create_future()
        self._pending[key] = future
        try:
            addrs = await resolve()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # mark retrieved: the waiters (if any) re-raise it
            raise
        else:
            self.add(key, addrs)
            future.set_result(addrs)
            return list(addrs)
        finally:
            del self._pending[key]
