"""The server side of one HTTP/1.1 connection: :class:`RequestHandler`.

Bytes from the transport go through a sans-IO :class:`~toolkit.http.RequestParser`;
each request head is queued with a :class:`~toolkit.streams.StreamReader` for its body.
One task per connection takes the requests in order (pipelining) and, for each one,
runs ``resp = await handler(request)``, ``await resp.prepare(request)`` and
``await resp.write_eof()``.

Keep-alive, closing and the timeouts (``read_headers_timeout``, ``keepalive_timeout``)
live in :class:`toolkit.web._connection.ConnectionControl`, the base class.
No timeout applies while a handler runs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from toolkit.helpers import drop_read_callback
from toolkit.http import Decoder, EndOfMessage, RequestHead, RequestParser, get_decoder
from toolkit.http.errors import BadHttpMessage, HttpProcessingError
from toolkit.streams import EMPTY_PAYLOAD, StreamReader

from ._connection import _BODY, _HEAD, _IDLE, ConnectionControl, UpgradeParser
from ._errors import PayloadAccessError, RequestPayloadError
from ._server_errors import error_response, error_text, plain_response
from .log import AbstractAccessLogger, AccessLogger, access_logger, server_logger
from .response import Response
from .writer import StreamWriter

if TYPE_CHECKING:
    from toolkit.http import PyRequestParser
    from toolkit.http._httptools import HttptoolsRequestParser

    from .exceptions import HTTPException
    from .request import BaseRequest
    from .response import StreamResponse
    from .server import Server

__all__ = ["RequestHandler", "UpgradeParser"]

_Handler = Callable[["BaseRequest"], Awaitable["StreamResponse"]]

# Past this many queued pipelined requests the transport stops reading.
_MAX_PIPELINED = 16
_new_object = object.__new__


@functools.lru_cache(maxsize=16)
def _stock_access_logger(access_log: logging.Logger, log_format: str) -> AccessLogger:
    """The stock access logger keeps no per-connection state: connections share one."""
    return AccessLogger(access_log, log_format)


def _bad_return(handler: Any, resp: Any) -> RuntimeError:
    return RuntimeError(
        f"request handler {handler!r} returned {resp!r} "
        "instead of a StreamResponse (missing return statement?)"
    )


async def _read_to_end(payload: StreamReader) -> None:
    while not payload.is_eof():
        await payload.readany()


class _LostUpgrade:
    """Replaces the upgraded parser of a lost connection: input goes nowhere."""

    __slots__ = ()

    def feed_data(self, data: bytes) -> None:
        """Drop ``data``."""

    def feed_eof(self) -> None:
        """Nothing to end."""


_LOST_UPGRADE = _LostUpgrade()
_RELEASED_PARSER: PyRequestParser | HttptoolsRequestParser | None = None


def _released_parser() -> PyRequestParser | HttptoolsRequestParser:
    """What a lost connection holds instead of its parser: one that refuses input."""
    global _RELEASED_PARSER
    if _RELEASED_PARSER is None:
        _RELEASED_PARSER = RequestParser()
        _RELEASED_PARSER.release()
    return _RELEASED_PARSER


class RequestHandler(ConnectionControl):
    """An HTTP/1.1 server connection, created by :class:`~toolkit.web.Server`.

    Keyword arguments (all also accepted by ``Server``, ``AppRunner`` and ``run_app``):
    ``keepalive_timeout`` (seconds an idle connection stays open, 75),
    ``read_headers_timeout`` (seconds to receive a whole request head, 60; None
    disables), ``max_line_size``, ``max_field_size``, ``max_headers`` (parser limits),
    ``read_bufsize`` (request body buffer limit before reading pauses), ``lingering_time``
    (seconds spent discarding an unread request body before reusing the connection),
    ``access_log_class``/``access_log``/``access_log_format``, ``logger`` (errors),
    ``debug`` (tracebacks in 500 responses; default: the loop's debug mode),
    ``tcp_keepalive``.
    """

    # (__dict__: set_parser() replaces data_received on the instance.)
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_auto_decompress",
        "_decoder",
        "_handler_cancellation",
        "_lingering_time",
        "_manager",
        "_parser",
        "_payload",
        "_read_bufsize",
        "_request_factory",
        "_request_handler",
        "_tcp_keepalive",
        "access_logger",
        "debug",
    )

    def __init__(
        self,
        manager: Server,
        *,
        loop: asyncio.AbstractEventLoop,
        keepalive_timeout: float | None = 75.0,
        read_headers_timeout: float | None = 60.0,
        tcp_keepalive: bool = True,
        logger: logging.Logger = server_logger,
        access_log_class: type[AbstractAccessLogger] = AccessLogger,
        access_log: logging.Logger | None = access_logger,
        access_log_format: str = AccessLogger.LOG_FORMAT,
        debug: bool | None = None,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        lingering_time: float = 10.0,
        read_bufsize: int = 2**16,
        auto_decompress: bool = True,
        timeout_ceil_threshold: float = 5,
    ) -> None:
        super().__init__(
            loop,
            keepalive_timeout=keepalive_timeout,
            read_headers_timeout=read_headers_timeout,
            logger=logger,
        )
        del timeout_ceil_threshold  # accepted for aiohttp compatibility; no rounding here
        self._manager = manager
        self._request_handler: _Handler = (
            getattr(manager, "_dispatch", None) or manager.request_handler
        )
        self._request_factory = manager.request_factory
        self._handler_cancellation = manager.handler_cancellation
        self._tcp_keepalive = tcp_keepalive
        self.debug = loop.get_debug() if debug is None else debug
        self.access_logger: AbstractAccessLogger | None = None
        if access_log is not None:
            if access_log_class is AccessLogger:
                self.access_logger = _stock_access_logger(access_log, access_log_format)
            else:
                self.access_logger = access_log_class(access_log, access_log_format)
        self._lingering_time = lingering_time
        self._auto_decompress = auto_decompress
        self._decoder: Decoder | None = None
        self._read_bufsize = read_bufsize
        self._parser = RequestParser.take(max_line_size, max_field_size, max_headers)
        self._payload: StreamReader | None = None  # body being received

    def __repr__(self) -> str:
        peer = self.transport.get_extra_info("peername") if self.transport else None
        return f"<RequestHandler peer={peer!r} served={self._served} busy={self._busy}>"

    # -- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start serving: create the connection's task and arm the head timer."""
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance check.
        self.transport = cast(asyncio.Transport, transport)
        if self._tcp_keepalive:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # (No family check: sock.family builds an enum member each time; a
                # socket that has no keep-alive, e.g. a Unix one, refuses or ignores it.)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                except OSError:
                    pass
        self._idle_since = self._loop.time()
        self._manager.connection_made(self, self.transport)
        self._task = self._loop.create_task(self._run())
        self._arm_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        """Tear down: fail the unread body, stop the idle task, maybe cancel the handler."""
        self._manager.connection_lost(self, exc)
        drop_read_callback(self.transport)
        self.transport = None
        self._force_close = True
        self._input_closed = True
        self._cancel_timer()
        if self._linger is not None:
            self._linger.cancel()
        if self._payload is not None:
            self._payload.set_exception(
                RequestPayloadError("the connection was lost before the request body ended")
            )
            self._payload = None
        if self._upgraded is not None:
            self._upgraded.feed_eof()
            # It (a WebSocket) refers back to this protocol: a cycle otherwise.
            self._upgraded = _LOST_UPGRADE
            self.__dict__.pop("data_received", None)
        # Kept for another connection if clean between two messages, else released.
        self._parser.recycle()
        self._parser = _released_parser()
        if self._drain_waiter is not None:
            self._wake_drain_waiter(ConnectionResetError("connection lost while draining"))
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        elif self._busy and self._handler_cancellation and self._task is not None:
            self._task.cancel()

    def eof_received(self) -> bool | None:
        """The client half-closed: answer what was received, then close."""
        if self._linger is not None:
            return None  # the client read our last response and left
        self._eof = True
        self._input_closed = True
        if self._upgraded is not None:
            self._upgraded.feed_eof()
            return True
        if self._payload is not None:
            try:
                self._parser.feed_eof()
                error: BaseException = RequestPayloadError(
                    "the client closed its side before the request body ended"
                )
            except HttpProcessingError as exc:
                error = exc
            self._payload.set_exception(error)
            self._payload = None
        # A half-close cannot be told from a disconnect: with handler_cancellation the
        # client is taken as gone, otherwise the requests received are still answered.
        keep_open = (self._busy or bool(self._messages)) and not self._handler_cancellation
        self._close = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        # (TLS transports cannot stay half-open.)
        return True if keep_open and not self._is_tls() else None

    def data_received(self, data: bytes) -> None:
        """Parse ``data`` and queue the complete request heads it finishes."""
        if self._upgraded is not None:
            self._upgraded.feed_data(data)
            return
        if self._input_closed:
            return
        idle = self._receiving == _IDLE
        if idle:
            if not self._served and data[:1] == b"\x16" and self._is_tls_on_plain_port():
                # A TLS ClientHello: no CRLF will come, so answer now instead of waiting.
                self._on_parse_error(
                    BadHttpMessage(
                        "Invalid method encountered: the client started a TLS handshake "
                        "on a plain HTTP port (use http://, not https://)"
                    )
                )
                return
            self._receiving = _HEAD
        # _feed(), inline.
        parser = self._parser
        try:
            events = parser.feed_data(data)
            if (
                len(events) == 2
                and type(events[1]) is EndOfMessage
                and type(events[0]) is RequestHead
            ):
                # The usual feed, one whole request without a body: _dispatch(), inline.
                self._receiving = _IDLE
                self._queue(events[0], EMPTY_PAYLOAD)
            elif events:
                self._dispatch(events)
        except HttpProcessingError as exc:
            self._on_parse_error(exc)
            return
        error = parser._error
        if error is not None:
            # Held back behind the requests completed before it: answer those
            # first, then the error (it is queued after them).
            self._on_parse_error(error)
        elif idle and self._receiving == _HEAD:
            # A head began in this feed and is not complete: its deadline runs from now.
            # (Heads that complete in the feed they begin in need no timer.)
            now = self._head_started = self._loop.time()
            if not self._busy:
                # Re-arm only if the head deadline comes before the armed timer (the
                # timer re-arms itself for later deadlines when it fires).
                timer, limit = self._timer, self.read_headers_timeout
                if limit is not None and (timer is None or timer.when() > now + limit):
                    self._arm_timer()

    def _is_tls_on_plain_port(self) -> bool:
        return self.transport is None or not self._is_tls()

    def _is_tls(self) -> bool:
        transport = self.transport
        return transport is not None and transport.get_extra_info("sslcontext") is not None

    def _feed(self, data: bytes) -> None:
        parser = self._parser
        try:
            events = parser.feed_data(data)
            if events:
                self._dispatch(events)
        except HttpProcessingError as exc:
            self._on_parse_error(exc)
        else:
            if parser.error is not None:
                # Held back behind the requests completed before it: answer those
                # first, then the error (it is queued after them).
                self._on_parse_error(parser.error)

    def _queue(self, head: RequestHead, payload: StreamReader) -> None:
        """Queue a request for the connection's task and wake it."""
        messages = self._messages
        messages.append((head, payload))
        if len(messages) > _MAX_PIPELINED and not self._pipeline_paused:
            self._pipeline_paused = True
            self._update_reading()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _dispatch(self, events: list[Any]) -> None:
        count = len(events)
        i = 0
        while i < count and not self._input_closed:
            event = events[i]
            i += 1
            if type(event) is bytes:
                if self._payload is not None:
                    if self._decoder is not None:
                        event = self._decode(event, final=False)
                    if event:
                        self._payload.feed_data(event)
            elif type(event) is RequestHead:
                payload: StreamReader
                if i < count and type(events[i]) is EndOfMessage:
                    i += 1
                    payload = EMPTY_PAYLOAD
                    self._receiving = _IDLE
                else:
                    payload = StreamReader(self, self._read_bufsize, loop=self._loop)
                    self._payload = payload
                    self._receiving = _BODY
                    if event.compression and self._auto_decompress:
                        self._decoder = get_decoder(event.compression)
                self._queue(event, payload)
            elif type(event) is EndOfMessage:
                if self._payload is not None:
                    if self._decoder is not None:
                        tail = self._decode(b"", final=True)
                        self._decoder = None
                        if tail:
                            self._payload.feed_data(tail)
                    if self._payload is not None:
                        self._payload.feed_eof()
                        self._payload = None
                self._receiving = _IDLE

    def _decode(self, data: bytes, *, final: bool) -> bytes:
        """Decode request body bytes (``Content-Encoding``); errors go to the payload."""
        assert self._decoder is not None
        try:
            return self._decoder.flush() if final else self._decoder.decompress(data)
        except HttpProcessingError as exc:
            self._decoder = None
            self._on_parse_error(exc)
            return b""

    def _on_parse_error(self, exc: HttpProcessingError) -> None:
        # Keep reading (and dropping) input: closing a socket with unread data makes
        # the kernel send a reset, which can destroy the 400 response in flight.
        self._input_closed = True
        if self._payload is not None:
            # A broken body: its handler sees the error when it reads; then we close.
            self._payload.set_exception(exc)
            self._payload = None
            self._close = True
        else:
            self._messages.append((exc, EMPTY_PAYLOAD))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def set_parser(self, parser: UpgradeParser) -> None:
        """Hand the connection's incoming bytes to ``parser`` (after a protocol switch).

        Bytes already received after the upgrade request are fed at once.
        """
        self._upgraded = parser
        self._cancel_timer()  # an upgraded connection has no keep-alive or head timeout
        # Reads go straight to the parser: asyncio looks data_received up per call.
        self.data_received = parser.feed_data  # type: ignore[method-assign]
        tail = self._parser.trailing_data
        self._pipeline_paused = False
        self._update_reading()
        if tail:
            parser.feed_data(bytes(tail))

    @property
    def upgraded(self) -> bool:
        """True once :meth:`set_parser` took the connection over."""
        return self._upgraded is not None

    @property
    def peername(self) -> Any:
        """The peer address of the transport (None once it is closed)."""
        return self.transport.get_extra_info("peername") if self.transport else None

    # -- the request loop ---------------------------------------------------------------

    async def _run(self) -> None:
        loop = self._loop
        messages = self._messages
        manager = self._manager
        handler = self._request_handler
        task = self._task  # (None until create_task() returns: with an eager task factory)
        try:
            while True:
                if not messages:
                    if self._close or self._force_close:
                        break
                    self._busy = False
                    now = self._idle_since = loop.time()
                    # _arm_timer(), skipped when the armed timer fires first anyway.
                    timer, keepalive = self._timer, self.keepalive_timeout
                    if (
                        timer is None
                        or keepalive is None
                        or self._receiving != _IDLE
                        or not self._served
                        or timer.when() > now + keepalive
                    ):
                        self._arm_timer()
                    self._waiter = loop.create_future()
                    try:
                        await self._waiter
                    finally:
                        self._waiter = None
                    continue
                self._busy = True
                message, payload = messages.popleft()
                if self._pipeline_paused and len(messages) <= _MAX_PIPELINED // 2:
                    self._pipeline_paused = False
                    self._update_reading()
                if isinstance(message, HttpProcessingError):
                    self._reply_bad_request(message)
                    break
                manager.requests_count += 1
                self._served += 1
                self._keepalive = not message.should_close
                # StreamWriter(self, loop), without the __init__ call.
                writer = _new_object(StreamWriter)
                writer._protocol = self
                writer.loop = loop
                # Instance attributes, not the class defaults: Response._send_plain
                # reads them, and Python 3.11 reads class attributes the slow way.
                writer._headers_written = writer.chunked = False
                writer.length = writer._compress = None
                if task is None:
                    task = self._task
                    assert task is not None
                try:
                    request = self._request_factory(message, payload, self, writer, task)
                except Exception as exc:
                    self.logger.exception("Cannot build the request for %r", message.target)
                    self._write_raw(plain_response(500, error_text(500, exc, self.debug)))
                    break
                # The handler and the response, inline: one coroutine less per request.
                access = self.access_logger
                if access is not None and not access.enabled:
                    access = None
                start = loop.time() if access is not None else 0.0
                resp: Any
                try:
                    resp = await handler(request)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    resp = self._handler_error(request, writer, exc)
                else:
                    if type(resp) is not Response and not hasattr(resp, "prepare"):
                        resp = self._handler_error(request, writer, _bad_return(handler, resp))
                if resp is None:
                    break
                try:
                    if type(resp) is Response and resp._send_plain(request):
                        self._keepalive = resp._keep_alive is True  # keep_alive(), inline
                        if self._writing_paused or self.transport is None:
                            await self._drain_helper()
                    else:
                        await resp.prepare(request)
                        await resp.write_eof()
                except ConnectionError:
                    if access is not None:
                        access.log(request, resp, loop.time() - start)
                    break
                except Exception as exc:
                    self.logger.exception("Error sending the response to %s", request.method)
                    if not writer.headers_written:
                        self._write_raw(plain_response(500, error_text(500, exc, self.debug)))
                    break
                if access is not None:
                    access.log(request, resp, loop.time() - start)
                if payload is not EMPTY_PAYLOAD:
                    if not payload.is_eof():
                        await self._discard_body(payload)
                    # A handler that kept the request cannot read the body any more.
                    payload.set_exception(PayloadAccessError())
                if not self._keepalive or self._force_close or self._upgraded is not None:
                    break
                if self._parser._paused:  # (the paused property, without the call)
                    self._decline_upgrade()
        except asyncio.CancelledError:
            pass
        except Exception:
            self.logger.exception("Unhandled error in the connection task of %r", self)
        finally:
            self._busy = False
            # Unread input (a body, the next requests): linger so the response is not reset.
            unread = self._payload is not None or self._receiving != _IDLE or self._messages
            self._close_transport(linger=bool(unread) and not self._eof)

    def _handler_error(
        self, request: BaseRequest, writer: StreamWriter, exc: Exception
    ) -> StreamResponse | HTTPException | None:
        """The response for a handler that raised ``exc``; None closes the connection."""
        from .exceptions import HTTPException  # (imported on first use: see _errors)

        if isinstance(exc, HTTPException):
            # It is the response now. Its traceback holds the frames that raised it,
            # which hold the request, which may hold it: a cycle for the collector.
            exc.__traceback__ = None
            return exc
        if isinstance(exc, asyncio.TimeoutError):
            self.logger.debug("Request handler timed out", exc_info=exc)
            return self._error_response(request, writer, 504, exc)
        if isinstance(exc, HttpProcessingError):
            return self._error_response(request, writer, exc.code or 400, exc)
        return self._error_response(request, writer, 500, exc)

    def _error_response(
        self, request: BaseRequest, writer: StreamWriter, status: int, exc: BaseException
    ) -> StreamResponse | None:
        """Log ``exc`` and build the error response; None when none can be sent."""
        if self.transport is None:
            self.logger.debug("Handler failed after the client went away", exc_info=exc)
            return None
        if status >= 500 and status != 504:
            self.logger.exception("Error handling request %s %s", request.method, request.path)
        if writer.headers_written:
            return None  # too late for another response: close the connection
        return error_response(request, status, exc, self.debug)

    def _reply_bad_request(self, exc: HttpProcessingError) -> None:
        status = exc.code if 400 <= exc.code < 600 else 400
        self.logger.debug("Bad request from %s: %s", self.peername, exc.message)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (exc.headers or {}).items())
        self._write_raw(plain_response(status, error_text(status, exc, self.debug), extra))
        self._close_transport(linger=True)

    async def _discard_body(self, payload: StreamReader) -> None:
        """Read and drop an unread request body, or close if it takes too long."""
        if self._force_close or not self._lingering_time:
            self._force_close = True
            return
        try:
            await asyncio.wait_for(_read_to_end(payload), self._lingering_time)
        except Exception:  # too slow (TimeoutError), or a broken body
            pass
        if not payload.is_eof() or payload.exception() is not None:
            self._force_close = True

    def _decline_upgrade(self) -> None:
        """The handler answered an upgrade request without switching: parse HTTP again."""
        self._parser.resume()
        if not self._input_closed:
            self._feed(b"")
