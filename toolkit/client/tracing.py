"""Client tracing: ``TraceConfig`` signals fired around requests, connections and DNS.

``ClientSession(trace_configs=[config])`` creates one :class:`Trace` per config for each
request; the session and the connector call its ``send_*`` coroutines, which run the
callbacks appended to the matching ``on_*`` signal as ``await cb(session, ctx, params)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from multidict import CIMultiDict
from yarl import URL

__all__ = [
    "Signal",
    "Trace",
    "TraceConfig",
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
]

Callback = Callable[[Any, Any, Any], Awaitable[None]]


class Signal(list[Callback]):
    """A list of async callbacks; frozen (read-only) once the session starts using it."""

    def __init__(self, owner: object) -> None:
        super().__init__()
        self._owner = owner
        self._frozen = False

    @property
    def frozen(self) -> bool:
        """True once :meth:`freeze` was called."""
        return self._frozen

    def freeze(self) -> None:
        """Forbid further changes."""
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError(f"cannot modify a frozen signal of {self._owner!r}")

    def append(self, callback: Callback) -> None:
        self._check()
        super().append(callback)

    def insert(self, index: Any, callback: Callback) -> None:
        self._check()
        super().insert(index, callback)

    def remove(self, callback: Callback) -> None:
        self._check()
        super().remove(callback)

    async def send(self, *args: Any) -> None:
        """Await every callback with ``args``, in order."""
        if not self._frozen:
            raise RuntimeError(f"a signal of {self._owner!r} is sent before it is frozen")
        for callback in self:
            await callback(*args)


@dataclass(frozen=True)
class TraceRequestStartParams:
    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True)
class TraceRequestEndParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    response: Any


@dataclass(frozen=True)
class TraceRequestExceptionParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclass(frozen=True)
class TraceRequestRedirectParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    response: Any


@dataclass(frozen=True)
class TraceRequestHeadersSentParams:
    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True)
class TraceRequestChunkSentParams:
    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True)
class TraceResponseChunkReceivedParams:
    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True)
class TraceConnectionQueuedStartParams:
    pass


@dataclass(frozen=True)
class TraceConnectionQueuedEndParams:
    pass


@dataclass(frozen=True)
class TraceConnectionCreateStartParams:
    pass


@dataclass(frozen=True)
class TraceConnectionCreateEndParams:
    pass


@dataclass(frozen=True)
class TraceConnectionReuseconnParams:
    pass


@dataclass(frozen=True)
class TraceDnsResolveHostStartParams:
    host: str


@dataclass(frozen=True)
class TraceDnsResolveHostEndParams:
    host: str


@dataclass(frozen=True)
class TraceDnsCacheHitParams:
    host: str


@dataclass(frozen=True)
class TraceDnsCacheMissParams:
    host: str


_SIGNALS = (
    "on_request_start",
    "on_request_chunk_sent",
    "on_response_chunk_received",
    "on_request_end",
    "on_request_exception",
    "on_request_redirect",
    "on_request_headers_sent",
    "on_connection_queued_start",
    "on_connection_queued_end",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_dns_resolvehost_start",
    "on_dns_resolvehost_end",
    "on_dns_cache_hit",
    "on_dns_cache_miss",
)


class TraceConfig:
    """The callbacks to run for the requests of the sessions it is given to."""

    def __init__(self, trace_config_ctx_factory: Callable[..., Any] = SimpleNamespace) -> None:
        self._factory = trace_config_ctx_factory
        self._signals = {name: Signal(self) for name in _SIGNALS}

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> Any:
        """A new context object for one request (passed to every callback)."""
        return self._factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """Freeze every signal (the session does this)."""
        for signal in self._signals.values():
            signal.freeze()

    def signal(self, name: str) -> Signal:
        """The signal called ``name`` (``on_request_start``...)."""
        return self._signals[name]

    on_request_start = property(lambda self: self._signals["on_request_start"])
    on_request_chunk_sent = property(lambda self: self._signals["on_request_chunk_sent"])
    on_response_chunk_received = property(lambda self: self._signals["on_response_chunk_received"])
    on_request_end = property(lambda self: self._signals["on_request_end"])
    on_request_exception = property(lambda self: self._signals["on_request_exception"])
    on_request_redirect = property(lambda self: self._signals["on_request_redirect"])
    on_request_headers_sent = property(lambda self: self._signals["on_request_headers_sent"])
    on_connection_queued_start = property(lambda self: self._signals["on_connection_queued_start"])
    on_connection_queued_end = property(lambda self: self._signals["on_connection_queued_end"])
    on_connection_create_start = property(lambda self: self._signals["on_connection_create_start"])
    on_connection_create_end = property(lambda self: self._signals["on_connection_create_end"])
    on_connection_reuseconn = property(lambda self: self._signals["on_connection_reuseconn"])
    on_dns_resolvehost_start = property(lambda self: self._signals["on_dns_resolvehost_start"])
    on_dns_resolvehost_end = property(lambda self: self._signals["on_dns_resolvehost_end"])
    on_dns_cache_hit = property(lambda self: self._signals["on_dns_cache_hit"])
    on_dns_cache_miss = property(lambda self: self._signals["on_dns_cache_miss"])


class Trace:
    """One request's view of one ``TraceConfig``: the ``send_*`` coroutines."""

    def __init__(self, session: Any, trace_config: TraceConfig, trace_config_ctx: Any) -> None:
        self._session = session
        self._config = trace_config
        self._ctx = trace_config_ctx

    async def _send(self, name: str, params: Any) -> None:
        await self._config.signal(name).send(self._session, self._ctx, params)

    async def send_request_start(self, method: str, url: URL, headers: Any) -> None:
        await self._send("on_request_start", TraceRequestStartParams(method, url, headers))

    async def send_request_end(self, method: str, url: URL, headers: Any, response: Any) -> None:
        await self._send("on_request_end", TraceRequestEndParams(method, url, headers, response))

    async def send_request_exception(
        self, method: str, url: URL, headers: Any, exception: BaseException
    ) -> None:
        await self._send(
            "on_request_exception", TraceRequestExceptionParams(method, url, headers, exception)
        )

    async def send_request_redirect(
        self, method: str, url: URL, headers: Any, response: Any
    ) -> None:
        await self._send(
            "on_request_redirect", TraceRequestRedirectParams(method, url, headers, response)
        )

    async def send_request_headers(self, method: str, url: URL, headers: Any) -> None:
        await self._send(
            "on_request_headers_sent", TraceRequestHeadersSentParams(method, url, headers)
        )

    async def send_request_chunk_sent(self, method: str, url: URL, chunk: bytes) -> None:
        await self._send("on_request_chunk_sent", TraceRequestChunkSentParams(method, url, chunk))

    async def send_response_chunk_received(self, method: str, url: URL, chunk: bytes) -> None:
        await self._send(
            "on_response_chunk_received", TraceResponseChunkReceivedParams(method, url, chunk)
        )

    async def send_connection_queued_start(self) -> None:
        await self._send("on_connection_queued_start", TraceConnectionQueuedStartParams())

    async def send_connection_queued_end(self) -> None:
        await self._send("on_connection_queued_end", TraceConnectionQueuedEndParams())

    async def send_connection_create_start(self) -> None:
        await self._send("on_connection_create_start", TraceConnectionCreateStartParams())

    async def send_connection_create_end(self) -> None:
        await self._send("on_connection_create_end", TraceConnectionCreateEndParams())

    async def send_connection_reuseconn(self) -> None:
        await self._send("on_connection_reuseconn", TraceConnectionReuseconnParams())

    async def send_dns_resolvehost_start(self, host: str) -> None:
        await self._send("on_dns_resolvehost_start", TraceDnsResolveHostStartParams(host))

    async def send_dns_resolvehost_end(self, host: str) -> None:
        await self._send("on_dns_resolvehost_end", TraceDnsResolveHostEndParams(host))

    async def send_dns_cache_hit(self, host: str) -> None:
        await self._send("on_dns_cache_hit", TraceDnsCacheHitParams(host))

    async def send_dns_cache_miss(self, host: str) -> None:
        await self._send("on_dns_cache_miss", TraceDnsCacheMissParams(host))
