"""The plugin's fixtures: servers and clients for one test, free ports, the loop.

``http_server``, ``raw_server`` and ``http_client`` are factories: call them (and
await the result) as many times as the test needs; everything they created is closed
when the test ends. Each serves over TCP on 127.0.0.1 by default; ``memory=True``
connects client and server through memory (no socket); ``tls=True`` serves HTTPS with
a certificate from the session's test CA (``tls_ca``), which the client trusts;
``tls="mutual"`` also requires a client certificate from that CA, which ``http_client``
presents (``tls_client_certificate``).

The async fixtures are declared with :func:`~pytest_plugin.coexist.async_fixture`, so
they also work in tests that pytest-asyncio (strict mode included) or anyio runs.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pytest

from .coexist import async_fixture

#: The async fixtures below only define a factory before ``yield``: nothing to await.
_factory_fixture = functools.partial(async_fixture, eager_setup=True)

# The library is imported when a fixture is used, not when pytest loads the plugin.
if TYPE_CHECKING:
    from types import ModuleType

    from toolkit.testing import RawTestServer, TestClient, TestServer
    from toolkit.testing.server import BaseTestServer

__all__ = [
    "aiohttp_client",
    "aiohttp_raw_server",
    "aiohttp_server",
    "aiohttp_unused_port",
    "http_client",
    "http_server",
    "loop",
    "raw_server",
    "unused_port",
    "unused_port_factory",
]


#: The ``tls`` argument of the factories: plain HTTP, HTTPS, or HTTPS with client
#: certificates.
TLS = bool | Literal["mutual"]


class ServerFactory(Protocol):
    """The type of ``http_server``: ``await http_server(app, ...)``."""

    def __call__(
        self,
        app: Any,
        *,
        port: int | None = ...,
        tls: TLS = ...,
        memory: bool = ...,
        **kwargs: Any,
    ) -> Awaitable[TestServer]: ...


class RawServerFactory(Protocol):
    """The type of ``raw_server``: ``await raw_server(handler, ...)``."""

    def __call__(
        self,
        handler: Any,
        *,
        port: int | None = ...,
        tls: TLS = ...,
        memory: bool = ...,
        **kwargs: Any,
    ) -> Awaitable[RawTestServer]: ...


class ClientFactory(Protocol):
    """The type of ``http_client``: ``await http_client(app_or_server, ...)``."""

    def __call__(
        self,
        app_or_server: Any,
        *,
        server_kwargs: dict[str, Any] | None = ...,
        tls: TLS = ...,
        memory: bool = ...,
        **kwargs: Any,
    ) -> Awaitable[TestClient]: ...


def _fixture_value(name: str) -> Any:
    """The value of fixture ``name`` for the running test, looked up on demand.

    The factories do not depend on ``request`` (pytest builds a new ``request``
    fixture definition every time one is resolved, which every test would pay for);
    only the TLS fixtures are looked up this way, when a TLS server is asked for.
    """
    from .plugin import current_request

    return current_request().getfixturevalue(name)


def _server_options(*, tls: TLS, memory: bool, kwargs: dict[str, Any]) -> dict[str, Any]:
    if tls not in (False, True, "mutual"):
        raise ValueError(f"tls must be False, True or 'mutual', not {tls!r}")
    if tls and memory:
        raise ValueError(f"tls={tls!r} needs a TCP server; the memory transport is plain HTTP")
    options = dict(kwargs)
    if tls and options.get("ssl") is None:
        mutual = tls == "mutual"
        options["ssl"] = _fixture_value(
            "tls_mutual_server_context" if mutual else "tls_server_context"
        )
    options["transport"] = "memory" if memory else "tcp"
    return options


def _asks_for_client_certificates(server: BaseTestServer) -> bool:
    """Whether ``server``'s TLS context asks clients for a certificate."""
    context = server.ssl
    return isinstance(context, ssl.SSLContext) and context.verify_mode != ssl.CERT_NONE


_SERVER_MODULE = "toolkit.testing.server"
_CLIENT_MODULE = "toolkit.testing.client"


#: The library modules every use of each fixture imports (not the TCP connector: a
#: suite that only serves from memory never needs it).
_MODULES_USED: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("http_client", "aiohttp_client"), (_CLIENT_MODULE,)),
    **dict.fromkeys(
        ("http_server", "aiohttp_server", "raw_server", "aiohttp_raw_server"), (_SERVER_MODULE,)
    ),
    "mock_http": ("toolkit.testing.mock", "toolkit.web.server", "toolkit.web.response"),
}


def preload(items: Iterable[pytest.Item]) -> None:
    """Import the library modules that the fixtures of ``items`` will import, now.

    Called at the end of collection: the import then counts as collection, not as part
    of the first test that uses a fixture (its duration, and its loop's first run).
    """
    fixture_names = _MODULES_USED.keys()
    every_module = {module for modules in _MODULES_USED.values() for module in modules}
    wanted: dict[str, None] = {}  # (ordered: imports run in the same order every time)
    for item in items:
        names = getattr(item, "fixturenames", None)
        if not names or fixture_names.isdisjoint(names):
            continue
        for name in sorted(fixture_names & set(names)):
            wanted.update(dict.fromkeys(_MODULES_USED[name]))
        if len(wanted) == len(every_module):
            break
    for module in wanted:
        _library(module)


def _library(name: str) -> ModuleType:
    """The library's module ``name``, imported on first use.

    Looked up in ``sys.modules`` first: an ``import`` statement in a function costs
    about 8k instructions every time it runs (CPython 3.11), even once imported.
    """
    module = sys.modules.get(name)
    if module is None:
        module = importlib.import_module(name)
    return module


class _Factory:
    """What a factory fixture gives a test: it makes test servers or clients and
    closes them (last made, first closed) when the test ends."""

    __slots__ = ("_made",)

    def __init__(self) -> None:
        self._made: list[Any] = []

    @property
    def pending(self) -> bool:
        """True while something it made is left to close."""
        return bool(self._made)

    async def close(self) -> None:
        """Close everything made so far (a closed object is not closed twice)."""
        made = self._made
        while made:
            await made.pop().close()


class HttpServers(_Factory):
    """The value of :func:`http_server` (its docstring says how to call it)."""

    __slots__ = ()

    async def __call__(
        self,
        app: Any,
        *,
        port: int | None = None,
        tls: TLS = False,
        memory: bool = False,
        **kwargs: Any,
    ) -> TestServer:
        options = _server_options(tls=tls, memory=memory, kwargs=kwargs)
        server: TestServer = _library(_SERVER_MODULE).TestServer(app, port=port, **options)
        self._made.append(server)
        await server.start_server()
        return server


class RawServers(_Factory):
    """The value of :func:`raw_server` (its docstring says how to call it)."""

    __slots__ = ()

    async def __call__(
        self,
        handler: Any,
        *,
        port: int | None = None,
        tls: TLS = False,
        memory: bool = False,
        **kwargs: Any,
    ) -> RawTestServer:
        options = _server_options(tls=tls, memory=memory, kwargs=kwargs)
        server: RawTestServer = _library(_SERVER_MODULE).RawTestServer(
            handler, port=port, **options
        )
        self._made.append(server)
        await server.start_server()
        return server


class HttpClients(_Factory):
    """The value of :func:`http_client` (its docstring says how to call it)."""

    __slots__ = ()

    async def __call__(
        self,
        app_or_server: Any,
        *,
        server_kwargs: dict[str, Any] | None = None,
        tls: TLS = False,
        memory: bool = False,
        **kwargs: Any,
    ) -> TestClient:
        servers = _library(_SERVER_MODULE)
        server: BaseTestServer
        if isinstance(app_or_server, servers.BaseTestServer):
            if server_kwargs or tls or memory:
                raise TypeError(
                    "server_kwargs/tls/memory apply when http_client() creates the server; "
                    f"{app_or_server!r} is already built"
                )
            server = app_or_server
        else:
            options = _server_options(tls=tls, memory=memory, kwargs=server_kwargs or {})
            server = servers.TestServer(app_or_server, **options)
        if (
            server.transport == "tcp"
            and (tls or server.ssl is not None or server.scheme == "https")
            and kwargs.get("connector") is None
        ):
            from toolkit.client.connector import TCPConnector

            mutual = tls == "mutual" or _asks_for_client_certificates(server)
            context = _fixture_value(
                "tls_mutual_client_context" if mutual else "tls_client_context"
            )
            kwargs["connector"] = TCPConnector(ssl=context)
        client: TestClient = _library(_CLIENT_MODULE).TestClient(server, **kwargs)
        self._made.append(client)
        await client.start_server()
        return client


@_factory_fixture
async def http_server() -> AsyncIterator[ServerFactory]:
    """Factory: ``await http_server(app, *, port=None, tls=False, memory=False, **kw)``
    returns a started :class:`~toolkit.testing.TestServer` (``kw`` go to its runner);
    ``tls`` is ``True`` (HTTPS) or ``"mutual"`` (HTTPS requiring a client certificate
    from the test CA)."""
    factory = HttpServers()
    try:
        yield factory
    finally:
        await factory.close()


@_factory_fixture
async def raw_server() -> AsyncIterator[RawServerFactory]:
    """Factory: ``await raw_server(handler, *, port=None, tls=False, memory=False, **kw)``
    returns a started :class:`~toolkit.testing.RawTestServer` for a bare handler."""
    factory = RawServers()
    try:
        yield factory
    finally:
        await factory.close()


@_factory_fixture
async def http_client() -> AsyncIterator[ClientFactory]:
    """Factory: ``await http_client(app_or_server, *, server_kwargs=None, tls=False,
    memory=False, **session_kwargs)`` returns a started :class:`~toolkit.testing.TestClient`.

    Given an application, the client serves it on a new :class:`TestServer`
    (``server_kwargs`` go to it; ``tls``/``memory`` choose its transport). Given a
    server, the client uses it as it is. For an HTTPS server the session trusts the
    test CA (``tls_client_context``), and presents ``tls_client_certificate`` when the
    server asks for a client certificate (``tls_mutual_client_context``), unless a
    ``connector`` is given.
    """
    factory = HttpClients()
    try:
        yield factory
    finally:
        await factory.close()


@pytest.fixture
def unused_port() -> int:
    """A TCP port free on 127.0.0.1 (not reserved: bind it soon)."""
    from toolkit.testing.ports import unused_port as find_port

    return find_port()


@pytest.fixture
def unused_port_factory() -> Callable[[], int]:
    """Factory of free TCP ports on 127.0.0.1; never returns the same port twice in a test."""
    from toolkit.testing.ports import unused_port as find_port

    given: set[int] = set()

    def factory() -> int:
        for _ in range(100):
            port = find_port()
            if port not in given:
                given.add(port)
                return port
        raise RuntimeError(f"no new free port found after 100 tries (have {sorted(given)})")

    return factory


@pytest.fixture
def loop() -> asyncio.AbstractEventLoop:
    """The event loop the test and its async fixtures run on (aiohttp's ``loop``)."""
    from .plugin import _loop

    return _loop()


# aiohttp's pytest plugin names.


@pytest.fixture
def aiohttp_client(http_client: ClientFactory) -> ClientFactory:
    """aiohttp's name for :func:`http_client`."""
    return http_client


@pytest.fixture
def aiohttp_server(http_server: ServerFactory) -> ServerFactory:
    """aiohttp's name for :func:`http_server`."""
    return http_server


@pytest.fixture
def aiohttp_raw_server(raw_server: RawServerFactory) -> RawServerFactory:
    """aiohttp's name for :func:`raw_server`."""
    return raw_server


@pytest.fixture
def aiohttp_unused_port(unused_port_factory: Callable[[], int]) -> Callable[[], int]:
    """aiohttp's name: a function returning a free port (like ``unused_port_factory``)."""
    return unused_port_factory
