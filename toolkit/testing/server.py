"""In-process test servers: :class:`TestServer` (an application), :class:`RawTestServer`
(a bare request handler).

A test server listens on ``127.0.0.1`` on a free port (``transport="tcp"``, the
default), or on no socket at all (``transport="memory"``): clients then reach it
through a :class:`~toolkit.client.connector_memory.MemoryConnector`, which
:class:`~toolkit.testing.TestClient` sets up by itself.
"""

from __future__ import annotations

import abc
import itertools
import re
import socket
import ssl as _ssl
import weakref
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from yarl import URL

from toolkit.web.app import Application
from toolkit.web.runner import AppRunner, BaseRunner, ServerRunner, SockSite
from toolkit.web.server import Server

if TYPE_CHECKING:
    from toolkit.web.request import BaseRequest
    from toolkit.web.response import StreamResponse

__all__ = ["BaseTestServer", "RawTestServer", "TestServer"]

Transport = Literal["tcp", "memory"]

# Ports shown in the URLs of memory servers: nothing is bound, they only tell servers apart.
_memory_ports = itertools.count(40000)
#: Seconds in-flight requests get to finish when a test server closes (runners: 60).
_SHUTDOWN_TIMEOUT = 5.0

#: Host names and IPv4 addresses as they appear in a URL (nothing to encode).
_PLAIN_HOST = re.compile(r"[a-z0-9.-]+")

#: Servers started and not closed yet (the pytest plugin reports those a test leaves).
live_servers: weakref.WeakSet[BaseTestServer] = weakref.WeakSet()
#: How many test servers were started so far; each server keeps its number (``_serial``),
#: so a check can tell the servers started after a point without listing the others.
started_count = 0


class BaseTestServer(abc.ABC):
    """A server for one test: start it, make URLs on it, close it.

    ``scheme`` defaults to ``https`` when ``ssl`` (a server ``SSLContext``) is given,
    else ``http``. ``port=None`` picks a free port. ``transport="memory"`` binds no
    socket (TLS is then not available). Other keyword arguments go to the runner
    (``AppRunner``/``ServerRunner``: ``keepalive_timeout``, ``access_log`` …), as do
    those given to :meth:`start_server`.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        ssl: _ssl.SSLContext | None = None,
        transport: Transport = "tcp",
        skip_url_asserts: bool = True,
        socket_factory: Callable[[str, int, int], socket.socket] | None = None,
        **kwargs: Any,
    ) -> None:
        if transport not in ("tcp", "memory"):
            raise ValueError(f"transport must be 'tcp' or 'memory', got {transport!r}")
        self.scheme = scheme
        self.host = host
        self.port = port
        self.transport: Transport = transport
        self.skip_url_asserts = skip_url_asserts
        self.runner: BaseRunner | None = None
        self._ssl = ssl
        self._socket_factory = socket_factory or _bind_socket
        self._kwargs = kwargs
        self._root: URL | None = None
        self._closing = False
        self._closed = False
        self._serial = -1

    def __repr__(self) -> str:
        where = str(self._root) if self._root is not None else "not started"
        return f"<{type(self).__name__} {self.transport} {where}>"

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        """Set the runner up and start listening (does nothing if already started)."""
        if self.runner is not None:
            return
        ssl_context = kwargs.pop("ssl", None) or self._ssl
        self._ssl = ssl_context
        if ssl_context is not None and self.transport == "memory":
            raise ValueError(
                f"{type(self).__name__}: TLS (ssl=...) needs transport='tcp'; "
                "the memory transport carries plain HTTP only"
            )
        if not self.scheme:
            self.scheme = "https" if ssl_context is not None else "http"
        if self._kwargs or kwargs:
            options = {"shutdown_timeout": _SHUTDOWN_TIMEOUT, **self._kwargs, **kwargs}
            runner = await self._make_runner(**options)
        else:  # the common case: no options dict to merge
            runner = await self._make_runner(shutdown_timeout=_SHUTDOWN_TIMEOUT)
        await runner.setup()
        self.runner = runner
        try:
            if self.transport == "tcp":
                family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
                sock = self._socket_factory(self.host, self.port or 0, family)
                site = SockSite(runner, sock, ssl_context=ssl_context)
                await site.start()
                self.port = sock.getsockname()[1]
            elif self.port is None:
                self.port = next(_memory_ports)
        except BaseException:
            await runner.cleanup()
            self.runner = None
            raise
        self._root = _root_url(self.scheme, self.host, self.port)
        global started_count
        self._serial = started_count
        started_count += 1
        live_servers.add(self)

    @abc.abstractmethod
    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        """Create the (not yet set up) runner."""

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` (a path relative to the server's root)."""
        if self._root is None:
            raise RuntimeError(f"{self!r}: call start_server() before make_url()")
        url = URL(path)
        if not self.skip_url_asserts and url.is_absolute():
            raise ValueError(f"make_url() takes a path relative to the server, got {url}")
        if url.is_absolute():
            return url
        return self._root.join(url)

    @property
    def started(self) -> bool:
        """True once :meth:`start_server` ran (and until :meth:`close`)."""
        return self.runner is not None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (the server may still be shutting down)."""
        return self._closing or self._closed

    @property
    def handler(self) -> Server | None:
        """The low-level :class:`~toolkit.web.Server` (a protocol factory), while started."""
        if self.runner is None or self._closing:
            return None
        return self.runner.server

    @property
    def ssl(self) -> _ssl.SSLContext | None:
        """The server's ``SSLContext``, if it serves HTTPS."""
        return self._ssl

    async def close(self) -> None:
        """Stop the server: close its connections and run the app's cleanup."""
        if self.runner is not None and not self._closing:
            self._closing = True  # a memory connector refuses new connections from now on
            await self.runner.cleanup()
            self._root = None
            self.port = None
        self._closing = True
        self._closed = True
        live_servers.discard(self)

    async def __aenter__(self) -> BaseTestServer:
        await self.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


class TestServer(BaseTestServer):
    """Serve a :class:`toolkit.web.Application` (startup/shutdown/cleanup signals run)."""

    def __init__(
        self,
        app: Application,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(app, Application):
            raise TypeError(f"TestServer serves a web.Application, got {app!r}")
        self.app = app
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return AppRunner(self.app, **kwargs)


class RawTestServer(BaseTestServer):
    """Serve a bare ``async (BaseRequest) -> StreamResponse`` handler (no app, no router)."""

    def __init__(
        self,
        handler: Callable[[BaseRequest], Awaitable[StreamResponse]],
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._handler = handler
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        runner_keys = {"handle_signals", "shutdown_timeout"}
        runner_kwargs = {k: v for k, v in kwargs.items() if k in runner_keys}
        server_kwargs = {k: v for k, v in kwargs.items() if k not in runner_keys}
        return ServerRunner(Server(self._handler, **server_kwargs), **runner_kwargs)


def _root_url(scheme: str, host: str, port: int) -> URL:
    """``scheme://host:port``; a host already in its URL form skips yarl's encoding."""
    if _PLAIN_HOST.fullmatch(host):
        return URL.build(scheme=scheme, host=host, port=port, encoded=True)
    return URL.build(scheme=scheme, host=host, port=port)


def _bind_socket(host: str, port: int, family: int) -> socket.socket:
    """A listening-ready TCP socket bound to ``(host, port)``."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock
