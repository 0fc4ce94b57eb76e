"""Events and versions are small immutable value objects."""

from __future__ import annotations

import pickle

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from toolkit.http import EndOfMessage, HttpVersion, HttpVersion10, HttpVersion11, RequestHead


def test_versions() -> None:
    assert HttpVersion10 == (1, 0) and HttpVersion11 == HttpVersion(1, 1)
    assert HttpVersion10 < HttpVersion11
    assert HttpVersion11.major == 1 and HttpVersion11.minor == 1
    with pytest.raises(AttributeError):
        HttpVersion11.minor = 0  # type: ignore[misc]


def test_request_head_fields_and_pickle() -> None:
    headers = CIMultiDictProxy(CIMultiDict([("Host", "h")]))
    head = RequestHead(
        "GET", "/", HttpVersion11, headers, ((b"Host", b"h"),), False, None, False, False
    )
    assert head._fields == (
        "method", "target", "version", "headers", "raw_headers",
        "should_close", "compression", "upgrade", "chunked",
    )  # fmt: skip
    assert head._replace(method="POST").method == "POST"
    assert pickle.loads(pickle.dumps(HttpVersion11)) == (1, 1)


def test_end_of_message_default() -> None:
    assert EndOfMessage() == EndOfMessage(None)
    assert EndOfMessage().trailers is None
