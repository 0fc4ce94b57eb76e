"""Tests for toolkit.helpers and toolkit.auth."""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import datetime
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from yarl import URL

from toolkit import hdrs, helpers
from toolkit._lazy import LazyPattern, lazy_pattern
from toolkit.auth import basicauth_from_netrc, netrc_from_env, strip_auth_from_url
from toolkit.helpers import (
    ETag,
    MimeType,
    TimerContext,
    TimerNoop,
    content_length_value,
    get_charset,
    http_date,
    is_ip_address,
    parse_content_type,
    parse_etags,
    parse_http_date,
    parse_mimetype,
    reify,
    sentinel,
    validate_etag_value,
)

BasicAuth = helpers.BasicAuth


# -- BasicAuth ------------------------------------------------------------------


def test_basic_auth_defaults_and_encode() -> None:
    auth = BasicAuth("nkim")
    assert auth == ("nkim", "", "latin1")
    assert auth.login == "nkim" and auth.password == "" and auth.encoding == "latin1"
    assert BasicAuth("nkim", "pwd").encode() == "Basic bmtpbTpwd2Q="


def test_basic_auth_rejects_colon_in_login() -> None:
    with pytest.raises(ValueError, match='":" is not allowed'):
        BasicAuth("user:name", "pass")


@pytest.mark.parametrize("args", [(None, "x"), ("x", None)])
def test_basic_auth_rejects_none(args: tuple[object, object]) -> None:
    with pytest.raises(ValueError, match="None is not allowed"):
        BasicAuth(*args)  # type: ignore[arg-type]


def test_basic_auth_encoding() -> None:
    auth = BasicAuth("用户", "密码", encoding="utf-8")
    decoded = BasicAuth.decode(auth.encode(), encoding="utf-8")
    assert decoded == auth
    with pytest.raises(UnicodeEncodeError):
        BasicAuth("用户").encode()


def test_basic_auth_decode() -> None:
    header = "Basic " + base64.b64encode(b"nkim:pass:word").decode()
    auth = BasicAuth.decode(header)
    assert auth.login == "nkim" and auth.password == "pass:word"
    assert BasicAuth.decode("basic " + base64.b64encode(b"nkim").decode()) == ("nkim", "", "latin1")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic", "Could not parse"),
        ("Digest abc", "Unknown authorization method"),
        ("Basic ???", "Invalid base64"),
    ],
)
def test_basic_auth_decode_errors(header: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BasicAuth.decode(header)


def test_basic_auth_from_url() -> None:
    assert BasicAuth.from_url(URL("http://user:pass@example.com")) == ("user", "pass", "latin1")
    assert BasicAuth.from_url(URL("http://user@example.com")) == ("user", "", "latin1")
    assert BasicAuth.from_url(URL("http://:pass@example.com")) == ("", "pass", "latin1")
    assert BasicAuth.from_url(URL("http://example.com")) is None
    with pytest.raises(TypeError, match=r"yarl\.URL"):
        BasicAuth.from_url("http://user:pass@example.com")  # type: ignore[arg-type]


def test_strip_auth_from_url() -> None:
    url, auth = strip_auth_from_url(URL("http://u:p@example.com/path"))
    assert url == URL("http://example.com/path") and auth == ("u", "p", "latin1")
    url, auth = strip_auth_from_url(URL("http://example.com/"))
    assert auth is None


@settings(max_examples=100)
@given(
    login=st.text().filter(lambda s: ":" not in s),
    password=st.text(),
)
def test_basic_auth_round_trip(login: str, password: str) -> None:
    auth = BasicAuth(login, password, encoding="utf-8")
    assert BasicAuth.decode(auth.encode(), encoding="utf-8") == auth


# -- netrc -----------------------------------------------------------------------


def test_netrc_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text(
        "machine example.com login alice password secret\n"
        "machine acct.example account bob password pw\n"
        "default login anon password guest\n"
    )
    netrc_file.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc_file))
    obj = netrc_from_env()
    assert obj is not None
    assert basicauth_from_netrc(obj, "example.com") == ("alice", "secret", "latin1")
    assert basicauth_from_netrc(obj, "acct.example") == ("bob", "pw", "latin1")
    assert basicauth_from_netrc(obj, "other.example") == ("anon", "guest", "latin1")


def test_netrc_missing_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine example.com login alice password secret\n")
    netrc_file.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc_file))
    with pytest.raises(LookupError, match=r"other\.example"):
        basicauth_from_netrc(netrc_from_env(), "other.example")
    with pytest.raises(LookupError, match=r"No \.netrc"):
        basicauth_from_netrc(None, "example.com")


def test_netrc_home_and_broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert netrc_from_env() is None  # no file: silently nothing
    (tmp_path / ".netrc").write_text("machine h login u password p\n")
    (tmp_path / ".netrc").chmod(0o600)
    obj = netrc_from_env()
    assert obj is not None and obj.authenticators("h") == ("u", "", "p")
    broken = tmp_path / "broken"
    broken.write_text("machine\n")
    monkeypatch.setenv("NETRC", str(broken))
    assert netrc_from_env() is None


# -- media types -------------------------------------------------------------------


def test_parse_mimetype() -> None:
    assert parse_mimetype("") == ("", "", "", {})
    assert parse_mimetype("*") == ("*", "*", "", {})
    mt = parse_mimetype('Application/LD+JSON; Charset="UTF-8"; q=0.5;')
    assert isinstance(mt, MimeType)
    assert (mt.type, mt.subtype, mt.suffix) == ("application", "ld", "json")
    assert dict(mt.parameters) == {"charset": "UTF-8", "q": "0.5"}
    assert parse_mimetype("text/plain;flag").parameters["flag"] == ""


def test_parse_content_type_and_charset() -> None:
    assert parse_content_type(None)[0] == "application/octet-stream"
    ctype, params = parse_content_type("text/html; charset=ISO-8859-1")
    assert ctype == "text/html" and params["charset"] == "ISO-8859-1"
    assert parse_content_type("application/vnd.api+json")[0] == "application/vnd.api+json"
    assert get_charset("text/plain; charset=utf-8") == "utf-8"
    assert get_charset("text/plain") is None
    assert get_charset(None) is None


# -- etags -------------------------------------------------------------------------


def test_etags() -> None:
    assert parse_etags(None) is None
    assert parse_etags("*") == (ETag("*"),)
    assert parse_etags('"a", W/"b" ,"c"') == (ETag("a"), ETag("b", is_weak=True), ETag("c"))
    assert parse_etags('"a", bogus, "c"') == (ETag("a"),)
    validate_etag_value("abc")
    validate_etag_value("*")
    with pytest.raises(ValueError, match="not a valid etag"):
        validate_etag_value('a"b')


def test_etag_is_an_immutable_value() -> None:
    tag = ETag("a")
    assert repr(tag) == "ETag(value='a', is_weak=False)"
    assert tag == ETag("a") != ETag("a", is_weak=True)
    assert tag != ("a", False)
    assert len({tag, ETag("a"), ETag(value="a", is_weak=False)}) == 1
    for clone in (pickle.loads(pickle.dumps(tag)), copy.copy(tag), copy.deepcopy(tag)):
        assert clone == tag
    with pytest.raises(dataclasses.FrozenInstanceError):
        tag.value = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del tag.is_weak  # type: ignore[misc]
    match ETag("b", True):
        case ETag(value, is_weak):
            assert (value, is_weak) == ("b", True)


# -- misc --------------------------------------------------------------------------


def test_reify() -> None:
    calls: list[int] = []

    class A:
        def __init__(self) -> None:
            self._cache: dict[str, object] = {}

        @reify
        def value(self) -> int:
            """Doc."""
            calls.append(1)
            return 42

    class B:
        @reify
        def value(self) -> str:
            return "b"

    a = A()
    assert a.value == 42 and a.value == 42
    assert calls == [1]
    assert isinstance(A.value, reify) and A.value.__doc__ == "Doc."
    with pytest.raises(AttributeError, match="read-only"):
        a.value = 1
    assert B().value == "b"


def test_sentinel() -> None:
    assert repr(sentinel) == "<sentinel>"
    assert sentinel is helpers.sentinel
    assert pickle.loads(pickle.dumps(sentinel)) is sentinel
    assert copy.copy(sentinel) is sentinel and copy.deepcopy(sentinel) is sentinel


def test_lazy_pattern_behaves_like_the_compiled_pattern() -> None:
    pattern = lazy_pattern(r"(\w)(\d)?", re.ASCII)
    assert isinstance(pattern, LazyPattern)
    compiled = re.compile(r"(\w)(\d)?", re.ASCII)
    assert pattern.groups == 2 and pattern.flags == compiled.flags
    m = pattern.match("a1")
    assert m is not None and m.groups() == ("a", "1")
    assert pattern.fullmatch("a1 ") is None
    assert [m.group() for m in pattern.finditer("a1 b")] == ["a1", "b"]
    assert pattern.sub("-", "a1 b") == "- -" and pattern.split("a b") == [
        "",
        "a",
        None,
        " ",
        "b",
        None,
        "",
    ]
    assert lazy_pattern(rb"x+").findall(b"xx y x") == [b"xx", b"x"]
    clone = pickle.loads(pickle.dumps(pattern))
    assert clone.search(" b") is not None and repr(clone) == repr(pattern)


def test_credentials_load_on_first_use() -> None:
    code = (
        "import sys, toolkit.helpers as h, toolkit.payload\n"
        "print('toolkit.auth' in sys.modules)\n"
        "from toolkit.helpers import BasicAuth\n"
        "print(BasicAuth is sys.modules['toolkit.auth'].BasicAuth is h.BasicAuth)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("fe80::1%eth0", True),
        (b"10.0.0.1", True),
        ("example.com", False),
        ("1.2.3", False),
        (None, False),
    ],
)
def test_is_ip_address(host: str | bytes | None, expected: bool) -> None:
    assert is_ip_address(host) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", 0),
        (" 42\t", 42),
        ("9" * 18, 10**18 - 1),
        ("9" * 19, None),  # past what the parsers admit
        ("9" * 5000, None),  # int() refuses more than 4300 digits
        ("", None),
        ("+5", None),  # int() takes these three
        ("1_0", None),
        ("\u0665", None),
        ("\u00b2", None),  # str.isdigit() takes it, int() does not
        ("0\x1f", None),  # str.strip() takes it, int() does not
        ("-1", None),
    ],
)
def test_content_length_value(value: str | None, expected: int | None) -> None:
    assert content_length_value(value) == expected


def test_http_dates() -> None:
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    dt = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.timezone.utc)
    assert http_date(dt) == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT") == dt
    assert parse_http_date("Wednesday, 21-Oct-15 07:28:00 GMT") == dt
    assert parse_http_date("garbage") is None
    assert parse_http_date(None) is None


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 31 Dec 9999 23:59:59 -0100",  # past year 9999 in UTC: OverflowError
        "Fri, 31 Dec 9999 23:00:00 -2359",
        "Sun, \u0660\u0666 Nov 1994 08:49:37 GMT",  # Arabic-Indic digits
        "Sun, 06 Nov 1994 08:49:37 GMT\u3000",
    ],
)
def test_parse_http_date_of_out_of_range_or_non_ascii_dates(value: str) -> None:
    assert parse_http_date(value) is None


def test_hdrs() -> None:
    assert hdrs.CONTENT_TYPE == "Content-Type"
    assert hdrs.METH_GET in hdrs.METH_ALL and hdrs.METH_ANY not in hdrs.METH_ALL
    assert "CONTENT_TYPE" in hdrs.__all__


async def test_timer_context_turns_cancel_into_timeout() -> None:
    timer = TimerContext(asyncio.get_running_loop())

    async def waiter() -> None:
        with timer:
            await asyncio.sleep(10)

    task = asyncio.ensure_future(waiter())
    await asyncio.sleep(0)
    timer.timeout()
    with pytest.raises(asyncio.TimeoutError):
        await task
    with pytest.raises(asyncio.TimeoutError), timer:
        pass
    with TimerNoop():
        pass
