"""ClientSession: construction, properties, lifecycle, pooling, timeouts, request()."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import Callable

import _peers as peers  # registered by conftest.py
import pytest
from multidict import CIMultiDict
from yarl import URL

import toolkit
from toolkit.client.exceptions import ClientResponseError
from toolkit.client.response import ClientResponse
from toolkit.client.session import ClientSession
from toolkit.client.timeouts import DEFAULT_TIMEOUT, ClientTimeout
from toolkit.http import HttpVersion10, HttpVersion11


def echo(req):
    """Answer with a JSON description of the request."""
    body = json.dumps(
        {
            "method": req.method,
            "target": req.target,
            "headers": dict(req.headers),
            "body": req.body.decode("latin1"),
            "version": req.http_version,
        }
    ).encode()
    return (200, [("Content-Type", "application/json")], body)


# ---------------------------------------------------------------- construction


async def test_defaults() -> None:
    async with ClientSession() as session:
        assert not session.closed
        assert session.version == HttpVersion11
        assert session.timeout == DEFAULT_TIMEOUT
        assert session.connector_owner is True
        assert session.raise_for_status is False
        assert session.auto_decompress is True
        assert session.trust_env is False
        assert session.requote_redirect_url is True
        assert session.auth is None
        assert session.json_serialize is json.dumps
        assert session.skip_auto_headers == frozenset()
        assert len(session.headers) == 0
        assert session.trace_configs == []
        assert session.cookie_jar is not None
        assert session.connector is not None
    assert session.closed


async def test_loop_argument_is_deprecated_and_ignored() -> None:
    loop = asyncio.get_running_loop()
    with pytest.warns(DeprecationWarning, match="loop"):
        session = ClientSession(loop=loop)
    with pytest.warns(DeprecationWarning, match="loop"):
        assert session.loop is loop
    await session.close()


async def test_old_timeouts_warn_and_map_to_client_timeout() -> None:
    with pytest.warns(DeprecationWarning, match="read_timeout"):
        session = ClientSession(read_timeout=7)
    assert session.timeout.total == 7
    await session.close()
    with pytest.warns(DeprecationWarning, match="conn_timeout"):
        session = ClientSession(conn_timeout=3)
    assert session.timeout.connect == 3
    await session.close()


async def test_old_and_new_timeouts_conflict() -> None:
    with pytest.raises(ValueError, match="read_timeout"):
        ClientSession(timeout=ClientTimeout(total=1), read_timeout=2)
    with pytest.raises(ValueError, match="conn_timeout"):
        ClientSession(timeout=ClientTimeout(total=1), conn_timeout=2)


async def test_timeout_of_wrong_type() -> None:
    with pytest.raises(TypeError, match="ClientTimeout"):
        ClientSession(timeout="soon")


def test_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="coroutine"):
        ClientSession()


async def test_plain_with_is_a_helpful_error() -> None:
    session = ClientSession()
    with pytest.raises(TypeError, match="async with"), session:
        pass
    await session.close()


async def test_unclosed_session_warns() -> None:
    loop = asyncio.get_running_loop()
    reported = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    session = ClientSession()
    connector = session.connector
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del session
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    assert reported and reported[0]["message"] == "Unclosed client session"
    assert connector is not None
    await connector.close()
    loop.set_exception_handler(None)


async def test_close_and_detach() -> None:
    session = ClientSession()
    connector = session.connector
    assert connector is not None
    session.detach()
    assert session.closed
    assert session.connector is None
    assert not connector.closed
    await session.close()  # no-op once detached
    assert not connector.closed
    await connector.close()


async def test_connector_owner_false_keeps_connector_open() -> None:
    from toolkit.client.connector import TCPConnector

    connector = TCPConnector()
    async with ClientSession(connector=connector, connector_owner=False):
        pass
    assert not connector.closed
    async with ClientSession(connector=connector) as session:
        assert session.connector is connector
    assert connector.closed


async def test_request_on_closed_session() -> None:
    session = ClientSession()
    await session.close()
    with pytest.raises(RuntimeError, match="closed"):
        await session.get("http://127.0.0.1:1/")


async def test_base_url_must_end_with_slash() -> None:
    with pytest.raises(ValueError, match="end with '/'"):
        ClientSession("http://127.0.0.1/api")
    with pytest.raises(ValueError, match="absolute"):
        ClientSession("/api/")


# ---------------------------------------------------------------- requests


async def test_get_text_read_json() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession() as session,
        session.get(peer.url_for("/path?x=1")) as resp,
    ):
        assert resp.status == 200
        assert resp.reason == "OK"
        data = await resp.json()
        assert await resp.read() == await resp.read()
        assert json.loads(await resp.text()) == data
        assert data["method"] == "GET"
        assert data["target"] == "/path?x=1"


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "head", "options"])
async def test_every_verb(method: str) -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession() as session,
        getattr(session, method)(peer.url()) as resp,
    ):
        assert resp.status == 200
        assert resp.method == method.upper()
        assert peer.requests[0].method == method.upper()


async def test_await_without_async_with() -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        resp = await session.request("GET", peer.url())
        assert resp.status == 200
        await resp.read()
        resp.release()
        assert resp.closed


async def test_base_url_joins_relative_urls() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession(peer.url_for("/api/")) as session,
        session.get("items?a=1") as resp,
    ):
        assert (await resp.json())["target"] == "/api/items?a=1"
        async with session.get(peer.url_for("/other")) as resp:
            assert (await resp.json())["target"] == "/other"


async def test_url_strings_are_parsed_once_per_session() -> None:
    from toolkit.client import session as session_module

    async with (
        peers.Peer(echo) as peer,
        ClientSession(peer.url_for("/api/")) as session,
    ):
        first = session._build_url("items?a=1")
        assert session._build_url("items?a=1") is first
        assert first == URL(peer.url_for("/api/items?a=1"))
        given = URL(peer.url_for("/x"))
        assert session._build_url(given) is given  # URL objects are used as they are
        for index in range(session_module._URL_CACHE_SIZE + 1):
            session._build_url(f"p{index}")
        assert len(session._urls) <= session_module._URL_CACHE_SIZE  # bounded
        async with session.get("items?a=1") as resp:
            assert (await resp.json())["target"] == "/api/items?a=1"


async def test_session_default_headers_are_not_changed_by_requests() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession(headers={"X-A": "session"}) as session,
    ):
        for _ in range(2):
            async with session.get(peer.url()) as resp:
                headers = {k.lower(): v for k, v in (await resp.json())["headers"].items()}
            assert headers["x-a"] == "session"
            assert "host" in headers
        assert list(session.headers.items()) == [("X-A", "session")]


async def test_session_headers_overridden_per_request() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession(headers={"X-A": "session", "X-B": "b"}) as session,
    ):
        async with session.get(peer.url(), headers={"x-a": "request"}) as resp:
            headers = {k.lower(): v for k, v in (await resp.json())["headers"].items()}
        assert headers["x-a"] == "request"
        assert headers["x-b"] == "b"


async def test_keep_alive_reuses_the_connection() -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        for _ in range(3):
            async with session.get(peer.url()) as resp:
                await resp.read()
        assert peer.accepted == 1
        assert {r.connection_id for r in peer.requests} == {1}


async def test_http10_request() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession(version=HttpVersion10) as session,
        session.get(peer.url()) as resp,
    ):
        data = await resp.json()
    assert data["version"] == "1.0"
    assert {k.lower(): v for k, v in data["headers"].items()}["connection"] == "keep-alive"


async def test_raise_for_status_session_and_request() -> None:
    async with (
        peers.Peer(lambda r: (404, [], b"nope")) as peer,
        ClientSession(raise_for_status=True) as session,
    ):
        with pytest.raises(ClientResponseError) as info:
            await session.get(peer.url())
        assert info.value.status == 404
        async with session.get(peer.url(), raise_for_status=False) as resp:
            assert resp.status == 404


async def test_raise_for_status_callable() -> None:
    seen = []

    async def check(resp: toolkit.ClientResponse) -> None:
        seen.append(resp.status)
        raise RuntimeError("custom")

    async with peers.Peer(echo) as peer, ClientSession(raise_for_status=check) as session:
        with pytest.raises(RuntimeError, match="custom"):
            await session.get(peer.url())
    assert seen == [200]


async def test_total_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        await asyncio.Event().wait()

    async with peers.RawPeer(silent) as peer, ClientSession() as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(peer.url(), timeout=ClientTimeout(total=0.05))


async def get_head_in_time(
    session: ClientSession, url: URL, timeout: Callable[[float], ClientTimeout]
) -> tuple[ClientResponse, float]:
    """GET ``url`` with ``timeout(seconds)``, a longer deadline each time the response
    head itself comes too late: the tests below need the head before the deadline and
    what follows after it, and a busy machine may be slow to answer at all."""
    for seconds in (0.05, 0.25, 1.0):
        try:
            return await session.get(url, timeout=timeout(seconds)), seconds
        except asyncio.TimeoutError:
            continue
    pytest.fail("no response head within 1 s")


async def test_total_timeout_covers_reading_the_body() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()
        await asyncio.Event().wait()

    async with peers.RawPeer(stall) as peer, ClientSession() as session:
        resp, _ = await get_head_in_time(session, peer.url(), lambda s: ClientTimeout(total=s))
        assert resp.status == 200
        with pytest.raises(asyncio.TimeoutError):
            await resp.read()
        assert resp.closed


async def test_total_timeout_is_cancelled_when_done() -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        resp, total = await get_head_in_time(session, peer.url(), lambda s: ClientTimeout(total=s))
        await asyncio.sleep(2 * total)  # past the deadline: the response was done before it
        assert (await resp.json())["method"] == "GET"


async def test_number_timeout_warns() -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        with pytest.warns(DeprecationWarning, match="ClientTimeout"):
            async with session.get(peer.url(), timeout=5) as resp:
                assert resp.status == 200


async def test_sock_read_timeout_while_reading_the_body() -> None:
    async def slow_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await asyncio.Event().wait()

    async with peers.RawPeer(slow_body) as peer, ClientSession() as session:
        resp, _ = await get_head_in_time(session, peer.url(), lambda s: ClientTimeout(sock_read=s))
        async with resp:
            with pytest.raises(asyncio.TimeoutError):
                await resp.read()


async def test_module_level_request() -> None:
    async with peers.Peer(echo) as peer, toolkit.request("GET", peer.url_for("/one")) as resp:
        assert resp.status == 200
        assert (await resp.json())["target"] == "/one"


async def test_module_level_request_await() -> None:
    async with peers.Peer(echo) as peer:
        resp = await toolkit.request("POST", peer.url(), data=b"x")
        assert resp.status == 200
        resp.release()


async def test_default_auth_and_cookies() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession(auth=toolkit.BasicAuth("user", "pass"), cookies={"a": "1"}) as session,
        session.get(peer.url()) as resp,
    ):
        headers = {k.lower(): v for k, v in (await resp.json())["headers"].items()}
    assert headers["authorization"] == toolkit.BasicAuth("user", "pass").encode()
    assert headers["cookie"] == "a=1"


async def test_json_serialize_is_used() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession(json_serialize=lambda obj: "[1, 2]") as session,
        session.post(peer.url(), json={"ignored": True}) as resp,
    ):
        data = await resp.json()
    assert data["body"] == "[1, 2]"
    assert {k.lower(): v for k, v in data["headers"].items()}["content-type"] == (
        "application/json"
    )


async def test_retries_idempotent_request_on_stale_connection() -> None:
    """A pooled connection the server closed is retried once on a new one."""

    async def once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        # keep-alive was promised, but the server goes away after one answer

    async with (
        peers.RawPeer(once_then_close) as peer,
        ClientSession() as session,
        session.get(peer.url()) as resp,
    ):
        assert await resp.read() == b"ok"
        await asyncio.sleep(0)
        async with session.get(peer.url()) as resp:
            assert await resp.read() == b"ok"
    assert peer.accepted == 2


async def test_headers_property_is_a_multidict() -> None:
    async with ClientSession(headers=[("X-A", "1"), ("X-A", "2")]) as session:
        assert isinstance(session.headers, CIMultiDict)
        assert session.headers.getall("x-a") == ["1", "2"]


async def test_requote_redirect_url_setter_warns() -> None:
    async with ClientSession() as session:
        with pytest.warns(DeprecationWarning):
            session.requote_redirect_url = False
        assert session.requote_redirect_url is False


async def test_url_type_is_kept() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession() as session,
        session.get(str(peer.url_for("/s"))) as resp,
    ):
        assert resp.url == URL(str(peer.url_for("/s")))


async def test_custom_request_and_response_classes() -> None:
    from toolkit.client.client_request import ClientRequest

    class TaggedRequest(ClientRequest):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.headers["X-Tag"] = "custom"

    class TaggedResponse(toolkit.ClientResponse):
        tagged = True

    async with (
        peers.Peer(echo) as peer,
        ClientSession(request_class=TaggedRequest, response_class=TaggedResponse) as session,
        session.get(peer.url()) as resp,
    ):
        assert isinstance(resp, TaggedResponse)
        await resp.read()
    assert peer.requests[0].header("X-Tag") == "custom"


@pytest.mark.parametrize(
    "name", ["read_bufsize", "max_line_size", "max_field_size", "max_headers", "max_redirects"]
)
@pytest.mark.parametrize(
    ("value", "error"),
    [(float("nan"), ValueError), ("5", TypeError), (True, TypeError), (-1, ValueError)],
)
async def test_sizes_and_counts_are_checked_at_construction(
    name: str, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=rf"ClientSession\.{name} must be a number"):
        ClientSession(**{name: value})


async def test_bad_timeout_values_fail_at_construction() -> None:
    with pytest.raises(ValueError, match=r"ClientTimeout\.total"):
        ClientSession(timeout=ClientTimeout(total=float("nan")))
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match=r"ClientTimeout\.total"):
        ClientSession(read_timeout=float("nan"))
    with (
        pytest.warns(DeprecationWarning),
        pytest.raises(TypeError, match=r"ClientTimeout\.connect"),
    ):
        ClientSession(conn_timeout="5")


async def test_zero_sizes_and_counts_still_accepted() -> None:
    # 0 redirects: none followed; 0 for a parser limit is a limit, as in aiohttp.
    async with ClientSession(max_redirects=0, max_line_size=0, max_headers=0) as session:
        assert session._max_redirects == 0
    with pytest.raises(ValueError, match=r"read_bufsize must be a number of bytes > 0, got 0"):
        ClientSession(read_bufsize=0)  # (every request failed with it in StreamReader)
