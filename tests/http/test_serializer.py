"""Serializers: heads, chunks, trailers; injection attempts fail before any byte is produced."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from toolkit.http import (
    LAST_CHUNK,
    EndOfMessage,
    HttpVersion,
    HttpVersion10,
    PyRequestParser,
    PyResponseParser,
    encode_chunk,
    encode_trailers,
    serialize_request_head,
    serialize_response_head,
)


def test_request_head() -> None:
    data = serialize_request_head("GET", "/a?b=c", {"Host": "example.com", "Accept": "*/*"})
    assert data == b"GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"


def test_request_head_pairs_bytes_and_version() -> None:
    headers: list[tuple[str | bytes, str | bytes]] = [
        (b"Host", b"h"),
        ("X-Multi", "1"),
        ("X-Multi", "2"),
    ]
    data = serialize_request_head(b"POST", b"/", headers, HttpVersion10)
    assert data == b"POST / HTTP/1.0\r\nHost: h\r\nX-Multi: 1\r\nX-Multi: 2\r\n\r\n"


def test_multidict_and_utf8_values() -> None:
    data = serialize_request_head("GET", "/", CIMultiDict([("X-Name", "caf\u00e9")]))
    assert b"X-Name: caf\xc3\xa9\r\n" in data
    # A value the parsers decoded from bytes that are no UTF-8 goes back to those bytes.
    data = serialize_response_head(
        200, "OK", {"X-Raw": b"caf\xe9".decode("utf-8", "surrogateescape")}
    )
    assert b"X-Raw: caf\xe9\r\n" in data


def test_response_head() -> None:
    data = serialize_response_head(404, "Not Found", {"Content-Length": "0"})
    assert data == b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    assert serialize_response_head(200, "", []) == b"HTTP/1.1 200 \r\n\r\n"


def test_no_headers() -> None:
    assert serialize_request_head("GET", "/", {}) == b"GET / HTTP/1.1\r\n\r\n"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"method": "GE T"}, "method"),
        ({"method": "GET\r\n"}, "method"),
        ({"method": ""}, "method"),
        ({"target": "/a b"}, "target"),
        ({"target": "/\r\nX-Injected: 1"}, "target"),
        ({"target": "/\x00"}, "target"),
        ({"target": ""}, "target"),
        ({"headers": {"X-A": "v\r\nX-Injected: 1"}}, "X-A"),
        ({"headers": {"X-A": "v\nb"}}, "X-A"),
        ({"headers": {"X-A": "v\x00"}}, "NUL"),
        ({"headers": {"X A": "v"}}, "header name"),
        ({"headers": {"X-A:": "v"}}, "header name"),
        ({"headers": {"": "v"}}, "header name"),
        ({"headers": [("Ok", "1"), ("Bad\r\n", "v")]}, "header name"),
        ({"version": HttpVersion(1, 10)}, "version"),
    ],
)
def test_request_head_rejects_injection(kwargs: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = {"method": "GET", "target": "/", "headers": {}}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        serialize_request_head(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "reason", "headers"),
    [
        (99, "X", {}),
        (1000, "X", {}),
        (True, "X", {}),
        (200, "OK\r\nX-Injected: 1", {}),
        (200, "OK", {"Set-Cookie": "a=b\r\n\r\n<html>"}),
    ],
)
def test_response_head_rejects(status: int, reason: str, headers: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        serialize_response_head(status, reason, headers)


def test_header_type_error() -> None:
    with pytest.raises(TypeError, match="header value"):
        serialize_request_head("GET", "/", {"X": 1})  # type: ignore[arg-type]


def test_chunks() -> None:
    assert encode_chunk(b"hello") == b"5\r\nhello\r\n"
    assert encode_chunk(bytearray(b"x" * 255)) == b"ff\r\n" + b"x" * 255 + b"\r\n"
    assert encode_chunk(memoryview(b"ab")) == b"2\r\nab\r\n"
    assert encode_chunk(b"") == b""
    assert LAST_CHUNK == b"0\r\n\r\n"
    assert encode_trailers({}) == LAST_CHUNK
    assert encode_trailers({"X-Sum": "1"}) == b"0\r\nX-Sum: 1\r\n\r\n"
    with pytest.raises(ValueError):
        encode_trailers({"X-Sum": "1\r\n"})


def test_serialized_messages_parse_back() -> None:
    head = serialize_request_head("PUT", "/x", {"Transfer-Encoding": "chunked"})
    body = encode_chunk(b"ab") + encode_chunk(b"cd") + encode_trailers({"T": "v"})
    events = PyRequestParser().feed_data(head + body)
    assert events[1:3] == [b"ab", b"cd"]
    eom = events[3]
    assert isinstance(eom, EndOfMessage) and eom.trailers is not None
    assert eom.trailers["t"] == "v"
    resp = serialize_response_head(200, "OK", {"Content-Length": "2"}) + b"ok"
    assert PyResponseParser().feed_data(resp)[1] == b"ok"
