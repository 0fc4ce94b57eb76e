"""An error that follows complete messages in one read is held back, and visible as
``parser.error``, so the messages before it can be answered first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from toolkit.http import EndOfMessage, RequestHead
from toolkit.http.errors import HttpProcessingError

GOOD = b"GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\nHost: t\r\n\r\n"


def test_a_fresh_parser_has_no_error(request_parser: Callable[..., Any]) -> None:
    parser = request_parser()
    assert parser.feed_data(GOOD)
    assert parser.error is None


def test_error_after_complete_requests_is_held_back(request_parser: Callable[..., Any]) -> None:
    parser = request_parser()
    events = parser.feed_data(GOOD + b"BAD\x00 / HTTP/1.1\r\n\r\n")
    targets = [e.target for e in events if type(e) is RequestHead]
    assert targets == ["/1", "/2"]
    assert type(events[-1]) is EndOfMessage
    assert isinstance(parser.error, HttpProcessingError)
    with pytest.raises(type(parser.error)):
        parser.feed_data(b"")


def test_error_inside_the_first_message_is_raised_at_once(
    request_parser: Callable[..., Any],
) -> None:
    parser = request_parser()
    with pytest.raises(HttpProcessingError) as info:
        parser.feed_data(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
    assert parser.error is info.value
