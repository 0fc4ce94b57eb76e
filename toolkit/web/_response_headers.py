"""Header properties shared by responses: content type, length, validators and cookies."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING

from multidict import CIMultiDict

from toolkit import hdrs
from toolkit.helpers import ETag, parse_http_date
from toolkit.web._helpers import (
    QUOTED_ETAG_RE,
    format_http_date,
    parse_content_type,
)

if TYPE_CHECKING:
    from http.cookies import SimpleCookie

__all__ = ["HeadersMixin"]

_EPOCH_EXPIRES = "Thu, 01 Jan 1970 00:00:00 GMT"


class HeadersMixin:
    """Typed views of a response's headers; the owner sets the attributes below."""

    _headers: CIMultiDict[str]
    _cookies: SimpleCookie | None  # created on first use
    _partitioned: set[str] | None
    _chunked: bool

    @property
    def headers(self) -> CIMultiDict[str]:
        """The response headers (mutable until :meth:`prepare`)."""
        return self._headers

    @property
    def cookies(self) -> SimpleCookie:
        """Cookies to send as Set-Cookie headers."""
        cookies = self._cookies
        if cookies is None:
            # http.cookies costs more to import than this package: only when used.
            from http.cookies import SimpleCookie

            cookies = self._cookies = SimpleCookie()
        return cookies

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        expires: str | None = None,
        domain: str | None = None,
        max_age: int | str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        version: str | None = None,
        samesite: str | None = None,
        partitioned: bool | None = None,
    ) -> None:
        """Set a cookie; attributes left as ``None`` are not sent."""
        cookies = self.cookies
        old = cookies.get(name)
        if old is not None and old.coded_value == "":
            cookies.pop(name, None)  # re-setting a deleted cookie
        cookies[name] = value
        morsel = cookies[name]
        if expires is not None:
            morsel["expires"] = expires
        elif morsel.get("expires") == _EPOCH_EXPIRES:
            del morsel["expires"]
        if domain is not None:
            morsel["domain"] = domain
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        elif "max-age" in morsel:
            del morsel["max-age"]
        morsel["path"] = path
        if secure is not None:
            morsel["secure"] = secure
        if httponly is not None:
            morsel["httponly"] = httponly
        if version is not None:
            morsel["version"] = version
        if samesite is not None:
            morsel["samesite"] = samesite
        if partitioned:
            if self._partitioned is None:
                self._partitioned = set()
            self._partitioned.add(name)
        elif self._partitioned is not None:
            self._partitioned.discard(name)

    def del_cookie(
        self,
        name: str,
        *,
        domain: str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
    ) -> None:
        """Tell the client to delete a cookie (empty value, expired, ``Max-Age=0``)."""
        self.cookies.pop(name, None)
        self.set_cookie(
            name,
            "",
            max_age=0,
            expires=_EPOCH_EXPIRES,
            domain=domain,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int, or ``None``."""
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        return int(value) if value is not None else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self._headers.pop(hdrs.CONTENT_LENGTH, None)
            return
        value = int(value)
        if self._chunked:
            raise RuntimeError("you cannot set a Content-Length when chunked encoding is enabled")
        self._headers[hdrs.CONTENT_LENGTH] = str(value)

    @property
    def content_type(self) -> str:
        """The media type of the Content-Type header (default ``application/octet-stream``)."""
        return parse_content_type(self._headers.get(hdrs.CONTENT_TYPE))[0] or (
            "application/octet-stream"
        )

    @content_type.setter
    def content_type(self, value: str) -> None:
        self._set_content_type(str(value), self.charset)

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of the Content-Type header."""
        return parse_content_type(self._headers.get(hdrs.CONTENT_TYPE))[1].get("charset")

    @charset.setter
    def charset(self, value: str | None) -> None:
        ctype = self.content_type
        if ctype == "application/octet-stream":
            raise RuntimeError(
                "setting a charset for the application/octet-stream content type is not allowed"
            )
        self._set_content_type(ctype, value.lower() if value else None)

    def _set_content_type(self, ctype: str, charset: str | None) -> None:
        params = dict(parse_content_type(self._headers.get(hdrs.CONTENT_TYPE))[1])
        params.pop("charset", None)
        if charset:
            params["charset"] = charset
        self._headers[hdrs.CONTENT_TYPE] = "; ".join(
            [ctype, *(f"{k}={v}" for k, v in params.items())]
        )

    @property
    def last_modified(self) -> datetime.datetime | None:
        """The Last-Modified header as an aware datetime, or ``None``."""
        return parse_http_date(self._headers.get(hdrs.LAST_MODIFIED))

    @last_modified.setter
    def last_modified(self, value: int | float | datetime.datetime | str | None) -> None:
        if value is None:
            self._headers.pop(hdrs.LAST_MODIFIED, None)
        elif isinstance(value, (int, float)):
            self._headers[hdrs.LAST_MODIFIED] = format_http_date(math.ceil(value))
        elif isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.timezone.utc)
            self._headers[hdrs.LAST_MODIFIED] = format_http_date(value.timestamp())
        elif isinstance(value, str):
            self._headers[hdrs.LAST_MODIFIED] = value
        else:
            raise TypeError(f"unsupported type for last_modified: {type(value).__name__}")

    @property
    def etag(self) -> ETag | None:
        """The ETag header as an :class:`~toolkit.helpers.ETag`, or ``None``."""
        value = self._headers.get(hdrs.ETAG)
        if value is None:
            return None
        if value == "*":
            return ETag(value="*")
        match = QUOTED_ETAG_RE.fullmatch(value)
        if match is None:
            return None
        return ETag(value=match.group(2), is_weak=bool(match.group(1)))

    @etag.setter
    def etag(self, value: ETag | str | None) -> None:
        if value is None:
            self._headers.pop(hdrs.ETAG, None)
            return
        if isinstance(value, str):
            value = ETag(value=value)
        if value.value == "*" and not value.is_weak:
            self._headers[hdrs.ETAG] = "*"
            return
        if not QUOTED_ETAG_RE.fullmatch(f'"{value.value}"'):
            raise ValueError(f"invalid ETag value: {value.value!r}")
        prefix = "W/" if value.is_weak else ""
        self._headers[hdrs.ETAG] = f'{prefix}"{value.value}"'
