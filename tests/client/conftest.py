"""Fixtures for the client transport tests: a fake request and scripted TCP peers."""

from __future__ import annotations

import importlib.util
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest
from yarl import URL


def _register_peers() -> ModuleType:
    """Make ``import _peers`` work in the test modules of this folder.

    Tests are imported with ``--import-mode=importlib`` (no package, no sys.path entry),
    so the shared peer servers are registered once, here.
    """
    name = "_peers"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_peers = _register_peers()


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


@pytest.fixture
async def start_peer() -> AsyncIterator[Callable[..., Awaitable[_peers.RawPeer]]]:
    """``await start_peer(handler=None, ssl=None)``: a running :class:`_peers.RawPeer`,
    closed after the test; the default handler keeps each connection open until the
    client closes it."""
    started: list[_peers.RawPeer] = []

    async def start(
        handler: _peers.RawHandler | None = None, ssl: ssl.SSLContext | None = None
    ) -> _peers.RawPeer:
        peer = _peers.RawPeer(handler or _peers.hold, ssl=ssl)
        await peer.start()
        started.append(peer)
        return peer

    yield start
    for peer in started:
        await peer.close()
