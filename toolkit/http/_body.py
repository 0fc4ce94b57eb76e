"""Body readers for the pure-Python parser: Content-Length, chunked, until close.

Each reader consumes bytes from the front of the parser's buffer and appends
body ``bytes`` to a list through the parser's ``emit`` callback. ``feed``
returns True once the body is complete.
"""

from __future__ import annotations

from collections.abc import Callable

from multidict import CIMultiDictProxy

from .._lazy import lazy_pattern
from ._head import (
    HeadScanner,
    build_headers,
    check_field_chars,
    parse_fields,
    raise_line_too_long,
    split_lines,
)
from .errors import (
    BadHttpMessage,
    ContentLengthError,
    HttpProcessingError,
    LineTooLong,
    PayloadTooLarge,
    TooManyHeaders,
    TransferEncodingError,
)

__all__ = ["BodyReader", "ChunkedReader", "LengthReader", "UntilCloseReader"]

Emit = Callable[[bytes], None]

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = rb'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
# chunk-size [ chunk-ext ] with chunk-ext = *( ";" name [ "=" value ] ). RFC 9112 allows
# bad whitespace (BWS) around ";" and "="; like llhttp we reject it, since differing
# interpretations of chunk extensions between hops are a request smuggling vector.
_CHUNK_LINE_RE = lazy_pattern(
    rb"([0-9A-Fa-f]+)((?:;" + _TOKEN + rb"(?:=(?:" + _TOKEN + rb"|" + _QUOTED + rb"))?)*)"
)


def _take(buf: bytearray, size: int) -> bytes:
    """Remove and return the first ``size`` bytes of ``buf`` with a single copy."""
    with memoryview(buf) as view:
        data = bytes(view[:size])
    del buf[:size]
    return data


class BodyReader:
    """Base of the body readers."""

    trailers: CIMultiDictProxy[str] | None = None

    def feed(self, buf: bytearray, emit: Emit) -> bool:
        """Consume body bytes from ``buf``; return True when the body is complete."""
        raise NotImplementedError

    def eof_error(self) -> HttpProcessingError | None:
        """The error for a connection closed now, or None if the body may end here."""
        raise NotImplementedError


class LengthReader(BodyReader):
    """A body of exactly ``length`` bytes."""

    __slots__ = ("length", "remaining")

    def __init__(self, length: int) -> None:
        self.length = length
        self.remaining = length

    def feed(self, buf: bytearray, emit: Emit) -> bool:
        remaining = self.remaining
        size = len(buf)
        if size >= remaining:
            if remaining:
                emit(_take(buf, remaining))
                self.remaining = 0
            return True
        if size:
            emit(bytes(buf))
            buf.clear()
            self.remaining = remaining - size
        return False

    def eof_error(self) -> HttpProcessingError | None:
        got = self.length - self.remaining
        return ContentLengthError(
            f"Not enough data to satisfy content length header: the body ended after "
            f"{got} of the {self.length} bytes announced by Content-Length"
        )


class UntilCloseReader(BodyReader):
    """A response body delimited by the end of the connection."""

    def feed(self, buf: bytearray, emit: Emit) -> bool:
        if buf:
            emit(bytes(buf))
            buf.clear()
        return False

    def eof_error(self) -> HttpProcessingError | None:
        return None


_SIZE, _DATA, _DATA_END, _TRAILERS = range(4)


class ChunkedReader(BodyReader):
    """A body in the chunked transfer coding, with extensions and trailers."""

    def __init__(
        self,
        *,
        max_line_size: int,
        max_field_size: int,
        max_headers: int,
        lenient: bool,
        max_body_size: int | None = None,
    ) -> None:
        self._state = _SIZE
        self._remaining = 0
        self._max_line = max_line_size
        self._lenient = lenient
        self._max_body = max_body_size
        self._total = 0
        self._chunks = 0
        self._trailer_scanner = HeadScanner(
            "trailer field line 1",
            max_field_size,
            max_field_size,
            max_headers - 1,
            "trailer section",
        )

    def feed(self, buf: bytearray, emit: Emit) -> bool:
        while True:
            state = self._state
            if state == _DATA:
                remaining = self._remaining
                size = len(buf)
                if not size:
                    return False
                if size >= remaining:
                    emit(_take(buf, remaining))
                    self._state = _DATA_END
                else:
                    emit(bytes(buf))
                    buf.clear()
                    self._remaining = remaining - size
                    return False
            elif state == _SIZE:
                if not self._read_size(buf):
                    return False
            elif state == _DATA_END:
                if buf[:2] == b"\r\n":
                    del buf[:2]
                elif self._lenient and buf[:1] == b"\n":
                    del buf[:1]
                elif len(buf) < 2 and (not buf or buf[0] == 0x0D):
                    return False
                else:
                    raise TransferEncodingError(
                        f"chunk {self._chunks} data is not followed by CRLF "
                        f"(got {bytes(buf[:2])!r}); the chunk size is wrong"
                    )
                self._state = _SIZE
            else:
                return self._read_trailers(buf)

    def _read_size(self, buf: bytearray) -> bool:
        nl = buf.find(b"\n", 0, self._max_line + 2)
        if nl < 0:
            if len(buf) > self._max_line + 1:
                raise_line_too_long("chunk size line", self._max_line, len(buf))
            return False
        if nl and buf[nl - 1] == 0x0D:
            line = bytes(buf[: nl - 1])
        elif self._lenient:
            line = bytes(buf[:nl])
        else:
            raise TransferEncodingError(
                f"bare LF ends the size line of chunk {self._chunks + 1}; lines must end with CRLF"
            )
        if len(line) > self._max_line:
            raise_line_too_long("chunk size line", self._max_line, len(line))
        match = _CHUNK_LINE_RE.fullmatch(line)
        if match is None:
            raise TransferEncodingError(
                f"invalid size line {line[:100]!r} of chunk {self._chunks + 1}: expected "
                "hex digits, optionally followed by ;extensions"
            )
        digits = match[1].lstrip(b"0")
        if len(digits) > 15:
            raise TransferEncodingError(
                f"chunk size {match[1][:40]!r} of chunk {self._chunks + 1} is too large"
            )
        del buf[: nl + 1]
        size = int(digits, 16) if digits else 0
        self._chunks += 1
        if size == 0:
            self._state = _TRAILERS
            return True
        self._total += size
        if self._max_body is not None and self._total > self._max_body:
            raise PayloadTooLarge(
                f"chunked request body is larger than max_body_size={self._max_body} "
                f"(at least {self._total} bytes)"
            )
        self._remaining = size
        self._state = _DATA
        return True

    def _read_trailers(self, buf: bytearray) -> bool:
        if buf[:2] == b"\r\n" or (self._lenient and buf[:1] == b"\n"):
            del buf[: 2 if buf[0] == 0x0D else 1]
            return True
        if not buf or buf == b"\r":
            return False
        end, consumed, bare_lf_end = self._trailer_scanner.find_end(buf)
        if end < 0:
            return False
        try:
            lines = split_lines(bytes(buf[:end]), self._lenient, bare_lf_end, "trailer section")
            self._trailer_scanner.check_lines(lines)
            check_field_chars(bytes(buf[:end]), lines, "trailer section", skip_first=False)
            raw = parse_fields(lines, 0, False, "trailer section")
        except (TransferEncodingError, LineTooLong, TooManyHeaders):
            raise
        except BadHttpMessage as exc:
            raise TransferEncodingError(f"invalid trailer section: {exc.message}") from exc
        del buf[:consumed]
        self.trailers = build_headers(raw)[0]
        return True

    def eof_error(self) -> HttpProcessingError | None:
        where = {
            _SIZE: "in a chunk size line",
            _DATA: f"inside chunk {self._chunks} ({self._remaining} bytes missing)",
            _DATA_END: f"before the CRLF after chunk {self._chunks}",
            _TRAILERS: "in the trailer section",
        }[self._state]
        return TransferEncodingError(
            f"Not enough data to satisfy transfer length header: the chunked body "
            f"ended {where}, before the last chunk and trailer section"
        )
