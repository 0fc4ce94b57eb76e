"""Request parsing on both backends: framing, keep-alive, upgrades, pipelining, EOF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.http.helpers import FEED_MODES, feed, summary
from toolkit.http import EndOfMessage, HttpVersion10, HttpVersion11, PyRequestParser, RequestHead
from toolkit.http.errors import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    PayloadTooLarge,
    TransferEncodingError,
)

Factory = Callable[..., Any]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_simple_get(request_parser: Factory, mode: str) -> None:
    data = b"GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nX-Token:  a b \r\n\r\n"
    events = feed(request_parser(), data, mode)
    assert len(events) == 2
    head, eom = events
    assert isinstance(head, RequestHead)
    assert head.method == "GET"
    assert head.target == "/path?q=1"
    assert head.version == HttpVersion11
    assert head.headers["host"] == "example.com"
    assert head.headers["X-TOKEN"] == "a b"
    assert head.raw_headers == ((b"Host", b"example.com"), (b"X-Token", b"a b"))
    assert (head.should_close, head.compression, head.upgrade, head.chunked) == (
        False,
        None,
        False,
        False,
    )
    assert eom == EndOfMessage(None)


def test_events_are_immutable(request_parser: Factory) -> None:
    head = request_parser().feed_data(b"GET / HTTP/1.1\r\n\r\n")[0]
    with pytest.raises(AttributeError):
        head.method = "POST"
    with pytest.raises(TypeError):
        head.headers["X"] = "y"


@pytest.mark.parametrize("mode", FEED_MODES)
def test_content_length_body_and_trailing_bytes(request_parser: Factory, mode: str) -> None:
    data = b"POST /u HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world"
    parser = request_parser()
    # The start of a next request must not disturb the first one (h11 test_io style).
    events = feed(parser, data + b"GET /next HT", mode)
    assert summary(events) == [
        ("req", "POST", "/u", (1, 1), [("Content-Length", "11")]),
        b"hello world",
        ("eom", None),
    ]
    assert summary(feed(parser, b"TP/1.1\r\n\r\n")) == [
        ("req", "GET", "/next", (1, 1), []),
        ("eom", None),
    ]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_chunked_with_extensions_and_trailers(request_parser: Factory, mode: str) -> None:
    data = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value;flag\r\nhello\r\n"
        b'6;q="quoted ; str"\r\n world\r\n'
        b"000\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
    )
    events = feed(request_parser(), data, mode)
    head = events[0]
    assert head.chunked is True
    assert events[1] == b"hello world"
    assert isinstance(events[2], EndOfMessage)
    assert events[2].trailers is not None
    assert dict(events[2].trailers) == {"X-Checksum": "abc", "X-Other": "1"}
    assert len(events) == 3


def test_chunked_without_trailers(request_parser: Factory) -> None:
    events = request_parser().feed_data(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"
    )
    assert events[1:] == [b"a", EndOfMessage(None)]


def test_pipelined_requests_in_one_feed(request_parser: Factory) -> None:
    data = (
        b"GET /1 HTTP/1.1\r\n\r\n"
        b"POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
        b"POST /3 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
        b"\r\nGET /4 HTTP/1.1\r\n\r\n"
    )
    events = request_parser().feed_data(data)
    targets = [e.target for e in events if isinstance(e, RequestHead)]
    assert targets == ["/1", "/2", "/3", "/4"]
    assert [e for e in events if isinstance(e, bytes)] == [b"abc", b"xy"]
    assert sum(isinstance(e, EndOfMessage) for e in events) == 4


@pytest.mark.parametrize(
    ("version", "connection", "should_close"),
    [
        (b"1.1", None, False),
        (b"1.1", b"close", True),
        (b"1.1", b"keep-alive, Close", True),
        (b"1.0", None, True),
        (b"1.0", b"Keep-Alive", False),
        (b"1.0", b"keep-alive, close", True),
    ],
)
def test_should_close(
    request_parser: Factory, version: bytes, connection: bytes | None, should_close: bool
) -> None:
    conn = b"Connection: " + connection + b"\r\n" if connection else b""
    head = request_parser().feed_data(b"GET / HTTP/" + version + b"\r\n" + conn + b"\r\n")[0]
    assert head.should_close is should_close
    assert head.version == (HttpVersion10 if version == b"1.0" else HttpVersion11)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"gzip", "gzip"),
        (b"GZIP ", "gzip"),
        (b"deflate", "deflate"),
        (b"br", "br"),
        (b"zstd", "zstd"),
        (b"identity", None),
        (b"gzip, br", None),
        (b"compress", None),
    ],
)
def test_compression(request_parser: Factory, value: bytes, expected: str | None) -> None:
    head = request_parser().feed_data(
        b"GET / HTTP/1.1\r\nContent-Encoding: " + value + b"\r\n\r\n"
    )[0]
    assert head.compression == expected


@pytest.mark.parametrize(
    "target",
    [b"/", b"/a/b?c=d&e=%20", b"http://example.com/x", b"https://[::1]:8443/"],
)
def test_accepted_targets(request_parser: Factory, target: bytes) -> None:
    head = request_parser().feed_data(b"GET " + target + b" HTTP/1.1\r\n\r\n")[0]
    assert head.target == target.decode()


def test_options_asterisk(request_parser: Factory) -> None:
    assert request_parser().feed_data(b"OPTIONS * HTTP/1.1\r\n\r\n")[0].target == "*"


@pytest.mark.parametrize("mode", FEED_MODES)
def test_websocket_upgrade_pauses(request_parser: Factory, mode: str) -> None:
    data = (
        b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x05hello"
    )
    parser = request_parser()
    events = feed(parser, data, mode)
    assert events[0].upgrade is True
    assert events[1:] == [EndOfMessage(None)]
    assert parser.paused is True
    assert parser.trailing_data == b"\x81\x05hello"
    assert parser.feed_data(b"more") == []
    assert parser.trailing_data == b"\x81\x05hellomore"


def test_declined_upgrade_resumes(request_parser: Factory) -> None:
    parser = request_parser()
    events = parser.feed_data(
        b"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\nGET /next HTTP/1.1\r\n"
    )
    assert parser.paused and len(events) == 2
    parser.resume()
    assert not parser.paused
    assert parser.trailing_data == b""
    assert parser.feed_data(b"") == []
    events = parser.feed_data(b"\r\n")
    assert [e.target for e in events if isinstance(e, RequestHead)] == ["/next"]


def test_upgrade_request_body_is_read_before_pausing(request_parser: Factory) -> None:
    parser = request_parser()
    events = parser.feed_data(
        b"POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 4\r\n\r\nbo"
    )
    assert not parser.paused
    events += parser.feed_data(b"dyFRAMES")
    assert events[1:] == [b"bo", b"dy", EndOfMessage(None)]
    assert parser.paused and parser.trailing_data == b"FRAMES"


def test_connect_pauses(request_parser: Factory) -> None:
    parser = request_parser()
    events = parser.feed_data(
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03"
    )
    assert events[0].method == "CONNECT"
    assert events[0].target == "example.com:443"
    assert events[0].upgrade is True
    assert parser.paused and parser.trailing_data == b"\x16\x03"


def test_max_body_size_content_length(request_parser: Factory) -> None:
    parser = request_parser(max_body_size=10)
    assert len(parser.feed_data(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789")) == 3
    with pytest.raises(PayloadTooLarge) as info:
        request_parser(max_body_size=10).feed_data(b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n")
    assert info.value.code == 413
    assert "max_body_size=10" in info.value.message


def test_max_body_size_chunked(request_parser: Factory) -> None:
    parser = request_parser(max_body_size=10)
    parser.feed_data(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n")
    with pytest.raises(PayloadTooLarge):
        parser.feed_data(b"8\r\n01234567\r\n")


def test_eof_between_messages_is_clean(request_parser: Factory) -> None:
    parser = request_parser()
    parser.feed_data(b"GET / HTTP/1.1\r\n\r\n")
    assert parser.feed_eof() == []


def test_eof_in_head(request_parser: Factory) -> None:
    parser = request_parser()
    parser.feed_data(b"GET / HTTP/1.1\r\nHost: x")
    with pytest.raises(BadHttpMessage, match="closed in the middle"):
        parser.feed_eof()


def test_eof_in_content_length_body(request_parser: Factory) -> None:
    parser = request_parser()
    parser.feed_data(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(ContentLengthError, match="3 of the 10 bytes"):
        parser.feed_eof()


def test_eof_in_chunked_body(request_parser: Factory) -> None:
    parser = request_parser()
    parser.feed_data(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
    with pytest.raises(TransferEncodingError, match="chunked body ended"):
        parser.feed_eof()


def test_error_is_sticky(request_parser: Factory) -> None:
    parser = request_parser()
    with pytest.raises(InvalidHeader):
        parser.feed_data(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n")
    with pytest.raises(InvalidHeader):
        parser.feed_data(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(InvalidHeader):
        parser.feed_eof()


def test_error_after_complete_requests_is_raised_by_next_call(request_parser: Factory) -> None:
    parser = request_parser()
    events = parser.feed_data(
        b"GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"
        b"POST /3 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    )
    # Whole messages come out; the partly parsed /3 is dropped with the error.
    assert [e.target for e in events if isinstance(e, RequestHead)] == ["/1", "/2"]
    assert isinstance(events[-1], EndOfMessage)
    with pytest.raises(TransferEncodingError):
        parser.feed_data(b"")
    with pytest.raises(TransferEncodingError):
        parser.feed_eof()


def test_error_inside_first_message_is_raised_at_once(request_parser: Factory) -> None:
    with pytest.raises(TransferEncodingError):
        request_parser().feed_data(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n"
        )


def test_lenient_accepts_bare_lf(request_parser: Factory) -> None:
    events = request_parser(lenient=True).feed_data(b"GET / HTTP/1.1\nHost: x\n\n")
    assert events[0].headers["Host"] == "x"
    with pytest.raises(BadHttpMessage):
        request_parser().feed_data(b"GET / HTTP/1.1\nHost: x\n\n")


def test_memoryview_and_bytearray_input(request_parser: Factory) -> None:
    parser = request_parser()
    events = parser.feed_data(memoryview(b"GET / HTTP/1.1\r\n\r\n"))
    events += parser.feed_data(bytearray(b"GET /2 HTTP/1.1\r\n\r\n"))
    assert [e.target for e in events if isinstance(e, RequestHead)] == ["/", "/2"]


def test_pure_parser_rejects_double_space() -> None:
    # llhttp tolerates several spaces between request-line parts; the reference does not.
    with pytest.raises(BadStatusLine, match="single spaces"):
        PyRequestParser().feed_data(b"GET  / HTTP/1.1\r\n\r\n")


def test_custom_method_on_pure_parser() -> None:
    # llhttp only knows its own method table; the pure parser takes any token.
    head = PyRequestParser().feed_data(b"FROB / HTTP/1.1\r\n\r\n")[0]
    assert isinstance(head, RequestHead) and head.method == "FROB"


def test_data_after_close_is_ignored(request_parser: Factory) -> None:
    parser = request_parser()
    events = parser.feed_data(
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n"
    )
    assert len(events) == 2 and events[0].should_close
    assert parser.feed_data(b"GET /also-ignored HTTP/1.1\r\n\r\n") == []
    assert parser.feed_eof() == []


def test_binary_body_before_pipelined_head_is_not_a_long_line(request_parser: Factory) -> None:
    parser = request_parser(max_line_size=100, max_field_size=100)
    body = bytes(range(11, 256)) * 4  # no LF, far longer than the line limits
    data = b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    events = parser.feed_data(data + b"GET /next")
    assert events[1] == body
    events = parser.feed_data(b" HTTP/1.1\r\n\r\n")
    assert events[0].target == "/next"


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", ["Content-Length"]),
        (b"GET / HTTP/1.1\r\nX-Bad: a\x00b\r\n\r\n", ["X-Bad", "NUL"]),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", ["Transfer-Encoding", "gzip"]),
        (b"GET /a\x7f HTTP/1.1\r\n\r\n", ["target"]),
    ],
)
def test_errors_name_what_was_wrong(
    request_parser: Factory, data: bytes, fragments: list[str]
) -> None:
    with pytest.raises(HttpProcessingError) as info:
        request_parser().feed_data(data)
    for fragment in fragments:
        assert fragment in info.value.message


def test_pure_errors_give_positions() -> None:
    with pytest.raises(BadHttpMessage, match=r"bare LF .* at byte 14"):
        PyRequestParser().feed_data(b"GET / HTTP/1.1\nHost: x\r\n\r\n")
    with pytest.raises(InvalidHeader, match=r"at byte \d+ \(line 3\)"):
        PyRequestParser().feed_data(b"GET / HTTP/1.1\r\nA: b\r\nC: d\x01\r\n\r\n")
    with pytest.raises(InvalidHeader, match="line 2"):
        PyRequestParser().feed_data(b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n")


@pytest.mark.parametrize(
    "headers",
    [
        b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n",
        b"Content-Length: 1\r\nContent-Length: 1\r\n",
        b"Transfer-Encoding: chunked, gzip\r\n",
    ],
)
def test_lenient_requests_still_reject_ambiguous_framing(
    request_parser: Factory, headers: bytes
) -> None:
    with pytest.raises(InvalidHeader):
        request_parser(lenient=True).feed_data(b"POST / HTTP/1.1\r\n" + headers + b"\r\n0\r\n\r\n")
