"""What a parsed head means for the connection: body framing, keep-alive, coding.

Shared by both parser backends so that they accept and reject exactly the same
framing (RFC 9112 sections 6 and 9.3).
"""

# No ``from __future__ import annotations``: typing.NamedTuple compiles every field
# annotation given as a string (Framing below), which is costly at import.
from typing import NamedTuple

from multidict import CIMultiDictProxy, istr

from .._lazy import lazy_pattern
from .errors import InvalidHeader, PayloadTooLarge
from .events import HttpVersion

__all__ = [
    "CONNECTION",
    "CONTENT_ENCODING",
    "CONTENT_LENGTH",
    "HOST",
    "TRANSFER_ENCODING",
    "Framing",
    "analyze",
    "plain_response_framing",
]

# Field names as istr: multidict looks these up without case-folding them each time.
CONTENT_LENGTH = istr("Content-Length")
TRANSFER_ENCODING = istr("Transfer-Encoding")
CONNECTION = istr("Connection")
CONTENT_ENCODING = istr("Content-Encoding")
HOST = istr("Host")
_UPGRADE = istr("Upgrade")

_DIGITS_RE = lazy_pattern(r"[0-9]{1,18}")
_CODINGS = frozenset(("gzip", "deflate", "br", "zstd"))
_KNOWN_TRANSFER_CODINGS = frozenset(
    ("chunked", "gzip", "x-gzip", "deflate", "compress", "x-compress", "identity")
)


class Framing(NamedTuple):
    """The framing facts about a message head."""

    should_close: bool
    compression: str | None
    upgrade: bool
    chunked: bool
    #: Content-Length, or None when absent (or overridden by chunked in lenient mode).
    length: int | None
    #: A lenient response whose transfer codings do not end in chunked: read until close.
    until_close: bool


def _tokens(headers: CIMultiDictProxy[str], name: istr) -> list[str]:
    values = headers.getall(name, None)
    if not values:
        return []
    return [t.strip().lower() for v in values for t in v.split(",")]


def _content_length(headers: CIMultiDictProxy[str]) -> int | None:
    values = headers.getall(CONTENT_LENGTH, None)
    if values is None:
        return None
    if len(values) > 1:
        raise InvalidHeader(
            "Content-Length",
            f"repeated Content-Length fields {values!r} (only one is allowed)",
        )
    value = values[0]
    if _DIGITS_RE.fullmatch(value) is None:
        raise InvalidHeader(
            "Content-Length",
            f"invalid value {value!r}: must be 1 to 18 decimal digits, "
            "no sign, spaces, commas or other characters",
        )
    return int(value)


def _transfer_chunked(
    headers: CIMultiDictProxy[str], version: HttpVersion, is_request: bool, lenient: bool
) -> tuple[bool, bool]:
    """Return ``(chunked, until_close)`` from Transfer-Encoding; raise on bad codings."""
    codings = _tokens(headers, TRANSFER_ENCODING)
    if not codings:
        return False, False
    if version < (1, 1) and not lenient:
        raise InvalidHeader(
            "Transfer-Encoding", f"not allowed in an HTTP/{version[0]}.{version[1]} message"
        )
    if codings == ["chunked"]:
        return True, False
    for coding in codings:
        if coding not in _KNOWN_TRANSFER_CODINGS and not lenient:
            raise InvalidHeader(
                "Transfer-Encoding", f"unknown transfer coding {coding!r} in {codings!r}"
            )
    if codings.count("chunked") > 1:
        raise InvalidHeader("Transfer-Encoding", f"chunked is applied more than once: {codings!r}")
    if codings[-1] != "chunked":
        if lenient and not is_request:
            return False, True
        raise InvalidHeader(
            "Transfer-Encoding", f"chunked must be the final transfer coding: {codings!r}"
        )
    if lenient:
        return True, False
    exc = InvalidHeader(
        "Transfer-Encoding",
        f"transfer codings other than chunked are not supported: {codings!r}",
    )
    exc.code = 501
    raise exc


def analyze(
    headers: CIMultiDictProxy[str],
    version: HttpVersion,
    *,
    is_request: bool,
    method: str,
    lenient: bool,
    max_body_size: int | None = None,
) -> Framing:
    """Work out framing, keep-alive, upgrade and compression for one head.

    Raises :class:`InvalidHeader` for framing that could be read two ways
    (repeated or malformed Content-Length, Content-Length with
    Transfer-Encoding, bad transfer codings, repeated Host). ``lenient`` relaxes
    framing rules for responses only: a lenient request parser still rejects
    ambiguous framing, the request smuggling vector.
    """
    if (
        CONTENT_LENGTH not in headers
        and TRANSFER_ENCODING not in headers
        and CONNECTION not in headers
        and CONTENT_ENCODING not in headers
        and (not is_request or (method != "CONNECT" and len(headers.getall(HOST, ())) < 2))
    ):
        # The common case: no framing, connection or coding fields.
        return _PLAIN_KEEP_ALIVE if version >= (1, 1) else _PLAIN_CLOSE
    lenient = lenient and not is_request
    length = _content_length(headers)
    chunked, until_close = _transfer_chunked(headers, version, is_request, lenient)
    if length is not None and (chunked or until_close):
        if not lenient:
            raise InvalidHeader(
                "Content-Length",
                "both Content-Length and Transfer-Encoding are present "
                "(ambiguous framing, a request smuggling vector)",
            )
        length = None
    if is_request:
        hosts = headers.getall(HOST, None)
        if hosts is not None and len(hosts) > 1:
            raise InvalidHeader("Host", f"repeated Host fields {hosts!r} (only one is allowed)")
        if max_body_size is not None and length is not None and length > max_body_size:
            raise PayloadTooLarge(
                f"request body of {length} bytes (Content-Length) is larger than "
                f"max_body_size={max_body_size}"
            )
    connection = _tokens(headers, CONNECTION)
    if version >= (1, 1):
        should_close = "close" in connection
    else:
        should_close = "keep-alive" not in connection or "close" in connection
    upgrade = "upgrade" in connection and _UPGRADE in headers
    if is_request and method == "CONNECT":
        upgrade = True
    compression = None
    encodings = headers.getall(CONTENT_ENCODING, None)
    if encodings is not None and len(encodings) == 1:
        coding = encodings[0].strip().lower()
        if coding in _CODINGS:
            compression = coding
    return Framing(should_close, compression, upgrade, chunked, length, until_close)


_PLAIN_KEEP_ALIVE = Framing(False, None, False, False, None, False)
_PLAIN_CLOSE = Framing(True, None, False, False, None, False)
_new_tuple = tuple.__new__


def plain_response_framing(headers: CIMultiDictProxy[str], version: HttpVersion) -> Framing | None:
    """:func:`analyze` for the usual response: one without Transfer-Encoding,
    Connection and Content-Encoding fields (Content-Length allowed); None for any
    other response, which needs :func:`analyze`."""
    if TRANSFER_ENCODING in headers or CONNECTION in headers or CONTENT_ENCODING in headers:
        return None
    values = headers.getall(CONTENT_LENGTH, None)
    if values is None:
        return _PLAIN_KEEP_ALIVE if version >= (1, 1) else _PLAIN_CLOSE
    value = values[0]
    if len(values) == 1 and value.isascii() and value.isdigit() and len(value) <= 18:
        length: int | None = int(value)  # (what _DIGITS_RE admits, without the regex)
    else:
        length = _content_length(headers)  # raises the precise error
    return _new_tuple(Framing, (version < (1, 1), None, False, False, length, False))
