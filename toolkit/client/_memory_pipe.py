"""A pair of connected in-memory asyncio transports: a socketpair without the socket.

Each side is a :class:`MemoryTransport`. Bytes written on one side reach the other
side's protocol (``data_received``) on a later loop iteration, as with TCP. The pair
behaves like a TCP connection in the ways protocol code can observe:

* write flow control: ``pause_writing()`` once more than the high-water mark is
  buffered (the peer is not reading), ``resume_writing()`` below the low-water mark;
* read flow control: ``pause_reading()`` stops delivery to this side's protocol;
* ``write_eof()`` half-closes: the peer gets ``eof_received()`` after the buffered
  bytes, and closes itself unless that returns true;
* ``close()`` stops delivery to this side's protocol, flushes, then both sides see
  ``connection_lost(None)`` (the peer after its ``eof_received``); bytes the peer still
  had buffered for us reset it (``connection_lost(ConnectionResetError)``), as TCP does;
  ``abort()`` drops the buffer and the peer gets ``connection_lost(ConnectionResetError)``;
* ``get_extra_info('peername' | 'sockname')`` are fake addresses; ``'socket'`` and
  ``'sslcontext'`` are None.

:func:`create_memory_pipe` calls both protocols' ``connection_made`` at once;
:func:`connect_memory_pipe` (the ``MemoryConnector``'s) calls the server's when the
client first sends, so that a server's first loop pass already has the request.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

__all__ = ("MemoryTransport", "connect_memory_pipe", "create_memory_pipe")

#: Default write buffer limits, the same as asyncio's selector transports.
DEFAULT_HIGH_WATER = 64 * 1024
DEFAULT_LOW_WATER = 16 * 1024
#: Most bytes handed to ``data_received`` in one call (like a socket read).
_READ_CHUNK = 256 * 1024

_new = object.__new__


class MemoryTransport(asyncio.Transport):
    """One end of an in-memory connection; create pairs with :func:`create_memory_pipe`."""

    # The state of a new transport. What every write and flush reads is set in
    # __init__ (CPython 3.11 does not specialize reading a class attribute through an
    # instance); the rest are class attributes, set per instance when changed.
    _peer: MemoryTransport | None = None
    _buffered: int
    _high_water: int
    _low_water = DEFAULT_LOW_WATER
    _writing_paused: bool
    _reading_paused: bool
    _flush_scheduled: bool
    _eof_pending: bool  # write_eof() called; sent after the buffer
    _eof_sent: bool
    _eof_received: bool
    _closing: bool  # close() or abort() called
    _lost: bool  # connection_lost() was scheduled
    _peer_unmade: bool  # the peer's connection_made() is still due (connect_memory_pipe)

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol: asyncio.BaseProtocol,
        *,
        sockname: Any = None,
        peername: Any = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        info: dict[str, Any] = {"sockname": sockname, "peername": peername, "socket": None}
        if extra:
            info.update(extra)
        self._extra = self._info = info  # (asyncio.BaseTransport.__init__, inline)
        self._loop = loop
        self._protocol = protocol
        self._outgoing: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._high_water = DEFAULT_HIGH_WATER
        self._writing_paused = self._reading_paused = self._flush_scheduled = False
        self._eof_pending = self._closing = self._lost = self._peer_unmade = False
        self._eof_sent = self._eof_received = False

    def __repr__(self) -> str:
        state = "closed" if self._lost else "closing" if self._closing else "open"
        return (
            f"<MemoryTransport {state} sockname={self._info.get('sockname')!r} "
            f"peername={self._info.get('peername')!r} buffered={self._buffered}>"
        )

    # ------------------------------------------------------------------ protocol

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._info.get(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def is_closing(self) -> bool:
        return self._closing or self._lost

    # ------------------------------------------------------------------ reading

    def is_reading(self) -> bool:
        return not self._reading_paused and not self._lost

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self) -> None:
        if self._reading_paused and not self._closing:
            self._reading_paused = False
            peer = self._peer
            if peer is not None:
                peer._schedule_flush()

    # ------------------------------------------------------------------ writing

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = DEFAULT_HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high_water, self._low_water = high, low
        self._check_high_water()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._low_water, self._high_water

    def get_write_buffer_size(self) -> int:
        return self._buffered

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if type(data) is not bytes and not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, got {type(data).__name__}")
        if self._eof_pending:
            raise RuntimeError("Cannot call write() after write_eof()")
        if self._closing or self._lost or not data:
            return  # like asyncio: writes after close are dropped
        peer = self._peer
        if peer is None or peer._lost:
            # Writing to a connection the peer has closed resets it.
            self._connection_lost(ConnectionResetError("the peer closed the in-memory connection"))
            return
        chunk = bytes(data)  # (a copy unless it is bytes already: the caller may reuse it)
        self._outgoing.append(chunk)
        self._buffered += len(chunk)
        if self._buffered > self._high_water:
            self._check_high_water()
        if not self._flush_scheduled or self._peer_unmade:
            self._schedule_flush()

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        if self._closing or self._eof_pending:
            return
        self._eof_pending = True
        self._schedule_flush()

    def _check_high_water(self) -> None:
        if not self._writing_paused and self._buffered > self._high_water:
            self._writing_paused = True
            try:
                self._protocol.pause_writing()
            except Exception as exc:
                self._report("protocol.pause_writing() failed", exc)

    def _check_low_water(self) -> None:
        if self._writing_paused and self._buffered <= self._low_water:
            self._writing_paused = False
            try:
                self._protocol.resume_writing()
            except Exception as exc:
                self._report("protocol.resume_writing() failed", exc)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled and not self._lost:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        if self._peer_unmade:
            self._make_peer()  # (after the flush is queued: see connect_memory_pipe)

    def _make_peer(self) -> None:
        """Call the peer protocol's ``connection_made``, if still due (connect_memory_pipe)."""
        if not self._peer_unmade:
            return
        self._peer_unmade = False
        peer = self._peer
        if peer is None or peer._lost:
            return
        try:
            peer._protocol.connection_made(peer)
        except Exception as exc:
            peer._report("protocol.connection_made() failed", exc)
            peer.abort()

    def _flush(self) -> None:
        """Hand buffered bytes to the peer's protocol while it reads."""
        self._flush_scheduled = False
        if self._peer_unmade:
            self._make_peer()
        peer = self._peer
        if self._lost or peer is None:
            return
        while self._outgoing and not peer._lost and not peer._reading_paused:
            chunk = self._outgoing.popleft()
            if len(chunk) > _READ_CHUNK:
                self._outgoing.appendleft(chunk[_READ_CHUNK:])
                chunk = chunk[:_READ_CHUNK]
            self._buffered -= len(chunk)
            peer._deliver(chunk)
            if self._lost:
                return
        if peer._lost and self._outgoing:
            # The peer went away with our bytes unread: TCP would answer with a reset.
            self._connection_lost(
                ConnectionResetError("the peer closed the in-memory connection with data unread")
            )
            return
        if self._writing_paused:
            self._check_low_water()
        if self._outgoing:
            return  # the peer paused reading; its resume_reading() flushes again
        if self._eof_pending and not self._eof_sent:
            self._eof_sent = True
            peer._peer_eof()
        if self._closing and not self._lost:
            if not self._eof_sent:
                self._eof_sent = True
                peer._peer_eof()
            self._connection_lost(None)

    # ------------------------------------------------------------------ peer events

    def _deliver(self, data: bytes) -> None:
        protocol = self._protocol
        try:
            protocol.data_received(data)  # type: ignore[attr-defined]
        except Exception as exc:
            self._report("protocol.data_received() failed", exc)
            self.abort()

    def _peer_eof(self, *, finishing: bool = False) -> None:
        """The peer sent its last byte (half-close or close).

        ``finishing``: called by the peer's :meth:`_finish_close`, which completes our
        close itself when nothing is left to send (so no flush is scheduled for it).
        """
        if self._lost or self._eof_received:
            return
        self._eof_received = True
        try:
            keep_open = self._protocol.eof_received()  # type: ignore[attr-defined]
        except Exception as exc:
            self._report("protocol.eof_received() failed", exc)
            keep_open = False
        if keep_open:
            return
        if finishing and not self._closing and not self._outgoing and not self._eof_pending:
            self._closing = True  # (close() without the flush: see _finish_close)
            self._reading_paused = True
        else:
            self.close()

    def _connection_lost(self, exc: Exception | None, *, now: bool = False) -> None:
        if self._lost:
            return
        self._lost = True
        self._closing = True
        self._outgoing.clear()
        self._buffered = 0
        if now:
            self._call_connection_lost(exc)
        else:
            self._loop.call_soon(self._call_connection_lost, exc)
        peer = self._peer
        if peer is not None and peer._lost:
            # Both ends are gone: let go of each other (no cycle left for the collector).
            self._peer = peer._peer = None
        elif peer is not None and peer._outgoing:
            peer._schedule_flush()  # it finds us gone and resets

    def _call_connection_lost(self, exc: Exception | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        except Exception as error:
            self._report("protocol.connection_lost() failed", error)

    def _report(self, message: str, exc: BaseException) -> None:
        self._loop.call_exception_handler(
            {"message": f"{message} on {self!r}", "exception": exc, "transport": self}
        )

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Send what is buffered, then close both directions."""
        if self._closing or self._lost:
            return
        self._closing = True
        self._reading_paused = True  # like a closed socket: the protocol gets no more data
        self._schedule_flush()

    def _finish_close(self) -> bool:
        """Complete a ``close()`` at once instead of on the next loop iterations.

        Only when nothing is buffered either way (an idle keep-alive connection): what
        the loop would deliver is then known, and it is delivered now, in the same
        order: the peer's ``eof_received()`` (after which it closes its side, unless it
        stays half-open), then ``connection_lost(None)`` on this side and, if it closed,
        on the peer's. Returns True if this side is gone.
        """
        if self._peer_unmade:
            self._make_peer()
        peer = self._peer
        if not self._closing or self._lost or self._outgoing or self._eof_pending:
            return self._lost
        if peer is not None and (peer._outgoing or peer._lost):
            return False  # bytes (or a reset) in flight: leave it to the loop
        if peer is not None and not self._eof_sent:
            self._eof_sent = True
            peer._peer_eof(finishing=True)
        self._connection_lost(None, now=True)
        if peer is not None and peer._closing and not peer._lost:
            if peer._outgoing or peer._eof_pending:
                peer._schedule_flush()  # (it answered the EOF: it finds us gone and resets)
            else:
                peer._eof_sent = True  # nobody is left to tell
                peer._connection_lost(None, now=True)
        return True

    def _close_at_once(self) -> None:
        """:meth:`close`, completed now when nothing is in flight (see :meth:`_finish_close`)."""
        if self._closing or self._lost:
            return
        self._closing = True
        self._reading_paused = True
        if not self._finish_close():
            self._schedule_flush()

    def abort(self) -> None:
        """Close at once, dropping buffered bytes; the peer sees a reset."""
        if self._lost:
            return
        if self._peer_unmade:
            self._make_peer()
        self._connection_lost(None)
        peer = self._peer
        if peer is not None and not peer._lost:
            peer._connection_lost(ConnectionResetError("the in-memory connection was reset"))


def create_memory_pipe(
    loop: asyncio.AbstractEventLoop,
    client_protocol: asyncio.BaseProtocol,
    server_protocol: asyncio.BaseProtocol,
    *,
    client_address: Any = ("127.0.0.1", 0),
    server_address: Any = ("127.0.0.1", 0),
) -> tuple[MemoryTransport, MemoryTransport]:
    """Connect two protocols with a pair of :class:`MemoryTransport`.

    Calls ``server_protocol.connection_made`` then ``client_protocol.connection_made``
    and returns ``(client_transport, server_transport)``.
    """
    client, server = _pair(loop, client_protocol, server_protocol, client_address, server_address)
    server_protocol.connection_made(server)
    client_protocol.connection_made(client)
    return client, server


def connect_memory_pipe(
    loop: asyncio.AbstractEventLoop,
    client_protocol: asyncio.BaseProtocol,
    server_protocol: asyncio.BaseProtocol,
    *,
    client_address: Any,
    server_address: Any,
) -> MemoryTransport:
    """:func:`create_memory_pipe` for a client that speaks first (HTTP); the client's transport.

    ``client_protocol.connection_made`` is called now; ``server_protocol``'s when the
    client first sends (or closes), just after those bytes are queued, and at the latest
    on the next loop iteration. A server that starts a task in ``connection_made`` then
    finds the request already received on its first step, instead of waiting for it
    one loop iteration more.
    """
    client, _ = _pair(loop, client_protocol, server_protocol, client_address, server_address)
    client._peer_unmade = True
    client_protocol.connection_made(client)
    # A flush is queued at once: it makes the server if the client has not sent by then
    # (and carries the client's first bytes otherwise: no extra callback for either).
    client._flush_scheduled = True
    loop.call_soon(client._flush)
    return client


def _pair(
    loop: asyncio.AbstractEventLoop,
    client_protocol: asyncio.BaseProtocol,
    server_protocol: asyncio.BaseProtocol,
    client_address: Any,
    server_address: Any,
) -> tuple[MemoryTransport, MemoryTransport]:
    # (__init__ called as a method: a class call would pack the keywords in a dict)
    client: Any = _new(MemoryTransport)
    client.__init__(loop, client_protocol, sockname=client_address, peername=server_address)
    server: Any = _new(MemoryTransport)
    server.__init__(loop, server_protocol, sockname=server_address, peername=client_address)
    client._peer, server._peer = server, client
    return client, server
