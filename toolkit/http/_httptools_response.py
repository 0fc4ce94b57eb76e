"""The llhttp-backed response parser (see :mod:`toolkit.http._httptools`).

Responses to HEAD and CONNECT cannot be framed by llhttp (it does not know the
request method), so while one of those is expected the parser hands the bytes to the
pure-Python parser.
"""

from __future__ import annotations

from collections import deque

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

from ._framing import analyze, plain_response_framing
from ._head import check_limits, raise_line_too_long
from ._llhttp_base import (
    CTL_RE,
    END_OF_MESSAGE,
    FIELD_NAMES,
    MAX_SPARES,
    VERSIONS,
    LLParser,
    field_name,
    take_spare,
)
from .compression import get_decoder
from .errors import BadHttpMessage, BadStatusLine
from .events import Event, ResponseHead
from .parser import PyResponseParser

__all__ = ["HttptoolsResponseParser"]

_new_tuple = tuple.__new__
# Reason phrases as str without checking and decoding them each time.
_REASONS = {
    r.encode("ascii"): r
    for r in ("OK", "Created", "Accepted", "No Content", "Not Modified", "Not Found", "")
}


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
        check_limits(self, max_decompressed_size=max_decompressed_size)
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

    @classmethod
    def take(
        cls,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        lenient: bool = False,
        decompress: bool = False,
        max_decompressed_size: int | None = None,
    ) -> HttptoolsResponseParser:
        """A parser with these options: one that :meth:`recycle` kept, else a new one."""
        if cls is HttptoolsResponseParser and not lenient and _RESPONSE_SPARES:
            limits = (max_line_size, max_field_size, max_headers)
            spare = take_spare(_RESPONSE_SPARES, (*limits, decompress, max_decompressed_size))
            if spare is not None:
                return spare  # type: ignore[no-any-return]
        return cls(
            max_line_size, max_field_size, max_headers, lenient, decompress, max_decompressed_size
        )

    def recycle(self) -> None:
        """Say that the connection is done with the parser, as :meth:`release` does;
        the caller must not use it again (see :meth:`HttptoolsRequestParser.recycle`)."""
        if (
            self._between_messages()
            and not self._methods
            and self._pure is None
            and self._decoder is None
            and not self._interim
            and not self.lenient
            and type(self) is HttptoolsResponseParser
            and len(_RESPONSE_SPARES) < MAX_SPARES
        ):
            _RESPONSE_SPARES.append(self)
        else:
            self.release()

    def _options(self) -> tuple[object, ...]:
        return (*super()._options(), self.decompress, self.max_decompressed_size)

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
        self._kept_alive = parser.should_keep_alive()
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


_RESPONSE_SPARES: list[HttptoolsResponseParser] = []  # (see MAX_SPARES)
