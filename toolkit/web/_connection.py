"""Connection control for :class:`~toolkit.web.protocol.RequestHandler`: keep-alive,
closing (gracefully, lingering, or on a timeout) and the connection's timer.

One timer per connection, re-armed lazily, enforces ``read_headers_timeout`` (from
the first byte of a request head, or from the connection's opening, until the head
is complete: a slowloris client gets ``408 Request Timeout``) and
``keepalive_timeout`` (how long an idle keep-alive connection stays open).
"""

from __future__ import annotations

import asyncio
import collections
import sys
from typing import TYPE_CHECKING, Any, Protocol

from ._flow import FlowControlProtocol
from ._server_errors import plain_response

if TYPE_CHECKING:
    import logging

    from toolkit.http import RequestHead
    from toolkit.http.errors import HttpProcessingError
    from toolkit.streams import StreamReader

__all__ = ["ConnectionControl", "UpgradeParser"]

# Receiving states.
_IDLE = 0  # between messages
_HEAD = 1  # some bytes of a head arrived
_BODY = 2  # a body is being received

# How long a connection that got a 4xx for a malformed request waits for the client
# to close its side before closing anyway.
_LINGER_SECONDS = 2.0
# How long shutdown() waits for a closed transport to be gone (TLS waits for the
# peer's close_notify) before aborting it, so no socket outlives the server.
_CLOSE_GRACE_SECONDS = 1.0


def _can_write_eof(transport: asyncio.Transport) -> bool:
    try:
        return bool(transport.can_write_eof())
    except (AttributeError, NotImplementedError):
        return False


class UpgradeParser(Protocol):
    """What :meth:`RequestHandler.set_parser` accepts: a consumer of raw bytes."""

    def feed_data(self, data: bytes) -> Any: ...

    def feed_eof(self) -> Any: ...


class ConnectionControl(FlowControlProtocol):
    """The connection state a request handler shares with its timer and closing logic."""

    __slots__ = (
        "_busy",
        "_close",
        "_eof",
        "_force_close",
        "_head_started",
        "_idle_since",
        "_input_closed",
        "_keepalive",
        "_linger",
        "_lost",
        "_messages",
        "_receiving",
        "_served",
        "_task",
        "_timer",
        "_upgraded",
        "_waiter",
        "keepalive_timeout",
        "logger",
        "read_headers_timeout",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        keepalive_timeout: float | None,
        read_headers_timeout: float | None,
        logger: logging.Logger,
    ) -> None:
        super().__init__(loop)
        self.keepalive_timeout = keepalive_timeout
        self.read_headers_timeout = read_headers_timeout
        self.logger = logger
        self._task: asyncio.Task[None] | None = None
        self._lost: asyncio.Future[None] | None = None
        self._messages: collections.deque[tuple[RequestHead | HttpProcessingError, StreamReader]]
        self._messages = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._receiving = _IDLE
        self._busy = False  # a request is being handled
        self._served = 0
        self._keepalive = True
        self._close = False  # finish queued work, then close
        self._force_close = False  # close after the current response
        self._input_closed = False  # stop feeding the parser (error, EOF)
        self._upgraded: UpgradeParser | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._idle_since = 0.0
        self._head_started = 0.0
        self._linger: asyncio.TimerHandle | None = None
        self._eof = False  # the client half-closed

    # -- connection control -------------------------------------------------------------

    def keep_alive(self, val: bool) -> None:
        """Set whether the connection stays open after the current response."""
        self._keepalive = val

    def force_close(self) -> None:
        """Close the connection after the current response (now, when idle)."""
        self._force_close = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def close(self) -> None:
        """Stop accepting requests: answer the ones received, then close."""
        self._close = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def shutdown(self, timeout: float | None = 15.0) -> None:
        """Graceful close: let the in-flight request finish within ``timeout``, then close."""
        self.close()
        self._force_close = True
        upgraded_shutdown = getattr(self._upgraded, "shutdown", None)
        if upgraded_shutdown is not None:
            upgraded_shutdown()  # e.g. a WebSocket starts its close handshake (1001)
        task = self._task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except asyncio.TimeoutError:
                task.cancel()
                try:
                    await asyncio.wait_for(asyncio.shield(task), 1.0)
                except (asyncio.CancelledError, asyncio.TimeoutError):
                    current = asyncio.current_task()
                    if sys.version_info >= (3, 11) and current is not None and current.cancelling():
                        raise
        transport = self.transport
        if transport is None:
            return
        if not transport.is_closing():  # (a 2nd close() detaches asyncio's TLS transport,
            transport.close()  # after which abort() below would do nothing)
        if self.transport is None:
            return
        self._lost = lost = self._loop.create_future()
        try:
            await asyncio.wait_for(lost, _CLOSE_GRACE_SECONDS)
        except asyncio.TimeoutError:
            if self.transport is not None:
                self.transport.abort()

    # -- timers -------------------------------------------------------------------------

    def _deadline(self) -> float | None:
        """When the connection times out in its current state (None: never)."""
        if self._busy or self._messages or self._force_close:
            return None
        limit = self.read_headers_timeout
        if self._receiving == _HEAD:
            return None if limit is None else self._head_started + limit
        if not self._served and limit is not None:  # a new connection that sent nothing
            return self._idle_since + limit
        if self._receiving == _IDLE and self.keepalive_timeout is not None:
            return self._idle_since + self.keepalive_timeout  # 0: close once idle
        return None

    def _arm_timer(self) -> None:
        deadline = self._deadline()
        if deadline is None:
            return
        timer = self._timer
        if timer is not None:
            if timer.when() <= deadline:
                return  # it fires first and re-arms itself
            timer.cancel()
        self._timer = self._loop.call_at(deadline, self._on_timer)

    def _cancel_timer(self) -> None:
        # An idle scheduled timer still costs the event loop on every pass.
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        deadline = self._deadline()
        if deadline is None or self.transport is None:
            return
        if self._loop.time() < deadline:
            self._timer = self._loop.call_at(deadline, self._on_timer)
            return
        if self._receiving == _HEAD:
            self.logger.debug("Request head not received in time; closing %r", self)
            self._write_raw(
                plain_response(408, "408 Request Timeout: the request head took too long")
            )
        self._force_close = True
        self._input_closed = True
        self.transport.close()

    def _write_raw(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _close_transport(self, *, linger: bool) -> None:
        """Close the connection; with ``linger``, half-close first and drain the input.

        Closing a socket that has unread input makes the kernel send a reset, which
        can destroy the response still in flight; so the server sends FIN, keeps
        reading (and dropping) input, and closes when the client does or after
        a short grace period.
        """
        transport = self.transport
        if transport is None or self._linger is not None:
            return
        if linger and _can_write_eof(transport) and not transport.is_closing():
            self._input_closed = True
            self._reading_paused = self._pipeline_paused = False
            self._update_reading()
            transport.write_eof()
            self._linger = self._loop.call_later(_LINGER_SECONDS, transport.close)
        else:
            transport.close()
