"""``release()``: the connection is done with a parser; it frees it without the collector.

The llhttp-backed parsers hold an llhttp parser that holds their callbacks, a reference
cycle; ``release()`` breaks it, and the pure parsers have the same method. A released
parser refuses to be fed: a clear error, never a crash or a silently wrong parse.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest

from toolkit.http import EndOfMessage, RequestHead, ResponseHead
from toolkit.http.errors import HttpProcessingError

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"


def _cyclic_garbage(scenario: Callable[[], None]) -> list[str]:
    """The types of the objects that ``scenario`` leaves in reference cycles."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        scenario()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return sorted(type(obj).__qualname__ for obj in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def test_a_released_request_parser_needs_no_garbage_collector(
    request_parser: Callable[..., Any],
) -> None:
    def scenario() -> None:
        parser = request_parser()
        events = parser.feed_data(REQUEST)
        assert [type(e) for e in events] == [RequestHead, EndOfMessage]
        parser.release()

    assert _cyclic_garbage(scenario) == []


def test_a_released_response_parser_needs_no_garbage_collector(
    response_parser: Callable[..., Any],
) -> None:
    def scenario() -> None:
        parser = response_parser()
        parser.expect_response("GET")
        events = parser.feed_data(RESPONSE)
        assert [type(e) for e in events] == [ResponseHead, bytes, EndOfMessage]
        parser.release()

    assert _cyclic_garbage(scenario) == []


def test_a_response_parser_released_while_delegating_to_the_pure_one(
    response_parser: Callable[..., Any],
) -> None:
    # (A response to HEAD: the llhttp parser hands the bytes to the pure one.)
    def scenario() -> None:
        parser = response_parser()
        parser.expect_response("HEAD")
        parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n")
        parser.release()

    assert _cyclic_garbage(scenario) == []
    parser = response_parser()
    parser.expect_response("HEAD")
    parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n")
    parser.release()
    with pytest.raises(RuntimeError, match="used after release"):
        parser.feed_data(b"\r\n")
    with pytest.raises(RuntimeError, match="used after release"):
        parser.feed_eof()


@pytest.mark.parametrize(
    "state",
    ["idle", "in the head", "in the body", "closed", "failed"],
)
def test_a_released_parser_refuses_input(request_parser: Callable[..., Any], state: str) -> None:
    parser = request_parser()
    if state == "in the head":
        parser.feed_data(b"POST / HTTP/1.1\r\nHost: x\r\n")
    elif state == "in the body":
        parser.feed_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc")
    elif state == "closed":
        parser.feed_eof()
    elif state == "failed":
        with pytest.raises(HttpProcessingError):
            parser.feed_data(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    parser.release()
    parser.release()  # (idempotent)
    for feed in (lambda: parser.feed_data(REQUEST), lambda: parser.feed_data(b"")):
        with pytest.raises(RuntimeError, match="used after release"):
            feed()
    with pytest.raises(RuntimeError, match="used after release"):
        parser.feed_eof()
    assert parser.error is None  # (the error's traceback held the parser)


def test_a_parser_that_failed_is_freed_once_released(request_parser: Callable[..., Any]) -> None:
    def scenario() -> None:
        parser = request_parser()
        try:
            parser.feed_data(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        except HttpProcessingError:
            pass
        else:
            raise AssertionError("no error")
        parser.release()

    assert _cyclic_garbage(scenario) == []
