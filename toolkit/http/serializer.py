"""Serialize HTTP/1.1 message heads, chunks and trailer sections to bytes.

Every function validates its input before producing a byte: a method, target,
header name or value that would let a caller inject a line (CR, LF, NUL) or
that is not valid HTTP syntax raises :class:`ValueError` naming the offender.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias

from ._rules import CTL_IN_VALUE_RE, TARGET_LENIENT_RE, TOKEN_RE, describe_byte
from .events import HttpVersion, HttpVersion11

__all__ = [
    "LAST_CHUNK",
    "HeadersLike",
    "encode_chunk",
    "encode_trailers",
    "serialize_request_head",
    "serialize_response_head",
]

#: The last chunk of a chunked body with an empty trailer section.
LAST_CHUNK = b"0\r\n\r\n"

HeaderItem: TypeAlias = "str | bytes"
HeadersLike: TypeAlias = (
    "Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, str | bytes]]"
)


def _as_bytes(value: str | bytes, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")  # (obs-text, as parsers decode it)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}: {value!r}")


def _first_bad(data: bytes, allowed: str) -> str:
    for i, byte in enumerate(data):
        if chr(byte) not in allowed:
            return f"{describe_byte(byte)} at offset {i}"
    return "it is empty"


def _check_token(data: bytes, what: str) -> None:
    if TOKEN_RE.fullmatch(data) is None:
        from ._rules import TOKEN_CHARS

        bad = _first_bad(data, TOKEN_CHARS.decode("ascii"))
        raise ValueError(f"invalid {what} {data!r}: {bad} is not a token character")


def _check_value(data: bytes, what: str) -> None:
    match = CTL_IN_VALUE_RE.search(data)
    if match is not None:
        pos = match.start()
        raise ValueError(
            f"invalid {what} {data!r}: control character {describe_byte(data[pos])} at offset {pos}"
        )


def _header_lines(headers: HeadersLike) -> list[bytes]:
    items: Iterable[tuple[HeaderItem, HeaderItem]]
    items = headers.items() if isinstance(headers, Mapping) else headers
    names: list[bytes] = []
    values: list[bytes] = []
    for name, value in items:
        names.append(_as_bytes(name, "header name"))
        values.append(_as_bytes(value, "header value"))
    # Fast path: validate all names and all values with one regex call each;
    # only on failure walk the fields to name the offender.
    if names and (
        TOKEN_RE.fullmatch(b"".join(names)) is None
        or not all(names)
        or CTL_IN_VALUE_RE.search(b"".join(values)) is not None
    ):
        for name, value in zip(names, values):
            _check_token(name, "header name")
            _check_value(value, f"value for header {name.decode('ascii')!r}")
    lines = []
    for name, value in zip(names, values):
        lines.append(name + b": " + value + b"\r\n")
    return lines


def _version_bytes(version: HttpVersion) -> bytes:
    major, minor = version
    if not (isinstance(major, int) and isinstance(minor, int) and 0 <= major <= 9):
        raise ValueError(f"invalid HTTP version {version!r}")
    if not 0 <= minor <= 9:
        raise ValueError(f"invalid HTTP version {version!r}")
    return b"HTTP/%d.%d" % (major, minor)


def serialize_request_head(
    method: str | bytes,
    target: str | bytes,
    headers: HeadersLike,
    version: HttpVersion = HttpVersion11,
) -> bytes:
    """Return the request line and header section, ending with the empty line.

    ``headers`` is a mapping or an iterable of ``(name, value)`` pairs (str or
    bytes; str is encoded as UTF-8). Raises :class:`ValueError` naming the bad
    method, target, header name or value.
    """
    method_b = _as_bytes(method, "method")
    _check_token(method_b, "method")
    target_b = _as_bytes(target, "request target")
    if TARGET_LENIENT_RE.fullmatch(target_b) is None:
        bad = next((i for i, b in enumerate(target_b) if b <= 0x20 or b == 0x7F), None)
        where = "it is empty" if bad is None else f"{describe_byte(target_b[bad])} at offset {bad}"
        raise ValueError(f"invalid request target {target_b!r}: {where}")
    start = b"%s %s %s\r\n" % (method_b, target_b, _version_bytes(version))
    return b"".join([start, *_header_lines(headers), b"\r\n"])


def serialize_response_head(
    status: int,
    reason: str | bytes,
    headers: HeadersLike,
    version: HttpVersion = HttpVersion11,
) -> bytes:
    """Return the status line and header section, ending with the empty line.

    Raises :class:`ValueError` for a status outside 100-999, a reason phrase
    with control characters, or a bad header name or value.
    """
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
        raise ValueError(f"invalid status code {status!r}: must be an int in 100..999")
    reason_b = _as_bytes(reason, "reason phrase")
    _check_value(reason_b, "reason phrase")
    start = b"%s %d %s\r\n" % (_version_bytes(version), status, reason_b)
    return b"".join([start, *_header_lines(headers), b"\r\n"])


def encode_chunk(data: bytes | bytearray | memoryview) -> bytes:
    """Frame ``data`` as one chunk of a chunked body; empty data gives ``b""``.

    (An empty chunk would be the last chunk, so it is never produced here; end
    the body with :data:`LAST_CHUNK` or :func:`encode_trailers`.)
    """
    size = len(data) if not isinstance(data, memoryview) else data.nbytes
    if not size:
        return b""
    return b"".join((b"%x\r\n" % size, data, b"\r\n"))


def encode_trailers(headers: HeadersLike) -> bytes:
    """Return the last chunk followed by a trailer section holding ``headers``.

    Use it instead of :data:`LAST_CHUNK` to end a chunked body with trailer
    fields; ``encode_trailers({}) == LAST_CHUNK``.
    """
    return b"".join([b"0\r\n", *_header_lines(headers), b"\r\n"])
