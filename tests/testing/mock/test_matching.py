"""URL patterns and request matchers, without I/O."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st
from multidict import CIMultiDict
from yarl import URL

from toolkit.testing.mock import MockRequest, RequestMatcher, URLPattern

segment = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), max_codepoint=0x24F),
    min_size=1,
    max_size=12,
)


def request(url: str, *, body: bytes | None = b"", **headers: str) -> MockRequest:
    return MockRequest("GET", URL(url), CIMultiDict(headers), body)


@settings(max_examples=60, deadline=None)
@given(first=segment, second=segment)
def test_template_captures_any_segment(first: str, second: str) -> None:
    pattern = URLPattern("http://api.test/a/{x}/b/{y}")
    url = URL.build(scheme="http", host="api.test", path=f"/a/{first}/b/{second}")
    assert pattern.match(url) == {"x": first, "y": second}
    assert pattern.match(url / "more") is None


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(st.tuples(segment, segment), min_size=1, max_size=5, unique_by=lambda t: t[0])
)
def test_exact_query_matches_in_any_order(items: list[tuple[str, str]]) -> None:
    pattern = URLPattern(URL("http://api.test/q").with_query(items))
    reordered = URL("http://api.test/q").with_query(list(reversed(items)))
    assert pattern.match(reordered) == {}
    assert pattern.match(URL("http://api.test/q")) is None


@pytest.mark.parametrize(
    ("url", "matches"),
    [
        ("http://API.test:80/p", True),
        ("https://api.test/p", False),
        ("http://api.test:8080/p", False),
        ("http://api.test/p?x=1", False),
        ("http://api.test/p/", False),
    ],
)
def test_exact_url(url: str, matches: bool) -> None:
    assert (URLPattern("http://api.test/p").match(URL(url)) is not None) is matches


def test_any_query_when_params_are_matched() -> None:
    assert URLPattern("http://api.test/p", any_query=True).match(URL("http://api.test/p?x=1")) == {}


def test_regex_and_bad_urls() -> None:
    pattern = URLPattern(re.compile(r"http://api\.test/(?P<id>\d+)"))
    assert pattern.match(URL("http://api.test/12?x")) == {"id": "12"}
    assert pattern.describe() == r"re:http://api\.test/(?P<id>\d+)"
    with pytest.raises(ValueError, match="must be absolute"):
        URLPattern("/relative")
    with pytest.raises(TypeError, match=r"compiled re\.Pattern"):
        URLPattern(42)  # type: ignore[arg-type]


def test_query_mismatch_is_explained() -> None:
    pattern = URLPattern("http://api.test/p?a=1")
    assert pattern.mismatch(URL("http://api.test/p?a=2")) == (
        "query [('a', '1')] expected, got 'a=2'"
    )
    assert pattern.mismatch(URL("http://api.test/other")) == "URL differs"


def test_request_matcher() -> None:
    matcher = RequestMatcher(params={"page": 2}, headers={"X-Key": re.compile("^k")}, json={"a": 1})
    good = request("http://x/?page=2", body=b'{"a": 1}', **{"X-Key": "key"})
    assert matcher.mismatch(good) is None
    assert matcher.mismatch(request("http://x/?page=2", body=None, **{"X-Key": "k"})) == ""
    assert "query page='2'" in (matcher.mismatch(request("http://x/")) or "")
    assert "non-JSON" in (
        matcher.mismatch(request("http://x/?page=2", body=b"{", **{"X-Key": "k"})) or ""
    )
    with pytest.raises(TypeError, match="header matcher"):
        RequestMatcher(headers={"X": 1})
