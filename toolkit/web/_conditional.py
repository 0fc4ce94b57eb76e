"""The conditional and range request headers of a server request, parsed on access."""

from __future__ import annotations

import datetime

from toolkit import hdrs
from toolkit.helpers import ETag, parse_etags, parse_http_date
from toolkit.http import RequestHead
from toolkit.web._helpers import byte_position, byte_range_digits

__all__ = ["ConditionalHeaders"]


class ConditionalHeaders:
    """``if_modified_since`` and friends, and ``http_range``, for a request's ``_message``."""

    __slots__ = ()
    _message: RequestHead

    def _date_header(self, name: str) -> datetime.datetime | None:
        return parse_http_date(self._message.headers.get(name))

    @property
    def if_modified_since(self) -> datetime.datetime | None:
        """If-Modified-Since as an aware datetime (``None`` if absent or invalid)."""
        return self._date_header(hdrs.IF_MODIFIED_SINCE)

    @property
    def if_unmodified_since(self) -> datetime.datetime | None:
        """If-Unmodified-Since as an aware datetime (``None`` if absent or invalid)."""
        return self._date_header(hdrs.IF_UNMODIFIED_SINCE)

    @property
    def if_range(self) -> datetime.datetime | None:
        """If-Range as an aware datetime (``None`` if absent, invalid or an ETag)."""
        return self._date_header(hdrs.IF_RANGE)

    @property
    def if_match(self) -> tuple[ETag, ...] | None:
        """The ETags of If-Match (``None`` without the header)."""
        return parse_etags(self._message.headers.get(hdrs.IF_MATCH))

    @property
    def if_none_match(self) -> tuple[ETag, ...] | None:
        """The ETags of If-None-Match (``None`` without the header)."""
        return parse_etags(self._message.headers.get(hdrs.IF_NONE_MATCH))

    @property
    def http_range(self) -> slice:
        """The Range header as a slice; :class:`ValueError` when malformed."""
        rng = self._message.headers.get(hdrs.RANGE)
        start: int | None = None
        end: int | None = None
        if rng is not None:
            digits = byte_range_digits(rng)
            if digits is None:
                raise ValueError(f"range not in acceptable format: {rng!r}")
            first, last = digits
            start = byte_position(first) if first else None
            end = byte_position(last) if last else None
            if start is None and end is not None:
                start, end = -end, None  # a suffix: the last `end` bytes
            elif start is not None and end is not None:
                end += 1  # inclusive in the header, exclusive in a slice
                if start >= end:
                    raise ValueError(f"range start cannot be after its end: {rng!r}")
            if start is None and end is None:
                raise ValueError(f"no start or end of range specified: {rng!r}")
        return slice(start, end, 1)
