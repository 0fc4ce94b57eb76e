"""The protocol errors raised by the HTTP/1.1 parsers and content decoders.

The names and constructors follow aiohttp's ``http_exceptions`` module. Every
error carries the status ``code`` a server should answer with, a ``message``
that names what was wrong and where, and optional ``headers`` for that answer.
All of them pickle cleanly (pytest-xdist ships them between processes).
"""

from __future__ import annotations

from collections.abc import Mapping
from textwrap import indent
from typing import Any

__all__ = [
    "BadHttpMessage",
    "BadHttpMethod",
    "BadStatusLine",
    "ContentEncodingError",
    "ContentLengthError",
    "DecompressionLimitError",
    "HttpBadRequest",
    "HttpProcessingError",
    "InvalidHeader",
    "InvalidURLError",
    "LineTooLong",
    "PayloadEncodingError",
    "PayloadTooLarge",
    "TooManyHeaders",
    "TransferEncodingError",
]


def _rebuild(cls: type[HttpProcessingError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Recreate an error without calling its ``__init__`` (used by pickle)."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class HttpProcessingError(Exception):
    """Base of every HTTP protocol error.

    ``code`` is the HTTP status a server answers with, ``message`` says what was
    wrong, ``headers`` are extra response headers for that answer (or None).
    """

    code: int = 0
    message: str = ""
    headers: Mapping[str, str] | None = None

    def __init__(
        self,
        *,
        code: int | None = None,
        message: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        if code is not None:
            self.code = code
        self.headers = headers
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}, message:\n{indent(self.message, '  ')}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.code}, message={self.message!r}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class BadHttpMessage(HttpProcessingError):
    """A message that does not follow HTTP/1.1 syntax (400 Bad Request)."""

    code = 400
    message = "Bad Request"

    def __init__(
        self,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(code=code, message=message, headers=headers)
        self.args = (message,)


class HttpBadRequest(BadHttpMessage):
    """A request the server refuses to process (400 Bad Request)."""


class PayloadEncodingError(BadHttpMessage):
    """Base of the errors in a message body's framing or coding."""


class ContentEncodingError(PayloadEncodingError):
    """The body cannot be decoded with its ``Content-Encoding``."""


class DecompressionLimitError(ContentEncodingError):
    """The decoded body grew past ``max_decompressed_size`` (a decompression bomb)."""

    code = 413


class TransferEncodingError(PayloadEncodingError):
    """The chunked transfer coding is malformed or ended early."""


class ContentLengthError(PayloadEncodingError):
    """The body ended before ``Content-Length`` bytes arrived."""


class PayloadTooLarge(PayloadEncodingError):
    """A request body is larger than the parser's ``max_body_size`` (413)."""

    code = 413


class LineTooLong(BadHttpMessage):
    """A start line or header field is longer than the configured limit.

    ``code`` is 400 for the request line and 431 (Request Header Fields Too
    Large) for header and trailer fields.
    """

    def __init__(
        self,
        line: str,
        limit: int | str = "Unknown",
        actual_size: int | str = "Unknown",
        *,
        code: int | None = None,
    ) -> None:
        super().__init__(
            f"Got more than {limit} bytes ({actual_size}) when reading {line}.", code=code
        )
        self.line = line
        self.limit = limit
        self.actual_size = actual_size
        self.args = (line, limit, actual_size)


class TooManyHeaders(BadHttpMessage):
    """The head holds more header fields than ``max_headers`` (431)."""

    code = 431


class InvalidHeader(BadHttpMessage):
    """A header field is malformed; ``hdr`` names it and ``reason`` says why."""

    def __init__(self, hdr: bytes | str, reason: str = "") -> None:
        hdr_s = hdr.decode("utf-8", "backslashreplace") if isinstance(hdr, bytes) else hdr
        msg = f"Invalid HTTP header: {hdr!r}" if hdr else "Invalid HTTP header"
        if reason:
            msg = f"{msg}: {reason}"
        super().__init__(msg)
        self.hdr = hdr_s
        self.reason = reason
        self.args = (hdr,)


class BadStatusLine(BadHttpMessage):
    """The request line or the status line is malformed.

    ``code`` is 505 when the line is well formed but names an HTTP version
    other than 1.x.
    """

    def __init__(
        self, line: str = "", error: str | None = None, *, code: int | None = None
    ) -> None:
        if not isinstance(line, str):
            line = repr(line)
        super().__init__(error or f"Bad status line {line!r}", code=code)
        self.args = (line,)
        self.line = line


class BadHttpMethod(BadStatusLine):
    """The request method is not a valid token."""

    def __init__(self, line: str = "", error: str | None = None) -> None:
        super().__init__(line, error or f"Bad HTTP method in status line {line!r}")


class InvalidURLError(BadHttpMessage):
    """The request-target is not a valid origin, absolute, authority or asterisk form."""
