"""``take()`` and ``recycle()``: a request parser whose connection ended cleanly between
two kept-alive messages serves another connection; any other one is released.

A recycled parser must parse the next connection's requests exactly as a fresh one
(it is in the state a keep-alive connection's parser is in between requests); a parser
in any other state must never be handed out again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from toolkit.http import EndOfMessage, PyRequestParser, RequestHead
from toolkit.http.errors import HttpProcessingError

httptools_parser = pytest.importorskip("toolkit.http._httptools")
Parser = httptools_parser.HttptoolsRequestParser
response_module = pytest.importorskip("toolkit.http._httptools_response")

REQUEST = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(autouse=True)
def no_spares() -> Iterator[None]:
    spares = httptools_parser._REQUEST_SPARES
    saved = spares[:]
    spares.clear()
    yield
    spares[:] = saved


def test_a_clean_kept_alive_parser_serves_the_next_connection() -> None:
    parser = Parser.take()
    assert [type(e) for e in parser.feed_data(REQUEST)] == [RequestHead, EndOfMessage]
    parser.recycle()
    again = Parser.take()
    assert again is parser
    events = again.feed_data(b"POST /b HTTP/1.1\r\nHost: y\r\nContent-Length: 2\r\n\r\nhi")
    head = events[0]
    assert (head.method, head.target, head.headers["Host"]) == ("POST", "/b", "y")
    assert events[1:] == [b"hi", EndOfMessage(None)]
    assert Parser.take() is not parser  # (taken: not spare any more)


def test_other_limits_get_a_new_parser() -> None:
    parser = Parser.take()
    parser.feed_data(REQUEST)
    parser.recycle()
    other = Parser.take(max_line_size=100)
    assert other is not parser
    assert other.max_line_size == 100
    with pytest.raises(RuntimeError, match="used after release"):
        parser.feed_data(REQUEST)


@pytest.mark.parametrize(
    "feed",
    [
        b"",  # never used
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",  # llhttp drops what follows
        b"GET / HTTP/1.0\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHo",  # in a head
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",  # in a body
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",  # failed
    ],
)
def test_any_other_parser_is_released(feed: bytes) -> None:
    parser = Parser.take()
    try:
        parser.feed_data(feed)
    except HttpProcessingError:
        pass
    parser.recycle()
    assert Parser.take() is not parser
    with pytest.raises(RuntimeError, match="used after release"):
        parser.feed_data(REQUEST)


@pytest.mark.parametrize("make", [lambda: Parser(lenient=True), lambda: Parser(max_body_size=9)])
def test_parsers_made_with_other_options_are_released(make: Callable[[], Any]) -> None:
    parser = make()
    parser.feed_data(REQUEST)
    parser.recycle()
    assert Parser.take() is not parser


def test_the_pure_parser_releases() -> None:
    parser = PyRequestParser.take(100, 200, 3)
    assert (parser.max_line_size, parser.max_field_size, parser.max_headers) == (100, 200, 3)
    parser.feed_data(REQUEST)
    parser.recycle()
    with pytest.raises(RuntimeError, match="used after release"):
        parser.feed_data(REQUEST)


ResponseParser = httptools_parser.HttptoolsResponseParser
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"


@pytest.fixture
def response_spares() -> Iterator[list[Any]]:
    spares = response_module._RESPONSE_SPARES
    saved = spares[:]
    spares.clear()
    yield spares
    spares[:] = saved


def test_a_clean_kept_alive_response_parser_serves_the_next_connection(
    response_spares: list[Any],
) -> None:
    parser = ResponseParser.take(decompress=True)
    parser.expect_response("GET")
    assert parser.feed_data(RESPONSE)[1:] == [b"hi", EndOfMessage(None)]
    parser.recycle()
    again = ResponseParser.take(decompress=True)
    assert again is parser
    again.expect_response("POST")
    head = again.feed_data(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")[0]
    assert (head.status, head.reason) == (201, "Created")
    again.recycle()
    assert ResponseParser.take() is not parser  # (other options: it is released)
    assert response_spares == []


@pytest.mark.parametrize(
    ("method", "feed"),
    [
        ("GET", b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"),
        ("GET", b"HTTP/1.1 200 OK\r\n\r\nuntil close"),  # framed by the close
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi"),  # in the body
        ("GET", b""),  # a response still expected
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),  # the pure parser's
        ("GET", b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: w\r\n\r\n"),
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nhi"),
    ],
)
def test_any_other_response_parser_is_released(
    response_spares: list[Any], method: str, feed: bytes
) -> None:
    parser = ResponseParser.take(decompress=True)
    parser.expect_response(method)
    try:
        parser.feed_data(feed)
    except HttpProcessingError:
        pass
    parser.recycle()
    assert response_spares == []
    with pytest.raises(RuntimeError, match="used after release"):
        parser.feed_data(RESPONSE)
