"""The request parser's str headers are its raw field lines, decoded (UTF-8, surrogateescape)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

httptools = pytest.importorskip("httptools")

from toolkit.http import RequestHead  # noqa: E402
from toolkit.http._httptools import HttptoolsRequestParser  # noqa: E402

# Field-value bytes llhttp accepts: HTAB, SP, VCHAR, obs-text.
_VALUE_BYTES = st.binary(max_size=12).map(
    lambda b: bytes(c for c in b if c in (9, 32) or 0x21 <= c <= 0x7E or c >= 0x80)
)
_NAMES = st.text(alphabet="abcXYZ-_019!#", min_size=1, max_size=8).map(str.encode)


@given(st.lists(st.tuples(_NAMES, _VALUE_BYTES.map(lambda v: v.strip(b" \t"))), max_size=6))
@settings(max_examples=100, deadline=None)
def test_parsed_headers_match_raw_headers(fields: list[tuple[bytes, bytes]]) -> None:
    head = b"".join(n + b": " + v + b"\r\n" for n, v in fields)
    try:
        events = HttptoolsRequestParser().feed_data(b"GET / HTTP/1.1\r\n" + head + b"\r\n")
    except Exception:
        return  # a field our rules refuse (Content-Length-like names are not generated)
    request = events[0]
    assert isinstance(request, RequestHead)
    assert list(request.raw_headers) == fields
    assert list(request.headers.items()) == [
        (n.decode("ascii"), v.decode("utf-8", "surrogateescape")) for n, v in fields
    ]
