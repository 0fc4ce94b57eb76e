"""BaseConnector/TCPConnector pooling: reuse, keys, limits and waiters, keep-alive, close."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from toolkit.client.connector import BaseConnector, Connection, TCPConnector
from toolkit.client.exceptions import ClientConnectionError, ConnectionTimeoutError
from toolkit.client.timeouts import ClientTimeout

MakeRequest = Callable[..., Any]
StartPeer = Callable[..., Awaitable[Any]]


async def test_release_then_reuse(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    async with TCPConnector() as connector:
        req = make_request(peer.url())
        conn = await connector.connect(req, [], ClientTimeout())
        first = conn.protocol
        assert first is not None and not conn.closed and conn.transport is not None
        conn.release()
        assert conn.closed and conn.protocol is None
        conn2 = await connector.connect(req, [], ClientTimeout())
        assert conn2.protocol is first
        conn2.release()
    assert await peer.count(1) == 1
    assert connector.closed


async def test_force_close_never_reuses(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    connector = TCPConnector(force_close=True)
    assert connector.force_close
    req = make_request(peer.url())
    for _ in range(2):
        conn = await connector.connect(req, [], ClientTimeout())
        conn.release()
    await connector.close()
    assert await peer.count(2) == 2


async def test_different_keys_get_different_connections(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    async with TCPConnector() as connector:
        a = await connector.connect(make_request(peer.url()), [], ClientTimeout())
        a.release()
        url = peer.url().with_host("localhost")
        b = await connector.connect(make_request(url), [], ClientTimeout())
        b.release()
    assert await peer.count(2) == 2


async def test_close_and_detach(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    async with TCPConnector(limit=1) as connector:
        req = make_request(peer.url())
        conn = await connector.connect(req, [], ClientTimeout())
        conn.close()
        conn = await connector.connect(req, [], ClientTimeout())
        protocol = conn.protocol
        assert protocol is not None
        conn.detach()
        assert conn.protocol is None and protocol.is_connected()
        # the slot is free again although the socket lives on outside the pool
        conn2 = await asyncio.wait_for(connector.connect(req, [], ClientTimeout()), 5)
        assert conn2.protocol is not protocol
        conn2.release()
        protocol.close()
    assert await peer.count(3) == 3


async def test_peer_closed_idle_connection_is_not_reused(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    peer = await start_peer(close_at_once)
    async with TCPConnector() as connector:
        req = make_request(peer.url())
        conn = await connector.connect(req, [], ClientTimeout())
        protocol = conn.protocol
        assert protocol is not None
        await asyncio.wait_for(protocol.closed, 5)
        conn.release()
        conn = await connector.connect(req, [], ClientTimeout())
        assert conn.protocol is not protocol
        conn.release()


async def test_keepalive_expiry(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    async with TCPConnector(keepalive_timeout=30) as connector:
        req = make_request(peer.url())
        conn = await connector.connect(req, [], ClientTimeout())
        old = conn.protocol
        assert old is not None
        conn.release()
        # age the idle connection instead of sleeping
        ((protocol, released_at),) = connector._conns[req.connection_key]
        connector._conns[req.connection_key][0] = (protocol, released_at - 31)
        conn = await connector.connect(req, [], ClientTimeout())
        assert conn.protocol is not old and not old.is_connected()
        conn.release()
        # the periodic cleanup closes aged connections as well
        ((protocol, released_at),) = connector._conns[req.connection_key]
        connector._conns[req.connection_key][0] = (protocol, released_at - 31)
        connector._cleanup()
        assert not connector._conns and not protocol.is_connected()


async def test_keepalive_cleanup_runs_by_itself(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    async with TCPConnector(keepalive_timeout=0.01) as connector:
        conn = await connector.connect(make_request(peer.url()), [], ClientTimeout())
        protocol = conn.protocol
        assert protocol is not None
        conn.release()
        await asyncio.wait_for(protocol.closed, 5)
        assert not connector._conns


async def test_limit_waiters_are_fifo(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    async with TCPConnector(limit=1) as connector:
        assert connector.limit == 1
        req = make_request(peer.url())
        held = await connector.connect(req, [], ClientTimeout())
        order: list[int] = []

        async def take(n: int) -> None:
            conn = await connector.connect(req, [], ClientTimeout())
            order.append(n)
            await asyncio.sleep(0)
            conn.release()

        tasks = [asyncio.create_task(take(n)) for n in range(3)]
        await asyncio.sleep(0.01)
        assert order == [] and len(connector._waiters) == 3
        held.release()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert order == [0, 1, 2]
    assert await peer.count(1) == 1


async def test_cancelled_waiter_passes_its_turn_on(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    async with TCPConnector(limit=1) as connector:
        req = make_request(peer.url())
        held = await connector.connect(req, [], ClientTimeout())
        first = asyncio.create_task(connector.connect(req, [], ClientTimeout()))
        second = asyncio.create_task(connector.connect(req, [], ClientTimeout()))
        await asyncio.sleep(0.01)
        held.release()  # wakes `first` ...
        first.cancel()  # ... which is cancelled before it runs
        conn = await asyncio.wait_for(second, 5)
        assert first.cancelled()
        assert not connector._waiters
        conn.release()


async def test_limit_per_host(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    async with TCPConnector(limit=0, limit_per_host=1) as connector:
        assert (connector.limit, connector.limit_per_host) == (0, 1)
        a = await connector.connect(make_request(peer.url()), [], ClientTimeout())
        # another key is not held back by the per-host limit
        other = make_request(peer.url().with_host("localhost"))
        b = await asyncio.wait_for(connector.connect(other, [], ClientTimeout()), 5)
        waiting = asyncio.create_task(
            connector.connect(make_request(peer.url()), [], ClientTimeout())
        )
        await asyncio.sleep(0.01)
        assert not waiting.done()
        a.release()
        c = await asyncio.wait_for(waiting, 5)
        b.release()
        c.release()


async def test_connect_timeout_while_waiting_for_a_slot(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    async with TCPConnector(limit=1) as connector:
        req = make_request(peer.url())
        held = await connector.connect(req, [], ClientTimeout())
        with pytest.raises(ConnectionTimeoutError, match="Connection timeout"):
            await connector.connect(req, [], ClientTimeout(connect=0.01))
        assert not connector._waiters
        held.release()


async def test_close_fails_waiters_and_closes_connections(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    connector = TCPConnector(limit=1)
    req = make_request(peer.url())
    held = await connector.connect(req, [], ClientTimeout())
    protocol = held.protocol
    assert protocol is not None
    waiting = asyncio.create_task(connector.connect(req, [], ClientTimeout()))
    await asyncio.sleep(0.01)
    connector.close()  # usable without await, as in 2.x
    with pytest.raises(ClientConnectionError, match="Connector is closed"):
        await waiting
    assert connector.closed and not protocol.is_connected()
    held.release()  # harmless after close
    with pytest.raises(ClientConnectionError):
        await connector.connect(req, [], ClientTimeout())
    await connector.close()  # idempotent, and awaitable


async def test_unreleased_connection_warns_on_gc(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))
    async with TCPConnector() as connector:
        conn: Connection | None = await connector.connect(
            make_request(peer.url()), [], ClientTimeout()
        )
        with pytest.warns(ResourceWarning, match="Unclosed connection"):
            conn = None
            gc.collect()
        assert conn is None
        assert not connector._acquired
    assert reported and reported[0]["message"] == "Unclosed connection"


async def test_connection_loop_is_deprecated(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    async with TCPConnector() as connector:
        conn = await connector.connect(make_request(peer.url()), [], ClientTimeout())
        with pytest.warns(DeprecationWarning):
            assert conn.loop is asyncio.get_running_loop()
        callbacks: list[str] = []
        conn.add_callback(lambda: callbacks.append("released"))
        conn.release()
        conn.release()
        assert callbacks == ["released"]


def test_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="keepalive_timeout"):
        BaseConnector(force_close=True, keepalive_timeout=5)
    with pytest.raises(ValueError, match="limit"):
        BaseConnector(limit=-1)
    connector = BaseConnector(force_close=True)
    assert connector.keepalive_timeout is None
    assert BaseConnector().keepalive_timeout == 15
    connector.close()


async def test_loop_argument_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="loop"):
        connector = BaseConnector(loop=asyncio.get_running_loop())
    await connector.close()


async def test_base_connector_needs_create_connection(make_request: MakeRequest) -> None:
    async with BaseConnector() as connector:
        with pytest.raises(NotImplementedError, match="_create_connection"):
            await connector.connect(make_request("http://127.0.0.1:1/"), [], ClientTimeout())
        assert not connector._acquired


class _Trace:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("send_"):
            raise AttributeError(name)

        async def record(*args: Any) -> None:
            self.calls.append(name)

        return record


async def test_traces(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    trace = _Trace()
    async with TCPConnector() as connector:
        req = make_request(peer.url().with_host("localhost"))
        conn = await connector.connect(req, [trace], ClientTimeout())
        conn.release()
        conn = await connector.connect(req, [trace], ClientTimeout())
        conn.release()
    assert trace.calls == [
        "send_connection_create_start",
        "send_dns_cache_miss",
        "send_dns_resolvehost_start",
        "send_dns_resolvehost_end",
        "send_connection_create_end",
        "send_connection_reuseconn",
    ]


async def test_unclosed_connector_warns_on_gc(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))
    connector: TCPConnector | None = TCPConnector()
    assert connector is not None
    conn = await connector.connect(make_request(peer.url()), [], ClientTimeout())
    protocol = conn.protocol
    assert protocol is not None
    conn.release()
    del conn
    with pytest.warns(ResourceWarning, match="Unclosed connector"):
        connector = None
        gc.collect()
    assert not protocol.is_connected()
    assert reported and reported[0]["message"] == "Unclosed connector"


async def test_conn_timeout_is_deprecated_but_applies(make_request: MakeRequest) -> None:
    class Slow(BaseConnector):
        async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:
            await asyncio.Event().wait()

    with pytest.warns(DeprecationWarning, match="conn_timeout"):
        connector = Slow(conn_timeout=0.01)
    async with connector:
        with pytest.raises(ConnectionTimeoutError):
            await connector.connect(make_request("http://h/"), [], ClientTimeout())
        assert not connector._acquired


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("keepalive_timeout", float("nan"), ValueError),
        ("keepalive_timeout", "15", TypeError),
        ("keepalive_timeout", -1, ValueError),
        ("limit", float("nan"), ValueError),
        ("limit", "100", TypeError),
        ("limit_per_host", -1, ValueError),
        ("limit_per_host", float("nan"), ValueError),
        ("timeout_ceil_threshold", float("nan"), ValueError),
        ("timeout_ceil_threshold", None, TypeError),
    ],
)
def test_bad_numbers_fail_at_construction(name: str, value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=rf"BaseConnector\.{name} must be a number"):
        BaseConnector(**{name: value})


def test_numbers_aiohttp_gives_a_meaning_still_accepted() -> None:
    # 0/None: no limit; 0: no keep-alive; None: connections are never closed for idleness.
    with pytest.raises(ValueError, match="limit"):
        BaseConnector(limit=float("nan"))  # (no limit before: every count < NaN is false)
    for kwargs in ({"limit": 0, "limit_per_host": None}, {"keepalive_timeout": 0}):
        BaseConnector(**kwargs).close()  # type: ignore[arg-type]
    connector = BaseConnector(keepalive_timeout=None, limit=None)
    assert connector.keepalive_timeout is None
    connector.close()
