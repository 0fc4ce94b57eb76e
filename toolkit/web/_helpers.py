"""Small header helpers shared by requests, responses and file responses."""

from __future__ import annotations

import re
import string
import time
from collections.abc import Mapping
from types import MappingProxyType

from toolkit._lazy import lazy_pattern

__all__ = [
    "ETAG_ANY",
    "QUOTED_ETAG_RE",
    "byte_position",
    "byte_range_digits",
    "format_http_date",
    "http_date_now",
    "parse_accept_encoding",
    "parse_content_type",
    "parse_forwarded",
]

ETAG_ANY = "*"
# RFC 9110 8.8.3: entity-tag = [ weak ] opaque-tag; etagc = %x21 / %x23-7E / obs-text
_ETAGC = r"[\x21\x23-\x7e\x80-\xff]+"
# Compiled on first use: only ETags and Content-Type parameters need them.
QUOTED_ETAG_RE = lazy_pattern(rf'(W/)?"({_ETAGC})"')

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM_RE = lazy_pattern(rf'\s*;\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|{_TOKEN}|[^;]*)')

_date_cache: tuple[int, str] = (0, "")


def format_http_date(timestamp: float) -> str:
    """Format a POSIX timestamp as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    import email.utils  # (here and in parse_http_date: a big import only dates need)

    return email.utils.formatdate(timestamp, usegmt=True)


def http_date_now() -> str:
    """Return the current time as an IMF-fixdate, recomputed at most once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, format_http_date(now))
    return _date_cache[1]


_BYTE_RANGE_RE = lazy_pattern(r"bytes=([0-9]*)-([0-9]*)")


def byte_range_digits(header: str) -> tuple[str, str] | None:
    """The digits of ``Range: bytes=first-last`` (either may be empty), with the spaces
    and tabs around the value trimmed; None for a value of another form."""
    match = _BYTE_RANGE_RE.fullmatch(header.strip(" \t"))
    return None if match is None else (match.group(1), match.group(2))


def byte_position(digits: str) -> int:
    """The number of a Range header's ASCII digits (``""`` is 0).

    Past 18 significant digits, 10**18: beyond the end of any file, and int() refuses a
    string of more than 4300 digits.
    """
    digits = digits.lstrip("0")
    return int(digits or "0") if len(digits) <= 18 else 10**18


def parse_content_type(value: str | None) -> tuple[str, Mapping[str, str]]:
    """Split a Content-Type header into its lower-cased media type and parameters.

    Parameter names are lower-cased, quoted values are unquoted. A missing or empty
    header gives ``("", {})``.
    """
    if not value:
        return "", MappingProxyType({})
    mimetype, sep, rest = value.partition(";")
    params: dict[str, str] = {}
    if sep:
        for match in _PARAM_RE.finditer(";" + rest):
            name, raw = match.group(1).lower(), match.group(2).strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            params.setdefault(name, raw)
    return mimetype.strip().lower(), MappingProxyType(params)


_QVALUE_RE = lazy_pattern(r"[0-9]{1,3}(?:\.[0-9]{0,6})?")


def parse_accept_encoding(value: str) -> dict[str, float]:
    """Parse Accept-Encoding into ``{coding: qvalue}`` (codings lower-cased).

    A q that is not a decimal number of ASCII digits (RFC 9110 12.4.2) counts as 0.
    """
    result: dict[str, float] = {}
    for item in value.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                raw = raw.strip(" \t")
                # (float() would also take 'nan', 'inf', '1e3', '1_0' and other scripts' digits)
                q = float(raw) if _QVALUE_RE.fullmatch(raw) else 0.0
        result[coding] = q
    return result


_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")


def parse_forwarded(values: list[str]) -> tuple[Mapping[str, str], ...]:
    """Parse Forwarded headers (RFC 7239) into one mapping per forwarded-element.

    A malformed element is skipped up to the next comma; the others are kept.
    """
    elements: list[Mapping[str, str]] = []
    for field in values:
        pos, length = 0, len(field)
        current: dict[str, str] = {}
        good = True
        while pos < length:
            char = field[pos]
            if char in " \t":
                pos += 1
            elif char == ",":
                if good:
                    elements.append(MappingProxyType(current))
                current, good = {}, True
                pos += 1
            elif char == ";" or not good:
                pos += 1
            else:
                start = pos
                while pos < length and field[pos] in _TOKEN_CHARS:
                    pos += 1
                name = field[start:pos].lower()
                if not name or pos >= length or field[pos] != "=":
                    good = False
                    continue
                pos += 1
                if pos < length and field[pos] == '"':
                    pos += 1
                    chars: list[str] = []
                    while pos < length and field[pos] != '"':
                        if field[pos] == "\\" and pos + 1 < length:
                            pos += 1
                        chars.append(field[pos])
                        pos += 1
                    if pos >= length:
                        good = False
                        continue
                    pos += 1
                    value = "".join(chars)
                else:
                    start = pos
                    while pos < length and field[pos] in _TOKEN_CHARS:
                        pos += 1
                    value = field[start:pos]
                    if not value:
                        good = False
                        continue
                current.setdefault(name, value)
        if good:
            elements.append(MappingProxyType(current))
    return tuple(elements)
