"""``BaseConnector``: the connection pool every connector shares.

The pool is keyed by the request's ``connection_key``. It bounds the number of
connections in use (``limit``, and ``limit_per_host`` per key); requests beyond the
bounds wait in one FIFO queue that survives cancellation. Released connections stay
idle for ``keepalive_timeout`` seconds and are reused for the same key.

A new kind of connector overrides exactly one method, :meth:`BaseConnector._create_connection`.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import traceback
import warnings
import weakref
from collections.abc import Awaitable, Callable, Generator, Hashable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._checks import check_number
from . import _unclosed
from .connector_connection import Connection
from .exceptions import ClientConnectionError, ConnectionTimeoutError
from .timeouts import (
    DEFAULT_TIMEOUT,
    ClientTimeout,
    ClockHandle,
    DeadlineClock,
    ceil_timeout,
)

if TYPE_CHECKING:
    from .protocol import ResponseHandler

__all__ = ("BaseConnector", "Connection")


_SENTINEL: Any = object()

#: Seconds after which a closed-but-not-finished TLS transport is aborted.
_CLEANUP_CLOSED_PERIOD = 2.0

#: Seconds ``await connector.close()`` waits for connections to finish closing.
_CLOSE_WAIT = 2.0


async def _trace(traces: Iterable[Any], name: str, *args: Any) -> None:
    """Send one tracing signal to every trace (aiohttp's ``Trace`` methods)."""
    for trace in traces:
        method: Callable[..., Awaitable[None]] | None = getattr(trace, name, None)
        if method is not None:
            await method(*args)


def _weak_call(ref: weakref.ref[Any], name: str) -> None:
    """Call ``ref().name()`` if the object still exists (timers must not keep it alive)."""
    obj = ref()
    if obj is not None:
        getattr(obj, name)()


def _finished() -> Generator[Any, None, None]:
    """What ``await`` runs for an awaitable that is already done."""
    yield from ()


def _is_closed(protocol: Any) -> bool:
    """``protocol.closed.done()``, without making that future when the protocol can say."""
    return getattr(protocol, "_connection_lost", False) or protocol.closed.done()


class _Closing:
    """The result of ``close()``: the closing already happened; awaiting it also waits
    (briefly) for the connections to be gone, aborting TLS ones whose peer does not
    answer the goodbye. Harmless to leave un-awaited, as 2.x code does."""

    def __init__(self, protocols: list[ResponseHandler]) -> None:
        self._protocols = protocols

    def __await__(self) -> Generator[Any, None, None]:
        pending = [p.closed for p in self._protocols if not _is_closed(p)]
        if not pending:
            return _finished()  # (nothing to wait for: no coroutine)
        return self._wait(pending).__await__()

    async def _wait(self, pending: list[asyncio.Future[None]]) -> None:
        _, still_open = await asyncio.wait(pending, timeout=_CLOSE_WAIT)
        if still_open:
            for protocol in self._protocols:
                protocol.abort()
            await asyncio.wait(still_open, timeout=_CLOSE_WAIT)


class _Placeholder:
    """Holds a pool slot while a connection is being opened."""

    __slots__ = ()

    should_close = True

    def close(self) -> None:
        """Nothing to close."""

    def is_connected(self) -> bool:
        return False


class BaseConnector:
    """The connection pool every connector shares; subclasses open the connections."""

    _source_traceback: traceback.StackSummary | None = None

    def __init__(
        self,
        *,
        keepalive_timeout: float | None = _SENTINEL,
        force_close: bool = False,
        limit: int | None = 100,
        limit_per_host: int | None = 0,
        enable_cleanup_closed: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout_ceil_threshold: float = 5,
        conn_timeout: float | None = None,
    ) -> None:
        if force_close:
            if keepalive_timeout is not None and keepalive_timeout is not _SENTINEL:
                raise ValueError(
                    f"keepalive_timeout={keepalive_timeout!r} cannot be set if force_close "
                    "is True: a forced-close connector keeps nothing alive"
                )
            keepalive_timeout = None
        elif keepalive_timeout is _SENTINEL:
            keepalive_timeout = 15.0
        if loop is not None:
            warnings.warn(
                "The loop argument is deprecated and ignored; the running loop is used",
                DeprecationWarning,
                stacklevel=2,
            )
        if conn_timeout is not None:
            warnings.warn(
                "conn_timeout is deprecated, use ClientTimeout(connect=...) instead",
                DeprecationWarning,
                stacklevel=2,
            )
        owner = type(self).__name__
        check_number(owner, "keepalive_timeout", keepalive_timeout, none=True)
        check_number(owner, "limit", limit, unit="connections", none=True)
        check_number(owner, "limit_per_host", limit_per_host, unit="connections", none=True)
        check_number(owner, "timeout_ceil_threshold", timeout_ceil_threshold, lowest="any")
        check_number(owner, "conn_timeout", conn_timeout, none=True, lowest="any")
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        if self._loop is not None and self._loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))

        self._keepalive_timeout: float | None = keepalive_timeout
        self._force_close = force_close
        self._limit = limit or 0
        self._limit_per_host = limit_per_host or 0
        self._cleanup_closed_disabled = not enable_cleanup_closed
        self._timeout_ceil_threshold = timeout_ceil_threshold
        self._conn_timeout = conn_timeout
        self._closed = False
        # (instance attributes, not class defaults: see ResponseHandler)
        self._cleanup_handle: ClockHandle | None = None
        self._cleanup_closed_handle: asyncio.TimerHandle | None = None
        self._clock: DeadlineClock | None = None

        # idle connections per key: (protocol, loop time of release)
        self._conns: dict[Hashable, collections.deque[tuple[ResponseHandler, float]]] = {}
        self._acquired: set[Any] = set()
        # (only the per-host limit counts connections per key)
        self._acquired_per_host: dict[Hashable, set[Any]] = (
            collections.defaultdict(set) if self._limit_per_host else {}
        )
        self._waiters: collections.deque[tuple[Hashable, asyncio.Future[None]]] = (
            collections.deque()
        )
        self._cleanup_closed_transports: list[asyncio.Transport] = []
        self._closing: set[ResponseHandler] = set()
        if _unclosed.made is not None:
            _unclosed.made.append(_unclosed.ref(self))

    # ------------------------------------------------------------------ properties

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def force_close(self) -> bool:
        """True when connections are closed on release instead of kept alive."""
        return self._force_close

    @property
    def limit(self) -> int:
        """The most connections in use at once (0: no limit)."""
        return self._limit

    @property
    def limit_per_host(self) -> int:
        """The most connections in use at once per key (0: no limit)."""
        return self._limit_per_host

    @property
    def keepalive_timeout(self) -> float | None:
        """Seconds an idle connection is kept (None with ``force_close``)."""
        return self._keepalive_timeout

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _deadline_clock(self) -> DeadlineClock:
        """The one loop timer of the pool's deadlines, which sessions share for theirs.

        It never sleeps past ``keepalive_timeout``: a connection handed out now comes
        back no sooner, so its idle deadline never has to move the timer. (Only for a
        keep-alive long enough to be rounded to whole seconds: a short one would wake
        a long request often; its deadline moves the timer instead.)
        """
        clock = self._clock
        if clock is None:
            keepalive = self._keepalive_timeout
            threshold = self._timeout_ceil_threshold
            horizon = keepalive if keepalive and keepalive > threshold else None
            clock = self._clock = DeadlineClock(self._loop or self._get_loop(), horizon, threshold)
        return clock

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._acquired)} acquired"
        return f"<{type(self).__name__} {state}>"

    def __del__(self, _warnings: Any = warnings, _unclosed: Any = _unclosed) -> None:
        if getattr(self, "_closed", True) or not (self._conns or self._acquired):
            return  # closed, never used, or __init__ failed
        _warnings.warn(f"Unclosed connector {self!r}", ResourceWarning, source=self)
        if _unclosed.listeners:
            _unclosed.report_unclosed("connector", self)
        try:
            self._close_all()
        except RuntimeError:  # the event loop is already closed
            pass
        loop = self._loop
        if loop is not None and not loop.is_closed():
            context: dict[str, Any] = {"connector": self, "message": "Unclosed connector"}
            if self._source_traceback is not None:
                context["source_traceback"] = self._source_traceback
            loop.call_exception_handler(context)

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> BaseConnector:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.close()

    def close(self) -> _Closing:
        """Close every connection, idle or in use. Awaitable, but works without ``await``."""
        closing = self._close_all()
        return _Closing(closing)

    def _close_all(self) -> list[ResponseHandler]:
        """Close everything; the protocols that are still closing."""
        if self._closed:
            return []
        self._closed = True
        closing = [p for p in self._closing if not _is_closed(p)] if self._closing else []
        if self._cleanup_handle is not None:
            self._cleanup_handle.cancel()
        if self._cleanup_closed_handle is not None:
            self._cleanup_closed_handle.cancel()
        for idle in self._conns.values():
            for protocol, _ in idle:
                closing.append(protocol)
                protocol.close()
        for protocol in self._acquired:
            if not isinstance(protocol, _Placeholder):
                closing.append(protocol)
            protocol.close()
        for transport in self._cleanup_closed_transports:
            transport.abort()
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(ClientConnectionError("Connector is closed."))
        self._conns.clear()
        self._acquired.clear()
        self._acquired_per_host.clear()
        self._waiters.clear()
        self._cleanup_closed_transports.clear()
        self._closing.clear()
        return closing

    # ------------------------------------------------------------------ acquiring

    def _available(self, key: Hashable) -> bool:
        if self._limit and len(self._acquired) >= self._limit:
            return False
        return not (
            self._limit_per_host and len(self._acquired_per_host[key]) >= self._limit_per_host
        )

    def _acquire(self, key: Hashable, protocol: Any) -> None:
        self._acquired.add(protocol)
        if self._limit_per_host:  # (only that limit needs the count per key)
            self._acquired_per_host[key].add(protocol)

    def _drop_acquired(self, key: Hashable, protocol: Any) -> None:
        self._acquired.discard(protocol)
        if self._limit_per_host:
            per_host = self._acquired_per_host.get(key)
            if per_host is not None:
                per_host.discard(protocol)
                if not per_host:
                    del self._acquired_per_host[key]

    async def connect(
        self, req: Any, traces: list[Any] | None = None, timeout: ClientTimeout | None = None
    ) -> Connection:
        """Get a connection for ``req``: an idle one for its key, or a new one.

        Waits (FIFO) while the limits are reached. The wait and the opening together
        are bounded by ``timeout.connect``, raising :class:`ConnectionTimeoutError`.
        """
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        traces = traces or []
        # Fast path: an idle pooled connection needs neither a pool slot wait nor the
        # connect timeout (no timer handle, no extra coroutine).
        key: Hashable = req.connection_key
        if key in self._conns:
            protocol = self._get_idle(key)
            if protocol is not None:
                self._acquired.add(protocol)  # (_acquire() inline)
                if self._limit_per_host:
                    self._acquired_per_host[key].add(protocol)
                if traces:
                    await _trace(traces, "send_connection_reuseconn")
                return Connection(self, key, protocol, self._loop or self._get_loop())
        timeout = timeout or DEFAULT_TIMEOUT
        connect_timeout = timeout.connect if timeout.connect else self._conn_timeout
        if not connect_timeout:  # (the default): no deadline to set up
            return await self._connect(req, traces, timeout, key)
        url = getattr(req, "url", None)

        def error() -> BaseException:
            return ConnectionTimeoutError(
                f"Connection timeout to host {url} (connect={connect_timeout})"
            )

        async with ceil_timeout(connect_timeout, timeout.ceil_threshold, error=error):
            return await self._connect(req, traces, timeout, key)

    async def _connect(
        self, req: Any, traces: list[Any], timeout: ClientTimeout, key: Hashable
    ) -> Connection:
        loop = self._loop or self._get_loop()
        protocol = self._get_idle(key) if key in self._conns else None
        if protocol is not None:
            self._acquire(key, protocol)
            await _trace(traces, "send_connection_reuseconn")
            return Connection(self, key, protocol, loop)

        if not self._available(key) or (self._waiters and any(k == key for k, _ in self._waiters)):
            protocol = await self._wait_for_slot(key, traces)
            if protocol is not None:
                self._acquire(key, protocol)
                await _trace(traces, "send_connection_reuseconn")
                return Connection(self, key, protocol, loop)

        placeholder = _Placeholder()
        acquired = self._acquired
        per_host = self._limit_per_host
        if per_host:
            self._acquire(key, placeholder)
        else:  # (_acquire() inline, here and below: only that limit needs the count per key)
            acquired.add(placeholder)
        try:
            if traces:
                await _trace(traces, "send_connection_create_start")
            protocol = await self._create_connection(req, traces, timeout)
            if traces:
                await _trace(traces, "send_connection_create_end")
        except BaseException:
            if not self._closed:
                self._drop_acquired(key, placeholder)
                self._release_waiter()
            raise
        if self._closed:
            protocol.close()
            raise ClientConnectionError("Connector is closed.")
        if per_host:
            self._drop_acquired(key, placeholder)
            self._acquire(key, protocol)
        else:
            acquired.discard(placeholder)
            acquired.add(protocol)
        return Connection(self, key, protocol, loop)

    async def _wait_for_slot(self, key: Hashable, traces: list[Any]) -> ResponseHandler | None:
        """Queue until ``key`` has room (None) or an idle connection (returned)."""
        loop = self._get_loop()
        await _trace(traces, "send_connection_queued_start")
        first = True
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            entry = (key, waiter)
            if first:
                self._waiters.append(entry)
            else:  # we were woken but lost the slot to a newcomer: keep our place
                self._waiters.appendleft(entry)
            first = False
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    # woken and cancelled at once: hand the wake-up to the next in line
                    self._release_waiter()
                raise
            finally:
                try:
                    self._waiters.remove(entry)
                except ValueError:
                    pass
            protocol = self._get_idle(key)
            if protocol is not None or self._available(key):
                break
        await _trace(traces, "send_connection_queued_end")
        return protocol

    def _release_waiter(self) -> None:
        """Wake the first waiter whose key has room (FIFO)."""
        for key, waiter in self._waiters:
            if waiter.done():
                continue
            if self._available(key) or self._has_idle(key):
                waiter.set_result(None)
                return

    def _has_idle(self, key: Hashable) -> bool:
        return bool(self._conns.get(key))

    def _get_idle(self, key: Hashable) -> ResponseHandler | None:
        """Pop the most recently released live connection for ``key``."""
        idle = self._conns.get(key)
        if not idle:
            return None
        now = (self._loop or self._get_loop()).time()
        keepalive = self._keepalive_timeout
        found: ResponseHandler | None = None
        while idle:
            protocol, released_at = idle.pop()
            expired = keepalive is not None and now - released_at > keepalive
            if not expired and not protocol.should_close:  # (should_close: disconnected too)
                found = protocol
                break
            self._close_protocol(protocol)
        if not idle:
            del self._conns[key]
        return found

    # ------------------------------------------------------------------ releasing

    def _release_acquired(self, key: Hashable, protocol: ResponseHandler) -> None:
        """Forget a connection that is no longer the pool's (detached), and wake a waiter."""
        if self._closed:
            return
        self._drop_acquired(key, protocol)
        self._release_waiter()

    def _release(
        self, key: Hashable, protocol: ResponseHandler, *, should_close: bool = False
    ) -> None:
        """Take a connection back: keep it idle for reuse, or close it."""
        if self._closed:
            return
        self._drop_acquired(key, protocol)
        if (
            self._force_close
            or should_close
            or not self._keepalive_timeout
            or protocol.should_close
        ):
            self._close_protocol(protocol)
        else:
            entry = (protocol, (self._loop or self._get_loop()).time())
            idle = self._conns.get(key)
            if idle is None:
                self._conns[key] = collections.deque((entry,))
            else:
                idle.append(entry)
            if self._cleanup_handle is None:
                self._schedule_cleanup()
        if self._waiters:
            self._release_waiter()

    def _close_protocol(self, protocol: ResponseHandler) -> None:
        transport = protocol.transport
        protocol.close()
        if not _is_closed(protocol):  # remembered so that close() can wait for it
            self._closing.add(protocol)
            protocol.closed.add_done_callback(lambda _: self._closing.discard(protocol))
        if (
            not self._cleanup_closed_disabled
            and transport is not None
            and transport.get_extra_info("sslcontext") is not None
        ):
            self._cleanup_closed_transports.append(transport)
            if self._cleanup_closed_handle is None:
                self._cleanup_closed_handle = self._get_loop().call_later(
                    _CLEANUP_CLOSED_PERIOD, _weak_call, weakref.ref(self), "_cleanup_closed"
                )

    def _cleanup_closed(self) -> None:
        """Abort TLS transports whose peers never finished the closing handshake."""
        self._cleanup_closed_handle = None
        transports, self._cleanup_closed_transports = self._cleanup_closed_transports, []
        for transport in transports:
            if not transport.is_closing() or transport.get_extra_info("socket") is not None:
                transport.abort()

    def _schedule_cleanup(self) -> None:
        keepalive = self._keepalive_timeout
        if self._cleanup_handle is None and keepalive:
            clock = self._clock or self._deadline_clock()
            self._cleanup_handle = ClockHandle(
                clock, clock.deadline(keepalive), _weak_call, weakref.ref(self), "_cleanup"
            )

    def _cleanup(self) -> None:
        """Close idle connections older than ``keepalive_timeout``."""
        self._cleanup_handle = None
        if self._closed or self._keepalive_timeout is None:
            return
        now = self._get_loop().time()
        for key in list(self._conns):
            kept: collections.deque[tuple[ResponseHandler, float]] = collections.deque()
            for protocol, released_at in self._conns[key]:
                if protocol.is_connected() and now - released_at <= self._keepalive_timeout:
                    kept.append((protocol, released_at))
                else:
                    self._close_protocol(protocol)
            if kept:
                self._conns[key] = kept
            else:
                del self._conns[key]
        if self._conns:
            self._schedule_cleanup()

    # ------------------------------------------------------------------ the seam

    async def _create_connection(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        """Open a new connection for ``req`` and return its protocol.

        This is the single override point of a connector kind.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement _create_connection(req, traces, timeout)"
        )
