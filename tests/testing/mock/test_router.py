"""MockRouter over the real client stack: matching, answers, repeats, errors."""

from __future__ import annotations

import asyncio
import gzip
import re
from collections.abc import AsyncIterator

import pytest

from toolkit import (
    ClientConnectionError,
    ClientConnectorError,
    ClientResponseError,
    ClientSession,
    ClientTimeout,
    ServerDisconnectedError,
    ServerTimeoutError,
    web,
)
from toolkit.testing.mock import MockRequest, MockResponse, MockRouter, MockUnmatchedError

API = "http://api.test"


@pytest.fixture
def mock() -> MockRouter:
    return MockRouter()


@pytest.fixture
async def session(mock: MockRouter) -> AsyncIterator[ClientSession]:
    async with ClientSession(connector=mock.connector()) as session:
        yield session


# ---------------------------------------------------------------------- matching modes


async def test_exact_url(mock: MockRouter, session: ClientSession) -> None:
    mock.get(f"{API}/users", json=[1, 2], headers={"X-Total": "2"})
    async with session.get(f"{API}:80/users") as resp:
        assert resp.status == 200
        assert resp.headers["X-Total"] == "2"
        assert resp.content_type == "application/json"
        assert await resp.json() == [1, 2]


async def test_exact_url_query_must_match(mock: MockRouter, session: ClientSession) -> None:
    mock.get(f"{API}/items?b=2&a=1", body=b"yes")
    with pytest.raises(MockUnmatchedError):
        await session.get(f"{API}/items")
    async with session.get(f"{API}/items", params={"a": "1", "b": "2"}) as resp:
        assert await resp.read() == b"yes"


async def test_template_url(mock: MockRouter, session: ClientSession) -> None:
    route = mock.get(f"{API}/users/{{uid}}/posts/{{pid}}", body="post")
    async with session.get(f"{API}/users/7/posts/9") as resp:
        assert await resp.text() == "post"
    assert route.last_call is not None
    assert route.last_call.path_params == {"uid": "7", "pid": "9"}
    with pytest.raises(MockUnmatchedError):
        await session.get(f"{API}/users/7/posts/9/extra")


async def test_regex_url(mock: MockRouter, session: ClientSession) -> None:
    route = mock.add("*", re.compile(r"https?://api\.test/v\d+/(?P<name>\w+)"), status=204)
    async with session.delete(f"{API}/v2/thing") as resp:
        assert resp.status == 204
    assert route.calls[0].path_params == {"name": "thing"}
    assert route.calls[0].method == "DELETE"


async def test_match_params_headers_and_json(mock: MockRouter, session: ClientSession) -> None:
    mock.post(
        f"{API}/search",
        match_params={"q": "cats"},
        match_headers={"Authorization": re.compile(r"^Bearer ")},
        match_json={"limit": 3},
        body="found",
    )
    with pytest.raises(MockUnmatchedError) as info:
        await session.post(
            f"{API}/search?q=cats", json={"limit": 4}, headers={"Authorization": "Bearer t"}
        )
    assert "JSON body {'limit': 3} expected" in str(info.value)
    resp = await session.post(
        f"{API}/search?q=cats&page=2", json={"limit": 3}, headers={"Authorization": "Bearer t"}
    )
    assert await resp.text() == "found"


async def test_match_streamed_body_is_decided_on_the_wire(
    mock: MockRouter, session: ClientSession
) -> None:
    mock.put(f"{API}/upload", match_body=b"part1part2", status=201, repeat=True)

    async def upload() -> AsyncIterator[bytes]:
        yield b"part1"
        yield b"part2"

    async with session.put(f"{API}/upload", data=upload()) as resp:
        assert resp.status == 201
    assert mock.calls[-1].body == b"part1part2"

    async def other() -> AsyncIterator[bytes]:
        yield b"nope"

    with pytest.raises(MockUnmatchedError, match="body b'part1part2' expected"):
        await session.put(f"{API}/upload", data=other())


async def test_routes_answer_in_registration_order(
    mock: MockRouter, session: ClientSession
) -> None:
    mock.get(f"{API}/flaky", status=503)
    mock.get(f"{API}/flaky", body="ok")
    statuses = []
    for _ in range(2):
        async with session.get(f"{API}/flaky") as resp:
            statuses.append(resp.status)
    assert statuses == [503, 200]


# ---------------------------------------------------------------------- repeats


async def test_repeat_counts(mock: MockRouter, session: ClientSession) -> None:
    once = mock.get(f"{API}/once")
    twice = mock.get(f"{API}/twice", repeat=2)
    forever = mock.get(f"{API}/forever", repeat=True)
    for _ in range(2):
        (await session.get(f"{API}/twice")).release()
    for _ in range(5):
        (await session.get(f"{API}/forever")).release()
    (await session.get(f"{API}/once")).release()
    with pytest.raises(MockUnmatchedError, match=r"already answered 1 time\(s\) \(repeat=1\)"):
        await session.get(f"{API}/once")
    with pytest.raises(MockUnmatchedError):
        await session.get(f"{API}/twice")
    assert (once.call_count, twice.call_count, forever.call_count) == (1, 2, 5)


def test_bad_repeat_is_rejected(mock: MockRouter) -> None:
    with pytest.raises(ValueError, match="repeat must be"):
        mock.get(f"{API}/x", repeat=0)


# ---------------------------------------------------------------------- answers


async def test_status_reason_content_type(mock: MockRouter, session: ClientSession) -> None:
    mock.get(
        f"{API}/teapot", status=418, reason="Short And Stout", body="<p>", content_type="text/html"
    )
    async with session.get(f"{API}/teapot") as resp:
        assert (resp.status, resp.reason) == (418, "Short And Stout")
        assert resp.content_type == "text/html"


async def test_raise_for_status_runs(mock: MockRouter) -> None:
    mock.get(f"{API}/missing", status=404)
    async with ClientSession(connector=mock.connector(), raise_for_status=True) as session:
        with pytest.raises(ClientResponseError) as info:
            await session.get(f"{API}/missing")
    assert info.value.status == 404


async def test_compressed_body_is_decompressed(mock: MockRouter, session: ClientSession) -> None:
    mock.get(f"{API}/gz", body=gzip.compress(b"hello " * 100), headers={"Content-Encoding": "gzip"})
    async with session.get(f"{API}/gz") as resp:
        assert await resp.read() == b"hello " * 100


async def test_streamed_body(mock: MockRouter, session: ClientSession) -> None:
    gate = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"first;"
        await gate.wait()
        yield b"second"

    mock.get(f"{API}/stream", body=chunks())
    async with session.get(f"{API}/stream") as resp:
        assert resp.headers["Transfer-Encoding"] == "chunked"
        assert await resp.content.readexactly(6) == b"first;"  # before the rest exists
        gate.set()
        assert await resp.content.read() == b"second"


async def test_list_body_streams_and_repeats(mock: MockRouter, session: ClientSession) -> None:
    mock.get(f"{API}/chunks", body=[b"a", b"b"], repeat=2)
    for _ in range(2):
        async with session.get(f"{API}/chunks") as resp:
            assert await resp.read() == b"ab"


async def test_set_cookie_and_redirects_between_mocked_urls(
    mock: MockRouter, session: ClientSession
) -> None:
    mock.post(
        f"{API}/login",
        status=303,
        headers=[("Location", "/home"), ("Set-Cookie", "sid=abc; Path=/")],
    )
    mock.get(f"{API}/home", body="welcome")
    async with session.post(f"{API}/login", data={"u": "ann"}) as resp:
        assert resp.status == 200
        assert await resp.text() == "welcome"
        assert [r.status for r in resp.history] == [303]
    home = mock.calls[-1]
    assert home.method == "GET"
    assert home.headers["Cookie"] == "sid=abc"
    assert mock.calls[0].body == b"u=ann"


async def test_head_has_no_body(mock: MockRouter, session: ClientSession) -> None:
    mock.head(f"{API}/h", headers={"X-A": "1"})
    async with session.head(f"{API}/h") as resp:
        assert resp.headers["X-A"] == "1"
        assert await resp.read() == b""


# ---------------------------------------------------------------------- callbacks


async def test_async_callback_sees_the_request(mock: MockRouter, session: ClientSession) -> None:
    seen: list[MockRequest] = []

    async def echo(request: MockRequest) -> MockResponse:
        seen.append(request)
        return MockResponse(201, json={"got": request.json(), "q": request.params["q"]})

    mock.post(f"{API}/echo", callback=echo, repeat=True, match_params={"q": "1"})
    async with session.post(f"{API}/echo?q=1", json={"a": [1]}) as resp:
        assert resp.status == 201
        assert await resp.json() == {"got": {"a": [1]}, "q": "1"}
    assert seen[0].headers["Content-Type"] == "application/json"


async def test_sync_callback_returning_dict_or_web_response(
    mock: MockRouter, session: ClientSession
) -> None:
    mock.get(f"{API}/d", callback=lambda request: {"status": 202, "body": "dict"})
    mock.get(f"{API}/w", callback=lambda request: web.Response(text="web", headers={"X-W": "1"}))
    mock.get(f"{API}/n", callback=lambda request: None, body="static")
    async with session.get(f"{API}/d") as resp:
        assert (resp.status, await resp.text()) == (202, "dict")
    async with session.get(f"{API}/w") as resp:
        assert (resp.headers["X-W"], await resp.text()) == ("1", "web")
    async with session.get(f"{API}/n") as resp:
        assert await resp.text() == "static"


async def test_callback_exception_reaches_the_caller(
    mock: MockRouter, session: ClientSession
) -> None:
    def boom(request: MockRequest) -> None:
        raise ClientConnectionError("boom from callback")

    mock.post(f"{API}/boom", callback=boom)
    with pytest.raises(ClientConnectionError, match="boom from callback"):
        await session.post(f"{API}/boom", data=b"x")


async def test_slow_callback_hits_sock_read_timeout(
    mock: MockRouter, session: ClientSession
) -> None:
    async def slow(request: MockRequest) -> None:
        await asyncio.sleep(5)

    mock.get(f"{API}/slow", callback=slow)
    with pytest.raises(ServerTimeoutError):
        await session.get(f"{API}/slow", timeout=ClientTimeout(sock_read=0.05))


# ---------------------------------------------------------------------- exceptions


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (ClientConnectionError("refused by mock"), ClientConnectionError),
        (ServerDisconnectedError(), ServerDisconnectedError),
        (ConnectionRefusedError(111, "Connection refused"), ClientConnectorError),
        (asyncio.TimeoutError(), ServerTimeoutError),
        (ValueError("odd"), ValueError),
    ],
)
async def test_exception_answers(
    mock: MockRouter,
    session: ClientSession,
    given: BaseException,
    expected: type[BaseException],
) -> None:
    route = mock.get(f"{API}/fail", exception=given)
    with pytest.raises(expected) as info:
        await session.get(f"{API}/fail")
    assert route.call_count == 1  # no retry, no second match
    if isinstance(given, asyncio.TimeoutError):
        assert isinstance(info.value, asyncio.TimeoutError)


async def test_exception_class_is_instantiated(mock: MockRouter, session: ClientSession) -> None:
    mock.get(f"{API}/cls", exception=ServerDisconnectedError)
    with pytest.raises(ServerDisconnectedError):
        await session.get(f"{API}/cls")


# ---------------------------------------------------------------------- unmatched


async def test_unmatched_error_lists_the_closest_routes(
    mock: MockRouter, session: ClientSession
) -> None:
    mock.get("http://other.test/zzz")
    mock.post(f"{API}/users/{{id}}")
    mock.get(f"{API}/users/{{id}}", match_headers={"X-Key": "k"})
    mock.get("http://far.test/a/b/c/d")
    with pytest.raises(MockUnmatchedError) as info:
        await session.get(f"{API}/users/3")
    error = info.value
    assert isinstance(error, ClientConnectionError)
    message = str(error)
    assert message.startswith(f"No mocked route matches GET {API}/users/3 (4 route(s) registered)")
    lines = message.splitlines()
    assert lines[2].startswith(f"  GET {API}/users/{{id}} [headers={{'X-Key': 'k'}}]")
    assert "header X-Key: 'k' expected" in lines[2]
    assert "method POST expected, got GET" in lines[3]
    assert len([line for line in lines if line.startswith("  ")]) == 3  # the 3 closest
    assert (error.method, error.url) == ("GET", f"{API}/users/3")
    assert mock.calls[-1].route is None


def test_unmatched_error_pickles() -> None:
    import pickle

    error = MockUnmatchedError("text", "GET", "http://x/")
    clone = pickle.loads(pickle.dumps(error))
    assert (str(clone), clone.method, clone.url) == ("text", "GET", "http://x/")


# ---------------------------------------------------------------------- history


async def test_history_and_assertions(mock: MockRouter, session: ClientSession) -> None:
    route = mock.post(f"{API}/items", repeat=True, status=201)
    mock.get(f"{API}/never")
    mock.assert_not_called()
    await (await session.post(f"{API}/items", json={"n": 1}, headers={"X-A": "1"})).release()
    await (await session.post(f"{API}/items", json={"n": 2})).release()
    assert route.called and route.call_count == 2
    assert [c.json() for c in route.calls] == [{"n": 1}, {"n": 2}]
    assert mock.calls == route.calls
    mock.assert_called("POST", f"{API}/items")
    mock.assert_called_with("POST", f"{API}/items", json={"n": 2})
    mock.assert_any_call("POST", f"{API}/items", json={"n": 1}, headers={"X-A": "1"})
    with pytest.raises(AssertionError, match="the last request POST"):
        mock.assert_called_with("POST", f"{API}/items", json={"n": 1})
    with pytest.raises(AssertionError, match="expected one request POST"):
        mock.assert_called_once("POST", f"{API}/items")
    mock.assert_not_called("GET", f"{API}/never")
    with pytest.raises(AssertionError, match=r"GET http://api.test/never"):
        mock.assert_all_called()
    mock.reset()
    assert mock.calls == [] and route.call_count == 0


async def test_bad_callback_result_is_raised_in_the_client(
    mock: MockRouter, session: ClientSession
) -> None:
    mock.get(f"{API}/bad", callback=lambda request: 42)
    with pytest.raises(TypeError, match=r"returned int; expected a MockResponse"):
        await session.get(f"{API}/bad")


async def test_route_assertions(mock: MockRouter, session: ClientSession) -> None:
    route = mock.get(f"{API}/r", name="the r", repeat=True)
    route.assert_not_called()
    with pytest.raises(
        AssertionError, match=re.escape("'the r': GET http://api.test/r was not called")
    ):
        route.assert_called()
    (await session.get(f"{API}/r")).release()
    route.assert_called_once()
    (await session.get(f"{API}/r")).release()
    with pytest.raises(AssertionError, match="called 2 times"):
        route.assert_called_once()
    assert route.last_call is not None and route.last_call.headers["Host"] == "api.test"
    assert repr(route) == "<MockRoute 'the r': GET http://api.test/r (forever)>"


async def test_route_assert_called_with(mock: MockRouter, session: ClientSession) -> None:
    route = mock.post(f"{API}/items", repeat=True)
    with pytest.raises(AssertionError, match="was not called"):
        route.assert_called_with(json={"n": 1})
    await (await session.post(f"{API}/items", json={"n": 1}, headers={"X-A": "1"})).release()
    route.assert_called_with(headers={"X-A": "1"}, json={"n": 1})
    with pytest.raises(AssertionError, match="X-A"):
        route.assert_called_with(headers={"X-A": "2"})
    route.assert_called_with(body=b'{"n": 1}')
    await (await session.post(f"{API}/items", json={"n": 2})).release()
    route.assert_called_with(json={"n": 2})  # the latest call
    with pytest.raises(AssertionError, match=r"the last request POST http://api\.test/items"):
        route.assert_called_with(json={"n": 1})
    with pytest.raises(AssertionError, match="differs"):
        route.assert_called_with(json=None)  # null is a value, not "any"


async def test_refused_requests_are_listed_and_asserted(
    mock: MockRouter, session: ClientSession
) -> None:
    mock.get(f"{API}/known")
    mock.passthrough = ["127.0.0.1"]
    mock.assert_all_matched()
    (await session.get(f"{API}/known")).release()
    with pytest.raises(MockUnmatchedError):  # caught here, as code under test might
        await session.get(f"{API}/unknown")
    assert [(c.method, str(c.url)) for c in mock.unmatched] == [("GET", f"{API}/unknown")]
    with pytest.raises(AssertionError, match=r"1 request\(s\) matched no mocked route") as info:
        mock.assert_all_matched()
    assert "GET http://api.test/unknown" in str(info.value)
    mock.reset()
    assert mock.unmatched == []


async def test_assert_all_matched_on_exit() -> None:
    # (The session is made inside the router's block: it takes the mock's connector.)
    with pytest.raises(AssertionError, match="matched no mocked route"):
        async with MockRouter(assert_all_matched=True), ClientSession() as session:
            with pytest.raises(MockUnmatchedError):
                await session.get(f"{API}/unknown")
    # Off by default: the error was the code's to handle.
    async with MockRouter() as mock, ClientSession() as session:
        with pytest.raises(MockUnmatchedError):
            await session.get(f"{API}/unknown")
    assert len(mock.unmatched) == 1
