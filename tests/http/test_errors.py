"""The error tree: aiohttp's http_exceptions names, codes, messages, pickling."""

from __future__ import annotations

import pickle

import pytest
from multidict import CIMultiDict

from toolkit.http.errors import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentEncodingError,
    ContentLengthError,
    DecompressionLimitError,
    HttpBadRequest,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    PayloadEncodingError,
    PayloadTooLarge,
    TooManyHeaders,
    TransferEncodingError,
)

SAMPLES: list[HttpProcessingError] = [
    HttpProcessingError(code=502, message="upstream", headers={"X": "y"}),
    BadHttpMessage("bad"),
    HttpBadRequest("bad request"),
    PayloadEncodingError("payload"),
    ContentEncodingError("gzip broke"),
    DecompressionLimitError("too big"),
    TransferEncodingError("chunk"),
    ContentLengthError("short"),
    PayloadTooLarge("large"),
    LineTooLong("request line", 8190, 9000),
    LineTooLong("request header field line 3", 8190, 9000, code=431),
    TooManyHeaders("many"),
    InvalidHeader(b"Content-Length", "repeated"),
    InvalidHeader("X-Name"),
    BadStatusLine("HTTP/1.1 2x OK"),
    BadStatusLine("GET / HTTP/2.0", "unsupported", code=505),
    BadHttpMethod("G(T / HTTP/1.1"),
    InvalidURLError("bad target"),
]


def test_hierarchy() -> None:
    assert issubclass(BadHttpMessage, HttpProcessingError)
    assert issubclass(HttpBadRequest, BadHttpMessage)
    for cls in (ContentEncodingError, TransferEncodingError, ContentLengthError):
        assert issubclass(cls, PayloadEncodingError)
    assert issubclass(PayloadEncodingError, BadHttpMessage)
    assert issubclass(DecompressionLimitError, ContentEncodingError)
    for other in (LineTooLong, InvalidHeader, BadStatusLine, InvalidURLError, TooManyHeaders):
        assert issubclass(other, BadHttpMessage)
    assert issubclass(BadHttpMethod, BadStatusLine)


@pytest.mark.parametrize("exc", SAMPLES, ids=lambda e: type(e).__name__)
def test_pickle_round_trip(exc: HttpProcessingError) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert copy.args == exc.args
    assert (copy.code, copy.message, copy.headers) == (exc.code, exc.message, exc.headers)
    assert str(copy) == str(exc)
    assert vars(copy) == vars(exc)


def test_pickle_keeps_multidict_headers() -> None:
    exc = BadHttpMessage("x", headers=CIMultiDict(A="1"))
    assert pickle.loads(pickle.dumps(exc)).headers == CIMultiDict(A="1")


def test_codes_and_messages() -> None:
    assert HttpProcessingError().code == 0
    assert BadHttpMessage("m").code == 400
    exc = LineTooLong("request line", 8190, 9000)
    assert exc.code == 400
    assert "8190" in exc.message and "9000" in exc.message and "request line" in exc.message
    assert LineTooLong("field", 10, 11, code=431).code == 431
    assert TooManyHeaders("x").code == 431
    assert PayloadTooLarge("x").code == 413
    assert DecompressionLimitError("x").code == 413
    assert BadStatusLine("x", code=505).code == 505


def test_str_and_repr() -> None:
    exc = BadHttpMessage("no colon in line 2")
    assert str(exc) == "400, message:\n  no colon in line 2"
    assert repr(exc) == "<BadHttpMessage: 400, message='no colon in line 2'>"


def test_invalid_header_names_the_header() -> None:
    exc = InvalidHeader(b"Content-Length", "repeated Content-Length fields")
    assert exc.hdr == "Content-Length"
    assert "Content-Length" in exc.message and "repeated" in exc.message
    assert exc.args == (b"Content-Length",)


def test_bad_status_line_keeps_line() -> None:
    exc = BadStatusLine(b"HTTP/1.1 xx")  # type: ignore[arg-type]
    assert exc.line == "b'HTTP/1.1 xx'"
    assert "HTTP/1.1 xx" in exc.message
