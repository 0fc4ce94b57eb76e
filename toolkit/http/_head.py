"""Parsing of start lines and header/trailer sections (RFC 9112 sections 2-5).

Everything here works on whole lines already cut from the buffer, with C-speed
bytes operations (find, split, regex): the common case has no Python loop over
fields at all (:func:`fast_fields`), and the per-byte work is done by :mod:`re`
and :class:`bytes` methods. Slow paths run only to name what is wrong.
"""

from __future__ import annotations

import re

from multidict import CIMultiDict, CIMultiDictProxy

from .._checks import check_number
from .._lazy import lazy_pattern
from ._rules import TARGET_LENIENT_RE, TARGET_RE, TOKEN_RE, describe_byte
from .errors import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    TooManyHeaders,
)
from .events import HttpVersion, HttpVersion10, HttpVersion11, RawHeaders

__all__ = [
    "HeadScanner",
    "build_headers",
    "check_limits",
    "check_field_chars",
    "fast_fields",
    "parse_fields",
    "parse_request_line",
    "parse_status_line",
    "split_lines",
    "validate_target",
]

#: The parser limits that None turns off.
_OPTIONAL_LIMITS = frozenset({"max_body_size", "max_decompressed_size"})


def check_limits(parser: object, /, **limits: object) -> None:
    """Raise ``TypeError``/``ValueError`` for a limit of ``parser``'s that is not a count
    >= 0 (or None, for the body limits), naming the parser class and the limit."""
    owner = type(parser).__name__
    for name, value in limits.items():
        unit = "headers" if name == "max_headers" else "bytes"
        check_number(owner, name, value, unit=unit, none=name in _OPTIONAL_LIMITS)


_VERSION_RE = lazy_pattern(rb"HTTP/([0-9])\.([0-9])")
_STATUS_RE = lazy_pattern(rb"[0-9]{3}")
# Control characters other than HTAB, CR and LF: never valid anywhere in a head.
_CTL_RE = lazy_pattern(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Patterns for errors and rare request forms.
_BARE_CR = lazy_pattern(rb"\r(?!\n)")
_BARE_LF = lazy_pattern(rb"(?<!\r)\n")
_ABSOLUTE = lazy_pattern(rb"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]")
_AUTHORITY = lazy_pattern(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+):[0-9]{1,5}")


class HeadScanner:
    """Finds where a header section ends in a growing buffer, enforcing the size limits.

    ``first_limit`` bounds the first line (the start line; for a trailer section
    it is the field limit too), ``field_limit`` every following line, and
    ``max_fields`` the number of field lines. While the section is incomplete,
    lines are checked as they complete so the buffer stays bounded.
    """

    __slots__ = (
        "_checked",
        "_field_limit",
        "_first_limit",
        "_first_name",
        "_max_fields",
        "_nlines",
        "_quick",
        "_scan",
        "_section",
    )

    def __init__(
        self,
        first_name: str,
        first_limit: int,
        field_limit: int,
        max_fields: int,
        section: str,
    ) -> None:
        self._first_name = first_name
        self._first_limit = first_limit
        self._field_limit = field_limit
        self._max_fields = max_fields
        self._section = section
        self._quick = min(first_limit, field_limit)
        self.reset()

    def reset(self) -> None:
        """Start looking for a new section at the start of the buffer."""
        self._scan = 0
        self._checked = 0
        self._nlines = 0

    def find_end(self, buf: bytearray) -> tuple[int, int, bool]:
        """Return ``(end, consumed, bare_lf_end)`` or ``(-1, 0, False)`` if incomplete.

        ``end`` is the offset just past the last line's LF, ``consumed`` the
        offset past the empty line that ends the section; ``bare_lf_end`` says
        the empty line was a bare LF.
        """
        start = self._scan
        i = buf.find(b"\n\r\n", start)
        j = buf.find(b"\n\n", start, i + 1 if i >= 0 else len(buf))
        if j >= 0:
            return j + 1, j + 2, True
        if i >= 0:
            return i + 1, i + 3, False
        self._scan = max(len(buf) - 2, 0)
        if len(buf) > self._quick:
            self._check_incomplete(buf)
        return -1, 0, False

    def check_lines(self, lines: list[bytes]) -> None:
        """Check a complete section's lines against the limits."""
        if len(lines) - 1 > self._max_fields:
            raise TooManyHeaders(
                f"{self._section} has {len(lines) - 1} fields, "
                f"more than max_headers={self._max_fields}"
            )
        if lines and len(lines[0]) > self._first_limit:
            raise_line_too_long(self._first_name, self._first_limit, len(lines[0]))
        if len(lines) > 1 and max(map(len, lines)) > self._field_limit:
            for index in range(1, len(lines)):
                self._check_line(len(lines[index]), index)

    def _check_incomplete(self, buf: bytearray) -> None:
        pos = self._checked
        while True:
            nl = buf.find(b"\n", pos)
            if nl < 0:
                break
            length = nl - pos
            if length and buf[nl - 1] == 0x0D:
                length -= 1
            self._check_line(length, self._nlines)
            self._nlines += 1
            pos = nl + 1
        self._checked = pos
        # The partial line may still end with the CR of its CRLF.
        self._check_line(len(buf) - pos - 1, self._nlines)

    def _check_line(self, length: int, index: int) -> None:
        if index == 0:
            if length > self._first_limit:
                raise_line_too_long(self._first_name, self._first_limit, length)
        else:
            if index > self._max_fields:
                raise TooManyHeaders(
                    f"{self._section} has more than max_headers={self._max_fields} fields"
                )
            if length > self._field_limit:
                raise_line_too_long(
                    f"{self._section} field line {index}", self._field_limit, length
                )


def raise_line_too_long(what: str, limit: int, size: int) -> None:
    """Raise :class:`LineTooLong`, 400 for a start line and 431 for a field line."""
    code = 400 if what in ("request line", "status line", "chunk size line") else 431
    raise LineTooLong(what, limit, size, code=code)


def split_lines(head: bytes, lenient: bool, bare_lf_end: bool, what: str) -> list[bytes]:
    """Split a head (ending with its last line's LF) into lines, rejecting bad line endings."""
    crlf = head.count(b"\r\n")
    if head.count(b"\r") != crlf:
        pos = _BARE_CR.search(head)
        off = pos.start() if pos else 0
        raise BadHttpMessage(f"bare CR (not followed by LF) at byte {off} of the {what}")
    if head.count(b"\n") != crlf or bare_lf_end:
        if not lenient:
            pos = _BARE_LF.search(head)
            off = pos.start() if pos else len(head)
            raise BadHttpMessage(
                f"bare LF (line ending without CR) at byte {off} of the {what}; "
                "lines must end with CRLF"
            )
        lines = head.replace(b"\r\n", b"\n").split(b"\n")
    else:
        lines = head.split(b"\r\n")
    lines.pop()  # the empty string after the last line ending
    return lines


def check_field_chars(head: bytes, lines: list[bytes], what: str, skip_first: bool = True) -> None:
    """Reject control characters (other than HTAB) in the field lines of a head."""
    match = _CTL_RE.search(head, len(lines[0]) if lines and skip_first else 0)
    if match is None:
        return
    off = match.start()
    line_no = head.count(b"\n", 0, off)
    line = lines[line_no] if line_no < len(lines) else b""
    name = line.partition(b":")[0]
    raise InvalidHeader(
        name[:100],
        f"control character {describe_byte(head[off])} at byte {off} "
        f"(line {line_no + 1}) of the {what}",
    )


def parse_version(data: bytes, line: bytes) -> HttpVersion:
    """Parse ``HTTP/x.y``; a version other than 1.x raises with code 505."""
    match = _VERSION_RE.fullmatch(data)
    if match is None:
        raise BadStatusLine(
            line.decode("utf-8", "backslashreplace"),
            f"invalid HTTP version {data[:20]!r} in {line[:200]!r}",
        )
    major, minor = int(match[1]), int(match[2])
    if major != 1:
        raise BadStatusLine(
            line.decode("utf-8", "backslashreplace"),
            f"unsupported HTTP version {data.decode('ascii')} in {line[:200]!r}",
            code=505,
        )
    if minor == 1:
        return HttpVersion11
    if minor == 0:
        return HttpVersion10
    return HttpVersion(1, minor)


def validate_target(method: bytes, target: bytes, lenient: bool) -> None:
    """Check the request-target's characters and form against the method."""
    chars = TARGET_LENIENT_RE if lenient else TARGET_RE
    if chars.fullmatch(target) is None:
        bad = next(
            (
                i
                for i, b in enumerate(target)
                if b < 0x21 or b == 0x7F or (b > 0x7F and not lenient)
            ),
            0,
        )
        what = describe_byte(target[bad]) if target else "nothing"
        raise InvalidURLError(f"invalid request target {target[:100]!r}: {what} at offset {bad}")
    if method == b"CONNECT":
        if _AUTHORITY.fullmatch(target) is None:
            raise InvalidURLError(
                f"invalid request target {target[:100]!r} for CONNECT: "
                "must be authority-form host:port"
            )
        return
    first = target[0]
    if first == 0x2F:  # "/": origin-form
        return
    if target == b"*":
        if method != b"OPTIONS":
            raise InvalidURLError(
                f"asterisk-form request target '*' is only valid for OPTIONS, "
                f"not {method.decode('ascii')}"
            )
        return
    if _ABSOLUTE.match(target) is None:
        raise InvalidURLError(
            f"invalid request target {target[:100]!r}: not origin-form ('/path'), "
            "absolute-form ('scheme://host/path'), authority-form or '*'"
        )


def parse_request_line(line: bytes, lenient: bool) -> tuple[bytes, bytes, HttpVersion]:
    """Parse ``method SP request-target SP HTTP-version``."""
    parts = line.split(b" ")
    if len(parts) != 3 or not all(parts):
        raise BadStatusLine(
            line.decode("utf-8", "backslashreplace"),
            f"invalid request line {line[:200]!r}: expected "
            "'method SP request-target SP HTTP-version' separated by single spaces",
        )
    method, target, version_b = parts
    if TOKEN_RE.fullmatch(method) is None:
        raise BadHttpMethod(line.decode("utf-8", "backslashreplace"))
    version = parse_version(version_b, line)
    validate_target(method, target, lenient)
    return method, target, version


def parse_status_line(line: bytes, lenient: bool) -> tuple[HttpVersion, int, bytes]:
    """Parse ``HTTP-version SP status-code SP [reason-phrase]`` (the last SP optional)."""
    version_b, _, rest = line.partition(b" ")
    if not version_b.startswith(b"HTTP/"):
        raise BadStatusLine(
            line[:200].decode("utf-8", "backslashreplace"),
            f"invalid status line {line[:200]!r}: does not start with 'HTTP/'",
        )
    version = parse_version(version_b, line)
    status_b, _, reason = rest.partition(b" ")
    if lenient:
        status_b = status_b.strip()
    if _STATUS_RE.fullmatch(status_b) is None or status_b[0] == 0x30:
        raise BadStatusLine(
            line.decode("utf-8", "backslashreplace"),
            f"invalid status code {status_b!r} in status line {line[:200]!r}: "
            "must be three digits 100-999",
        )
    bad = _CTL_RE.search(reason)
    if bad is not None:
        raise BadStatusLine(
            line.decode("utf-8", "backslashreplace"),
            f"control character {describe_byte(reason[bad.start()])} in the reason phrase "
            f"of status line {line[:200]!r}",
        )
    return version, int(status_b), reason


def parse_fields(
    lines: list[bytes], start: int, allow_obs_fold: bool, what: str
) -> list[tuple[bytes, bytes]]:
    """Parse ``name: value`` field lines ``lines[start:]`` into raw pairs.

    Names must be tokens with no whitespace before the colon; values lose
    their leading and trailing whitespace. An obs-fold continuation line is
    joined to the previous value with one space when ``allow_obs_fold``.
    """
    raw: list[tuple[bytes, bytes]] = []
    for index in range(start, len(lines)):
        line = lines[index]
        name, sep, value = line.partition(b":")
        if TOKEN_RE.fullmatch(name) is None or not sep:
            if line[:1] in (b" ", b"\t"):
                if not allow_obs_fold or not raw:
                    raise InvalidHeader(
                        line[:100],
                        f"obs-fold (a continuation line starting with whitespace) "
                        f"at line {index + 1} of the {what} is not allowed",
                    )
                prev_name, prev_value = raw[-1]
                joined = (prev_value + b" " + line.strip(b" \t")).strip(b" \t")
                raw[-1] = (prev_name, joined)
                continue
            if not sep:
                raise InvalidHeader(line[:100], f"no colon in field line {index + 1} of the {what}")
            if not name:
                raise InvalidHeader(line[:100], f"empty field name at line {index + 1}")
            bad = next(i for i, b in enumerate(name) if TOKEN_RE.fullmatch(bytes([b])) is None)
            raise InvalidHeader(
                name[:100],
                f"invalid character {describe_byte(name[bad])} at offset {bad} of the "
                f"field name at line {index + 1} of the {what}",
            )
        raw.append((name, value.strip(b" \t")))
    return raw


_FIELD_LINE_RE = lazy_pattern(rb"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*\r$", re.M)
_FIELD_LINE_TEXT_RE = lazy_pattern(r"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*\r$", re.M)


def fast_fields(block: bytes, count: int) -> tuple[CIMultiDictProxy[str], RawHeaders] | None:
    """Parse ``count`` CRLF-terminated field lines in one pass, or None if any is unusual.

    The common case costs two regex scans and no Python loop; on None the
    caller falls back to :func:`parse_fields`, which names the bad line.
    """
    raw = _FIELD_LINE_RE.findall(block)
    if len(raw) != count:
        return None
    pairs = _FIELD_LINE_TEXT_RE.findall(block.decode("utf-8", "surrogateescape"))
    if len(pairs) != count:  # pragma: no cover - both patterns match the same lines
        return None
    return CIMultiDictProxy(CIMultiDict(pairs)), tuple(raw)


def build_headers(raw: list[tuple[bytes, bytes]]) -> tuple[CIMultiDictProxy[str], RawHeaders]:
    """Decode raw pairs (names as ASCII, values as UTF-8 with surrogateescape)."""
    headers: CIMultiDict[str] = CIMultiDict(
        [(n.decode("ascii"), v.decode("utf-8", "surrogateescape")) for n, v in raw]
    )
    return CIMultiDictProxy(headers), tuple(raw)
