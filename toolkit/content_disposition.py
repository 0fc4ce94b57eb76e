"""Building and parsing ``Content-Disposition`` headers (RFC 6266, RFC 8187)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import quote, unquote

from ._lazy import lazy_pattern
from .http._rules import LINE_ENDING_RE

__all__ = (
    "TOKEN",
    "content_disposition_filename",
    "content_disposition_header",
    "parse_content_disposition",
    "quoted_string",
)

_CHAR = frozenset(map(chr, range(128)))
_CTL = frozenset(map(chr, range(32))) | {chr(127)}
_SEPARATORS = frozenset('()<>@,;:\\"/[]?={} \t')
#: Characters allowed in an RFC 9110 token.
TOKEN = _CHAR - _CTL - _SEPARATORS
_QCONTENT = frozenset(map(chr, range(0x20, 0x7F))) | {"\t"}
# Compiled on first use: most programs never build or parse this header.
_NOT_QTEXT_RE = lazy_pattern(r'[\\"]')
_QUOTED_PAIR_RE = lazy_pattern(r"\\(.)", re.DOTALL)
_CONTINUATION_RE = lazy_pattern(r"^(.+)\*(\d+)(\*?)$")


def quoted_string(content: str) -> str:
    """Escape ``content`` for use inside a quoted-string; ValueError on control chars."""
    if not _QCONTENT.issuperset(content):
        raise ValueError(f"bad content for quoted-string {content!r}")
    return _NOT_QTEXT_RE.sub(lambda m: "\\" + m.group(0), content)


def _is_token(value: str) -> bool:
    return bool(value) and TOKEN.issuperset(value)


def content_disposition_header(
    disptype: str,
    quote_fields: bool = True,
    _charset: str = "utf-8",
    params: Mapping[str, str] | None = None,
    **kwparams: str,
) -> str:
    """Build a ``Content-Disposition`` value such as ``form-data; name="x"``.

    With ``quote_fields`` (the default), ``filename`` is percent-encoded inside quotes
    and other values that cannot be a quoted-string use the RFC 8187 ``key*=`` form.
    Without it, values are only backslash-escaped.
    """
    if not _is_token(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    all_params = dict(params or {}, **kwparams)
    parts = [disptype]
    for key, val in all_params.items():
        if not _is_token(key):
            raise ValueError(f"bad content disposition parameter {key!r}={val!r}")
        if quote_fields:
            try:
                if key.lower() == "filename":
                    parts.append(f'{key}="{quote(val, "", encoding=_charset)}"')
                else:
                    try:
                        qval = quoted_string(val)
                    except ValueError:
                        parts.append(f"{key}*={_charset}''{quote(val, '', encoding=_charset)}")
                    else:
                        parts.append(f'{key}="{qval}"')
            except UnicodeEncodeError as exc:
                raise ValueError(
                    f"bad content disposition parameter {key!r}={val!r}: "
                    f"can not be encoded with {_charset!r} ({exc.reason})"
                ) from None
        else:
            if LINE_ENDING_RE.search(val):
                # Unquoted, these would end the header line inside the value.
                raise ValueError(
                    f"bad content disposition parameter {key!r}={val!r}: "
                    "CR, LF or NUL need quote_fields=True"
                )
            qval = val.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}="{qval}"')
    return "; ".join(parts)


def _split_params(header: str) -> list[str]:
    """Split on ``;`` outside quoted-strings."""
    parts: list[str] = []
    buf: list[str] = []
    in_quotes = False
    escaped = False
    for ch in header:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\" and in_quotes:
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            in_quotes = not in_quotes
        elif ch == ";" and not in_quotes:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def _decode_ext_value(value: str) -> str | None:
    """Decode an RFC 8187 ``charset'lang'pct-encoded`` value; None when invalid."""
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1]
    try:
        charset, _lang, encoded = value.split("'", 2)
    except ValueError:
        return None
    try:
        codecs.lookup(charset or "utf-8")
        return unquote(encoded, charset or "utf-8", "strict")
    except (LookupError, UnicodeError):  # ('undefined' and 'punycode' raise UnicodeError)
        return None


def parse_content_disposition(
    header: str | None,
) -> tuple[str | None, MappingProxyType[str, str]]:
    """Return ``(disposition type, parameters)``; ``(None, {})`` for a malformed value.

    Parameter names are lowercased; quoted values are unescaped; ``name*`` values are
    decoded from RFC 8187 form and kept under the ``name*`` key.
    """
    empty: MappingProxyType[str, str] = MappingProxyType({})
    if not header:
        return None, empty
    disptype, *raw_params = _split_params(header)
    disptype = disptype.strip()
    if not _is_token(disptype):
        return None, empty
    params: dict[str, str] = {}
    for item in raw_params:
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        value = value.strip()
        if not sep or not _is_token(key):
            return None, empty
        if key in params:
            return None, empty
        if _CONTINUATION_RE.match(key):
            # RFC 2231 segment (name*0, name*1*...): decoded when the segments are joined
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = _QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
            params[key] = value
            continue
        if key.endswith("*"):
            decoded = _decode_ext_value(value)
            if decoded is None:
                continue
            value = decoded
        elif len(value) >= 2 and value[0] == value[-1] == '"':
            value = _QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
            if key == "filename":
                value = value.lstrip("\\/")
        params[key] = value
    return disptype.lower(), MappingProxyType(params)


def content_disposition_filename(params: Mapping[str, str], name: str = "filename") -> str | None:
    """Return the value of ``name`` from parsed parameters.

    Prefers ``name*``, then ``name``, then RFC 2231 continuations ``name*0``, ``name*1``...
    """
    if not params:
        return None
    ext_name = f"{name}*"
    if ext_name in params:
        return params[ext_name]
    if name in params:
        return params[name]
    parts: list[str] = []
    encoded = False
    for i in range(1000):
        plain, star = f"{name}*{i}", f"{name}*{i}*"
        if plain in params:
            parts.append(params[plain])
        elif star in params:
            parts.append(params[star])
            encoded = True
        else:
            break
    if not parts:
        return None
    value = "".join(parts)
    if encoded and value.count("'") >= 2:
        charset, _lang, rest = value.split("'", 2)
        try:
            return unquote(rest, charset or "utf-8", "strict")
        except (LookupError, UnicodeError):
            return None
    return value
