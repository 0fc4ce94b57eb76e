"""make_mocked_request and make_mocked_coro."""

from __future__ import annotations

import ssl
from unittest import mock

import pytest
from multidict import CIMultiDict

from toolkit import web
from toolkit.http import HttpVersion10
from toolkit.streams import StreamReader
from toolkit.testing import make_mocked_coro, make_mocked_request


def test_basic_request() -> None:
    req = make_mocked_request("get", "/path/to?a=1&a=2", {"X-Token": "t", "Host": "example.com"})
    assert isinstance(req, web.Request)
    assert req.method == "GET"
    assert req.path == "/path/to"
    assert req.query.getall("a") == ["1", "2"]
    assert req.headers["x-token"] == "t"
    assert req.host == "example.com"
    assert req.version == (1, 1)
    assert req.keep_alive
    assert not req.secure
    assert req.remote == "127.0.0.1"
    assert req.match_info == {}
    assert isinstance(req.app, web.Application)


def test_match_info_app_and_version() -> None:
    app = web.Application()
    db_key = web.AppKey("db", str)
    app[db_key] = "conn"
    req = make_mocked_request(
        "POST", "/u/7", CIMultiDict(Connection="close"), match_info={"id": "7"}, app=app
    )
    assert req.match_info["id"] == "7"
    assert req.app is app
    assert req.config_dict[db_key] == "conn"
    assert not req.keep_alive
    old = make_mocked_request("GET", "/", version=HttpVersion10)
    assert not old.keep_alive
    closing = make_mocked_request("GET", "/", closing=True)
    assert not closing.keep_alive


def test_sslcontext_makes_the_request_secure() -> None:
    req = make_mocked_request("GET", "/", sslcontext=ssl.create_default_context())
    assert req.secure
    assert req.scheme == "https"


def test_custom_transport_and_protocol() -> None:
    transport = mock.Mock()
    transport.get_extra_info.return_value = ("10.1.2.3", 5555)
    protocol = mock.Mock()
    req = make_mocked_request("GET", "/", transport=transport, protocol=protocol)
    assert req.transport is transport
    assert req.protocol is protocol
    assert protocol.transport is transport


async def test_payload_and_client_max_size() -> None:
    protocol = mock.Mock()
    payload = StreamReader(protocol, 2**16)
    payload.feed_data(b"x" * 20)
    payload.feed_eof()
    req = make_mocked_request("POST", "/", payload=payload, client_max_size=10)
    with pytest.raises(web.HTTPRequestEntityTooLarge):
        await req.read()


async def test_a_handler_can_be_called_and_its_response_prepared() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["id"]})

    req = make_mocked_request("GET", "/u/3", match_info={"id": "3"})
    resp = await handler(req)
    assert resp.status == 200
    await resp.prepare(req)
    await resp.write_eof()
    req._payload_writer.write_headers.assert_called_once()
    status_line = req._payload_writer.write_headers.call_args[0][0]
    assert status_line.startswith("HTTP/1.1 200")


async def test_on_response_prepare_runs_for_the_given_app() -> None:
    seen: list[str] = []

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        seen.append(request.path)
        response.headers["X-Prepared"] = "1"

    app = web.Application()
    app.on_response_prepare.append(on_prepare)
    req = make_mocked_request("GET", "/p", app=app)
    resp = web.Response(text="x")
    await resp.prepare(req)
    assert seen == ["/p"]
    assert resp.headers["X-Prepared"] == "1"


async def test_make_mocked_coro() -> None:
    coro = make_mocked_coro(42)
    assert await coro(1, b=2) == 42
    coro.assert_called_once_with(1, b=2)
    failing = make_mocked_coro(raise_exception=ValueError("nope"))
    with pytest.raises(ValueError, match="nope"):
        await failing()
