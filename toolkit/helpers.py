"""Small helpers shared by the client and the server.

Credentials live in :mod:`toolkit.auth` and proxy settings in :mod:`toolkit.proxy_env`;
both are re-exported here for convenience (and loaded on first use).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, overload

from multidict import MultiDict, MultiDictProxy

from ._lazy import lazy_dir, lazy_load, lazy_pattern

if TYPE_CHECKING:
    import datetime

    from .auth import BasicAuth, basicauth_from_netrc, netrc_from_env, strip_auth_from_url
    from .proxy_env import (
        ProxyInfo,
        get_env_proxy_for_url,
        proxies_from_env,
        should_bypass_proxy,
    )

__all__ = (
    "ETAG_ANY",
    "BasicAuth",
    "ETag",
    "MimeType",
    "ProxyInfo",
    "TimerContext",
    "TimerNoop",
    "basicauth_from_netrc",
    "get_charset",
    "get_env_proxy_for_url",
    "http_date",
    "is_ip_address",
    "netrc_from_env",
    "parse_content_type",
    "parse_etags",
    "parse_http_date",
    "parse_mimetype",
    "proxies_from_env",
    "reify",
    "sentinel",
    "should_bypass_proxy",
    "strip_auth_from_url",
    "validate_etag_value",
)

_T = TypeVar("_T")

#: Re-exported names whose modules load on first use: only sessions with credentials
#: or trust_env need them.
_LAZY = {
    **dict.fromkeys(
        ("BasicAuth", "basicauth_from_netrc", "netrc_from_env", "strip_auth_from_url"),
        "toolkit.auth",
    ),
    **dict.fromkeys(
        ("ProxyInfo", "get_env_proxy_for_url", "proxies_from_env", "should_bypass_proxy"),
        "toolkit.proxy_env",
    ),
}


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), _LAZY)


class _Sentinel:
    """The type of :data:`sentinel`; copies and unpickled copies are ``sentinel`` itself."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<sentinel>"

    def __reduce__(self) -> str:
        return "sentinel"


#: Marks "argument not given" where None is a meaningful value.
sentinel = _Sentinel()


class reify(Generic[_T]):
    """A property computed once per instance and then cached.

    The value is stored in the instance's ``_cache`` dict when it has one, otherwise in
    its ``__dict__``. Assigning to a reified attribute raises :class:`AttributeError`.
    """

    def __init__(self, wrapped: Callable[[Any], _T]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.name = wrapped.__name__

    @overload
    def __get__(self, inst: None, owner: type[Any] | None = None) -> reify[_T]: ...

    @overload
    def __get__(self, inst: object, owner: type[Any] | None = None) -> _T: ...

    def __get__(self, inst: object, owner: type[Any] | None = None) -> _T | reify[_T]:
        if inst is None:
            return self
        cache: dict[str, Any] | None = getattr(inst, "_cache", None)
        if cache is None:
            cache = inst.__dict__
        try:
            return cache[self.name]  # type: ignore[no-any-return]
        except KeyError:
            val = self.wrapped(inst)
            cache[self.name] = val
            return val

    def __set__(self, inst: object, value: _T) -> None:
        raise AttributeError(f"reified property {self.name!r} is read-only")


# -- media types -------------------------------------------------------------------


# The functional form: the class form would compile each (string) annotation at import.
MimeType = NamedTuple(  # noqa: UP014
    "MimeType",
    [("type", str), ("subtype", str), ("suffix", str), ("parameters", MultiDictProxy[str])],
)
MimeType.__doc__ = """A parsed media type: ``type/subtype+suffix; parameters``."""


def parse_mimetype(mimetype: str) -> MimeType:
    """Parse a ``Content-Type``-like value; names are lowercased, values unquoted.

    >>> parse_mimetype("application/ld+json; charset=utf-8")[:3]
    ('application', 'ld', 'json')
    """
    if not mimetype:
        return MimeType("", "", "", MultiDictProxy(MultiDict()))
    parts = mimetype.split(";")
    params: MultiDict[str] = MultiDict()
    for item in parts[1:]:
        if not item.strip():
            continue
        key, _, value = item.partition("=")
        params.add(key.strip().lower(), value.strip(' "'))
    fulltype = parts[0].strip().lower()
    if fulltype == "*":
        fulltype = "*/*"
    mtype, _, stype = fulltype.partition("/")
    stype, _, suffix = stype.partition("+")
    return MimeType(mtype, stype, suffix, MultiDictProxy(params))


def parse_content_type(value: str | None) -> tuple[str, MultiDictProxy[str]]:
    """Return ``("type/subtype", parameters)`` for a ``Content-Type`` header value.

    A missing or empty value yields ``("application/octet-stream", {})`` as RFC 9110
    allows a recipient to assume.
    """
    if not value:
        return "application/octet-stream", MultiDictProxy(MultiDict())
    mime = parse_mimetype(value)
    fulltype = f"{mime.type}/{mime.subtype}" if mime.subtype else mime.type
    if mime.suffix:
        fulltype += "+" + mime.suffix
    return fulltype, mime.parameters


def get_charset(content_type: str | None) -> str | None:
    """Return the ``charset`` parameter of a ``Content-Type`` value, if any."""
    if not content_type:
        return None
    return parse_mimetype(content_type).parameters.get("charset") or None


# -- ETags -------------------------------------------------------------------------

ETAG_ANY = "*"
_QUOTED_ETAG = r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"'
# Only conditional requests need these: compiled on first use.
_LIST_QUOTED_ETAG = lazy_pattern(rf"({_QUOTED_ETAG})(?:\s*,\s*|$)|(.)")
_ETAG_VALUE = lazy_pattern(r"[\x21\x23-\x7e\x80-\xff]*")


@dataclass(frozen=True)
class ETag:
    """An entity tag: ``value`` without quotes, ``is_weak`` for ``W/"..."`` tags."""

    value: str
    is_weak: bool = False


def validate_etag_value(value: str) -> None:
    """Raise :class:`ValueError` unless ``value`` may appear between ETag quotes."""
    if value != ETAG_ANY and not _ETAG_VALUE.fullmatch(value):
        raise ValueError(f"Value {value!r} is not a valid etag. Maybe it contains '\"'?")


def parse_etags(header: str | None) -> tuple[ETag, ...] | None:
    """Parse an ``If-Match``/``If-None-Match`` value; None when there is no header.

    ``*`` gives ``(ETag("*"),)``; malformed members are skipped.
    """
    if header is None:
        return None
    header = header.strip()
    if header == ETAG_ANY:
        return (ETag(ETAG_ANY),)
    tags: list[ETag] = []
    for match in _LIST_QUOTED_ETAG.finditer(header):
        if match.group(4) is not None:  # garbage: stop at the first bad member
            break
        tags.append(ETag(match.group(3), is_weak=bool(match.group(2))))
    return tuple(tags)


# -- misc --------------------------------------------------------------------------


def is_ip_address(host: str | bytes | None) -> bool:
    """Return True when ``host`` is an IPv4 or IPv6 address (brackets allowed)."""
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = host.strip("[]")
    if "%" in host:  # IPv6 zone id
        host = host.split("%", 1)[0]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def http_date(when: float | datetime.datetime | None = None) -> str:
    """Format a timestamp (default: now) as an RFC 9110 IMF-fixdate."""
    import datetime  # (here and below: few programs format or parse dates this way)
    import email.utils

    if when is None:
        when = datetime.datetime.now(datetime.timezone.utc)
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return email.utils.format_datetime(when.astimezone(datetime.timezone.utc), usegmt=True)
    return email.utils.formatdate(when, usegmt=True)


def content_length_value(value: str | None) -> int | None:
    """A Content-Length field value as an int: 1 to 18 ASCII digits, spaces and tabs
    around them (what the parsers admit); None when absent or anything else (int() would
    take '+5', '1_0' and other scripts' digits, and refuse '0\\x1f' or 5000 digits)."""
    if value is None:
        return None
    digits = value.strip(" \t")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
        return None
    return int(digits)


def parse_http_date(value: str | None) -> datetime.datetime | None:
    """Parse an HTTP date into an aware UTC datetime; None when absent or invalid."""
    if not value:
        return None
    import datetime
    import email.utils

    if not value.isascii():  # (the parser's int() would take other scripts' digits)
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        # (OverflowError: an offset that moves 9999-12-31 or 0001-01-01 out of range)
        return parsed.astimezone(datetime.timezone.utc)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class TimerNoop:
    """A timer that never fires (used when the timeout is disabled)."""

    def __enter__(self) -> TimerNoop:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        return None

    def assert_timeout(self) -> None:
        """Never raises: this timer never expires."""

    def timeout(self) -> None:
        """Does nothing."""


class TimerContext:
    """Cancels the tasks inside ``with timer:`` when :meth:`timeout` is called.

    Entering it from outside a task raises ``RuntimeError``; entering it after it
    expired raises ``asyncio.TimeoutError`` straight away.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._tasks: list[asyncio.Task[object]] = []
        self._expired = False

    @property
    def expired(self) -> bool:
        """True once the deadline has fired."""
        return self._expired

    def assert_timeout(self) -> None:
        """Raise ``asyncio.TimeoutError`` if the deadline has already fired."""
        if self._expired:
            raise asyncio.TimeoutError from None

    def __enter__(self) -> TimerContext:
        task = asyncio.current_task(loop=self._loop)
        if task is None:
            raise RuntimeError("a TimerContext must be entered from inside a task")
        if self._expired:
            raise asyncio.TimeoutError from None
        self._tasks.append(task)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        task = self._tasks.pop() if self._tasks else None
        if exc_type is asyncio.CancelledError and self._expired:
            if task is not None and _uncancel(task) > 0:
                return None  # somebody else cancelled the task as well: let it propagate
            raise asyncio.TimeoutError from exc_val
        return None

    def timeout(self) -> None:
        """Expire: cancel every task currently inside the context."""
        if not self._expired:
            for task in set(self._tasks):
                task.cancel()
            self._expired = True


def _uncancel(task: asyncio.Task[object]) -> int:
    """Undo our own cancel request; the number of cancel requests still pending."""
    uncancel = getattr(task, "uncancel", None)  # Python 3.11+
    if uncancel is None:
        return 0
    remaining: int = uncancel()
    return remaining


def drop_read_callback(transport: object) -> None:
    """Break the cycle a closed asyncio socket transport keeps on Python 3.11.

    ``_SelectorSocketTransport`` stores its bound read callback on itself; Python 3.12
    drops it on close (gh-100348), 3.11 leaves it to the garbage collector. Called from
    ``connection_lost``, after which the transport reads nothing.
    """
    if getattr(transport, "_read_ready_cb", None) is not None:
        transport._read_ready_cb = None  # type: ignore[attr-defined]
