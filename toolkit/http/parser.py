"""Pure-Python HTTP/1.1 request and response parsers (RFC 9112), the reference backend.

``feed_data(bytes)`` returns the events the bytes complete; ``feed_eof()``
ends a close-delimited body or raises for a truncated message. A parser stops
(``paused``) after a message that switches protocols and keeps the bytes that
follow in ``trailing_data``.

Errors: when a feed completes whole messages and then hits an error in a later
one (a good request pipelined with a malformed one), the complete messages are
returned and the error is raised by the next call, so that they can be answered
in order: call ``feed_data(b"")`` after handling the events to collect it. An
error inside a message whose events are not complete is raised at once (the
events of that message are dropped). A failed parser raises the same error
again on every call.

``release()`` says the connection is done with the parser: it drops what the parser
holds (the accelerated parsers' llhttp parser refers back to them, a reference cycle
otherwise) and any later ``feed_data``/``feed_eof`` raises :class:`RuntimeError`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from multidict import CIMultiDictProxy

from ._body import BodyReader, ChunkedReader, LengthReader, UntilCloseReader
from ._framing import analyze
from ._head import (
    HeadScanner,
    build_headers,
    check_field_chars,
    check_limits,
    fast_fields,
    parse_fields,
    parse_request_line,
    parse_status_line,
    split_lines,
)
from ._rules import TOKEN_RE
from .compression import Decoder, get_decoder
from .errors import BadHttpMessage, BadHttpMethod, BadStatusLine, HttpProcessingError
from .events import EndOfMessage, Event, RawHeaders, RequestHead, ResponseHead

__all__ = ["PyRequestParser", "PyResponseParser", "complete_messages", "released_error"]

# _DONE: a message that closes the connection ended; later bytes are ignored
# (RFC 9112 section 9.6: no further requests are processed on that connection).
# _RELEASED: release() was called; the parser must not be used again.
_HEAD, _BODY, _DONE, _CLOSED, _RELEASED = range(5)
_Emit = Callable[[bytes], None]
# At most this many empty lines before a start line are skipped (RFC 9112 section 2.2).
_MAX_LEADING_EMPTY_LINES = 16


def complete_messages(events: list[Event], error: HttpProcessingError) -> list[Event]:
    """The events of the messages completed before ``error``; raise it if there are none."""
    for index in range(len(events) - 1, -1, -1):
        if type(events[index]) is EndOfMessage:
            del events[index + 1 :]
            return events
    try:
        raise error
    finally:
        del error  # (its traceback holds this frame: a reference cycle otherwise)


def released_error(parser: object) -> RuntimeError:
    """The error for a parser used after its ``release()``: a bug in the caller."""
    return RuntimeError(f"{type(parser).__name__} used after release()")


class _PyParser:
    """The state machine shared by the request and response parsers."""

    _what = "message head"

    def __init__(
        self,
        max_line_size: int,
        max_field_size: int,
        max_headers: int,
        lenient: bool,
        start_line: str,
    ) -> None:
        check_limits(self, max_line_size=max_line_size, max_field_size=max_field_size)
        check_limits(self, max_headers=max_headers)
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_headers = max_headers
        self.lenient = lenient
        self._buf = bytearray()
        self._state = _HEAD
        self._body: BodyReader | None = None
        self._decoder: Decoder | None = None
        self._paused = False
        self._error: HttpProcessingError | None = None
        self._switch_after_body = False
        self._close_after = False
        self._scanner = HeadScanner(
            start_line, max_line_size, max_field_size, max_headers, self._what
        )

    # -- public API ---------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True after a message that switches protocols, until :meth:`resume`."""
        return self._paused

    @property
    def trailing_data(self) -> bytes:
        """Bytes received after the message that switched protocols."""
        return bytes(self._buf) if self._paused else b""

    def resume(self) -> None:
        """Go on parsing HTTP after a declined upgrade.

        Bytes already received stay buffered: call ``feed_data(b"")`` to parse them.
        """
        self._paused = False

    @property
    def error(self) -> HttpProcessingError | None:
        """The error that stopped parsing; set even while it is held back behind the
        messages completed before it (the next ``feed_data`` call raises it)."""
        return self._error

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Parse ``data``; return the events it completes (possibly none)."""
        if self._error is not None:
            raise self._error
        if self._state >= _CLOSED:
            if self._state == _RELEASED:
                raise released_error(self)
            if data:
                raise BadHttpMessage(f"{len(data)} bytes of data received after feed_eof()")
            return []
        if self._state == _DONE:
            return []
        buf = self._buf
        buf += data
        if self._paused:
            return []
        events: list[Event] = []
        try:
            while buf:
                if self._state == _HEAD:
                    if not self._parse_head(buf, events):
                        break
                else:
                    assert self._body is not None
                    emit = events.append if self._decoder is None else self._decode_into(events)
                    if not self._body.feed(buf, emit):
                        break
                    self._end_message(events)
                if self._paused or self._state == _DONE:
                    break
        except HttpProcessingError as exc:
            self._error = exc
            self._state = _CLOSED
            return complete_messages(events, exc)
        return events

    def feed_eof(self) -> list[Event]:
        """The peer closed: end a close-delimited body, or raise for a truncated message."""
        if self._error is not None:
            raise self._error
        if self._state == _RELEASED:
            raise released_error(self)
        state, self._state = self._state, _CLOSED
        if state in (_CLOSED, _DONE) or self._paused:
            return []
        if state == _HEAD:
            if self._buf.strip(b"\r\n"):
                raise BadHttpMessage(
                    f"connection closed in the middle of the {self._what} "
                    f"after {len(self._buf)} bytes: {bytes(self._buf[:100])!r}"
                )
            return []
        assert self._body is not None
        error = self._body.eof_error()
        if error is not None:
            raise error
        events: list[Event] = []
        self._end_message(events)
        return events

    def release(self) -> None:
        """Say that the connection is done with the parser (idempotent).

        Buffered bytes and the error are dropped (a traceback holds the parser's
        frames); ``feed_data`` and ``feed_eof`` then raise :class:`RuntimeError`.
        """
        self._state = _RELEASED
        self._error = None  # (its traceback holds frames that hold this parser)
        self._buf.clear()
        self._body = self._decoder = None

    def recycle(self) -> None:
        """Say that the connection is done with the parser: :meth:`release` it (the
        llhttp-backed parsers may keep a clean one for another connection)."""
        self.release()

    def between_messages(self) -> bool:
        """True when no byte of a next message has been received (nothing buffered)."""
        return self._state == _HEAD and not self._buf and not self._paused

    # -- internals ------------------------------------------------------------

    def _decode_into(self, events: list[Event]) -> _Emit:
        decoder = self._decoder
        assert decoder is not None

        def emit(data: bytes) -> None:
            out = decoder.decompress(data)
            if out:
                events.append(out)

        return emit

    def _parse_head(self, buf: bytearray, events: list[Event]) -> bool:
        if buf[0] in (0x0D, 0x0A):
            self._skip_empty_lines(buf)
            if not buf or buf[0] == 0x0D:  # all skipped, or a CR awaiting its LF
                return False
        end, consumed, bare_lf_end = self._scanner.find_end(buf)
        if end < 0:
            self._check_start(buf)
            return False
        head = bytes(buf[:end])
        lines = split_lines(head, self.lenient, bare_lf_end, self._what)
        self._scanner.check_lines(lines)
        del buf[:consumed]
        self._scanner.reset()
        self._on_head(head, lines, events)
        return True

    def _skip_empty_lines(self, buf: bytearray) -> None:
        # Empty lines (CRLF, or a bare LF, as llhttp also allows) before a start line
        # are ignored, up to a limit; a CR must be followed by LF.
        stripped = buf.lstrip(b"\r\n")
        skipped = len(buf) - len(stripped)
        lead = bytes(buf[:skipped])
        if not stripped and lead.endswith(b"\r"):
            skipped -= 1  # a CR whose LF has not arrived yet
            lead = lead[:-1]
        if (
            lead.replace(b"\r\n", b"\n").count(b"\r")
            or lead.count(b"\n") > _MAX_LEADING_EMPTY_LINES
        ):
            raise BadHttpMessage(
                f"bare CR or too many empty lines before the start line: {lead[:40]!r}"
            )
        del buf[:skipped]
        self._scanner.reset()

    def _on_head(self, head: bytes, lines: list[bytes], events: list[Event]) -> None:
        raise NotImplementedError

    def _fields(
        self, head: bytes, lines: list[bytes], allow_obs_fold: bool
    ) -> tuple[CIMultiDictProxy[str], RawHeaders]:
        check_field_chars(head, lines, self._what)
        if not self.lenient:
            fast = fast_fields(head[len(lines[0]) + 2 :], len(lines) - 1)
            if fast is not None:
                return fast
        return build_headers(parse_fields(lines, 1, allow_obs_fold, self._what))

    def _check_start(self, buf: bytearray) -> None:
        """Reject early a start line that cannot become valid (e.g. TLS bytes on a plain port)."""

    def _end_message(self, events: list[Event]) -> None:
        trailers: CIMultiDictProxy[str] | None = None
        if self._body is not None:
            trailers = self._body.trailers
        if self._decoder is not None:
            tail = self._decoder.flush()
            if tail:
                events.append(tail)
            self._decoder = None
        events.append(EndOfMessage(trailers))
        self._body = None
        if self._state != _CLOSED:
            self._state = _HEAD
        if self._switch_after_body:
            self._switch_after_body = False
            self._paused = True
        elif self._close_after and self._state == _HEAD:
            self._state = _DONE
            self._buf.clear()


class PyRequestParser(_PyParser):
    """Parses requests received by a server.

    ``max_line_size`` bounds the request line, ``max_field_size`` each header
    or trailer line, ``max_headers`` their number; ``max_body_size`` (if set)
    bounds the body (:class:`~toolkit.http.errors.PayloadTooLarge`, 413).
    ``lenient`` accepts bare LF line endings and non-ASCII bytes in the target.
    """

    _what = "request head"

    def __init__(
        self,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_body_size: int | None = None,
        lenient: bool = False,
    ) -> None:
        super().__init__(max_line_size, max_field_size, max_headers, lenient, "request line")
        check_limits(self, max_body_size=max_body_size)
        self.max_body_size = max_body_size

    @classmethod
    def take(
        cls, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> PyRequestParser:
        """A new parser with these limits (the llhttp-backed parser may recycle one)."""
        return cls(max_line_size, max_field_size, max_headers)

    def _check_start(self, buf: bytearray) -> None:
        match = TOKEN_RE.match(buf)
        size = match.end() if match is not None else 0
        if size < len(buf) and buf[size] not in (0x20, 0x0D, 0x0A):
            line = bytes(buf[: min(len(buf), 40)])
            raise BadHttpMethod(
                line.decode("utf-8", "backslashreplace"),
                f"invalid method: byte {bytes(buf[size : size + 1])!r} at offset {size} of the "
                f"request line {line!r} is not a token character",
            )

    def _on_head(self, head: bytes, lines: list[bytes], events: list[Event]) -> None:
        method_b, target_b, version = parse_request_line(lines[0], self.lenient)
        headers, raw_headers = self._fields(head, lines, False)
        method = method_b.decode("ascii")
        framing = analyze(
            headers,
            version,
            is_request=True,
            method=method,
            lenient=self.lenient,
            max_body_size=self.max_body_size,
        )
        target = target_b.decode("utf-8", "surrogateescape")
        events.append(
            RequestHead(
                method,
                target,
                version,
                headers,
                raw_headers,
                framing.should_close,
                framing.compression,
                framing.upgrade,
                framing.chunked,
            )
        )
        self._switch_after_body = framing.upgrade
        self._close_after = framing.should_close
        if framing.chunked:
            self._body = ChunkedReader(
                max_line_size=self.max_line_size,
                max_field_size=self.max_field_size,
                max_headers=self.max_headers,
                lenient=self.lenient,
                max_body_size=self.max_body_size,
            )
        elif framing.length:
            self._body = LengthReader(framing.length)
        else:
            self._body = None
            self._end_message(events)
            return
        self._state = _BODY


class PyResponseParser(_PyParser):
    """Parses responses received by a client.

    Call :meth:`expect_response` with the method of each request sent (it
    decides whether a body follows HEAD and whether a 2xx to CONNECT switches
    protocols); without it, GET is assumed. ``decompress`` decodes the body
    of a response whose ``compression`` is set, bounded by
    ``max_decompressed_size``. ``lenient`` accepts misbehaving servers: bare LF,
    obs-fold, unknown transfer codings, Content-Length next to chunked,
    Transfer-Encoding in HTTP/1.0 (repeated Content-Length is always an error).
    """

    _what = "response head"

    def __init__(
        self,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        lenient: bool = False,
        decompress: bool = False,
        max_decompressed_size: int | None = None,
    ) -> None:
        super().__init__(max_line_size, max_field_size, max_headers, lenient, "status line")
        check_limits(self, max_decompressed_size=max_decompressed_size)
        self.decompress = decompress
        self.max_decompressed_size = max_decompressed_size
        self._methods: deque[str] = deque()

    @classmethod
    def take(
        cls,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        lenient: bool = False,
        decompress: bool = False,
        max_decompressed_size: int | None = None,
    ) -> PyResponseParser:
        """A new parser with these options (the llhttp-backed parser may recycle one)."""
        return cls(
            max_line_size, max_field_size, max_headers, lenient, decompress, max_decompressed_size
        )

    def expect_response(self, method: str) -> None:
        """Queue the method of a request sent on this connection."""
        self._methods.append(method.upper())

    def _check_start(self, buf: bytearray) -> None:
        head = bytes(buf[:5])
        if not b"HTTP/".startswith(head):
            raise BadStatusLine(
                head.decode("utf-8", "backslashreplace"),
                f"invalid status line: starts with {bytes(buf[:40])!r}, not 'HTTP/'",
            )

    def _on_head(self, head: bytes, lines: list[bytes], events: list[Event]) -> None:
        version, status, reason_b = parse_status_line(lines[0], self.lenient)
        headers, raw_headers = self._fields(head, lines, self.lenient)
        method = self._methods[0] if self._methods else "GET"
        reason = reason_b.decode("utf-8", "surrogateescape")
        if status < 200 and status != 101:
            # An interim response: no body, and the final response follows.
            events.append(
                ResponseHead(
                    version, status, reason, headers, raw_headers, False, None, False, False
                )
            )
            return
        if self._methods:
            self._methods.popleft()
        framing = analyze(headers, version, is_request=False, method=method, lenient=self.lenient)
        if status == 101 and not framing.upgrade:
            raise BadHttpMessage(
                "101 Switching Protocols response without 'Connection: upgrade' and "
                "an Upgrade header"
            )
        switch = status == 101 or (method == "CONNECT" and 200 <= status < 300)
        no_body = switch or method == "HEAD" or status in (204, 304)
        chunked = framing.chunked and not no_body
        until_close = not no_body and not chunked and framing.length is None
        events.append(
            ResponseHead(
                version,
                status,
                reason,
                headers,
                raw_headers,
                framing.should_close or until_close,
                framing.compression,
                switch,
                chunked,
            )
        )
        self._switch_after_body = switch
        self._close_after = framing.should_close or until_close
        if no_body or framing.length == 0:
            self._body = None
            self._end_message(events)
            return
        if self.decompress and framing.compression is not None:
            self._decoder = get_decoder(framing.compression, self.max_decompressed_size)
        if chunked:
            self._body = ChunkedReader(
                max_line_size=self.max_line_size,
                max_field_size=self.max_field_size,
                max_headers=self.max_headers,
                lenient=self.lenient,
            )
        elif framing.length is not None:
            self._body = LengthReader(framing.length)
        else:
            self._body = UntilCloseReader()
        self._state = _BODY
