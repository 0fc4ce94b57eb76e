"""Cookie storage for the client, following RFC 6265.

:class:`CookieJar` stores what servers set (``update_cookies``) and picks what to send
(``filter_cookies``): domain and path matching, host-only cookies, ``Secure``, expiry by
``Max-Age`` or ``Expires``. Cookies from IP-address hosts are refused unless the jar is
``unsafe``. Time comes from an injectable ``clock`` (``time.time`` by default, looked up
on each call so that freezegun can move it).
"""

from __future__ import annotations

import abc
import calendar
import contextlib
import datetime
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from yarl import URL

from ._lazy import lazy_pattern
from .helpers import is_ip_address

if TYPE_CHECKING:
    # http.cookies costs more to import than this module: loaded when cookies are used.
    from http.cookies import BaseCookie, Morsel, SimpleCookie

__all__ = ("AbstractCookieJar", "CookieJar", "DummyCookieJar")

ClearCookiePredicate = Callable[["Morsel[str]"], bool]
LooseCookies: TypeAlias = (
    "Mapping[str, str | BaseCookie[str] | Morsel[Any]]"
    " | Iterable[tuple[str, str | BaseCookie[str] | Morsel[Any]]]"
    " | BaseCookie[str]"
)

_SAVE_FORMAT: Final = "toolkit.cookiejar/1"
_EMPTY_URL: Final = URL()
_NO_ORIGINS: frozenset[URL] = frozenset()


class AbstractCookieJar(Sized, Iterable["Morsel[str]"]):
    """The interface a session's ``cookie_jar`` must provide."""

    def __init__(self, *, loop: Any = None) -> None:
        self._loop = loop

    @property
    @abc.abstractmethod
    def quote_cookie(self) -> bool:
        """Whether cookie values are quoted when sent."""

    @abc.abstractmethod
    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove all cookies, or those for which ``predicate(morsel)`` is true."""

    @abc.abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""

    @abc.abstractmethod
    def update_cookies(self, cookies: LooseCookies, response_url: URL = _EMPTY_URL) -> None:
        """Store cookies set by a response from ``response_url``."""

    @abc.abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """Return the cookies to send with a request to ``request_url``."""


def _now() -> float:
    return time.time()


def _simple_cookie() -> SimpleCookie:
    """A new ``SimpleCookie``: the jar's default factory (http.cookies loads on first use)."""
    from http.cookies import SimpleCookie

    return SimpleCookie()


# RFC 6265 section 5.1.1 date parsing (compiled on first use: most programs never parse
# a cookie date). Its DIGIT is 0-9 only; \d would also take other scripts' digits.
_DATE_TOKENS_RE = lazy_pattern(
    r"[\x09\x20-\x2F\x3B-\x40\x5B-\x60\x7B-\x7E]*"
    r"(?P<token>[\x00-\x08\x0A-\x1F0-9:a-zA-Z\x7F-\xFF]+)"
)
_DATE_HMS_TIME_RE = lazy_pattern(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})")
_DATE_DAY_OF_MONTH_RE = lazy_pattern(r"([0-9]{1,2})")
_DATE_MONTH_RE = lazy_pattern(
    r"(?i)(jan)|(feb)|(mar)|(apr)|(may)|(jun)|(jul)|(aug)|(sep)|(oct)|(nov)|(dec)"
)
_DATE_YEAR_RE = lazy_pattern(r"([0-9]{2,4})")
#: Latest expiry time that can be represented everywhere (year 9999 on 64-bit).
_MAX_TIME: Final = float(calendar.timegm((9999, 12, 31, 23, 59, 59, -1, -1, -1)))
_MAX_AGE_RE = lazy_pattern(r"-?[0-9]+")


def _max_age_seconds(value: str) -> int | None:
    """RFC 6265 section 5.2.2 Max-Age: ASCII digits after an optional ``-``; None otherwise.

    Longer numbers than the seconds up to year 9999 (12 digits) count as 10**12: the
    expiry is a float, and a sum with a 400-digit int would overflow.
    """
    if _MAX_AGE_RE.fullmatch(value) is None:
        return None
    digits = value.lstrip("-")
    seconds = int(digits) if len(digits) <= 12 else 10**12
    return -seconds if value[0] == "-" else seconds


def _check_cookie_name(name: object) -> None:
    """Raise ``TypeError`` for a cookie name that is not a str (the client's request
    cookies and the jar both take names from the caller)."""
    if not isinstance(name, str):
        raise TypeError(f"cookie name {name!r} is a {type(name).__name__}, expected str")


def parse_cookie_date(value: str) -> float | None:
    """Parse a cookie ``Expires`` date with the RFC 6265 algorithm; None when invalid."""
    if not value:
        return None
    found_time = found_day = found_month = found_year = False
    hour = minute = second = day = month = year = 0
    for token_match in _DATE_TOKENS_RE.finditer(value):
        token = token_match.group("token")
        if not found_time:
            m = _DATE_HMS_TIME_RE.match(token)
            if m:
                found_time = True
                hour, minute, second = (int(s) for s in m.groups())
                continue
        if not found_day:
            m = _DATE_DAY_OF_MONTH_RE.match(token)
            if m:
                found_day = True
                day = int(m.group())
                continue
        if not found_month:
            m = _DATE_MONTH_RE.match(token)
            if m:
                found_month = True
                assert m.lastindex is not None
                month = m.lastindex
                continue
        if not found_year:
            m = _DATE_YEAR_RE.match(token)
            if m:
                found_year = True
                year = int(m.group())
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    if not (found_time and found_day and found_month and found_year):
        return None
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        datetime.date(year, month, day)
    except ValueError:
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second, -1, -1, -1)))


def _is_domain_match(domain: str, hostname: str) -> bool:
    """RFC 6265 section 5.1.3 domain matching."""
    if hostname == domain:
        return True
    if not hostname.endswith(domain):
        return False
    if not hostname[: -len(domain)].endswith("."):
        return False
    return not is_ip_address(hostname)


def _is_path_match(req_path: str, cookie_path: str) -> bool:
    """RFC 6265 section 5.1.4 path matching."""
    if not req_path.startswith("/"):
        req_path = "/"
    if req_path == cookie_path:
        return True
    if not req_path.startswith(cookie_path):
        return False
    if cookie_path.endswith("/"):
        return True
    return req_path[len(cookie_path) :].startswith("/")


def _default_path(url: URL) -> str:
    """RFC 6265 section 5.1.4 default-path of a request URL."""
    path = url.path
    if not path.startswith("/") or path.count("/") <= 1:
        return "/"
    return path[: path.rfind("/")]


def _origins(given: URL | str | Iterable[URL | str]) -> frozenset[URL]:
    """The origins of ``treat_as_secure_origin`` (one URL or string, or several)."""
    origins = [given] if isinstance(given, (URL, str)) else list(given)
    return frozenset(URL(str(o)).origin() for o in origins)


class CookieJar(AbstractCookieJar):
    """An RFC 6265 cookie store.

    ``unsafe=True`` accepts cookies from IP addresses; ``quote_cookie=False`` sends
    values as they are; ``treat_as_secure_origin`` lists origins (URLs or strings) whose
    plain-HTTP requests still get ``Secure`` cookies; ``clock`` returns the current
    time in seconds since the epoch.
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: URL | str | Iterable[URL | str] | None = None,
        loop: Any = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._loop = loop  # (AbstractCookieJar.__init__, inline)
        self._cookies: defaultdict[tuple[str, str], SimpleCookie] = defaultdict(_simple_cookie)
        self._host_only_cookies: set[tuple[str, str]] = set()
        self._expirations: dict[tuple[str, str, str], float] = {}
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        self._clock = clock if clock is not None else _now
        self._treat_as_secure_origin: frozenset[URL] = (
            _NO_ORIGINS if treat_as_secure_origin is None else _origins(treat_as_secure_origin)
        )

    @property
    def quote_cookie(self) -> bool:
        """Whether cookie values are quoted when sent."""
        return self._quote_cookie

    # -- persistence --------------------------------------------------------------

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write the cookies (with host-only flags and expiry times) to a pickle file."""
        state = {
            "format": _SAVE_FORMAT,
            "cookies": {k: v for k, v in self._cookies.items() if v},
            "host_only": set(self._host_only_cookies),
            "expirations": dict(self._expirations),
        }
        import pickle  # (only save() and load() need it)

        with open(file_path, mode="wb") as f:
            pickle.dump(state, f, pickle.HIGHEST_PROTOCOL)

    def load(self, file_path: str | os.PathLike[str]) -> None:
        """Replace the cookies with those saved in ``file_path`` by :meth:`save`.

        Only load files you wrote yourself: the file is a pickle.
        """
        import pickle

        with open(file_path, mode="rb") as f:
            state = pickle.load(f)
        cookies: defaultdict[tuple[str, str], SimpleCookie] = defaultdict(_simple_cookie)
        if isinstance(state, dict) and state.get("format") == _SAVE_FORMAT:
            cookies.update(state["cookies"])
            self._host_only_cookies = set(state["host_only"])
            self._expirations = dict(state["expirations"])
        elif isinstance(state, Mapping):  # a bare {(domain, path): SimpleCookie} mapping
            cookies.update(state)
            self._host_only_cookies = set()
            self._expirations = {}
        else:
            raise ValueError(f"{os.fspath(file_path)!r} is not a saved cookie jar")
        self._cookies = cookies
        self._do_expiration()

    # -- removal ------------------------------------------------------------------

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove all cookies, or the expired ones and those matching ``predicate``."""
        if predicate is None:
            self._cookies.clear()
            self._host_only_cookies.clear()
            self._expirations.clear()
            return
        now = self._clock()
        for (domain, path), cookie in list(self._cookies.items()):
            for name, morsel in list(cookie.items()):
                key = (domain, path, name)
                expires = self._expirations.get(key)
                if (expires is not None and expires <= now) or predicate(morsel):
                    del cookie[name]
                    self._expirations.pop(key, None)
                    self._host_only_cookies.discard((domain, name))
            if not cookie:
                del self._cookies[(domain, path)]

    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""
        domain = domain.lower().lstrip(".")
        self.clear(lambda morsel: _is_domain_match(domain, morsel["domain"]))

    def _do_expiration(self) -> None:
        if self._expirations:
            self.clear(lambda morsel: False)

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._do_expiration()
        for cookie in list(self._cookies.values()):
            yield from cookie.values()

    def __len__(self) -> int:
        return sum(1 for _ in self)

    # -- storing ------------------------------------------------------------------

    def update_cookies(self, cookies: LooseCookies, response_url: URL = _EMPTY_URL) -> None:
        """Store cookies set by a response from ``response_url``.

        Without a host in ``response_url`` the cookies are shared: sent to every host.
        """
        from http.cookies import CookieError, Morsel, SimpleCookie

        response_url = URL(response_url)
        hostname = response_url.raw_host
        if not self._unsafe and is_ip_address(hostname):
            return  # RFC 6265 is silent; browsers and aiohttp refuse IP hosts by default
        items: Iterable[tuple[str, Any]] = (
            cookies.items() if isinstance(cookies, Mapping) else cookies
        )
        now = self._clock()
        for name, value in items:
            _check_cookie_name(name)
            if isinstance(value, Morsel):
                cookie: Morsel[str] = value
            else:
                tmp = SimpleCookie()
                try:
                    tmp[name] = value
                except CookieError as exc:
                    raise ValueError(f"invalid cookie {name!r}: {exc}") from None
                cookie = tmp[name]
            domain = cookie["domain"].lower()
            if domain.endswith("."):
                # RFC 6265 section 5.2.3: ignore a Domain attribute with a trailing dot
                domain = ""
                del cookie["domain"]
            if not domain and hostname is not None:
                self._host_only_cookies.add((hostname, name))
                domain = cookie["domain"] = hostname
            else:
                domain = domain.lstrip(".")
                if domain:
                    cookie["domain"] = domain
                    self._host_only_cookies.discard((domain, name))
            if hostname and not _is_domain_match(domain, hostname):
                continue  # a server may not set cookies for another domain
            path = cookie["path"]
            if not path or not path.startswith("/"):
                path = cookie["path"] = _default_path(response_url)
            path_key = path.rstrip("/")
            key = (domain, path_key, name)
            self._expirations.pop(key, None)
            max_age = cookie["max-age"]
            delta = _max_age_seconds(max_age) if max_age else None
            if delta is not None:
                self._expirations[key] = min(now + delta, _MAX_TIME)
            else:
                if max_age:
                    cookie["max-age"] = ""  # invalid: ignored, Expires applies (RFC 6265 5.2.2)
                expires = cookie["expires"]
                if expires:
                    expire_time = parse_cookie_date(expires)
                    if expire_time is not None:
                        self._expirations[key] = expire_time
                    else:
                        cookie["expires"] = ""
            self._cookies[(domain, path_key)][name] = cookie
        self._do_expiration()

    # -- sending ------------------------------------------------------------------

    def filter_cookies(self, request_url: URL = _EMPTY_URL) -> BaseCookie[str]:
        """Return the cookies to send with a request to ``request_url``."""
        from http.cookies import BaseCookie, Morsel, SimpleCookie

        filtered: BaseCookie[str] = SimpleCookie() if self._quote_cookie else BaseCookie()
        if not self._cookies:
            return filtered
        request_url = URL(request_url)
        hostname = request_url.raw_host or ""
        is_not_secure = request_url.scheme not in ("https", "wss")
        if is_not_secure and self._treat_as_secure_origin:
            origin = None
            with contextlib.suppress(ValueError):
                origin = request_url.origin()
            is_not_secure = origin not in self._treat_as_secure_origin
        is_ip = is_ip_address(hostname)
        # Longer paths go last so that they win for cookies with the same name.
        for cookie in sorted(self, key=lambda c: len(c["path"])):
            name = cookie.key
            domain = cookie["domain"]
            if not domain:  # a shared cookie
                filtered[name] = cookie.value
                continue
            if is_ip and not self._unsafe:
                continue
            if (domain, name) in self._host_only_cookies:
                if domain != hostname:
                    continue
            elif not _is_domain_match(domain, hostname):
                continue
            if not _is_path_match(request_url.path, cookie["path"]):
                continue
            if is_not_secure and cookie["secure"]:
                continue
            morsel: Morsel[str] = Morsel()
            morsel.set(cookie.key, cookie.value, cookie.coded_value)
            filtered[name] = morsel
        return filtered


class DummyCookieJar(AbstractCookieJar):
    """A jar that stores nothing: no cookie is ever kept or sent."""

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter(())

    def __len__(self) -> int:
        return 0

    @property
    def quote_cookie(self) -> bool:
        """Always True."""
        return True

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Do nothing."""

    def clear_domain(self, domain: str) -> None:
        """Do nothing."""

    def update_cookies(self, cookies: LooseCookies, response_url: URL = _EMPTY_URL) -> None:
        """Drop the cookies."""

    def filter_cookies(self, request_url: URL = _EMPTY_URL) -> BaseCookie[str]:
        """Return an empty cookie set."""
        from http.cookies import SimpleCookie

        return SimpleCookie()
