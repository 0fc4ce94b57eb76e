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

import httptools
from multidict import CIMultiDict, CIMultiDictProxy, istr

from ._body import ChunkedReader, LengthReader
from ._framing import (
    CONNECTION,
    CONTENT_ENCODING,
    CONTENT_LENGTH,
    HOST,
    TRANSFER_ENCODING,
    Framing,
    analyze,
    plain_response_framing,
)
from ._head import raise_line_too_long, validate_target
from ._llhttp_base import (
    CTL_RE,
    END_OF_MESSAGE,
    FIELD_NAMES,
    PLAIN_FIELD_NAMES,
    VERSIONS,
    LLParser,
    field_name,
)
from .compression import get_decoder
from .errors import BadHttpMessage, BadStatusLine, PayloadTooLarge
from .events import EndOfMessage, Event, HttpVersion11, RequestHead, ResponseHead
from .parser import PyRequestParser, PyResponseParser

__all__ = ["HttptoolsRequestParser", "HttptoolsResponseParser"]

_new_tuple = tuple.__new__
# Reason phrases as str without checking and decoding them each time.
_REASONS = {
    r.encode("ascii"): r
    for r in ("OK", "Created", "Accepted", "No Content", "Not Modified", "Not Found", "")
}
# The framing of a keep-alive HTTP/1.1 request without a body.
_PLAIN = Framing(False, None, False, False, None, False)
# llhttp reads Proxy-Connection like Connection.
_PROXY_CONNECTION = istr("Proxy-Connection")
# Method names as str without decoding them each time.
_METHODS = {
    m.encode("ascii"): m
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")
}


# Request parsers whose connection ended between two messages of a kept-alive
# connection, with nothing buffered: each is in the state of a keep-alive connection's
# parser waiting for the next request, so another connection can take it over
# (building one, with its llhttp parser, costs more than the rest of a connection's
# setup). See HttptoolsRequestParser.take() and recycle().
_SPARES: list[HttptoolsRequestParser] = []
_MAX_SPARES = 16


class HttptoolsRequestParser(LLParser):
    """Parses requests with llhttp; same interface and rules as :class:`PyRequestParser`."""

    __slots__ = ("_kept_alive", "_upgrade_reader", "_url", "max_body_size")

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
        self._url = b""
        self._upgrade_reader: ChunkedReader | LengthReader | None = None
        # Whether llhttp keeps the connection alive after the last message (it asks
        # for more once it has ended; after a message that closes, it drops input).
        self._kept_alive = False
        self._parser = httptools.HttpRequestParser(self)
        # Bytes after a message that closes the connection are ignored rather than
        # an error, as in the pure parser (RFC 9112 section 9.6).
        self._parser.set_dangerous_leniencies(lenient_data_after_close=True)
        if lenient:
            # (httptools 0.6-0.9 needs both flags for a bare LF after the request line.)
            self._parser.set_dangerous_leniencies(
                lenient_optional_cr_before_lf=True, lenient_optional_lf_after_cr=True
            )

    @classmethod
    def take(
        cls, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> HttptoolsRequestParser:
        """A parser with these limits: one that :meth:`recycle` kept, else a new one."""
        if cls is HttptoolsRequestParser:
            try:
                parser = _SPARES.pop()
            except IndexError:  # (none; or another thread took the last one)
                pass
            else:
                if (
                    parser.max_line_size == max_line_size
                    and parser.max_field_size == max_field_size
                    and parser.max_headers == max_headers
                ):
                    return parser
                parser.release()
        return cls(max_line_size, max_field_size, max_headers)

    def recycle(self) -> None:
        """Say that the connection is done with the parser, as :meth:`release` does;
        the caller must not use it again.

        A parser between two messages of a kept-alive connection, with nothing
        buffered and no error, is kept for :meth:`take` (a few at most); any other
        is released.
        """
        if (
            self._kept_alive
            and not self._in_message
            and self._error is None
            and not self._closed
            and not self._paused
            and not self._trailing
            and self._upgrade_reader is None
            and type(self) is HttptoolsRequestParser
            and not self.lenient
            and self.max_body_size is None
            and len(_SPARES) < _MAX_SPARES
        ):
            _SPARES.append(self)
        else:
            self.release()

    def _twin(self) -> PyRequestParser:
        return PyRequestParser(
            self.max_line_size,
            self.max_field_size,
            self.max_headers,
            self.max_body_size,
            self.lenient,
        )

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Parse ``data``; return the events it completes (possibly none)."""
        if (
            self._in_message
            or type(data) is not bytes
            or self._error is not None
            or self._closed
            or self._paused
            or self._trailing
            or self._upgrade_reader is not None
        ):
            return super().feed_data(data)
        return self._feed_between_messages(data)

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_message_complete(self) -> None:
        # LLParser.on_message_complete without the decoder (requests have none).
        self._in_message = False
        if self._fields:
            super().on_message_complete()
        else:
            self._events.append(END_OF_MESSAGE)

    def _check_body_size(self) -> None:
        if self.max_body_size is not None and self._body_bytes > self.max_body_size:
            raise PayloadTooLarge(
                f"chunked request body is larger than max_body_size={self.max_body_size} "
                f"(at least {self._body_bytes} bytes)"
            )

    def on_headers_complete(self) -> None:
        raw = self._fields
        self._fields = []  # for the trailers
        self._in_head = False
        parser = self._parser
        method_b: bytes = parser.get_method()
        target_b = self._url
        self._url = b""
        # A loop rather than a list comprehension: no extra frame (Python < 3.12).
        plain_names = PLAIN_FIELD_NAMES
        fields = []
        only_plain = True  # no field with a say in framing or the connection
        for n, v in raw:
            name = plain_names.get(n)
            if name is None:
                name = FIELD_NAMES.get(n) or field_name(n)
                only_plain = False
            fields.append((name, v.decode("utf-8", "surrogateescape")))
        headers = CIMultiDictProxy(CIMultiDict(fields))
        self._kept_alive = kept_alive = parser.should_keep_alive()
        if kept_alive and (
            only_plain or (CONNECTION not in headers and _PROXY_CONNECTION not in headers)
        ):
            # Keep-alive without a connection option is HTTP/1.1: the one version with
            # a nonzero minor that llhttp accepts. get_http_version() costs a format().
            version = HttpVersion11
            plain = True
        else:
            version = VERSIONS.get(parser.get_http_version()) or self._version()
            plain = False
        if self._check_fields:  # (else the feed was too short to break the limit)
            line_len = len(method_b) + len(target_b) + 10
            if line_len > self.max_line_size:
                raise_line_too_long("request line", self.max_line_size, line_len)
        # llhttp accepts only VCHAR in an origin-form target (checked in its tests):
        # the other forms, and CONNECT, need our rules.
        if target_b[:1] != b"/" or method_b == b"CONNECT":
            validate_target(method_b, target_b, self.lenient)
        method = _METHODS.get(method_b) or method_b.decode("ascii")
        if (
            plain
            and (
                only_plain
                or (
                    CONTENT_LENGTH not in headers
                    and TRANSFER_ENCODING not in headers
                    and CONTENT_ENCODING not in headers
                )
            )
            and method != "CONNECT"
            and (len(raw) < 2 or len(headers.getall(HOST, ())) < 2)
        ):
            framing = _PLAIN  # what analyze() gives, without the call
        else:
            framing = analyze(
                headers,
                version,
                is_request=True,
                method=method,
                lenient=self.lenient,
                max_body_size=self.max_body_size,
            )
        self._framing = framing
        target = target_b.decode("utf-8", "surrogateescape")
        head: tuple[object, ...]
        if framing is _PLAIN:  # (its fields as constants: no attribute reads)
            head = (method, target, version, headers, tuple(raw), False, None, False, False)
        else:
            head = (
                method,
                target,
                version,
                headers,
                tuple(raw),
                framing.should_close,
                framing.compression,
                framing.upgrade,
                framing.chunked,
            )
        self._events.append(_new_tuple(RequestHead, head))

    def _after_upgrade(self, rest: bytes | bytearray) -> None:
        # llhttp stops right after the head of an upgrade or CONNECT request;
        # read a body it may announce ourselves, then pause.
        self._kept_alive = False  # (a parser that stopped for a switch is not recycled)
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


class HttptoolsResponseParser(LLParser):
    """Parses responses with llhttp; same interface and rules as :class:`PyResponseParser`."""

    __slots__ = (
        "_interim",
        "_methods",
        "_methods_at_start",
        "_pure",
        "_reason",
        "decompress",
        "max_decompressed_size",
    )

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
        self._reason = b""
        self._interim = False
        self._pure: PyResponseParser | None = None
        self._methods_at_start: tuple[str, ...] = ()
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

    def release(self) -> None:
        """Say that the connection is done with the parser (see :meth:`LLParser.release`)."""
        super().release()
        if self._pure is not None:
            self._pure.release()
            self._pure = None

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

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Parse ``data``; return the events it completes (possibly none)."""
        methods = self._methods
        if (
            self._in_message
            or type(data) is not bytes
            or self._error is not None
            or self._closed
            or self._paused
            or self._trailing
            or self._pure is not None
            or "HEAD" in methods
            or "CONNECT" in methods
        ):
            return super().feed_data(data)
        # The common case: a feed that starts between messages, llhttp framing.
        self._methods_at_start = tuple(methods)
        return self._feed_between_messages(data)

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
                if pure.between_messages() and not self._needs_pure():
                    self._pure = None
                return
            if not self._needs_pure():
                self._feed_llhttp(data)
                return
            if not self._in_message:
                self._pure = self._make_pure()
                continue
            # Finish the message llhttp is in without letting it read past its end,
            # then switch: the known rest of a Content-Length body at once, other
            # parts (head, chunked framing) one byte at a time.
            while data:
                step = self._safe_step()
                self._feed_llhttp(data[:step])
                data = data[step:]
                if not self._in_message or self._paused:
                    break
            else:
                return
            if self._paused:
                self._trailing += data
                return

    def _safe_step(self) -> int:
        """How many bytes llhttp can take without passing the end of its message."""
        framing = self._framing
        if self._in_head or framing is None or framing.chunked or framing.length is None:
            return 1
        return max(framing.length - self._body_bytes, 1)

    def _twin(self) -> PyResponseParser:
        twin = self._make_pure()
        twin._methods = deque(self._methods_at_start)
        return twin

    def _feed_llhttp(self, data: bytes | bytearray) -> None:
        self._methods_at_start = tuple(self._methods)
        super()._feed_llhttp(data)

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

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_headers_complete(self) -> None:
        raw = self._fields
        self._fields = []  # for the trailers
        self._in_head = False
        parser = self._parser
        version = VERSIONS.get(parser.get_http_version()) or self._version()
        status: int = parser.get_status_code()
        reason_b = self._reason
        self._reason = b""
        if not 100 <= status <= 999:
            raise BadStatusLine(error=f"invalid status code {status}: must be 100-999")
        reason = _REASONS.get(reason_b)
        if reason is None:
            if CTL_RE.search(reason_b) is not None:
                raise BadStatusLine(error=f"control character in reason phrase {reason_b!r}")
            reason = reason_b.decode("utf-8", "surrogateescape")
        line_len = len(reason_b) + 13
        if line_len > self.max_line_size:
            raise_line_too_long("status line", self.max_line_size, line_len)
        # (build_headers() inline)
        # A loop rather than a list comprehension: no extra frame (Python < 3.12).
        names = FIELD_NAMES
        fields = []
        for n, v in raw:
            fields.append((names.get(n) or field_name(n), v.decode("utf-8", "surrogateescape")))
        headers = CIMultiDictProxy(CIMultiDict(fields))
        raw_headers = tuple(raw)
        if status < 200 and status != 101:
            self._interim = True
            self._events.append(
                _new_tuple(
                    ResponseHead,
                    (version, status, reason, headers, raw_headers, False, None, False, False),
                )
            )
            return
        self._interim = False
        method = self._methods.popleft() if self._methods else "GET"
        no_body = status in (101, 204, 304)
        framing = None if no_body else plain_response_framing(headers, version)
        if framing is None:
            framing = analyze(
                headers, version, is_request=False, method=method, lenient=self.lenient
            )
            if status == 101 and not framing.upgrade:
                raise BadHttpMessage(
                    "101 Switching Protocols response without 'Connection: upgrade' and "
                    "an Upgrade header"
                )
            if no_body:
                framing = framing._replace(length=0, chunked=False)
        chunked = framing.chunked and not no_body
        until_close = not no_body and not chunked and framing.length is None
        self._framing = framing
        self._events.append(
            _new_tuple(
                ResponseHead,
                (
                    version,
                    status,
                    reason,
                    headers,
                    raw_headers,
                    framing.should_close or until_close,
                    framing.compression,
                    status == 101,
                    chunked,
                ),
            )
        )
        if (
            self.decompress
            and framing.compression is not None
            and not no_body
            and framing.length != 0
        ):
            self._decoder = get_decoder(framing.compression, self.max_decompressed_size)

    def on_body(self, body: bytes) -> None:
        # LLParser.on_body without the body size check (responses have none).
        self._body_bytes += len(body)
        decoder = self._decoder
        if decoder is not None:
            body = decoder.decompress(body)
            if not body:
                return
        self._events.append(body)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            self._in_message = False
            return
        if self._decoder is None and not self._fields:
            # LLParser.on_message_complete for a message without coding or trailers.
            self._in_message = False
            self._in_head = False
            self._events.append(END_OF_MESSAGE)
            return
        super().on_message_complete()

    def _after_upgrade(self, rest: bytes | bytearray) -> None:
        self._in_message = False
        self._paused = True
        self._trailing = bytearray(rest)
