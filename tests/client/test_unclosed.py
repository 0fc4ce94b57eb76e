"""toolkit.client._unclosed: listeners hear of client objects collected while open."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import _peers as peers  # registered by conftest.py
import pytest

from toolkit.client import _unclosed
from toolkit.client.client_request import ClientRequest
from toolkit.client.session import ClientSession

pytestmark = [
    pytest.mark.filterwarnings("ignore:Unclosed:ResourceWarning"),
    pytest.mark.toolkit_leaks(False),  # (the leaks are the point: the plugin would report them)
]


@pytest.fixture
def heard() -> Iterator[list[tuple[str, str]]]:
    heard: list[tuple[str, str]] = []

    def listener(kind: str, obj: object) -> None:
        heard.append((kind, type(obj).__name__))

    _unclosed.listeners.append(listener)
    try:
        yield heard
    finally:
        _unclosed.listeners.remove(listener)


def _hello(request: peers.Received) -> peers.Reply:
    return peers.ok(b"hello")


def test_a_session_collected_after_its_loop_closed_is_heard(
    heard: list[tuple[str, str]],
) -> None:
    # Its loop's exception handler cannot be told any more: the listener still is.
    loop = asyncio.new_event_loop()

    async def make() -> ClientSession:
        return ClientSession()

    session = loop.run_until_complete(make())
    loop.close()
    del session
    gc.collect()
    assert heard == [("client_session", "ClientSession")]


async def test_a_session_with_a_pooled_connection_is_heard_with_its_connector(
    heard: list[tuple[str, str]],
) -> None:
    async with peers.Peer(_hello) as server:
        session = ClientSession()
        async with session.get(server.url()) as resp:
            assert await resp.text() == "hello"
        del session, resp
        gc.collect()
    assert heard == [("client_session", "ClientSession"), ("connector", "TCPConnector")]


async def test_a_connection_never_released_is_heard(heard: list[tuple[str, str]]) -> None:
    async with peers.Peer(_hello) as server, ClientSession() as session:
        connector = session.connector
        assert connector is not None
        connection = await connector.connect(
            ClientRequest("GET", server.url(), loop=asyncio.get_running_loop()),
            [],
            session.timeout,
        )
        assert connection.protocol is not None
        del connection
        gc.collect()
    assert heard == [("client_connection", "Connection")]


async def test_closed_objects_are_not_heard(heard: list[tuple[str, str]]) -> None:
    async with (
        peers.Peer(_hello) as server,
        ClientSession() as session,
        session.get(server.url()) as resp,
    ):
        assert await resp.text() == "hello"
    del session, resp
    gc.collect()
    assert heard == []


async def test_a_removed_listener_hears_nothing() -> None:
    heard: list[str] = []

    def listener(kind: str, obj: object) -> None:
        heard.append(kind)

    _unclosed.listeners.append(listener)
    _unclosed.listeners.remove(listener)
    session = ClientSession()
    del session
    gc.collect()
    assert heard == []
