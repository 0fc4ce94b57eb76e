"""TraceConfig signals fired by the session, the request writer and the connector."""

from __future__ import annotations

from types import SimpleNamespace

import _peers as peers  # registered by conftest.py
import pytest

import toolkit
from toolkit.client.session import ClientSession


def recording_config() -> tuple[toolkit.TraceConfig, list[tuple[str, object]]]:
    config = toolkit.TraceConfig()
    events: list[tuple[str, object]] = []
    for name in (
        "on_request_start",
        "on_request_end",
        "on_request_exception",
        "on_request_redirect",
        "on_request_headers_sent",
        "on_request_chunk_sent",
        "on_response_chunk_received",
        "on_connection_create_start",
        "on_connection_create_end",
        "on_connection_reuseconn",
    ):

        async def callback(session, ctx, params, _name=name) -> None:
            assert isinstance(ctx, SimpleNamespace)
            events.append((_name, params))

        getattr(config, name).append(callback)
    return config, events


def redirecting(req):
    if req.target == "/start":
        return (302, [("Location", "/end")], b"")
    return (200, [], b"done")


async def test_request_signals_in_order() -> None:
    config, events = recording_config()
    async with (
        peers.Peer(redirecting) as peer,
        ClientSession(trace_configs=[config]) as session,
        session.post(peer.url_for("/start"), data=b"body", trace_request_ctx={"id": 1}) as resp,
    ):
        assert await resp.read() == b"done"
    names = [name for name, _ in events]
    assert names[0] == "on_request_start"
    # request_end when the head is in; the body is read (and traced) after that.
    assert names[-2:] == ["on_request_end", "on_response_chunk_received"]
    assert "on_connection_create_start" in names
    assert "on_request_headers_sent" in names
    assert "on_request_chunk_sent" in names
    assert "on_request_redirect" in names
    assert "on_connection_reuseconn" in names  # the redirect reused the connection
    start = events[0][1]
    assert start.method == "POST"
    assert start.url == peer.url_for("/start")
    chunk = next(p for n, p in events if n == "on_response_chunk_received")
    assert chunk.chunk == b"done"
    end = next(p for n, p in events if n == "on_request_end")
    assert end.response is resp


async def test_exception_signal() -> None:
    config, events = recording_config()
    async with ClientSession(trace_configs=[config]) as session:
        with pytest.raises(toolkit.ClientConnectorError):
            await session.get("http://127.0.0.1:1/")
    assert events[-1][0] == "on_request_exception"
    assert isinstance(events[-1][1].exception, toolkit.ClientConnectorError)


async def test_trace_config_is_frozen_by_the_session() -> None:
    config = toolkit.TraceConfig()

    async def cb(session, ctx, params) -> None:
        pass

    async with ClientSession(trace_configs=[config]):
        with pytest.raises(RuntimeError, match="frozen"):
            config.on_request_start.append(cb)


def test_trace_request_ctx_reaches_the_context() -> None:
    config = toolkit.TraceConfig()
    ctx = config.trace_config_ctx(trace_request_ctx={"id": 7})
    assert ctx.trace_request_ctx == {"id": 7}
