"""The llhttp wrapper's shortcuts give the same events and errors as the general path.

The httptools parser skips work that llhttp already did or that cannot fail: the
target character check for origin-form targets, ``get_http_version()`` for
keep-alive HTTP/1.1 requests, the per-field limit checks for small feeds. Each test
runs on both backends, so the pure parser is the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.http import HttpVersion, HttpVersion10, HttpVersion11, RequestHead
from toolkit.http.errors import HttpProcessingError, LineTooLong, TooManyHeaders

Factory = Callable[..., Any]


@pytest.mark.parametrize(
    ("head", "version", "should_close"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", HttpVersion11, False),
        (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", HttpVersion11, True),
        (b"GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n", HttpVersion11, False),
        (b"GET / HTTP/1.0\r\nHost: a\r\n\r\n", HttpVersion10, True),
        (b"GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", HttpVersion10, False),
        (
            b"GET / HTTP/1.0\r\nHost: a\r\nProxy-Connection: keep-alive\r\n\r\n",
            HttpVersion10,
            True,
        ),
    ],
)
def test_version_and_keep_alive(
    request_parser: Factory, head: bytes, version: HttpVersion, should_close: bool
) -> None:
    events = request_parser().feed_data(head)
    assert isinstance(events[0], RequestHead)
    assert events[0].version == version
    assert events[0].should_close is should_close


@pytest.mark.parametrize("version", [b"2.0", b"0.9"])
def test_unsupported_version_with_keep_alive(request_parser: Factory, version: bytes) -> None:
    head = b"GET / HTTP/" + version + b"\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"
    with pytest.raises(HttpProcessingError):
        request_parser().feed_data(head)


@given(st.binary(min_size=1, max_size=3))
@settings(max_examples=300, deadline=None)
def test_origin_form_target_bytes(garbage: bytes) -> None:
    """Both backends accept and reject the same origin-form targets."""
    from toolkit.http import PyRequestParser

    try:
        from toolkit.http._httptools import HttptoolsRequestParser
    except ImportError:  # pragma: no cover - httptools is optional
        pytest.skip("httptools is not installed")
    head = b"GET /a" + garbage + b"?q=" + garbage + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    outcomes = []
    for cls in (PyRequestParser, HttptoolsRequestParser):
        try:
            events = cls().feed_data(head)
        except HttpProcessingError:
            outcomes.append(None)
        else:
            outcomes.append(events[0].target)
    assert outcomes[0] == outcomes[1]


def test_small_feeds_still_enforce_max_headers(request_parser: Factory) -> None:
    parser = request_parser(max_headers=2)
    with pytest.raises(TooManyHeaders):
        parser.feed_data(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")


def test_small_feeds_still_enforce_max_field_size(request_parser: Factory) -> None:
    parser = request_parser(max_field_size=20)
    with pytest.raises(LineTooLong):
        parser.feed_data(b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + b"v" * 30 + b"\r\n\r\n")


def test_field_split_across_feeds_is_checked(request_parser: Factory) -> None:
    parser = request_parser(max_field_size=40)
    assert parser.feed_data(b"GET / HTTP/1.1\r\nX-Long: " + b"v" * 25) == []
    with pytest.raises(LineTooLong):
        parser.feed_data(b"v" * 10 + b"\r\n\r\n")


def test_pipelined_messages_and_trailers(request_parser: Factory) -> None:
    parser = request_parser()
    data = (
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
        b"GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    events = parser.feed_data(data)
    heads = [e for e in events if isinstance(e, RequestHead)]
    assert [h.target for h in heads] == ["/1", "/2", "/3"]
    trailers = [e.trailers for e in events if type(e).__name__ == "EndOfMessage"]
    assert trailers[0] is None
    assert trailers[1] is not None and dict(trailers[1]) == {"X-T": "1"}
    assert trailers[2] is None


_FRAMING_FIELDS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "Content-Length",
                "content-length",
                "Transfer-Encoding",
                "Connection",
                "Content-Encoding",
                "Content-Type",
                "X-Other",
            ]
        ),
        st.sampled_from(
            [
                "0",
                "13",
                "013",
                "1x",
                "",
                " 5",
                "²",
                "9" * 19,
                "close",
                "keep-alive",
                "chunked",
                "gzip",
                "text/plain",
            ]
        ),
    ),
    max_size=4,
)


@given(fields=_FRAMING_FIELDS, version=st.sampled_from([HttpVersion10, HttpVersion11]))
@settings(max_examples=300, deadline=None)
def test_plain_response_framing_agrees_with_analyze(
    fields: list[tuple[str, str]], version: HttpVersion
) -> None:
    """The shortcut gives analyze()'s framing, raises its errors, or leaves it to it."""
    from multidict import CIMultiDict, CIMultiDictProxy

    from toolkit.http._framing import analyze, plain_response_framing

    headers = CIMultiDictProxy(CIMultiDict(fields))
    try:
        expected: Any = analyze(headers, version, is_request=False, method="GET", lenient=False)
    except HttpProcessingError as exc:
        expected = type(exc)
    try:
        got: Any = plain_response_framing(headers, version)
    except HttpProcessingError as exc:
        got = type(exc)
    assert got is None or got == expected
    if not any(
        name.lower() in ("transfer-encoding", "connection", "content-encoding")
        for name, _ in fields
    ):
        assert got is not None  # the shortcut covers every response without those fields


@pytest.mark.parametrize(
    "name", [b"Content-Length", b"content-length", b"CONTENT-LENGTH", b"cOnTeNt-LeNgTh"]
)
def test_framing_fields_in_any_case_are_analyzed_on_every_message(
    request_parser: Factory, name: bytes
) -> None:
    # The first message makes the name known to the field name cache; the second
    # one takes the cached path: both must still read the body it announces.
    parser = request_parser()
    message = b"POST / HTTP/1.1\r\nHost: a\r\n" + name + b": 3\r\n\r\nabc"
    for _ in range(2):
        events = parser.feed_data(message)
        assert events[1:] == [b"abc", events[-1]]
        head = events[0]
        assert isinstance(head, RequestHead)
        assert list(head.headers) == ["Host", name.decode()]  # as sent
        assert head.headers["content-length"] == "3"


@pytest.mark.parametrize(
    "field",
    [
        b"Connection: close",
        b"connection: close",
        b"Transfer-Encoding: chunked",
        b"CONTENT-ENCODING: gzip",
        b"Host: b",
    ],
)
def test_cached_names_keep_framing_and_connection_rules(
    request_parser: Factory, field: bytes
) -> None:
    def feed(data: bytes) -> list[Any]:
        try:
            return list(request_parser().feed_data(data))
        except HttpProcessingError as exc:
            return [type(exc)]

    message = b"GET / HTTP/1.1\r\nHost: a\r\n" + field + b"\r\n\r\n"
    if b"chunked" in field:
        message += b"0\r\n\r\n"
    first, second = feed(message), feed(message)
    assert [type(e) for e in first] == [type(e) for e in second]
    if b"Host" in field:
        assert first[0] is not RequestHead and issubclass(first[0], HttpProcessingError)
    else:
        assert first[0] == second[0]
        assert first[0].should_close == (b"close" in field)
        assert first[0].chunked == (b"chunked" in field)


def test_field_name_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.http import _llhttp_base as base

    names: dict[bytes, Any] = {}
    plain: dict[bytes, Any] = {}
    monkeypatch.setattr(base, "FIELD_NAMES", names)
    monkeypatch.setattr(base, "PLAIN_FIELD_NAMES", plain)
    base.field_name(b"Content-Length")
    assert b"Content-Length" in names and b"Content-Length" not in plain
    for i in range(base._FIELD_NAMES_MAX + 50):
        base.field_name(b"X-Many-%d" % i)
    assert len(names) == base._FIELD_NAMES_MAX
    assert len(plain) == base._FIELD_NAMES_MAX - 1
    assert base.field_name(b"X-Unseen-Name") == "X-Unseen-Name"  # still decoded
    assert b"X-Unseen-Name" not in names
