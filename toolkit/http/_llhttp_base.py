"""State, callbacks and error translation shared by the httptools-backed parsers."""

from __future__ import annotations

from typing import Any

import httptools
from multidict import istr

from . import _rules
from ._framing import Framing
from ._head import build_headers, check_limits, parse_version, raise_line_too_long
from .compression import Decoder
from .errors import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    TooManyHeaders,
    TransferEncodingError,
)
from .events import EndOfMessage, Event, HttpVersion, HttpVersion10, HttpVersion11
from .parser import complete_messages, released_error

__all__ = [
    "CTL_RE",
    "END_OF_MESSAGE",
    "FIELD_NAMES",
    "PLAIN_FIELD_NAMES",
    "VERSIONS",
    "LLParser",
    "field_name",
    "take_spare",
    "translate",
]

CTL_RE = _rules.CTL_IN_VALUE_RE
#: The event for a message without trailers (immutable, so one instance serves all).
END_OF_MESSAGE = EndOfMessage(None)
#: ``get_http_version()`` results that need no parsing.
VERSIONS = {"1.1": HttpVersion11, "1.0": HttpVersion10}
#: Field names as received -> decoded, filled by :func:`field_name`. Names repeat from
#: message to message: looking one up costs less than decoding it, and an ``istr``
#: saves multidict from case-folding it again for each message.
FIELD_NAMES: dict[bytes, istr] = {}
#: The names of FIELD_NAMES that bear on neither the framing of a request nor its
#: connection (all but those of _FRAMING_NAMES): a head with only these needs no
#: :func:`~toolkit.http._framing.analyze` (Host aside: it must not repeat).
PLAIN_FIELD_NAMES: dict[bytes, istr] = {}
_FRAMING_NAMES = frozenset(
    ("connection", "proxy-connection", "content-length", "transfer-encoding", "content-encoding")
)
# A peer that sends ever new names stops being cached past this many names.
_FIELD_NAMES_MAX = 512
# The stock parsers keep, each in a list of its own, up to this many parsers whose
# connection ended between two messages of a kept-alive connection with nothing
# buffered: each is in the state of a keep-alive connection's parser waiting for the
# next message, so another connection can take it over (building one, with its llhttp
# parser, costs more than the rest of a connection's setup). See their recycle().
MAX_SPARES = 16


def take_spare(spares: list[Any], options: tuple[object, ...]) -> Any:
    """A parser from ``spares`` whose :meth:`LLParser._options` are ``options``; None
    if there is none (a spare made with other options is released)."""
    try:
        parser = spares.pop()
    except IndexError:  # (none, or another thread took the last one)
        return None
    if parser._options() == options:
        return parser
    parser.release()
    return None


class _Released:
    """Stands in for the llhttp parser after ``release()``: any use raises."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"parser used after release() (looked up {name!r})")


_RELEASED = _Released()


def field_name(raw: bytes) -> istr:
    """Decode a field name (ASCII; llhttp accepts only tokens) and remember it."""
    name = istr(raw.decode("ascii"))
    if len(FIELD_NAMES) < _FIELD_NAMES_MAX:
        FIELD_NAMES[raw] = name
        if name.lower() not in _FRAMING_NAMES:
            PLAIN_FIELD_NAMES[raw] = name
    return name


def translate(exc: Exception, what: str) -> HttpProcessingError:
    """Turn an llhttp error into the matching error of our tree."""
    reason = str(exc) or type(exc).__name__
    text = f"{reason} (in the {what}; reported by llhttp)"
    if isinstance(exc, httptools.HttpParserInvalidMethodError):
        return BadHttpMethod(error=f"invalid or unknown method: {text}")
    if isinstance(exc, httptools.HttpParserInvalidURLError):
        return InvalidURLError(f"invalid request target: {text}")
    if isinstance(exc, httptools.HttpParserInvalidStatusError):
        return BadStatusLine(error=f"invalid status line: {text}")
    low = reason.lower()
    if "space after start line" in low:
        return InvalidHeader("", f"obs-fold or whitespace before the first field: {text}")
    if any(word in low for word in ("http/", "dot", "version", "major", "minor")):
        return BadStatusLine(error=f"invalid HTTP version: {text}")
    if "pri/upgrade" in low:
        return BadStatusLine(
            "PRI * HTTP/2.0",
            "HTTP/2 connection preface received on an HTTP/1.1 connection",
            code=505,
        )
    if "chunk" in low:
        return TransferEncodingError(f"invalid chunked body: {text}")
    if "content-length" in low:
        return InvalidHeader("Content-Length", text)
    if "transfer-encoding" in low:
        return InvalidHeader("Transfer-Encoding", text)
    if "header" in low:
        return InvalidHeader("", text)
    if "method" in low or "status" in low or "url" in low:
        return BadStatusLine(error=f"invalid start line: {text}")
    return BadHttpMessage(text)


class LLParser:
    """State and callbacks shared by the llhttp-backed request and response parsers."""

    # Slots: the response parser has 31 attributes, one past what CPython 3.11 keeps
    # without building a dict per instance (one parser per connection).
    __slots__ = (
        "_body_bytes",
        "_bound",
        "_check_ctl",
        "_check_fields",
        "_closed",
        "_decoder",
        "_error",
        "_events",
        "_fields",
        "_framing",
        "_head_bytes",
        "_idle",
        "_in_head",
        "_in_message",
        "_kept_alive",
        "_parser",
        "_partial",
        "_paused",
        "_quick_feed",
        "_started_now",
        "_trailing",
        "lenient",
        "max_field_size",
        "max_headers",
        "max_line_size",
    )

    _what = "message head"
    _start_line = "start line"
    _parser: Any

    def __init__(
        self, max_line_size: int, max_field_size: int, max_headers: int, lenient: bool
    ) -> None:
        check_limits(self, max_line_size=max_line_size, max_field_size=max_field_size)
        check_limits(self, max_headers=max_headers)
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_headers = max_headers
        self.lenient = lenient
        self._events: list[Event] = []
        self._error: HttpProcessingError | None = None
        self._paused = False
        self._closed = False
        self._trailing = bytearray()
        self._decoder: Decoder | None = None
        self._in_message = False
        self._in_head = False
        # Whether llhttp keeps the connection alive after the last message (it waits for
        # the next one; after a message that closes, it drops what follows).
        self._kept_alive = False
        self._started_now = False
        self._partial = 0
        self._head_bytes = 0
        self._idle = 0
        # The field lines of the head; emptied when the head is complete, it then
        # collects the trailers. One list for the life of the parser.
        self._fields: list[tuple[bytes, bytes]] = []
        # llhttp itself rejects control characters in field values unless it was
        # made lenient; then our callback checks them.
        self._check_ctl = lenient
        # Whether on_header checks each field against the limits. A feed that starts
        # between messages and is shorter than this holds whole field lines too short
        # and too few to break a limit (a field line takes at least 3 bytes), and a
        # start line too short to break max_line_size.
        self._quick_feed = min(max_field_size - 2, 3 * max_headers, max_line_size)
        self._check_fields = True
        self._framing: Framing | None = None
        self._body_bytes = 0
        self._bound = max_line_size + max_headers * (max_field_size + 2) + 4

    # -- public API -------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True after a message that switches protocols, until :meth:`resume`."""
        return self._paused

    @property
    def trailing_data(self) -> bytes:
        """Bytes received after the message that switched protocols."""
        return bytes(self._trailing) if self._paused else b""

    def resume(self) -> None:
        """Go on parsing HTTP after a declined upgrade; call ``feed_data(b"")`` next."""
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
        if self._closed:
            if self._parser is _RELEASED:
                raise released_error(self)
            if data:
                raise BadHttpMessage(f"{len(data)} bytes of data received after feed_eof()")
            return []
        if self._paused:
            self._trailing += data
            return []
        if self._trailing:
            data = bytes(self._trailing) + bytes(data)
            self._trailing.clear()
        events = self._events = []
        try:
            self._feed(bytes(data) if isinstance(data, memoryview) else data)
        except HttpProcessingError as exc:
            self._error = exc
            return complete_messages(events, exc)
        return events

    def _feed_between_messages(self, data: bytes) -> list[Event]:
        """:meth:`feed_data` for the common case, with :meth:`_feed_llhttp` inline.

        The caller has checked that the feed is ``bytes`` that starts between messages
        of a parser with no error, pause, trailing bytes or upgrade pending.
        """
        events = self._events = []
        self._started_now = False
        self._check_fields = len(data) >= self._quick_feed or self._check_ctl
        try:
            try:
                self._parser.feed_data(data)
            except (httptools.HttpParserUpgrade, httptools.HttpParserError) as exc:
                self._llhttp_stopped(exc, data, True)
                return events
            if self._in_message:  # a message continues in the next feed
                if self._in_head:
                    self._check_partial_head(data)
                else:
                    self._idle = 0
        except HttpProcessingError as exc:
            self._error = exc
            return complete_messages(events, exc)
        return events

    def feed_eof(self) -> list[Event]:
        """The peer closed: end a close-delimited body, or raise for a truncated message."""
        if self._error is not None:
            raise self._error
        if self._parser is _RELEASED:
            raise released_error(self)
        closed, self._closed = self._closed, True
        if closed or self._paused or not self._in_message:
            return []
        events = self._events = []
        self._eof_in_message()
        return events

    def release(self) -> None:
        """Say that the connection is done with the parser (idempotent).

        Frees the llhttp parser, which holds this object's callbacks (a reference
        cycle that only the garbage collector could free otherwise), and drops buffered
        bytes and the error; ``feed_data`` and ``feed_eof`` then raise :class:`RuntimeError`.
        """
        self._parser = _RELEASED
        self._closed = True
        self._error = None  # (its traceback holds frames that hold this parser)
        self._in_message = self._in_head = False
        self._events = []
        self._fields = []
        self._trailing = bytearray()
        self._decoder = None

    def _options(self) -> tuple[object, ...]:
        """What a spare parser must have been made with to serve a :meth:`take` call."""
        return (self.max_line_size, self.max_field_size, self.max_headers)

    def _between_messages(self) -> bool:
        """True when the connection left nothing in the parser: it is between two
        messages of a kept-alive connection, with no error and nothing buffered."""
        return (
            self._kept_alive
            and not self._in_message
            and self._error is None
            and not self._closed
            and not self._paused
            and not self._trailing
        )

    # -- feeding -----------------------------------------------------------------

    def _feed(self, data: bytes | bytearray) -> None:
        self._feed_llhttp(data)

    def _mark(self) -> tuple[int, int, int]:
        """A value that changes whenever llhttp reports progress through a callback."""
        return len(self._events), len(self._fields), self._body_bytes

    def _twin(self) -> Any:
        """A fresh pure-Python parser in this parser's state at the start of the feed."""
        raise NotImplementedError

    def _diagnose(self, data: bytes | bytearray, error: HttpProcessingError) -> HttpProcessingError:
        """Replace llhttp's terse error with the reference parser's precise one.

        Only on the error path, and only when the feed started between messages,
        so that the pure parser sees the same messages from their first byte.
        """
        twin = self._twin()
        try:
            twin.feed_data(data)
            twin.feed_data(b"")
        except HttpProcessingError as exc:
            twin.release()  # (it holds the error, whose traceback holds it)
            return exc
        return error

    def _feed_llhttp(self, data: bytes | bytearray) -> None:
        self._started_now = False
        idle_at_start = not self._in_message
        self._check_fields = not idle_at_start or len(data) >= self._quick_feed or self._check_ctl
        # Progress only needs measuring when the feed starts inside a body: a feed
        # that starts before or in a head and ends in a body completed that head.
        in_body = not idle_at_start and not self._in_head
        mark = self._mark() if in_body else None
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserUpgrade, httptools.HttpParserError) as exc:
            self._llhttp_stopped(exc, data, idle_at_start)
            return
        if self._in_head:
            self._check_partial_head(data)
        elif self._in_message:
            # A chunk size line or trailer field that never ends: llhttp reports
            # nothing while it grows, so bound the bytes fed without any progress.
            if not in_body or self._mark() != mark:
                self._idle = 0
                return
            self._idle += len(data)
            limit = max(self.max_line_size, self.max_field_size)
            if self._idle > limit + 2:
                raise_line_too_long("chunk size line or trailer field", limit, self._idle)

    def _llhttp_stopped(self, exc: Exception, data: bytes | bytearray, idle_at_start: bool) -> None:
        """llhttp stopped: hand over after an upgrade, or raise our error for its error."""
        if isinstance(exc, httptools.HttpParserUpgrade):
            self._after_upgrade(data[exc.args[0] :])
            return
        error: BaseException
        cause = exc.__context__
        if isinstance(exc, httptools.HttpParserCallbackError) and cause is not None:
            # An error raised by one of our callbacks: ours, or a bug.
            error = cause
            error.__cause__ = None  # (as "raise ... from None")
        else:
            error = translate(exc, self._what)
            if idle_at_start:
                error = self._diagnose(data, error)
            error.__cause__ = exc
        try:
            raise error
        finally:
            # Its traceback holds this frame: a reference cycle if the frame held it.
            del error, cause, exc

    def _check_partial_head(self, data: bytes | bytearray) -> None:
        # Lines that completed were checked in the callbacks; here the line still
        # being received is bounded. The feed in which a message began is not
        # measured (llhttp does not say where in it the message began), so a
        # partial line is caught at most one feed late.
        if self._started_now:
            self._partial = 0
            self._head_bytes = 0
            return
        nl = data.rfind(b"\n")
        self._partial = self._partial + len(data) if nl < 0 else len(data) - nl - 1
        self._head_bytes += len(data)
        fields = self._fields
        if fields:
            limit, name = self.max_field_size, f"{self._what} field line {len(fields) + 1}"
        else:
            limit = max(self.max_line_size, self.max_field_size)
            name = self._start_line
        if self._partial > limit + 1:
            raise_line_too_long(name, limit, self._partial)
        if self._head_bytes > self._bound:
            raise TooManyHeaders(f"{self._what} is larger than {self._bound} bytes")

    def _after_upgrade(self, rest: bytes | bytearray) -> None:
        raise NotImplementedError

    # -- callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        # (_partial and _head_bytes are reset by _check_partial_head, _fields when
        # the previous head completed, _idle whenever a feed makes progress.)
        self._in_message = self._in_head = self._started_now = True
        self._framing = None
        self._body_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        value = value.rstrip(b" \t")
        if self._check_fields:
            self._check_field(name, value, len(self._fields))
        self._fields.append((name, value))

    def _check_field(self, name: bytes, value: bytes, count: int) -> None:
        """Raise for a field line that breaks a rule or a limit."""
        if self._check_ctl and CTL_RE.search(value) is not None:
            raise InvalidHeader(name, f"control character in the value of field {name!r}")
        if len(name) + len(value) + 2 > self.max_field_size:
            raise_line_too_long(
                f"{self._what} field {name.decode('ascii', 'replace')!r}",
                self.max_field_size,
                len(name) + len(value) + 2,
            )
        if count >= self.max_headers:
            if self._in_head:
                raise TooManyHeaders(f"{self._what} has more than {self.max_headers} fields")
            raise TooManyHeaders(f"trailer section has more than {self.max_headers} fields")

    def _take_fields(self) -> list[tuple[bytes, bytes]]:
        """The head is complete: return its field lines; later ones are trailers."""
        self._in_head = False
        fields = self._fields
        self._fields = []
        return fields

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        self._check_body_size()
        if self._decoder is not None:
            body = self._decoder.decompress(body)
            if not body:
                return
        self._events.append(body)

    def _check_body_size(self) -> None:
        pass

    def on_message_complete(self) -> None:
        self._in_message = False
        self._in_head = False
        events = self._events
        if self._decoder is not None:
            tail = self._decoder.flush()
            self._decoder = None
            if tail:
                events.append(tail)
        trailers = self._fields
        if trailers:
            self._fields = []
            events.append(EndOfMessage(build_headers(trailers)[0]))
        else:
            events.append(END_OF_MESSAGE)

    def _version(self) -> HttpVersion:
        text = self._parser.get_http_version()
        version = VERSIONS.get(text)
        if version is not None:
            return version
        raw = b"HTTP/" + text.encode("ascii")
        return parse_version(raw, raw)

    def _eof_in_message(self) -> None:
        framing = self._framing
        if self._in_head or framing is None:
            raise BadHttpMessage(f"connection closed in the middle of the {self._what}")
        if framing.chunked:
            raise TransferEncodingError(
                "Not enough data to satisfy transfer length header: the chunked body "
                f"ended after {self._body_bytes} bytes, before the last chunk"
            )
        if framing.length is not None:
            raise ContentLengthError(
                f"Not enough data to satisfy content length header: the body ended after "
                f"{self._body_bytes} of the {framing.length} bytes announced by Content-Length"
            )
        self.on_message_complete()
