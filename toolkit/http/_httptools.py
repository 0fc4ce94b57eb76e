"""HTTP/1.1 parsers backed by httptools (llhttp), with the pure parser's interface and rules.

llhttp does the byte-level work; the callbacks here add the checks where llhttp
is more lenient than our rules (target characters, header values, version,
framing via :func:`toolkit.http._framing.analyze`, size limits), so both
backends accept and reject the same messages and produce the same events.

Known differences: llhttp only knows its fixed set of method names (others
raise :class:`BadHttpMethod`), and it reports errors without a byte offset.
The response parser lives in :mod:`toolkit.http._httptools_response` (imported here).
"""

from __future__ import annotations

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
)
from ._head import check_limits, raise_line_too_long, validate_target
from ._httptools_response import HttptoolsResponseParser
from ._llhttp_base import (
    END_OF_MESSAGE,
    FIELD_NAMES,
    MAX_SPARES,
    PLAIN_FIELD_NAMES,
    VERSIONS,
    LLParser,
    field_name,
    take_spare,
)
from .errors import PayloadTooLarge
from .events import EndOfMessage, Event, HttpVersion11, RequestHead
from .parser import PyRequestParser

__all__ = ["HttptoolsRequestParser", "HttptoolsResponseParser"]

_new_tuple = tuple.__new__
# The framing of a keep-alive HTTP/1.1 request without a body.
_PLAIN = Framing(False, None, False, False, None, False)
# llhttp reads Proxy-Connection like Connection.
_PROXY_CONNECTION = istr("Proxy-Connection")
# Method names as str without decoding them each time.
_METHODS = {
    m.encode("ascii"): m
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")
}


class HttptoolsRequestParser(LLParser):
    """Parses requests with llhttp; same interface and rules as :class:`PyRequestParser`."""

    __slots__ = ("_upgrade_reader", "_url", "max_body_size")

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
        check_limits(self, max_body_size=max_body_size)
        self.max_body_size = max_body_size
        self._url = b""
        self._upgrade_reader: ChunkedReader | LengthReader | None = None
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
        if cls is HttptoolsRequestParser and _REQUEST_SPARES:
            spare = take_spare(_REQUEST_SPARES, (max_line_size, max_field_size, max_headers))
            if spare is not None:
                return spare  # type: ignore[no-any-return]
        return cls(max_line_size, max_field_size, max_headers)

    def recycle(self) -> None:
        """Say that the connection is done with the parser, as :meth:`release` does;
        the caller must not use it again.

        A parser clean between two messages of a kept-alive connection is kept for
        another connection (:meth:`take`, a few at most); any other is released.
        """
        if (
            self._between_messages()
            and self._upgrade_reader is None
            and not self.lenient
            and self.max_body_size is None
            and type(self) is HttptoolsRequestParser
            and len(_REQUEST_SPARES) < MAX_SPARES
        ):
            _REQUEST_SPARES.append(self)
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


_REQUEST_SPARES: list[HttptoolsRequestParser] = []  # (see MAX_SPARES)
