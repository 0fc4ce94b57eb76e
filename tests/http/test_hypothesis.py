"""Property tests: serialize -> parse round trips, and arbitrary bytes only raise our errors."""

from __future__ import annotations

from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.http.conftest import BACKENDS
from tests.http.helpers import merge_body
from toolkit.http import (
    EndOfMessage,
    HttpVersion,
    RequestHead,
    ResponseHead,
    encode_chunk,
    encode_trailers,
    serialize_request_head,
    serialize_response_head,
)
from toolkit.http._rules import TOKEN_CHARS
from toolkit.http.errors import HttpProcessingError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSERS = [cast(tuple[type[Any], type[Any]], p.values[0]) for p in BACKENDS]
FRAMING_NAMES = {"content-length", "transfer-encoding", "host", "connection", "upgrade"}

# Methods llhttp knows (it rejects unknown ones; the pure parser takes any token).
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE", "REPORT"])
targets = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%",
    max_size=40,
).map(lambda s: "/" + s)
names = st.text(alphabet=TOKEN_CHARS.decode(), min_size=1, max_size=20).filter(
    lambda n: n.lower() not in FRAMING_NAMES
)
values = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=30).map(
    lambda v: v.strip(" ")
)
fields = st.lists(st.tuples(names, values), max_size=8)
bodies = st.binary(max_size=600)
cuts = st.lists(st.integers(min_value=0, max_value=2000), max_size=6)


def chunked(body: bytes, sizes: list[int], trailers: list[tuple[str, str]]) -> bytes:
    out, pos = [], 0
    for size in sizes:
        out.append(encode_chunk(body[pos : pos + size]))
        pos += size
    out.append(encode_chunk(body[pos:]))
    return b"".join(out) + encode_trailers(trailers)


def feed_cut(parser: Any, wire: bytes, points: list[int], eof: bool = False) -> list[Any]:
    events: list[Any] = []
    start = 0
    for point in sorted(p % (len(wire) + 1) for p in points):
        events += parser.feed_data(wire[start:point])
        start = point
    events += parser.feed_data(wire[start:])
    if eof:
        events += parser.feed_eof()
    return merge_body(events)


def expected_fields(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, v.encode().decode("utf-8", "surrogateescape")) for n, v in pairs]


@pytest.mark.parametrize("classes", PARSERS, ids=[p.id for p in BACKENDS])
@SETTINGS
@given(
    method=methods,
    target=targets,
    headers=fields,
    body=bodies,
    framing=st.sampled_from(["length", "chunked", "none"]),
    sizes=st.lists(st.integers(min_value=1, max_value=200), max_size=5),
    trailers=fields,
    http10=st.booleans(),
    points=cuts,
)
def test_request_round_trip(
    classes: tuple[type[Any], type[Any]],
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    framing: str,
    sizes: list[int],
    trailers: list[tuple[str, str]],
    http10: bool,
    points: list[int],
) -> None:
    version = HttpVersion(1, 0) if http10 and framing != "chunked" else HttpVersion(1, 1)
    all_headers = list(headers)
    if framing == "length":
        all_headers.append(("Content-Length", str(len(body))))
        payload = body
    elif framing == "chunked":
        all_headers.append(("Transfer-Encoding", "chunked"))
        payload = chunked(body, sizes, trailers)
    else:
        body, payload = b"", b""
    wire = serialize_request_head(method, target, all_headers, version) + payload
    events = feed_cut(classes[0](), wire * 2, points)
    head = events[0]
    # After a message that closes the connection, further requests are ignored.
    assert len(events) == (3 if body else 2) * (1 if head.should_close else 2)
    assert isinstance(head, RequestHead)
    assert (head.method, head.target, head.version) == (method, target, version)
    assert list(head.headers.items()) == expected_fields(all_headers)
    assert head.chunked is (framing == "chunked")
    if body:
        assert events[1] == body
    eom = events[2 if body else 1]
    assert isinstance(eom, EndOfMessage)
    if framing == "chunked" and trailers:
        assert eom.trailers is not None
        assert list(eom.trailers.items()) == expected_fields(trailers)
    else:
        assert eom.trailers is None
    if not head.should_close:
        assert events[len(events) // 2 :] == events[: len(events) // 2]


@pytest.mark.parametrize("classes", PARSERS, ids=[p.id for p in BACKENDS])
@SETTINGS
@given(
    status=st.integers(min_value=200, max_value=599).filter(lambda s: s not in (204, 304)),
    reason=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    headers=fields,
    body=bodies,
    framing=st.sampled_from(["length", "chunked", "close"]),
    sizes=st.lists(st.integers(min_value=1, max_value=200), max_size=5),
    points=cuts,
)
def test_response_round_trip(
    classes: tuple[type[Any], type[Any]],
    status: int,
    reason: str,
    headers: list[tuple[str, str]],
    body: bytes,
    framing: str,
    sizes: list[int],
    points: list[int],
) -> None:
    all_headers = list(headers)
    if framing == "length":
        all_headers.append(("Content-Length", str(len(body))))
        payload = body
    elif framing == "chunked":
        all_headers.append(("Transfer-Encoding", "chunked"))
        payload = chunked(body, sizes, [])
    else:
        payload = body
    wire = serialize_response_head(status, reason, all_headers) + payload
    events = feed_cut(classes[1](), wire, points, eof=True)
    head = events[0]
    assert isinstance(head, ResponseHead)
    assert head.status == status
    assert head.reason == reason.strip(" ") or head.reason == reason
    assert list(head.headers.items()) == expected_fields(all_headers)
    assert head.should_close is (framing == "close")
    assert events[1:] == ([body] if body else []) + [EndOfMessage(None)]


@pytest.mark.parametrize("classes", PARSERS, ids=[p.id for p in BACKENDS])
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400), points=cuts)
def test_arbitrary_bytes_only_raise_protocol_errors(
    classes: tuple[type[Any], type[Any]], data: bytes, points: list[int]
) -> None:
    for cls in classes:
        try:
            feed_cut(cls(), data, points, eof=True)
        except HttpProcessingError:
            pass


VALID = [
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3;e=1\r\nabc\r\n0\r\nT: v\r\n\r\n",
    b"GET /y HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
]


@pytest.mark.parametrize("classes", PARSERS, ids=[p.id for p in BACKENDS])
@settings(max_examples=150, deadline=None)
@given(
    base=st.sampled_from(VALID),
    edits=st.lists(st.tuples(st.integers(0, 200), st.binary(min_size=0, max_size=3)), max_size=4),
    points=cuts,
)
def test_mutated_messages_only_raise_protocol_errors(
    classes: tuple[type[Any], type[Any]],
    base: bytes,
    edits: list[tuple[int, bytes]],
    points: list[int],
) -> None:
    data = bytearray(base)
    for pos, insert in edits:
        pos %= len(data) + 1
        data[pos : pos + 1] = insert
    for cls in classes:
        try:
            feed_cut(cls(), bytes(data), points, eof=True)
        except HttpProcessingError:
            pass


@settings(max_examples=100, deadline=None)
@given(
    base=st.sampled_from(VALID[:2]),
    edits=st.lists(st.tuples(st.integers(0, 200), st.binary(min_size=0, max_size=3)), max_size=3),
)
def test_backends_agree_on_requests(base: bytes, edits: list[tuple[int, bytes]]) -> None:
    if len(PARSERS) < 2:
        pytest.skip("httptools is not installed")
    data = bytearray(base)
    for pos, insert in edits:
        pos %= len(data) + 1
        data[pos : pos + 1] = insert
    outcomes: list[tuple[str, Any]] = []
    for classes in PARSERS:
        try:
            outcomes.append(("ok", merge_body(classes[0]().feed_data(bytes(data)))))
        except HttpProcessingError:
            outcomes.append(("error", None))
    # Where both accept, they must produce the same events.
    if outcomes[0][0] == outcomes[1][0] == "ok":
        assert outcomes[0] == outcomes[1]
