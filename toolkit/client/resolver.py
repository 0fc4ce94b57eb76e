"""Host name resolution for :class:`~toolkit.client.connector.TCPConnector`.

A resolver turns ``(host, port, family)`` into a list of :class:`ResolveResult` dicts,
the shape aiohttp uses: ``hostname``, ``host`` (a numeric address), ``port``,
``family``, ``proto`` and ``flags`` (the ``getnameinfo`` flags that make ``host`` and
``port`` numeric). Failures raise ``OSError``; the connector turns them into
:class:`~toolkit.client.exceptions.ClientConnectorDNSError`.
"""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from typing import Any, TypedDict

__all__ = (
    "AbstractResolver",
    "AsyncResolver",
    "DefaultResolver",
    "ResolveResult",
    "ThreadedResolver",
)

_NUMERIC_FLAGS = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


class ResolveResult(TypedDict):
    """One resolved address of a host."""

    hostname: str
    host: str
    port: int
    family: int
    proto: int
    flags: int


class AbstractResolver(ABC):
    """The interface of a resolver."""

    @abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host``; raise ``OSError`` when it has no address."""

    @abstractmethod
    async def close(self) -> None:
        """Release the resolver's resources."""


def _scoped_host(address: tuple[Any, ...]) -> str:
    """The textual address, with ``%scope`` for IPv6 link-local addresses."""
    host = str(address[0])
    if len(address) >= 4 and address[3] and "%" not in host:
        host = f"{host}%{address[3]}"
    return host


class ThreadedResolver(AbstractResolver):
    """Resolve with ``getaddrinfo`` in the loop's default executor (the default)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = self._loop or asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
        )
        results: list[ResolveResult] = []
        for fam, _, proto, _, address in infos:
            if fam == socket.AF_INET6 and len(address) < 2:
                continue  # IPv6 is not supported by this Python build
            if fam not in (socket.AF_INET, socket.AF_INET6):
                continue
            results.append(
                ResolveResult(
                    hostname=host,
                    host=_scoped_host(address),
                    port=int(address[1]),
                    family=fam,
                    proto=proto,
                    flags=_NUMERIC_FLAGS,
                )
            )
        if not results:
            raise OSError(None, f"DNS lookup of {host!r} gave no usable address")
        return results

    async def close(self) -> None:
        """Nothing to release."""


class AsyncResolver(AbstractResolver):
    """Resolve with aiodns (c-ares); only available when ``aiodns`` is installed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            import aiodns
        except ImportError as exc:  # pragma: no cover - aiodns is installed in CI
            raise RuntimeError("AsyncResolver needs the aiodns package; install aiodns") from exc
        self._aiodns = aiodns
        self._resolver = aiodns.DNSResolver(*args, **kwargs)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            answer = await self._resolver.getaddrinfo(
                host,
                port=port,
                type=socket.SOCK_STREAM,
                family=family,
                flags=socket.AI_ADDRCONFIG,
            )
        except self._aiodns.error.DNSError as exc:
            message = exc.args[1] if len(exc.args) >= 2 else "DNS lookup failed"
            raise OSError(None, f"{message} (host {host!r})") from exc
        results: list[ResolveResult] = []
        for node in answer.nodes:
            address: tuple[Any, ...] = tuple(node.addr)
            host_text = address[0]
            if isinstance(host_text, bytes):
                host_text = host_text.decode("ascii")
            results.append(
                ResolveResult(
                    hostname=host,
                    host=_scoped_host((host_text, *address[1:])),
                    port=int(address[1]),
                    family=node.family,
                    proto=0,
                    flags=_NUMERIC_FLAGS,
                )
            )
        if not results:
            raise OSError(None, f"DNS lookup of {host!r} gave no usable address")
        return results

    async def close(self) -> None:
        """Cancel outstanding queries."""
        self._resolver.cancel()


#: The resolver a ``TCPConnector`` uses when none is given.
DefaultResolver = ThreadedResolver
