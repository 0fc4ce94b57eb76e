"""Size limits: request/status line, field lines, number of fields, chunk lines, trailers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.http.helpers import feed
from toolkit.http.errors import LineTooLong, TooManyHeaders

Factory = Callable[..., Any]


def request_with_target(length: int) -> bytes:
    # "GET " + target + " HTTP/1.1" is the request line: 13 bytes besides the target.
    return b"GET /" + b"a" * (length - 14) + b" HTTP/1.1\r\n\r\n"


@pytest.mark.parametrize("mode", ["whole", "bytewise"])
def test_request_line_limit(request_parser: Factory, mode: str) -> None:
    events = feed(request_parser(max_line_size=100), request_with_target(100), mode)
    assert len(events[0].target) == 100 - 13
    with pytest.raises(LineTooLong) as info:
        feed(request_parser(max_line_size=100), request_with_target(101), mode)
    assert info.value.code == 400
    assert "request line" in info.value.message and "100" in info.value.message


@pytest.mark.parametrize("mode", ["whole", "bytewise"])
def test_field_line_limit(request_parser: Factory, mode: str) -> None:
    def make(size: int) -> bytes:
        return b"GET / HTTP/1.1\r\nX-Long: " + b"v" * (size - 8) + b"\r\n\r\n"

    assert feed(request_parser(max_field_size=50), make(50), mode)[0].headers["X-Long"]
    with pytest.raises(LineTooLong) as info:
        feed(request_parser(max_field_size=50), make(51), mode)
    assert info.value.code == 431


def test_unterminated_line_is_bounded(request_parser: Factory) -> None:
    parser = request_parser(max_line_size=100, max_field_size=100)
    with pytest.raises(LineTooLong):
        parser.feed_data(b"GET /")
        for _ in range(10):
            parser.feed_data(b"a" * 60)
    parser = request_parser(max_line_size=100, max_field_size=100)
    with pytest.raises(LineTooLong):
        parser.feed_data(b"GET / HTTP/1.1\r\n")
        for _ in range(10):
            parser.feed_data(b"X" * 60)


@pytest.mark.parametrize("mode", ["whole", "bytewise"])
def test_max_headers(request_parser: Factory, mode: str) -> None:
    def make(count: int) -> bytes:
        return b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(count)) + b"\r\n"

    assert len(feed(request_parser(max_headers=10), make(10), mode)[0].headers) == 10
    with pytest.raises(TooManyHeaders) as info:
        feed(request_parser(max_headers=10), make(11), mode)
    assert info.value.code == 431


def test_many_headers_unterminated_is_bounded(request_parser: Factory) -> None:
    parser = request_parser(max_headers=10, max_field_size=100, max_line_size=100)
    with pytest.raises((TooManyHeaders, LineTooLong)):
        parser.feed_data(b"GET / HTTP/1.1\r\n")
        for i in range(5000):
            parser.feed_data(b"X-%d: v\r\n" % i)


def test_status_line_limit(response_parser: Factory) -> None:
    ok = b"HTTP/1.1 200 " + b"r" * 87 + b"\r\nContent-Length: 0\r\n\r\n"
    assert response_parser(max_line_size=100).feed_data(ok)[0].status == 200
    with pytest.raises(LineTooLong, match="status line"):
        response_parser(max_line_size=100).feed_data(ok.replace(b"rrr", b"rrrr", 1))


def test_trailer_limits(request_parser: Factory) -> None:
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
    with pytest.raises(TooManyHeaders):
        request_parser(max_headers=3).feed_data(
            head + b"".join(b"T-%d: v\r\n" % i for i in range(4)) + b"\r\n"
        )
    with pytest.raises(LineTooLong):
        request_parser(max_field_size=40).feed_data(head + b"T: " + b"v" * 60 + b"\r\n\r\n")


def test_chunk_size_line_limit(request_parser: Factory) -> None:
    parser = request_parser(max_line_size=50, max_field_size=50)
    parser.feed_data(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(LineTooLong, match="chunk size line"):
        parser.feed_data(b"1;")
        for _ in range(10):
            parser.feed_data(b"e" * 20)


def test_unterminated_trailer_is_bounded(request_parser: Factory) -> None:
    parser = request_parser(max_line_size=100, max_field_size=100)
    parser.feed_data(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: ")
    with pytest.raises(LineTooLong):
        for _ in range(10):
            parser.feed_data(b"v" * 50)


@pytest.mark.parametrize("name", ["max_line_size", "max_field_size", "max_headers"])
@pytest.mark.parametrize(
    ("value", "error"),
    [(float("nan"), ValueError), ("8190", TypeError), (True, TypeError), (-1, ValueError)],
)
def test_limits_are_checked_at_construction(
    parser_classes: tuple[Factory, Factory], name: str, value: object, error: type[Exception]
) -> None:
    # Before, NaN and -1 were accepted: NaN compared false (no limit), -1 refused all.
    for cls in parser_classes:
        with pytest.raises(error, match=rf"\w+Parser\.{name} must be a number"):
            cls(**{name: value})


def test_optional_limits_are_checked(request_parser: Factory, response_parser: Factory) -> None:
    with pytest.raises(ValueError, match=r"\.max_body_size must be a number of bytes"):
        request_parser(max_body_size=float("nan"))
    with pytest.raises(TypeError, match=r"\.max_decompressed_size must be a number of bytes"):
        response_parser(max_decompressed_size="1M")


def test_zero_and_none_limits_still_accepted(
    request_parser: Factory, response_parser: Factory
) -> None:
    request_parser(max_line_size=0, max_field_size=0, max_headers=0, max_body_size=None)
    response_parser(max_headers=0, max_decompressed_size=None).release()
    parser = request_parser(max_body_size=0)
    assert parser.max_body_size == 0
    with pytest.raises(ValueError, match="max_body_size"):
        request_parser(max_body_size=-1)
