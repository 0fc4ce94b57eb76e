"""Fixtures for the client transport tests: a fake request and scripted TCP peers."""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from yarl import URL


def _register_session_peers() -> None:
    """Make ``import _session_peers`` work in the test modules of this folder.

    Tests are imported with ``--import-mode=importlib`` (no package, no sys.path entry),
    so the shared peer servers are registered once, here.
    """
    name = "_session_peers"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_register_session_peers()


class Key(NamedTuple):
    """The fields of the session's ``ConnectionKey`` that the connector reads."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: Any
    proxy: URL | None
    proxy_auth: Any
    proxy_headers_hash: int | None


@dataclass
class FakeRequest:
    """What a connector reads from a ``ClientRequest`` (see docs/dev/contracts.md)."""

    url: URL
    method: str = "GET"
    ssl: Any = True
    proxy: URL | None = None
    proxy_auth: Any = None
    proxy_headers: Any = None
    server_hostname: str | None = None

    @property
    def host(self) -> str:
        host = self.url.raw_host
        assert host is not None
        return host

    @property
    def port(self) -> int | None:
        return self.url.port

    def is_ssl(self) -> bool:
        return self.url.scheme in ("https", "wss")

    @property
    def connection_key(self) -> Key:
        headers_hash = hash(tuple(self.proxy_headers.items())) if self.proxy_headers else None
        return Key(
            self.host,
            self.port,
            self.is_ssl(),
            self.ssl,
            self.proxy,
            self.proxy_auth,
            headers_hash,
        )


@pytest.fixture
def make_request() -> Callable[..., FakeRequest]:
    """``make_request(url, **fields)`` builds a :class:`FakeRequest`."""

    def factory(url: str | URL, **kwargs: Any) -> FakeRequest:
        return FakeRequest(URL(url), **kwargs)

    return factory


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Peer:
    """A scripted TCP server on 127.0.0.1; ``accepted`` counts the connections."""

    server: asyncio.Server
    host: str
    port: int
    accepted: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def count(self, expected: int) -> int:
        """The number of accepted connections, once at least ``expected`` (or 5 s) passed."""
        for _ in range(500):
            if self.accepted >= expected:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        return self.accepted

    def url(self, path: str = "/", scheme: str = "http") -> URL:
        return URL.build(scheme=scheme, host=self.host, port=self.port, path=path)


async def _hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


@pytest.fixture
async def start_peer() -> AsyncIterator[Callable[..., Awaitable[Peer]]]:
    """``await start_peer(handler=None, ssl=None)``: a server; the default handler
    keeps each connection open until the client closes it."""
    peers: list[Peer] = []
    tasks: set[asyncio.Task[None]] = set()

    async def start(handler: Handler | None = None, ssl: ssl.SSLContext | None = None) -> Peer:
        handle = handler or _hold
        peer: Peer

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer.accepted += 1
            peer.writers.append(writer)
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)  # type: ignore[arg-type]
            try:
                await handle(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
                tasks.discard(task)  # type: ignore[arg-type]

        server = await asyncio.start_server(on_client, "127.0.0.1", 0, ssl=ssl)
        port = server.sockets[0].getsockname()[1]
        peer = Peer(server, "127.0.0.1", port)
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.server.close()
        for writer in peer.writers:
            writer.close()
    for task in list(tasks):
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    for peer in peers:
        await peer.server.wait_closed()
