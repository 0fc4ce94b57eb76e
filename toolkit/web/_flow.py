"""Flow control of a server connection, in both directions.

Reading pauses while a request body's buffer is full (the :class:`~toolkit.streams.StreamReader`
calls :meth:`pause_reading`/:meth:`resume_reading`) or while too many pipelined requests wait;
writers await :meth:`_drain_helper` while the transport's write buffer is full.
"""

from __future__ import annotations

import asyncio

__all__ = ["FlowControlProtocol"]


class FlowControlProtocol(asyncio.Protocol):
    """Base of :class:`~toolkit.web.protocol.RequestHandler`: pausing and draining."""

    # Slots down to RequestHandler: with its 40 attributes in a __dict__, CPython 3.11
    # outgrows the shared key table (30 keys) and builds a dict per connection.
    __slots__ = (
        "_drain_waiter",
        "_loop",
        "_pipeline_paused",
        "_reading_paused",
        "_writing_paused",
        "transport",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._reading_paused = False
        self._pipeline_paused = False
        self._writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None

    def pause_reading(self) -> None:
        """Stop reading from the socket (a request body's buffer is full)."""
        if not self._reading_paused:
            self._reading_paused = True
            self._update_reading()

    def resume_reading(self) -> None:
        """Read from the socket again."""
        if self._reading_paused:
            self._reading_paused = False
            self._update_reading()

    def _update_reading(self) -> None:
        transport = self.transport
        if transport is None:
            return
        try:
            if self._reading_paused or self._pipeline_paused:
                transport.pause_reading()
            else:
                transport.resume_reading()
        except (AttributeError, NotImplementedError, RuntimeError):
            pass  # a closing transport, or one without read flow control

    def pause_writing(self) -> None:
        """The transport's write buffer is above its high-water mark."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        """The transport's write buffer drained below its low-water mark."""
        self._writing_paused = False
        self._wake_drain_waiter(None)

    def _wake_drain_waiter(self, exc: BaseException | None) -> None:
        waiter = self._drain_waiter
        self._drain_waiter = None
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(exc)
                waiter.exception()  # retrieved: no warning if nobody awaits it any more

    async def _drain_helper(self) -> None:
        """Wait while writing is paused; raise once the connection is lost."""
        if self.transport is None:
            raise ConnectionResetError("connection lost")
        if not self._writing_paused:
            return
        waiter = self._drain_waiter
        if waiter is None or waiter.done():
            waiter = self._drain_waiter = self._loop.create_future()
        await asyncio.shield(waiter)
