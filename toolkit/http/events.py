"""The events the HTTP/1.1 parsers produce: small immutable value objects.

A parser turns bytes into a list of events: a :class:`RequestHead` or
:class:`ResponseHead`, then the body as plain :class:`bytes` objects, then an
:class:`EndOfMessage`. Interim (1xx) responses are a lone :class:`ResponseHead`.
"""

# No ``from __future__ import annotations`` here: typing.NamedTuple compiles every
# field annotation given as a string, which made this module costly to import.
from typing import NamedTuple, TypeAlias

from multidict import CIMultiDictProxy

__all__ = [
    "EndOfMessage",
    "Event",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RawHeaders",
    "RequestHead",
    "ResponseHead",
]

RawHeaders: TypeAlias = tuple[tuple[bytes, bytes], ...]


class HttpVersion(NamedTuple):
    """An HTTP protocol version, e.g. ``HttpVersion(1, 1)``."""

    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)


class RequestHead(NamedTuple):
    """The request line and header section of a request.

    ``target`` is the request-target exactly as sent. ``should_close`` is True
    when the connection must close after this exchange; ``compression`` is the
    single content coding of the body among gzip/deflate/br/zstd (else None);
    ``upgrade`` is True for an upgrade request (``Connection: upgrade`` plus an
    ``Upgrade`` header) or a CONNECT; ``chunked`` is True when the body uses the
    chunked transfer coding.
    """

    method: str
    target: str
    version: HttpVersion
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    should_close: bool
    compression: str | None
    upgrade: bool
    chunked: bool


class ResponseHead(NamedTuple):
    """The status line and header section of a response.

    ``upgrade`` is True when the connection switches protocols after this
    response (101 Switching Protocols, or a 2xx answer to CONNECT). The other
    fields mean what they mean on :class:`RequestHead`.
    """

    version: HttpVersion
    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    should_close: bool
    compression: str | None
    upgrade: bool
    chunked: bool


class EndOfMessage(NamedTuple):
    """The end of a message's body, with the trailer fields of a chunked body (or None)."""

    trailers: CIMultiDictProxy[str] | None = None


Event: TypeAlias = RequestHead | ResponseHead | bytes | EndOfMessage
