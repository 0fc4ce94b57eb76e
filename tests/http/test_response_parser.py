"""Response parsing on both backends: framing by status and method, interim, upgrades, EOF."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import pytest

from tests.http.helpers import FEED_MODES, feed, merge_body, summary
from toolkit.http import EndOfMessage, HttpVersion10, ResponseHead
from toolkit.http.errors import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    TransferEncodingError,
)

Factory = Callable[..., Any]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_content_length_response(response_parser: Factory, mode: str) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
    events = feed(response_parser(), data + b"HTTP/1.1 2", mode)
    head = events[0]
    assert isinstance(head, ResponseHead)
    assert (head.status, head.reason, head.should_close, head.chunked) == (200, "OK", False, False)
    assert head.headers["content-type"] == "text/plain"
    assert events[1:] == [b"hello", EndOfMessage(None)]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_chunked_response_with_trailers(response_parser: Factory, mode: str) -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n"
    )
    events = feed(response_parser(), data, mode)
    assert events[0].chunked is True
    assert summary(events[1:]) == [b"Wikipedia", ("eom", [("Expires", "never")])]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_close_delimited_body(response_parser: Factory, mode: str) -> None:
    parser = response_parser()
    events = feed(parser, b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nsome body", mode)
    assert events[0].version == HttpVersion10
    assert events[0].should_close is True
    assert events[1:] == [b"some body"]
    assert parser.feed_eof() == [EndOfMessage(None)]


def test_close_delimited_http11(response_parser: Factory) -> None:
    parser = response_parser()
    events = parser.feed_data(b"HTTP/1.1 200 OK\r\n\r\nabc")
    assert events[0].should_close is True
    assert parser.feed_eof() == [EndOfMessage(None)]


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses(response_parser: Factory, status: int) -> None:
    data = (
        b"HTTP/1.1 %d X\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        % status
    )
    events = response_parser().feed_data(data)
    assert [e.status for e in events if isinstance(e, ResponseHead)] == [status, 200]
    assert not [e for e in events if isinstance(e, bytes)]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_head_response_has_no_body(response_parser: Factory, mode: str) -> None:
    parser = response_parser()
    parser.expect_response("HEAD")
    parser.expect_response("GET")
    data = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    )
    assert summary(feed(parser, data, mode)) == [
        ("resp", 200, "OK", [("Content-Length", "1000")]),
        ("eom", None),
        ("resp", 200, "OK", [("Content-Length", "3")]),
        b"abc",
        ("eom", None),
    ]


def test_head_expected_while_previous_response_in_progress(response_parser: Factory) -> None:
    parser = response_parser()
    parser.expect_response("GET")
    events = parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
    parser.expect_response("HEAD")
    parser.expect_response("GET")
    events += parser.feed_data(
        b"cdHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
    )
    assert summary(merge_body(events)) == [
        ("resp", 200, "OK", [("Content-Length", "4")]),
        b"abcd",
        ("eom", None),
        ("resp", 200, "OK", [("Content-Length", "9")]),
        ("eom", None),
        ("resp", 204, "No Content", []),
        ("eom", None),
    ]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_interim_responses(response_parser: Factory, mode: str) -> None:
    data = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
    )
    assert summary(feed(response_parser(), data, mode)) == [
        ("resp", 100, "Continue", []),
        ("resp", 103, "Early Hints", [("Link", "</s.css>; rel=preload")]),
        ("resp", 201, "Created", [("Content-Length", "2")]),
        b"ok",
        ("eom", None),
    ]


@pytest.mark.parametrize("mode", FEED_MODES)
def test_switching_protocols(response_parser: Factory, mode: str) -> None:
    parser = response_parser()
    data = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi"
    )
    events = feed(parser, data, mode)
    assert events[0].status == 101 and events[0].upgrade is True
    assert events[1:] == [EndOfMessage(None)]
    assert parser.paused and parser.trailing_data == b"\x81\x02hi"


def test_101_without_upgrade_header_is_rejected(response_parser: Factory) -> None:
    with pytest.raises(BadHttpMessage, match="101"):
        response_parser().feed_data(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")


def test_connect_2xx_switches(response_parser: Factory) -> None:
    parser = response_parser()
    parser.expect_response("CONNECT")
    events = parser.feed_data(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01")
    assert events[0].upgrade is True
    assert events[1:] == [EndOfMessage(None)]
    assert parser.paused and parser.trailing_data == b"\x16\x03\x01"


def test_connect_refused_has_body(response_parser: Factory) -> None:
    parser = response_parser()
    parser.expect_response("CONNECT")
    events = parser.feed_data(b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 2\r\n\r\nno")
    assert events[0].upgrade is False and events[1:] == [b"no", EndOfMessage(None)]
    assert not parser.paused


def test_missing_reason_phrase(response_parser: Factory) -> None:
    for line in (b"HTTP/1.1 200\r\n", b"HTTP/1.1 200 \r\n"):
        head = response_parser().feed_data(line + b"Content-Length: 0\r\n\r\n")[0]
        assert (head.status, head.reason) == (200, "")


@pytest.mark.parametrize(
    "line",
    [
        b"HTTP/1.1 20 OK",
        b"HTTP/1.1 2000 OK",
        b"HTTP/1.1 abc OK",
        b"HTTP/1.1 099 X",
        b"HTTX/1.1 200 OK",
        b"HTTP/1.1 200 O\x01K",
        b"ICY 200 OK",
    ],
)
def test_bad_status_lines(response_parser: Factory, line: bytes) -> None:
    with pytest.raises(BadStatusLine):
        response_parser().feed_data(line + b"\r\nContent-Length: 0\r\n\r\n")


def test_http2_status_line_is_505(response_parser: Factory) -> None:
    with pytest.raises(BadStatusLine) as info:
        response_parser().feed_data(b"HTTP/2.0 200 OK\r\n\r\n")
    assert info.value.code == 505


def test_garbage_instead_of_response_fails_early(response_parser: Factory) -> None:
    with pytest.raises(BadStatusLine):
        response_parser().feed_data(b"<html>")


def test_strict_rejects_obs_fold_and_bare_lf(response_parser: Factory) -> None:
    with pytest.raises(InvalidHeader):
        response_parser().feed_data(b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(BadHttpMessage):
        response_parser().feed_data(b"HTTP/1.1 200 OK\nContent-Length: 0\n\n")


def test_lenient_accepts_misbehaving_server(response_parser: Factory) -> None:
    parser = response_parser(lenient=True)
    events = parser.feed_data(
        b"HTTP/1.1 200 OK\nX-A: a\n b\nContent-Length: 3\n\nabcHTTP/1.1 200 OK\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n1\r\nz\r\n0\r\n\r\n"
    )
    assert summary(events) == [
        ("resp", 200, "OK", [("X-A", "a b"), ("Content-Length", "3")]),
        b"abc",
        ("eom", None),
        ("resp", 200, "OK", [("Transfer-Encoding", "chunked"), ("Content-Length", "99")]),
        b"z",
        ("eom", None),
    ]


def test_eof_in_body(response_parser: Factory) -> None:
    parser = response_parser()
    parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
    with pytest.raises(ContentLengthError, match="2 of the 5"):
        parser.feed_eof()
    parser = response_parser()
    parser.feed_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(TransferEncodingError):
        parser.feed_eof()


def test_eof_in_status_line(response_parser: Factory) -> None:
    parser = response_parser()
    parser.feed_data(b"HTTP/1.1 20")
    with pytest.raises(BadHttpMessage):
        parser.feed_eof()


@pytest.mark.parametrize("mode", FEED_MODES)
def test_decompress_gzip_chunked(response_parser: Factory, mode: str) -> None:
    body = b"compressible text " * 200
    coded = gzip.compress(body)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(coded[i : i + 100]), coded[i : i + 100])
                      for i in range(0, len(coded), 100))  # fmt: skip
    data = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\n\r\n"
    )
    events = feed(response_parser(decompress=True), data, mode)
    assert events[0].compression == "gzip"
    assert events[1:] == [body, EndOfMessage(None)]


def test_without_decompress_body_stays_coded(response_parser: Factory) -> None:
    coded = gzip.compress(b"x" * 50)
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(coded)
    assert response_parser().feed_data(data + coded)[1] == coded


def _coded(encoding: str, body: bytes) -> bytes:
    from toolkit.http import get_encoder

    encoder = get_encoder(encoding)
    return encoder.compress(body) + encoder.flush()


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_decompress_each_coding(response_parser: Factory, encoding: str) -> None:
    from toolkit.http import SUPPORTED_ENCODINGS

    if encoding not in SUPPORTED_ENCODINGS:
        pytest.skip(f"{encoding} support is not installed")
    body = b"0123456789" * 1000
    coded = _coded(encoding, body)
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n" % (
        encoding.encode(),
        len(coded),
    )
    events = feed(response_parser(decompress=True), data + coded, "halves")
    assert events[1:] == [body, EndOfMessage(None)]


def test_decompress_limit_through_parser(response_parser: Factory) -> None:
    from toolkit.http.errors import DecompressionLimitError

    coded = _coded("gzip", b"\0" * 1_000_000)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(coded)
    parser = response_parser(decompress=True, max_decompressed_size=1000)
    with pytest.raises(DecompressionLimitError):
        parser.feed_data(head)
        parser.feed_data(coded)


def test_corrupt_coded_body_through_parser(response_parser: Factory) -> None:
    from toolkit.http.errors import ContentEncodingError

    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n"
    parser = response_parser(decompress=True)
    with pytest.raises(ContentEncodingError):
        parser.feed_data(head)
        parser.feed_data(b"not gzip!!")


@pytest.mark.parametrize("mode", FEED_MODES)
def test_empty_lines_between_responses(response_parser: Factory, mode: str) -> None:
    data = b"HTTP/1.1 204 No Content\r\n\r\n\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r"
    events = feed(response_parser(), data, mode)
    assert [e.status for e in events if isinstance(e, ResponseHead)] == [204, 204]


@pytest.mark.parametrize(
    ("data", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", b"ok"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, foo\r\n\r\nokok", b"okok"),
        (b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", b"ok"),
        (b"HTTP/1.1 200\nX: a\n b\n\nbody", b"body"),
    ],
)
def test_lenient_framing(response_parser: Factory, data: bytes, body: bytes) -> None:
    parser = response_parser(lenient=True)
    events = merge_body(parser.feed_data(data) + parser.feed_eof())
    assert events[1:] == [body, EndOfMessage(None)]
    with pytest.raises(BadHttpMessage):
        response_parser().feed_data(data)


def test_repeated_content_length_even_when_lenient(response_parser: Factory) -> None:
    with pytest.raises(InvalidHeader, match="Content-Length"):
        response_parser(lenient=True).feed_data(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"
        )


def test_head_queued_behind_a_large_body(response_parser: Factory) -> None:
    parser = response_parser()
    parser.expect_response("GET")
    events = parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
    parser.expect_response("HEAD")
    events += parser.feed_data(
        b"x" * 1_000_000 + b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nHTTP/1.1 204 No\r\n\r\n"
    )
    assert summary(merge_body(events)) == [
        ("resp", 200, "OK", [("Content-Length", "1000000")]),
        b"x" * 1_000_000,
        ("eom", None),
        ("resp", 200, "OK", [("Content-Length", "7")]),
        ("eom", None),
        ("resp", 204, "No", []),
        ("eom", None),
    ]
