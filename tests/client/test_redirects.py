"""Following redirects: methods, bodies, history, limits, and what crosses origins."""

from __future__ import annotations

import _peers as peers  # registered by conftest.py
import pytest
from hypothesis import example, given, settings, strategies as st
from yarl import URL

import toolkit
from toolkit.client.exceptions import (
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
    RedirectClientError,
    TooManyRedirects,
)
from toolkit.client.redirects import is_resendable, next_method, redirect_target
from toolkit.client.session import ClientSession


def redirecting(status: int, location: str, *, extra=()):
    """Redirect every request to /start, answer the rest with what was received."""

    def handler(req):
        if req.target.startswith("/start"):
            return (status, [("Location", location), *extra], b"moved")
        return (200, [("Content-Type", "text/plain")], f"{req.method} {req.target}".encode())

    return handler


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("status", "method", "expected"),
    [
        (301, "POST", ("GET", False)),
        (302, "POST", ("GET", False)),
        (303, "POST", ("GET", False)),
        (303, "PUT", ("GET", False)),
        (303, "HEAD", ("HEAD", True)),
        (301, "PUT", ("PUT", True)),
        (302, "GET", ("GET", True)),
        (307, "POST", ("POST", True)),
        (308, "PATCH", ("PATCH", True)),
    ],
)
def test_next_method(status: int, method: str, expected: tuple[str, bool]) -> None:
    assert tuple(next_method(status, method)) == expected


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/abs", "http://h.example/abs"),
        ("rel", "http://h.example/dir/rel"),
        ("../up", "http://h.example/up"),
        ("?q=1", "http://h.example/dir/page?q=1"),
        ("//other.example/x", "http://other.example/x"),
        ("https://secure.example/", "https://secure.example/"),
        ("http:/same-origin", "http://h.example/same-origin"),
    ],
)
def test_redirect_target(location: str, expected: str) -> None:
    assert redirect_target(location, URL("http://h.example/dir/page")) == URL(expected)


def test_redirect_target_errors() -> None:
    with pytest.raises(NonHttpUrlRedirectClientError):
        redirect_target("ftp://files.example/x", URL("http://h.example/"))
    with pytest.raises(NonHttpUrlRedirectClientError):
        redirect_target("javascript:alert(1)", URL("http://h.example/"))
    with pytest.raises(InvalidUrlRedirectClientError):
        redirect_target("http://[bad", URL("http://h.example/"))
    assert issubclass(NonHttpUrlRedirectClientError, RedirectClientError)


def test_is_resendable() -> None:
    async def gen():
        yield b""

    assert is_resendable(None)
    assert is_resendable(b"x")
    assert is_resendable({"a": "b"})
    assert is_resendable([("a", "b")])
    agen = gen()
    assert not is_resendable(agen)
    assert not is_resendable(toolkit.get_payload(agen))


# ---------------------------------------------------------------- end to end


async def test_302_post_becomes_get_and_keeps_history() -> None:
    async with (
        peers.Peer(redirecting(302, "/final")) as peer,
        ClientSession() as session,
        session.post(peer.url_for("/start"), data=b"payload") as resp,
    ):
        assert await resp.text() == "GET /final"
        assert resp.url == peer.url_for("/final")
        assert len(resp.history) == 1
        first = resp.history[0]
        assert first.status == 302
        assert first.url == peer.url_for("/start")
        assert first.method == "POST"
    final = peer.requests[1]
    assert final.body == b""
    assert final.header("Content-Length") is None
    assert final.header("Content-Type") is None


@pytest.mark.parametrize("status", [307, 308])
async def test_307_308_keep_method_and_body(status: int) -> None:
    async with (
        peers.Peer(redirecting(status, "/final")) as peer,
        ClientSession() as session,
        session.put(
            peer.url_for("/start"), data=b"payload", headers={"Content-Type": "x/y"}
        ) as resp,
    ):
        assert await resp.text() == "PUT /final"
    assert peer.requests[1].body == b"payload"
    assert peer.requests[1].header("Content-Type") == "x/y"


async def test_303_drops_the_body_of_put() -> None:
    async with (
        peers.Peer(redirecting(303, "/final")) as peer,
        ClientSession() as session,
        session.put(peer.url_for("/start"), json={"a": 1}) as resp,
    ):
        assert await resp.text() == "GET /final"
    assert peer.requests[1].body == b""


async def test_307_with_a_stream_body_is_not_followed() -> None:
    async def gen():
        yield b"once"

    async with (
        peers.Peer(redirecting(307, "/final")) as peer,
        ClientSession() as session,
        session.post(peer.url_for("/start"), data=gen()) as resp,
    ):
        assert resp.status == 307
        assert resp.history == ()
    assert len(peer.requests) == 1


async def test_allow_redirects_false() -> None:
    async with (
        peers.Peer(redirecting(301, "/final")) as peer,
        ClientSession() as session,
        session.get(peer.url_for("/start"), allow_redirects=False) as resp,
    ):
        assert resp.status == 301
        assert resp.headers["Location"] == "/final"
        assert await resp.read() == b"moved"


async def test_head_does_not_follow_by_default() -> None:
    async with (
        peers.Peer(redirecting(302, "/final")) as peer,
        ClientSession() as session,
        session.head(peer.url_for("/start")) as resp,
    ):
        assert resp.status == 302
        async with session.head(peer.url_for("/start"), allow_redirects=True) as resp:
            assert resp.status == 200


async def test_params_are_not_added_again() -> None:
    async with (
        peers.Peer(redirecting(302, "/final?b=2")) as peer,
        ClientSession() as session,
        session.get(peer.url_for("/start"), params={"a": "1"}) as resp,
    ):
        assert await resp.text() == "GET /final?b=2"
    assert peer.requests[0].target == "/start?a=1"


async def test_max_redirects() -> None:
    def loop(req):
        n = int(req.target.rsplit("/", 1)[1])
        return (302, [("Location", f"/loop/{n + 1}")], b"")

    async with peers.Peer(loop) as peer, ClientSession() as session:
        with pytest.raises(TooManyRedirects) as info:
            await session.get(peer.url_for("/loop/0"), max_redirects=3)
    err = info.value
    assert len(err.history) == 3
    assert [r.url.path for r in err.history] == ["/loop/0", "/loop/1", "/loop/2"]
    assert err.request_info.url == peer.url_for("/loop/0")


async def test_session_max_redirects() -> None:
    def loop(req):
        return (302, [("Location", "/again")], b"")

    async with peers.Peer(loop) as peer, ClientSession(max_redirects=2) as session:
        with pytest.raises(TooManyRedirects):
            await session.get(peer.url())
    assert len(peer.requests) == 2


async def test_redirect_to_non_http_scheme() -> None:
    async with (
        peers.Peer(redirecting(302, "ftp://files.example/x")) as peer,
        ClientSession() as session,
    ):
        with pytest.raises(NonHttpUrlRedirectClientError):
            await session.get(peer.url_for("/start"))


async def test_no_location_returns_the_3xx() -> None:
    async with (
        peers.Peer(lambda req: (302, [], b"")) as peer,
        ClientSession() as session,
        session.get(peer.url()) as resp,
    ):
        assert resp.status == 302


async def test_credentials_and_cookies_stay_on_their_origin() -> None:
    async with peers.Peer(redirecting(200, "")) as other:
        # Another host name for the same address: another origin, another cookie domain.
        target = f"http://localhost:{other.port}/landing"

        def first(req):
            return (
                302,
                [("Location", target), ("Set-Cookie", "hop=1; Path=/")],
                b"",
            )

        jar = toolkit.CookieJar(unsafe=True)
        async with (
            peers.Peer(first) as origin,
            ClientSession(cookie_jar=jar, auth=toolkit.BasicAuth("u", "p")) as session,
        ):
            jar.update_cookies({"sess": "x"}, origin.url())
            async with session.get(
                origin.url_for("/start"), headers={"X-Keep": "1", "Cookie": "manual=1"}
            ) as resp:
                assert resp.status == 200
                assert resp.url == URL(target)
            assert origin.requests[0].header("Authorization") is not None
            assert "sess=x" in (origin.requests[0].header("Cookie") or "")
    landed = other.requests[0]
    assert landed.header("Authorization") is None
    assert landed.header("Cookie") is None
    assert landed.header("X-Keep") == "1"
    # The cookie set on the redirect hop went into the session's jar.
    assert any(c.key == "hop" for c in jar)


async def test_same_origin_keeps_credentials() -> None:
    async with (
        peers.Peer(redirecting(302, "/final")) as peer,
        ClientSession() as session,
        session.get(peer.url_for("/start"), auth=toolkit.BasicAuth("u", "p")),
    ):
        pass
    assert peer.requests[1].header("Authorization") == toolkit.BasicAuth("u", "p").encode()


@given(
    path=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30
    )
)
@settings(max_examples=100, deadline=None)
def test_relative_locations_stay_on_the_origin(path: str) -> None:
    """Any relative reference (no scheme, no authority) resolves on the same origin."""
    current = URL("https://h.example:8443/dir/page?q=1")
    location = "/" + path.lstrip("/\\")
    try:
        target = redirect_target(location, current)
    except InvalidUrlRedirectClientError:
        return  # refused with the documented error: fine
    assert (target.scheme, target.host, target.port) == ("https", "h.example", 8443)


@given(location=peers.header_values)
@example(location='//https:"')  # a port yarl parses only when the host is first asked for
@settings(max_examples=200, deadline=None)
def test_any_location_gives_a_url_or_a_redirect_error(location: str) -> None:
    """Whatever a server puts in Location, the target is an absolute http(s)/ws(s) URL
    with a host and an origin, or one of the two documented redirect errors."""
    for current in (URL("http://h.example/dir/page"), URL("https://[::1]:8443/a?b")):
        for requote in (True, False):
            try:
                target = redirect_target(location, current, requote=requote)
            except (InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError):
                continue
            assert target.scheme in ("http", "https", "ws", "wss")
            assert target.raw_host
            assert str(target.origin())
