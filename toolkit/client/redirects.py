"""Following redirects: where a 3xx points, and what the next request carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict
from yarl import URL

from toolkit import hdrs
from toolkit.client.exceptions import (
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
)

__all__ = [
    "REDIRECT_STATUSES",
    "RedirectStep",
    "is_resendable",
    "next_method",
    "redirect_target",
    "strip_for_new_origin",
]

#: Status codes that the session follows when ``allow_redirects`` is true.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_HTTP_SCHEMES = frozenset({"http", "https", "ws", "wss", ""})

#: Header fields that describe the body; they go when the body is dropped.
_BODY_HEADERS = (
    hdrs.CONTENT_LENGTH,
    hdrs.CONTENT_TYPE,
    hdrs.CONTENT_ENCODING,
    hdrs.TRANSFER_ENCODING,
    hdrs.EXPECT,
)


class RedirectStep(NamedTuple):
    """The method and whether the body is kept for the request after a redirect."""

    method: str
    keep_body: bool


def next_method(status: int, method: str) -> RedirectStep:
    """The method of the follow-up request (RFC 9110 section 15.4).

    303 turns everything but HEAD into GET; 301 and 302 turn POST into GET (what browsers
    do); 307 and 308 keep the method and the body.
    """
    if (status == 303 and method != hdrs.METH_HEAD) or (
        status in (301, 302) and method == hdrs.METH_POST
    ):
        return RedirectStep(hdrs.METH_GET, False)
    return RedirectStep(method, True)


def redirect_target(location: str, current: URL, *, requote: bool = True) -> URL:
    """Resolve a ``Location`` value against the URL that answered with it.

    Raises ``InvalidUrlRedirectClientError`` for something that is not a URL and
    ``NonHttpUrlRedirectClientError`` for a scheme other than http(s)/ws(s).
    """
    try:  # (yarl splits the authority when it is first asked: a bad port raises late)
        parsed = URL(location, encoded=not requote)
        scheme = parsed.scheme
        if scheme in _HTTP_SCHEMES:
            if scheme and not parsed.raw_host:
                # "http:path" or "http:/path": browsers read it as relative to the current URL.
                parsed = current.join(URL(location.split(":", 1)[1], encoded=not requote))
            elif not scheme:
                parsed = current.join(parsed)
            host = parsed.raw_host
    except (ValueError, TypeError) as exc:
        raise InvalidUrlRedirectClientError(
            location,
            "Server attempted redirecting to a location that does not look like a URL",
        ) from exc
    if scheme not in _HTTP_SCHEMES:
        raise NonHttpUrlRedirectClientError(location)
    if not host:
        raise InvalidUrlRedirectClientError(
            location, "Server attempted redirecting to a URL without a host"
        )
    try:
        parsed.origin()
    except ValueError as exc:
        raise InvalidUrlRedirectClientError(parsed, "Invalid redirect URL origin") from exc
    return parsed


def same_origin(a: URL, b: URL) -> bool:
    """Whether two absolute URLs share scheme, host and port."""
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def strip_for_new_origin(headers: CIMultiDict[str]) -> CIMultiDict[str]:
    """Headers for a request to another origin: without credentials and cookies."""
    stripped = CIMultiDict(headers)
    for name in (hdrs.AUTHORIZATION, hdrs.COOKIE, hdrs.PROXY_AUTHORIZATION):
        stripped.popall(name, None)
    return stripped


def strip_body_headers(headers: CIMultiDict[str]) -> CIMultiDict[str]:
    """Headers for a follow-up request that drops the body."""
    stripped = CIMultiDict(headers)
    for name in _BODY_HEADERS:
        stripped.popall(name, None)
    return stripped


def is_resendable(data: Any) -> bool:
    """Whether a request body can be sent again (for 307/308 redirects)."""
    if data is None or isinstance(data, (bytes, bytearray, str)):
        return True
    if isinstance(data, (dict, MultiDict, CIMultiDictProxy, Mapping)):
        return True
    if isinstance(data, (list, tuple)):
        return all(isinstance(item, tuple) for item in data)
    from toolkit import payload as payload_mod

    return isinstance(data, (payload_mod.BytesPayload, payload_mod.StringPayload)) and not (
        isinstance(data, getattr(payload_mod, "BytesIOPayload", ()))
    )
