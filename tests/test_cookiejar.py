"""Tests for toolkit.cookiejar (RFC 6265)."""

from __future__ import annotations

import calendar
import pickle
from http.cookies import BaseCookie, Morsel, SimpleCookie
from pathlib import Path

import pytest
from freezegun import freeze_time
from hypothesis import given, settings, strategies as st
from yarl import URL

from toolkit.cookiejar import (
    AbstractCookieJar,
    CookieJar,
    DummyCookieJar,
    parse_cookie_date,
)
from toolkit.helpers import http_date


def cookies_from(header: str) -> SimpleCookie:
    c = SimpleCookie()
    c.load(header)
    return c


def sent(jar: CookieJar, url: str) -> dict[str, str]:
    return {k: m.value for k, m in jar.filter_cookies(URL(url)).items()}


def test_host_only_cookie() -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("a=1"), URL("http://example.com/"))
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://sub.example.com/") == {}
    assert sent(jar, "http://other.com/") == {}
    (morsel,) = list(jar)
    assert morsel["domain"] == "example.com"


def test_domain_cookie_matches_subdomains() -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("a=1; Domain=.Example.com"), URL("http://www.example.com/"))
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://deep.sub.example.com/") == {"a": "1"}
    assert sent(jar, "http://badexample.com/") == {}


def test_cookie_for_foreign_domain_is_rejected() -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("a=1; Domain=other.com"), URL("http://example.com/"))
    jar.update_cookies(cookies_from("b=2; Domain=sub.example.com"), URL("http://example.com/"))
    assert len(jar) == 0


def test_domain_with_trailing_dot_is_ignored() -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("a=1; Domain=example.com."), URL("http://example.com/"))
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://sub.example.com/") == {}  # became host-only


@pytest.mark.parametrize(
    ("cookie_path", "request_path", "match"),
    [
        ("/", "/anything", True),
        ("/docs", "/docs", True),
        ("/docs", "/docs/", True),
        ("/docs", "/docs/web", True),
        ("/docs", "/docsets", False),
        ("/docs/", "/docs/web", True),
        ("/docs/", "/docs", False),
        ("/docs", "/", False),
    ],
)
def test_path_matching(cookie_path: str, request_path: str, match: bool) -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from(f"a=1; Path={cookie_path}"), URL("http://example.com/"))
    assert sent(jar, "http://example.com" + request_path) == ({"a": "1"} if match else {})


@pytest.mark.parametrize(
    ("response_path", "default_path"),
    [("/", "/"), ("/a", "/"), ("/a/b", "/a"), ("/a/b/", "/a/b"), ("", "/")],
)
def test_default_path(response_path: str, default_path: str) -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("a=1"), URL("http://example.com" + response_path))
    (morsel,) = list(jar)
    assert morsel["path"] == default_path


def test_longer_path_wins_for_same_name() -> None:
    jar = CookieJar()
    url = URL("http://example.com/")
    jar.update_cookies(cookies_from("a=root; Path=/"), url)
    jar.update_cookies(cookies_from("a=deep; Path=/deep"), url)
    assert sent(jar, "http://example.com/deep/x") == {"a": "deep"}
    assert sent(jar, "http://example.com/other") == {"a": "root"}
    assert len(jar) == 2


def test_secure_cookies() -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("s=1; Secure"), URL("https://example.com/"))
    jar.update_cookies(cookies_from("p=2"), URL("https://example.com/"))
    assert sent(jar, "https://example.com/") == {"s": "1", "p": "2"}
    assert sent(jar, "wss://example.com/") == {"s": "1", "p": "2"}
    assert sent(jar, "http://example.com/") == {"p": "2"}


def test_treat_as_secure_origin() -> None:
    jar = CookieJar(treat_as_secure_origin=["http://127.0.0.1:8080"], unsafe=True)
    jar.update_cookies(cookies_from("s=1; Secure"), URL("http://127.0.0.1:8080/"))
    assert sent(jar, "http://127.0.0.1:8080/path") == {"s": "1"}
    assert sent(jar, "http://127.0.0.1:9090/path") == {}
    jar = CookieJar(treat_as_secure_origin="http://localhost")
    jar.update_cookies(cookies_from("s=1; Secure"), URL("http://localhost/"))
    assert sent(jar, "http://localhost/") == {"s": "1"}


def test_ip_hosts_need_unsafe() -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("a=1"), URL("http://127.0.0.1/"))
    assert len(jar) == 0
    jar = CookieJar(unsafe=True)
    jar.update_cookies(cookies_from("a=1"), URL("http://127.0.0.1/"))
    jar.update_cookies(cookies_from("b=2"), URL("http://[::1]:8080/"))
    assert sent(jar, "http://127.0.0.1/") == {"a": "1"}
    assert sent(jar, "http://127.0.0.2/") == {}
    assert sent(jar, "http://[::1]/") == {"b": "2"}


def test_domain_cookie_does_not_match_ip_suffix() -> None:
    jar = CookieJar(unsafe=True)
    jar.update_cookies(cookies_from("a=1; Domain=0.0.1"), URL("http://10.0.0.1/"))
    assert sent(jar, "http://10.0.0.1/") == {}


def test_shared_cookies() -> None:
    jar = CookieJar()
    jar.update_cookies({"shared": "yes"})
    assert sent(jar, "http://anything.example/") == {"shared": "yes"}
    assert sent(jar, "http://127.0.0.1/") == {"shared": "yes"}


def test_update_from_mappings_morsels_and_pairs() -> None:
    jar = CookieJar()
    url = URL("http://example.com/")
    morsel: Morsel[str] = Morsel()
    morsel.set("m", "v", "v")
    jar.update_cookies({"a": "1", "m": morsel}, url)
    jar.update_cookies([("b", "2")], url)
    assert sent(jar, "http://example.com/") == {"a": "1", "m": "v", "b": "2"}


def test_quote_cookie() -> None:
    url = URL("http://example.com/")
    jar = CookieJar()
    jar.update_cookies({"q": "a b"}, url)
    filtered = jar.filter_cookies(url)
    assert isinstance(filtered, SimpleCookie)
    assert filtered["q"].coded_value == '"a b"'
    jar = CookieJar(quote_cookie=False)
    jar.update_cookies(cookies_from('q="a b"'), url)
    filtered = jar.filter_cookies(url)
    assert type(filtered) is BaseCookie
    assert jar.quote_cookie is False


# -- expiry -------------------------------------------------------------------------


def test_max_age_expiry() -> None:
    with freeze_time("2030-01-01 00:00:00") as frozen:
        jar = CookieJar()
        jar.update_cookies(cookies_from("a=1; Max-Age=60"), URL("http://example.com/"))
        jar.update_cookies(cookies_from("b=2"), URL("http://example.com/"))
        frozen.tick(59)
        assert sent(jar, "http://example.com/") == {"a": "1", "b": "2"}
        frozen.tick(2)
        assert sent(jar, "http://example.com/") == {"b": "2"}
        assert len(jar) == 1


def test_expires_expiry() -> None:
    with freeze_time("2030-01-01 00:00:00") as frozen:
        jar = CookieJar()
        jar.update_cookies(
            cookies_from('a=1; Expires="Tue, 01 Jan 2030 01:00:00 GMT"'),
            URL("http://example.com/"),
        )
        assert len(jar) == 1
        frozen.tick(3601)
        assert len(jar) == 0


def test_max_age_wins_over_expires() -> None:
    with freeze_time("2030-01-01 00:00:00") as frozen:
        jar = CookieJar()
        jar.update_cookies(
            cookies_from('a=1; Max-Age=10; Expires="Tue, 01 Jan 2030 01:00:00 GMT"'),
            URL("http://example.com/"),
        )
        frozen.tick(11)
        assert len(jar) == 0


def test_expired_or_zero_max_age_deletes() -> None:
    with freeze_time("2030-01-01"):
        jar = CookieJar()
        url = URL("http://example.com/")
        jar.update_cookies(cookies_from("a=1"), url)
        jar.update_cookies(cookies_from("a=gone; Max-Age=0"), url)
        assert len(jar) == 0
        jar.update_cookies(cookies_from("b=1"), url)
        jar.update_cookies(cookies_from('b=x; Expires="Thu, 01 Jan 1970 00:00:00 GMT"'), url)
        assert len(jar) == 0


def test_invalid_max_age_and_expires_are_session_cookies() -> None:
    with freeze_time("2030-01-01") as frozen:
        jar = CookieJar()
        url = URL("http://example.com/")
        jar.update_cookies(cookies_from("a=1; Max-Age=soon"), url)
        jar.update_cookies(cookies_from('b=1; Expires="never"'), url)
        frozen.tick(10**8)
        assert sent(jar, "http://example.com/") == {"a": "1", "b": "1"}


@pytest.mark.parametrize("max_age", ["1_0", "+5", " 5", "5 ", "0x5", "\u0665", "--5"])
def test_max_age_other_than_ascii_digits_is_ignored(max_age: str) -> None:
    morsel: Morsel[str] = Morsel()
    morsel.set("a", "1", "1")
    morsel["max-age"] = max_age  # (a Morsel: SimpleCookie.load refuses some of these)
    with freeze_time("2030-01-01") as frozen:
        jar = CookieJar()
        jar.update_cookies({"a": morsel}, URL("http://example.com/"))
        frozen.tick(10**8)
        assert sent(jar, "http://example.com/") == {"a": "1"}


def test_invalid_max_age_leaves_expires_in_force() -> None:
    """RFC 6265 5.2.2: a Max-Age that is not a number is ignored, that attribute only."""
    with freeze_time("2030-01-01") as frozen:
        jar = CookieJar()
        url = URL("http://example.com/")
        jar.update_cookies(
            cookies_from("a=1; Max-Age=soon; Expires=Wed, 02 Jan 2030 00:00:00 GMT"), url
        )
        assert sent(jar, "http://example.com/") == {"a": "1"}
        frozen.tick(2 * 86400)
        assert sent(jar, "http://example.com/") == {}


def test_max_age_of_hundreds_of_digits() -> None:
    with freeze_time("2030-01-01") as frozen:
        jar = CookieJar()
        url = URL("http://example.com/")
        jar.update_cookies(cookies_from("a=1; Max-Age=" + "9" * 400), url)
        jar.update_cookies(cookies_from("b=1; Max-Age=" + "9" * 5000), url)
        jar.update_cookies(cookies_from("c=1; Max-Age=-" + "9" * 400), url)
        frozen.tick(10**8)
        assert sent(jar, "http://example.com/") == {"a": "1", "b": "1"}


def test_replacing_a_cookie_drops_its_old_expiry() -> None:
    with freeze_time("2030-01-01") as frozen:
        jar = CookieJar()
        url = URL("http://example.com/")
        jar.update_cookies(cookies_from("a=1; Max-Age=5"), url)
        jar.update_cookies(cookies_from("a=2"), url)
        frozen.tick(10)
        assert sent(jar, "http://example.com/") == {"a": "2"}


def test_injected_clock() -> None:
    now = [1000.0]
    jar = CookieJar(clock=lambda: now[0])
    jar.update_cookies(cookies_from("a=1; Max-Age=5"), URL("http://example.com/"))
    assert len(jar) == 1
    now[0] += 6
    assert len(jar) == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", (1994, 11, 6, 8, 49, 37)),
        ("Sunday, 06-Nov-94 08:49:37 GMT", (1994, 11, 6, 8, 49, 37)),
        ("Sun Nov  6 08:49:37 1994", (1994, 11, 6, 8, 49, 37)),
        ("06 Nov 2069 08:49:37", (2069, 11, 6, 8, 49, 37)),
        ("Thu, 01-Jan-70 00:00:01 GMT", (1970, 1, 1, 0, 0, 1)),
        ("Wed, 31 Dec 2025 23:59:59 +0000", (2025, 12, 31, 23, 59, 59)),
        ("", None),
        ("Tue, 30 Feb 2021 00:00:00 GMT", None),
        ("Tue, 01 Jan 2021 25:00:00 GMT", None),
        ("Tue, 01 Jan 1600 00:00:00 GMT", None),
        ("no date here", None),
        ("Sun, \u0660\u0666 Nov 1994 08:49:37 GMT", None),  # Arabic-Indic digits
        ("Sun, 06 Nov 1994 \u0660\u0668:49:37 GMT", None),
        ("Sun, 06 Nov \uff11\uff19\uff19\uff14 08:49:37 GMT", None),  # fullwidth
    ],
)
def test_parse_cookie_date(value: str, expected: tuple[int, ...] | None) -> None:
    result = parse_cookie_date(value)
    if expected is None:
        assert result is None
    else:
        assert result == calendar.timegm((*expected, 0, 0, 0))


# -- management -----------------------------------------------------------------------


def test_clear_and_clear_domain() -> None:
    jar = CookieJar()
    jar.update_cookies(cookies_from("a=1"), URL("http://example.com/"))
    jar.update_cookies(cookies_from("b=2"), URL("http://sub.example.com/"))
    jar.update_cookies(cookies_from("c=3"), URL("http://other.org/"))
    jar.clear_domain("example.com")
    assert [m.key for m in jar] == ["c"]
    jar.update_cookies(cookies_from("d=4"), URL("http://other.org/"))
    jar.clear(lambda m: m.key == "d")
    assert [m.key for m in jar] == ["c"]
    jar.clear()
    assert len(jar) == 0
    assert sent(jar, "http://other.org/") == {}


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "cookies.pickle"
    with freeze_time("2030-01-01") as frozen:
        jar = CookieJar()
        jar.update_cookies(cookies_from("host=1"), URL("http://example.com/"))
        jar.update_cookies(cookies_from("dom=2; Domain=example.com"), URL("http://example.com/"))
        jar.update_cookies(cookies_from("tmp=3; Max-Age=100"), URL("http://example.com/"))
        jar.save(path)
        loaded = CookieJar()
        loaded.load(path)
        assert sent(loaded, "http://example.com/") == {"host": "1", "dom": "2", "tmp": "3"}
        assert sent(loaded, "http://sub.example.com/") == {"dom": "2"}  # host-only kept
        frozen.tick(101)
        assert sent(loaded, "http://example.com/") == {"host": "1", "dom": "2"}


def test_load_bare_mapping_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / "bare.pickle"
    cookie = SimpleCookie()
    cookie["x"] = "1"
    cookie["x"]["domain"] = "example.com"
    cookie["x"]["path"] = "/"
    path.write_bytes(pickle.dumps({("example.com", ""): cookie}))
    jar = CookieJar()
    jar.load(path)
    assert sent(jar, "http://example.com/") == {"x": "1"}
    path.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(ValueError, match="not a saved cookie jar"):
        jar.load(path)


def test_dummy_cookie_jar() -> None:
    jar = DummyCookieJar()
    jar.update_cookies(cookies_from("a=1"), URL("http://example.com/"))
    assert len(jar) == 0 and list(jar) == []
    assert len(jar.filter_cookies(URL("http://example.com/"))) == 0
    jar.clear()
    jar.clear_domain("example.com")
    assert jar.quote_cookie
    assert isinstance(jar, AbstractCookieJar) and isinstance(CookieJar(), AbstractCookieJar)


def test_loop_argument_is_accepted() -> None:
    CookieJar(loop=None)
    DummyCookieJar(loop=None)


@settings(max_examples=100)
@given(ts=st.integers(min_value=0, max_value=253402300799))
def test_parse_cookie_date_round_trips_http_dates(ts: int) -> None:
    assert parse_cookie_date(http_date(ts)) == ts


@settings(max_examples=100)
@given(value=st.text(max_size=40))
def test_parse_cookie_date_never_raises(value: str) -> None:
    result = parse_cookie_date(value)
    assert result is None or isinstance(result, float)
