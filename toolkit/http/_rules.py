"""Character classes and small validators from RFC 9110/9112, shared by parsers and serializers."""

from __future__ import annotations

from .._lazy import lazy_pattern

__all__ = [
    "CTL_IN_VALUE_RE",
    "LINE_ENDING_RE",
    "TARGET_LENIENT_RE",
    "TARGET_RE",
    "TOKEN_CHARS",
    "TOKEN_RE",
    "describe_byte",
]

# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
#         / DIGIT / ALPHA
TOKEN_CHARS = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
TOKEN_RE = lazy_pattern(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Control characters that may not appear in a field value (HTAB is allowed).
CTL_IN_VALUE_RE = lazy_pattern(rb"[\x00-\x08\x0a-\x1f\x7f]")
# CR, LF and NUL in text not yet encoded: in a field value they would end its line.
LINE_ENDING_RE = lazy_pattern(r"[\r\n\x00]")
# Characters allowed in a request-target: VCHAR (RFC 9112 section 3.2).
TARGET_RE = lazy_pattern(rb"[\x21-\x7e]+")
# The same plus obs-text, accepted by lenient parsers.
TARGET_LENIENT_RE = lazy_pattern(rb"[\x21-\x7e\x80-\xff]+")


def describe_byte(byte: int) -> str:
    """Name a byte for an error message, e.g. ``'\\x00' (NUL)``."""
    names = {0: "NUL", 9: "HTAB", 10: "LF", 13: "CR", 32: "SP", 127: "DEL"}
    text = repr(bytes([byte]))[1:]
    name = names.get(byte)
    return f"{text} ({name})" if name else text
