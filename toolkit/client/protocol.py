"""``ResponseHandler``: the client's asyncio protocol for one HTTP/1.1 connection.

It feeds received bytes to a sans-IO :class:`toolkit.http.ResponseParser` and turns the
parser's events into what the session reads: a response head and a
:class:`~toolkit.streams.StreamReader` carrying the body. It also does flow control in
both directions, the ``sock_read`` timeout, and the hand-off of the raw connection after
a protocol switch (101 Switching Protocols, 2xx to CONNECT).

Parser errors become public exceptions in one place, :meth:`ResponseHandler._parse_failed`.
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from collections.abc import Callable
from typing import Any, cast

from toolkit.helpers import drop_read_callback
from toolkit.http import EndOfMessage, ResponseHead, ResponseParser
from toolkit.http.errors import HttpProcessingError
from toolkit.streams import StreamReader

from .exceptions import (
    ClientConnectionResetError,
    ClientOSError,
    ClientPayloadError,
    ClientResponseError,
    ServerDisconnectedError,
    SocketTimeoutError,
)
from .timeouts import ReadTimer

__all__ = ("ResponseHandler",)

_NO_BODY_STATUSES = frozenset({204, 304})
_object_new = object.__new__
#: After a response to these, the next one gets a new parser rather than a reused one.
_FRESH_PARSER_METHODS = frozenset({"HEAD", "CONNECT"})


def _never() -> None:
    """The callback of the disabled read timer (it never fires)."""


#: The read timer of connections without a ``sock_read`` timeout: never scheduled
#: (``reset()`` and ``cancel()`` have nothing to do), never changed.
_NO_READ_TIMER = ReadTimer(None, None, _never)  # type: ignore[arg-type]


def _weak_timeout_callback(protocol: ResponseHandler) -> Callable[[], None]:
    """``protocol._on_read_timeout`` without a strong reference: the protocol owns its
    read timer, and a bound method there would make a cycle for the garbage collector."""
    ref = weakref.ref(protocol)

    def on_timeout() -> None:
        target = ref()
        if target is not None:
            target._on_read_timeout()

    return on_timeout


class ResponseHandler(asyncio.Protocol):
    """Reads responses off one connection; see the module docstring."""

    # The state of a new connection. What every request reads is set in __init__
    # (CPython 3.11 does not specialize reading a class attribute through an instance);
    # the rest are class attributes, set per instance when changed.
    transport: asyncio.Transport | None = None
    _parser: Any
    _parser_config: tuple[Any, ...] = ()
    _method: str
    _read_until_eof = True
    _read_bufsize = 2**16
    _timer: Any = None
    #: A shared, disabled timer until a request sets a ``sock_read`` timeout.
    _read_timer: ReadTimer
    _head_waiter: asyncio.Future[None] | None
    _continue_waiter: asyncio.Future[None] | None
    _payload: StreamReader | None = None  # body of the message being received
    _skip_body = False  # read_until_eof=False and a close-delimited body
    _awaiting_head = False
    _exception: BaseException | None
    _should_close: bool
    _upgraded: bool
    _trailing_data = b""
    _data_receiver: Callable[[bytes], None] | None = None
    _eof_receiver: Callable[[BaseException | None], None] | None = None
    _reading_paused: bool
    _writing_paused: bool
    _drain_waiter: asyncio.Future[None] | None = None
    _connection_lost: bool
    _closing_transport: asyncio.Transport | None = None
    _closed: asyncio.Future[None] | None

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._parser = self._head_waiter = self._continue_waiter = self._exception = None
        self._method = "GET"
        self._read_timer = _NO_READ_TIMER
        self._should_close = self._upgraded = self._connection_lost = False
        self._reading_paused = self._writing_paused = False
        self._responses: collections.deque[tuple[ResponseHead, StreamReader]] = collections.deque()
        self._unparsed = bytearray()  # bytes received while no response was expected
        self._closed = None  # (the future of ``closed``, made when asked for)

    # ------------------------------------------------------------------ state

    @property
    def closed(self) -> asyncio.Future[None]:
        """A future done once the connection is fully closed (``connection_lost`` was called)."""
        future = self._closed
        if future is None:
            future = self._closed = self._loop.create_future()
            if self._connection_lost:
                future.set_result(None)
        return future

    @property
    def should_close(self) -> bool:
        """True when the connection cannot carry another request."""
        return bool(
            self._should_close
            or self._upgraded
            or self._exception is not None
            or self._payload is not None
            or self._awaiting_head
            or self._responses
            or self._unparsed
            or not self.is_connected()
        )

    @property
    def upgraded(self) -> bool:
        """True after a 101 response or a 2xx answer to CONNECT."""
        return self._upgraded

    @property
    def trailing_data(self) -> bytes:
        """Bytes received after the head that switched protocols (taken once)."""
        data, self._trailing_data = self._trailing_data, b""
        return data

    def is_connected(self) -> bool:
        """True while the transport is open."""
        return self.transport is not None and not self.transport.is_closing()

    def exception(self) -> BaseException | None:
        """The error that broke the connection, if any."""
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        """Fail the pending ``read_response()`` and the current body with ``exc``."""
        self._should_close = True
        self._read_timer.cancel()
        if self._exception is None:
            self._exception = exc
        waiter, self._head_waiter = self._head_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        cont, self._continue_waiter = self._continue_waiter, None
        if cont is not None and not cont.done():
            cont.set_exception(exc)
        payload, self._payload = self._payload, None
        if payload is not None:
            payload.set_exception(exc)

    def close(self) -> None:
        """Close the connection (a TLS one says goodbye first: see :meth:`abort`)."""
        self._read_timer.cancel()
        transport = self.transport
        if transport is not None:
            self._closing_transport = transport
            transport.close()
            self.transport = None

    def abort(self) -> None:
        """Drop the connection at once, including one whose TLS goodbye is pending."""
        self._read_timer.cancel()
        transport = self.transport or self._closing_transport
        self.transport = None
        if transport is not None and not self._connection_lost:
            transport.abort()

    # ------------------------------------------------------------------ requests

    def set_response_params(
        self,
        *,
        method: str = "GET",
        read_until_eof: bool = True,
        auto_decompress: bool = True,
        read_timeout: float | None = None,
        timer: Any = None,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        read_bufsize: int = 2**16,
        lenient: bool = False,
        timeout_ceil_threshold: float = 5,
        max_decompressed_size: int | None = None,
        **_ignored: Any,
    ) -> None:
        """Prepare for the response to the request about to be sent."""
        previous_method = self._method
        self._method = method = method.upper()
        self._read_until_eof = read_until_eof
        self._read_bufsize = read_bufsize
        self._timer = timer
        read_timer = self._read_timer
        if read_timer is not _NO_READ_TIMER:
            if read_timer._handle is not None:
                read_timer.cancel()
            read_timer._timeout = read_timeout  # (the property setters, inline)
            read_timer._ceil_threshold = timeout_ceil_threshold
        elif read_timeout:
            self._read_timer = ReadTimer(
                self._loop, read_timeout, _weak_timeout_callback(self), timeout_ceil_threshold
            )
        config = (
            max_line_size,
            max_field_size,
            max_headers,
            lenient,
            auto_decompress,
            max_decompressed_size,
        )
        # A keep-alive connection keeps its parser between responses when the limits
        # are the same and the last exchange ended cleanly (the common case); a fresh
        # parser otherwise.
        if (
            self._parser is None
            or config != self._parser_config
            or previous_method in _FRESH_PARSER_METHODS
            or self._exception is not None
            or self._upgraded
            or self._payload is not None
            or self._awaiting_head
            or self._responses
        ):
            if self._parser is not None:
                self._release_parser()
            # (A clean one a closed connection left, when there is one.)
            self._parser = ResponseParser.take(*config)
            self._parser_config = config
        self._parser.expect_response(method)
        self._awaiting_head = True
        if self._unparsed:
            data = bytes(self._unparsed)
            self._unparsed.clear()
            self._feed(data)

    def expect_continue(self) -> asyncio.Future[None]:
        """A future set when 100 Continue (or the final response) arrives."""
        if self._continue_waiter is None or self._continue_waiter.done():
            self._continue_waiter = self._loop.create_future()
            if self._exception is not None:
                self._continue_waiter.set_exception(self._exception)
        return self._continue_waiter

    async def read_response(self) -> tuple[ResponseHead, StreamReader]:
        """Wait for the final response head; return it with the body stream."""
        while True:
            if self._responses:
                return self._responses.popleft()
            if self._exception is not None:
                raise self._exception
            if self._connection_lost:
                raise ServerDisconnectedError()
            if self._head_waiter is not None:
                raise RuntimeError("read_response() is already being awaited")
            waiter = self._head_waiter = self._loop.create_future()
            if not self._reading_paused:
                timer = self._read_timer
                if timer._timeout or timer._handle is not None:  # (reset() has work to do)
                    timer.reset()
            try:
                await waiter
            finally:
                self._head_waiter = None

    async def drain(self) -> None:
        """Wait until the transport accepts more data; fail if the connection is gone."""
        if self._connection_lost or self.transport is None:
            raise ClientConnectionResetError("Connection lost")
        if not self._writing_paused:
            return
        waiter = self._drain_waiter
        if waiter is None or waiter.done():
            waiter = self._drain_waiter = self._loop.create_future()
        await waiter

    def set_data_receiver(
        self,
        receiver: Callable[[bytes], None] | None,
        on_eof: Callable[[BaseException | None], None] | None = None,
    ) -> None:
        """After an upgrade, send raw bytes to ``receiver`` (trailing data first)."""
        self._data_receiver = receiver
        self._eof_receiver = on_eof
        if receiver is not None and self._upgraded:
            # Reads go straight to the receiver: asyncio looks data_received up per call.
            self.data_received = receiver  # type: ignore[method-assign,assignment]
        else:
            self.__dict__.pop("data_received", None)
        if receiver is not None and self._trailing_data:
            receiver(self.trailing_data)

    # ------------------------------------------------------------------ asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; trust the protocol contract.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        drop_read_callback(self.transport or self._closing_transport)
        self._connection_lost = True
        self.transport = None
        self._closing_transport = None
        self._read_timer.cancel()
        closed = self._closed
        if closed is not None and not closed.done():
            closed.set_result(None)
        drain, self._drain_waiter = self._drain_waiter, None
        if drain is not None and not drain.done():
            drain.set_exception(ClientConnectionResetError("Connection lost"))
        if self._upgraded:
            self._release_parser()
            on_eof = self._eof_receiver
            # The receivers (a WebSocket's bound methods) refer back to this protocol.
            self._data_receiver = self._eof_receiver = None
            self.__dict__.pop("data_received", None)
            if on_eof is not None:
                on_eof(exc)
            return
        if self._parser is not None and (self._payload is not None or self._awaiting_head):
            try:
                self._handle_events(self._parser.feed_eof())
            except HttpProcessingError as parse_exc:
                self._parse_failed(parse_exc, disconnected=True)
        self._release_parser()
        payload = self._payload
        if payload is not None:
            error = ClientPayloadError("Response payload is not completed")
            error.__cause__ = exc
            self.set_exception(error)
        elif self._awaiting_head or self._head_waiter is not None:
            error2: BaseException
            if isinstance(exc, OSError):
                error2 = ClientOSError(*exc.args)
                error2.__cause__ = exc
            else:
                error2 = ServerDisconnectedError()
            self.set_exception(error2)

    def _release_parser(self) -> None:
        """Let go of the parser: kept for another connection when it is clean, else
        released (the llhttp one refers to itself, a cycle for the garbage collector)."""
        parser, self._parser = self._parser, None
        if parser is not None:
            parser.recycle()

    def pause_reading(self) -> None:
        """Stop reading from the socket (the body buffer is full)."""
        if self.transport is not None and not self._reading_paused:
            try:
                self.transport.pause_reading()
            except (AttributeError, NotImplementedError, RuntimeError):
                return
            self._reading_paused = True
            self._read_timer.cancel()

    def resume_reading(self) -> None:
        """Read from the socket again."""
        if self.transport is not None and self._reading_paused:
            try:
                self.transport.resume_reading()
            except (AttributeError, NotImplementedError, RuntimeError):
                return
            self._reading_paused = False
            if self._payload is not None or self._awaiting_head:
                self._read_timer.reset()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost() finishes the message

    def data_received(self, data: bytes) -> None:
        if not data:
            return
        if self._upgraded:
            if self._data_receiver is not None:
                self._data_receiver(data)
            else:
                self._trailing_data += data
            return
        if self._parser is None or not (self._awaiting_head or self._payload is not None):
            self._unparsed += data  # nothing expected: keep it, the connection won't be reused
            return
        if self._exception is not None:
            return
        if not self._reading_paused:
            timer = self._read_timer
            if timer._timeout or timer._handle is not None:  # (reset() has work to do)
                timer.reset()
        self._feed(data)

    # ------------------------------------------------------------------ parsing

    def _feed(self, data: bytes) -> None:
        try:
            events = self._parser.feed_data(data)
        except HttpProcessingError as exc:
            self._parse_failed(exc)
            return
        self._handle_events(events)

    def _handle_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, bytes):
                if self._payload is not None and not self._skip_body:
                    self._payload.feed_data(event)
            elif isinstance(event, ResponseHead):
                self._on_head(event)
            elif isinstance(event, EndOfMessage):
                if self._skip_body:
                    self._skip_body = False
                else:
                    self._end_payload()
        # The parser pauses only after a head that switches protocols (_on_head then
        # set _upgraded); the attribute is only looked at then.
        if self._upgraded and self._parser is not None and getattr(self._parser, "paused", False):
            self._upgraded = True
            self._read_timer.cancel()
            self._trailing_data += bytes(self._parser.trailing_data)

    def _on_head(self, head: ResponseHead) -> None:
        if 100 <= head.status < 200 and head.status != 101:
            if head.status == 100:
                self._wake_continue()
            return  # interim response: the final one follows
        if self._continue_waiter is not None:
            self._wake_continue()
        self._awaiting_head = False
        if head.should_close:
            self._should_close = True
        if head.upgrade:
            # set before the (empty) body ends, so on_eof callbacks see the switch
            self._upgraded = True
            self._read_timer.cancel()
        # (__init__ called as a method: a class call would pack the keywords in a dict)
        new_payload: Any = _object_new(StreamReader)
        new_payload.__init__(self, self._read_bufsize, timer=self._timer, loop=self._loop)
        payload: StreamReader = new_payload
        self._payload = payload
        self._skip_body = False
        if not self._read_until_eof and self._close_delimited(head):
            # The caller does not want a body delimited by the end of the connection.
            self._skip_body = True
            self._should_close = True
        self._responses.append((head, payload))
        if self._skip_body:
            self._end_payload()
        waiter = self._head_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _close_delimited(self, head: ResponseHead) -> bool:
        if head.chunked or "Content-Length" in head.headers:
            return False
        if self._method in ("HEAD", "CONNECT") or head.status in _NO_BODY_STATUSES:
            return False
        return not (head.status == 101 or head.upgrade)

    def _on_end_of_message(self) -> None:
        if self._skip_body:
            self._skip_body = False
            return
        self._end_payload()

    def _end_payload(self) -> None:
        payload, self._payload = self._payload, None
        if self._read_timer._handle is not None:
            self._read_timer.cancel()
        # The body is complete: its reader no longer needs back-pressure, and a pooled
        # connection must not stay paused.
        if self._reading_paused:
            self.resume_reading()
        if payload is not None:
            payload.feed_eof()  # last: its on_eof callbacks may release the connection

    def _wake_continue(self) -> None:
        waiter, self._continue_waiter = self._continue_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _parse_failed(self, exc: HttpProcessingError, *, disconnected: bool = False) -> None:
        """Translate a parser error into the public exception, and stop."""
        error: BaseException
        if self._payload is not None:
            reason = "Response payload is not completed" if disconnected else "Bad response payload"
            error = ClientPayloadError(f"{reason}: {exc}")
        elif disconnected:
            error = ServerDisconnectedError(
                f"Server disconnected in the middle of a response: {exc}"
            )
        else:
            error = ClientResponseError(
                None,
                (),
                status=400,
                message=str(getattr(exc, "message", "") or exc),
                headers=getattr(exc, "headers", None),
            )
        error.__cause__ = exc
        self.set_exception(error)
        self.close()

    def _on_read_timeout(self) -> None:
        self.set_exception(SocketTimeoutError("Timeout on reading data from socket"))
        self.close()
