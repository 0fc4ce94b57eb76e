"""HTTP/1.1 parsers backed by httptools (llhttp), with the pure parser's interface and rules.

llhttp does the byte-level work; the callbacks here add the checks where llhttp
is more lenient than our rules (target characters, header values, version,
framing via :func:`toolkit.http._framing.analyze`, size limits), so both
backends accept and reject the same messages and produce the same events.

Known differences: llhttp only knows its fixed set of method names (others
raise :class:`BadHttpMethod`), and it reports errors without a byte offset.
Responses to HEAD and CONNECT cannot be framed by llhttp (it does not know the
request method), so while one of those is expected the response parser hands
the bytes to the pure-Python parser.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import httptools

from . import _rules
from ._body import ChunkedReader, LengthReader
from ._framing import Framing, analyze
from ._head import build_headers, parse_version, raise_line_too_long, validate_target
from .compression import Decoder, get_decoder
from .errors import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    PayloadTooLarge,
    TooManyHeaders,
    TransferEncodingError,
)
from .events import EndOfMessage, Event, HttpVersion, RequestHead, ResponseHead
from .parser import PyResponseParser

__all__ = ["HttptoolsRequestParser", "HttptoolsResponseParser"]

_CTL_RE = _rules.CTL_IN_VALUE_RE


def _translate(exc: Exception, what: str) -> HttpProcessingError:
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
        return InvalidHeader(b"", f"obs-fold or whitespace before the first field: {text}")
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
        return InvalidHeader(b"", text)
    if "version" in low or "method" in low or "status" in low or "url" in low:
        return BadStatusLine(error=f"invalid start line: {text}")
    return BadHttpMessage(text)


class _LLParser:
    """State and callbacks shared by the llhttp-backed request and response parsers."""

    _what = "message head"
    _start_line = "start line"
    _parser: Any

    def __init__(
        self, max_line_size: int, max_field_size: int, max_headers: int, lenient: bool
    ) -> None:
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
        self._started_now = False
        self._partial = 0
        self._head_bytes = 0
        self._raw: list[tuple[bytes, bytes]] = []
        self._trailers: list[tuple[bytes, bytes]] | None = None
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

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Parse ``data``; return the events it completes (possibly none)."""
        if self._error is not None:
            raise self._error
        if self._closed:
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
            raise
        return events

    def feed_eof(self) -> list[Event]:
        """The peer closed: end a close-delimited body, or raise for a truncated message."""
        if self._error is not None:
            raise self._error
        closed, self._closed = self._closed, True
        if closed or self._paused or not self._in_message:
            return []
        events = self._events = []
        self._eof_in_message()
        return events

    # -- feeding -----------------------------------------------------------------

    def _feed(self, data: bytes | bytearray) -> None:
        self._feed_llhttp(data)

    def _feed_llhttp(self, data: bytes | bytearray) -> None:
        self._started_now = False
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            self._after_upgrade(data[exc.args[0] :])
            return
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            if isinstance(exc, httptools.HttpParserCallbackError) and cause is not None:
                # An error raised by one of our callbacks: ours, or a bug.
                raise cause.with_traceback(cause.__traceback__) from None
            raise _translate(exc, self._what) from exc
        if self._in_head:
            self._check_partial_head(data)

    def _check_partial_head(self, data: bytes | bytearray) -> None:
        # Lines that completed were checked in the callbacks; here the line still
        # being received is bounded. The feed in which a message began is not
        # measured (llhttp does not say where in it the message began), so a
        # partial line is caught at most one feed late.
        if self._started_now:
            self._partial = 0
            return
        nl = data.rfind(b"\n")
        self._partial = self._partial + len(data) if nl < 0 else len(data) - nl - 1
        self._head_bytes += len(data)
        if self._raw:
            limit, name = self.max_field_size, f"{self._what} field line {len(self._raw) + 1}"
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
        self._in_message = True
        self._in_head = True
        self._started_now = True
        self._partial = 0
        self._head_bytes = 0
        self._raw = []
        self._trailers = None
        self._framing = None
        self._body_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        value = value.rstrip(b" \t")
        if _CTL_RE.search(value) is not None:
            raise InvalidHeader(name, f"control character in the value of field {name!r}")
        if len(name) + len(value) + 2 > self.max_field_size:
            raise_line_too_long(
                f"{self._what} field {name.decode('ascii', 'replace')!r}",
                self.max_field_size,
                len(name) + len(value) + 2,
            )
        if self._in_head:
            raw = self._raw
            if len(raw) >= self.max_headers:
                raise TooManyHeaders(f"{self._what} has more than {self.max_headers} fields")
            raw.append((name, value))
        else:
            if self._trailers is None:
                self._trailers = []
            if len(self._trailers) >= self.max_headers:
                raise TooManyHeaders(f"trailer section has more than {self.max_headers} fields")
            self._trailers.append((name, value))

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
        trailers = build_headers(self._trailers)[0] if self._trailers else None
        events.append(EndOfMessage(trailers))

    def _version(self) -> HttpVersion:
        text = self._parser.get_http_version().encode("ascii")
        return parse_version(b"HTTP/" + text, b"HTTP/" + text)

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


class HttptoolsRequestParser(_LLParser):
    """Parses requests with llhttp; same interface and rules as :class:`PyRequestParser`."""

    _what = "request head"
    _start_line = "request line"

    def __init__(
        self,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_body_size: int | None = None,
        lenient: bool = False,
    ) -> None:
        super().__init__(max_line_size, max_field_size, max_headers, lenient)
        self.max_body_size = max_body_size
        self._url: list[bytes] = []
        self._upgrade_reader: ChunkedReader | LengthReader | None = None
        self._parser = httptools.HttpRequestParser(self)
        # Bytes after a message that closes the connection are parsed like the pure
        # parser does; the connection owner decides to close by ``should_close``.
        self._parser.set_dangerous_leniencies(lenient_data_after_close=True)
        if lenient:
            # (httptools 0.6-0.9 needs both flags for a bare LF after the request line.)
            self._parser.set_dangerous_leniencies(
                lenient_optional_cr_before_lf=True, lenient_optional_lf_after_cr=True
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url = []

    def on_url(self, url: bytes) -> None:
        self._url.append(url)

    def _check_body_size(self) -> None:
        if self.max_body_size is not None and self._body_bytes > self.max_body_size:
            raise PayloadTooLarge(
                f"chunked request body is larger than max_body_size={self.max_body_size} "
                f"(at least {self._body_bytes} bytes)"
            )

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_complete()

    def _head_complete(self) -> None:
        method_b: bytes = self._parser.get_method()
        target_b = b"".join(self._url)
        version = self._version()
        line_len = len(method_b) + len(target_b) + 10
        if line_len > self.max_line_size:
            raise_line_too_long("request line", self.max_line_size, line_len)
        validate_target(method_b, target_b, self.lenient)
        headers, raw_headers = build_headers(self._raw)
        method = method_b.decode("ascii")
        framing = analyze(
            headers,
            version,
            is_request=True,
            method=method,
            lenient=self.lenient,
            max_body_size=self.max_body_size,
        )
        self._framing = framing
        self._events.append(
            RequestHead(
                method,
                target_b.decode("utf-8", "surrogateescape"),
                version,
                headers,
                raw_headers,
                framing.should_close,
                framing.compression,
                framing.upgrade,
                framing.chunked,
            )
        )

    def _after_upgrade(self, rest: bytes | bytearray) -> None:
        # llhttp stops right after the head of an upgrade or CONNECT request;
        # read a body it may announce ourselves, then pause.
        framing = self._framing
        assert framing is not None
        events = self._events
        if events and isinstance(events[-1], EndOfMessage):
            events.pop()
        buf = bytearray(rest)
        reader: ChunkedReader | LengthReader | None = None
        if framing.chunked:
            reader = ChunkedReader(
                max_line_size=self.max_line_size,
                max_field_size=self.max_field_size,
                max_headers=self.max_headers,
                lenient=self.lenient,
                max_body_size=self.max_body_size,
            )
        elif framing.length:
            reader = LengthReader(framing.length)
        if reader is not None and not reader.feed(buf, events.append):
            # The rest of the body has not arrived: keep parsing it as it comes.
            self._upgrade_reader = reader
            self._in_message = True
            return
        self._finish_upgrade(reader, buf)

    def _feed(self, data: bytes | bytearray) -> None:
        reader = self._upgrade_reader
        if reader is None:
            self._feed_llhttp(data)
            return
        buf = bytearray(data)
        if reader.feed(buf, self._events.append):
            self._upgrade_reader = None
            self._finish_upgrade(reader, buf)

    def _finish_upgrade(self, reader: ChunkedReader | LengthReader | None, buf: bytearray) -> None:
        trailers = reader.trailers if reader is not None else None
        self._events.append(EndOfMessage(trailers))
        self._in_message = False
        self._paused = True
        self._trailing = buf

    def _eof_in_message(self) -> None:
        reader = self._upgrade_reader
        if reader is not None:
            error = reader.eof_error()
            assert error is not None
            raise error
        super()._eof_in_message()


class HttptoolsResponseParser(_LLParser):
    """Parses responses with llhttp; same interface and rules as :class:`PyResponseParser`."""

    _what = "response head"
    _start_line = "status line"

    def __init__(
        self,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        lenient: bool = False,
        decompress: bool = False,
        max_decompressed_size: int | None = None,
    ) -> None:
        super().__init__(max_line_size, max_field_size, max_headers, lenient)
        self.decompress = decompress
        self.max_decompressed_size = max_decompressed_size
        self._methods: deque[str] = deque()
        self._reason: list[bytes] = []
        self._interim = False
        self._pure: PyResponseParser | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._parser.set_dangerous_leniencies(lenient_data_after_close=True)
        if lenient:
            self._parser.set_dangerous_leniencies(
                lenient_optional_cr_before_lf=True,
                lenient_optional_lf_after_cr=True,
                lenient_headers=True,
                lenient_chunked_length=True,
                lenient_transfer_encoding=True,
            )

    def expect_response(self, method: str) -> None:
        """Queue the method of a request sent on this connection."""
        self._methods.append(method.upper())

    @property
    def paused(self) -> bool:
        """True after a message that switches protocols, until :meth:`resume`."""
        return self._pure.paused if self._pure is not None else self._paused

    @property
    def trailing_data(self) -> bytes:
        """Bytes received after the message that switched protocols."""
        return self._pure.trailing_data if self._pure is not None else super().trailing_data

    def resume(self) -> None:
        """Go on parsing HTTP; call ``feed_data(b"")`` next."""
        if self._pure is not None:
            self._pure.resume()
        self._paused = False

    def feed_eof(self) -> list[Event]:
        """The peer closed: end a close-delimited body, or raise for a truncated message."""
        if self._pure is not None and self._error is None:
            self._closed = True
            return self._pure.feed_eof()
        return super().feed_eof()

    def _needs_pure(self) -> bool:
        return "HEAD" in self._methods or "CONNECT" in self._methods

    def _feed(self, data: bytes | bytearray) -> None:
        # Pure-parser delegation for HEAD/CONNECT, llhttp otherwise.
        while True:
            pure = self._pure
            if pure is not None:
                self._events.extend(pure.feed_data(data))
                if (
                    not pure._buf
                    and pure._state == 0
                    and not pure.paused
                    and not (self._needs_pure())
                ):
                    self._pure = None
                return
            if not self._needs_pure():
                self._feed_llhttp(data)
                return
            if not self._in_message:
                self._pure = self._make_pure()
                continue
            # Finish the message llhttp is in one byte at a time, then switch.
            for i in range(len(data)):
                self._feed_llhttp(data[i : i + 1])
                if not self._in_message or self._paused:
                    data = data[i + 1 :]
                    break
            else:
                return
            if self._paused:
                self._trailing += data
                return

    def _make_pure(self) -> PyResponseParser:
        pure = PyResponseParser(
            self.max_line_size,
            self.max_field_size,
            self.max_headers,
            self.lenient,
            self.decompress,
            self.max_decompressed_size,
        )
        pure._methods = self._methods
        return pure

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reason = []

    def on_status(self, reason: bytes) -> None:
        self._reason.append(reason)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_complete()

    def _head_complete(self) -> None:
        version = self._version()
        status: int = self._parser.get_status_code()
        reason_b = b"".join(self._reason)
        if not 100 <= status <= 999:
            raise BadStatusLine(error=f"invalid status code {status}: must be 100-999")
        if _CTL_RE.search(reason_b) is not None:
            raise BadStatusLine(error=f"control character in reason phrase {reason_b!r}")
        line_len = len(reason_b) + 13
        if line_len > self.max_line_size:
            raise_line_too_long("status line", self.max_line_size, line_len)
        headers, raw_headers = build_headers(self._raw)
        reason = reason_b.decode("utf-8", "surrogateescape")
        if status < 200 and status != 101:
            self._interim = True
            self._events.append(
                ResponseHead(
                    version, status, reason, headers, raw_headers, False, None, False, False
                )
            )
            return
        self._interim = False
        method = self._methods.popleft() if self._methods else "GET"
        framing = analyze(headers, version, is_request=False, method=method, lenient=self.lenient)
        if status == 101 and not framing.upgrade:
            raise BadHttpMessage(
                "101 Switching Protocols response without 'Connection: upgrade' and "
                "an Upgrade header"
            )
        no_body = status in (101, 204, 304)
        chunked = framing.chunked and not no_body
        until_close = not no_body and not chunked and framing.length is None
        if no_body:
            framing = framing._replace(length=0, chunked=False)
        self._framing = framing
        self._events.append(
            ResponseHead(
                version,
                status,
                reason,
                headers,
                raw_headers,
                framing.should_close or until_close,
                framing.compression,
                status == 101,
                chunked,
            )
        )
        if (
            self.decompress
            and framing.compression is not None
            and not no_body
            and framing.length != 0
        ):
            self._decoder = get_decoder(framing.compression, self.max_decompressed_size)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            self._in_message = False
            return
        super().on_message_complete()

    def _after_upgrade(self, rest: bytes | bytearray) -> None:
        self._in_message = False
        self._paused = True
        self._trailing = bytearray(rest)
