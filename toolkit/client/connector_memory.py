"""``MemoryConnector``: connections that go straight into an in-process server, no socket.

Each new connection creates the server's protocol object (a
:class:`toolkit.web.protocol.RequestHandler`, from a :class:`toolkit.web.Server`) and
the client's :class:`~toolkit.client.protocol.ResponseHandler`, and joins them with a
pair of in-memory transports (see :mod:`toolkit.client._memory_pipe`). The same
protocol code runs on both ends as over TCP, and the pool (keep-alive, limits) is the
:class:`BaseConnector`'s, so connection reuse behaves as it does with TCP.

Every request goes to the one server whatever its URL's host, as with a Unix socket.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from ._memory_pipe import MemoryTransport, connect_memory_pipe
from .connector_base import BaseConnector
from .exceptions import ClientConnectorError
from .protocol import ResponseHandler
from .timeouts import ClientTimeout

if TYPE_CHECKING:
    from toolkit.web.runner import AppRunner

__all__ = ("MemoryConnector", "MemoryTransport")

_client_ports = itertools.count(50000)


class _MemoryClosing:
    """What :meth:`MemoryConnector.close` returns when the connector started the app:
    awaiting it waits for the connections to go and for the app to clean up."""

    def __init__(self, closing: Any, cleanup: asyncio.Task[None]) -> None:
        self._closing = closing
        self._cleanup = cleanup

    def __await__(self) -> Generator[Any, None, None]:
        return self._wait().__await__()

    async def _wait(self) -> None:
        await self._closing
        await self._cleanup


class MemoryConnector(BaseConnector):
    """Connect the client to an in-process server through memory.

    ``target`` is one of:

    * a :class:`toolkit.web.Application` — the connector runs it (``on_startup`` on the
      first connection, ``on_shutdown``/``on_cleanup`` when the connector is closed);
      ``server_kwargs`` go to its :class:`~toolkit.web.AppRunner`;
    * a started :class:`toolkit.testing.BaseTestServer` (``TestServer``,
      ``RawTestServer``) — its server is used, its lifecycle stays the caller's;
    * a :class:`toolkit.web.Server`, or any other asyncio protocol factory.

    Other keyword arguments are the :class:`BaseConnector`'s (``limit``,
    ``keepalive_timeout``, ``force_close`` …).
    """

    allowed_protocol_schema_set = frozenset({"", "http", "https", "ws", "wss"})

    _setup_lock: asyncio.Lock | None = None

    def __init__(
        self,
        target: Any,
        *,
        server_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._target = target
        self._runner: AppRunner | None = None
        self._factory: Callable[[], asyncio.BaseProtocol] | None = None
        self._server_kwargs = dict(server_kwargs) if server_kwargs else {}
        if not server_kwargs and hasattr(target, "start_server") and hasattr(target, "handler"):
            return  # a test server: looked up when connecting (it may start later)
        from toolkit.web.app import Application

        if isinstance(target, Application):
            return
        if server_kwargs:
            raise TypeError("server_kwargs are only accepted with a web.Application target")
        if not callable(target):
            raise TypeError(
                "MemoryConnector needs a web.Application, a test server, a web.Server or "
                f"a protocol factory; got {target!r}"
            )
        self._factory = target

    @property
    def target(self) -> Any:
        """What the connector connects to (as given)."""
        return self._target

    def _ready_factory(self, req: Any) -> Callable[[], asyncio.BaseProtocol] | None:
        """The server's protocol factory when no app has to be set up first, else None."""
        if self._factory is not None:
            return self._factory
        if hasattr(self._target, "start_server"):  # a BaseTestServer
            handler = self._target.handler
            if handler is None and self._target.closed:
                raise ClientConnectorError(
                    req.connection_key,
                    ConnectionRefusedError(f"{self._target!r} is closed (in-memory connection)"),
                )
            if handler is None:
                raise RuntimeError(
                    f"{self._target!r} is not started: await its start_server() "
                    "before connecting through a MemoryConnector"
                )
            factory: Callable[[], asyncio.BaseProtocol] = handler
            return factory
        return None

    async def _protocol_factory(self) -> Callable[[], asyncio.BaseProtocol]:
        """Set the application up (once) and return its server."""
        if self._setup_lock is None:
            self._setup_lock = asyncio.Lock()
        async with self._setup_lock:
            if self._factory is None:
                from toolkit.web.runner import AppRunner

                runner = AppRunner(self._target, **self._server_kwargs)
                await runner.setup()
                self._runner = runner
                assert runner.server is not None
                self._factory = runner.server
        return self._factory

    async def _create_connection(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        loop = self._loop or self._get_loop()
        factory = self._ready_factory(req) or await self._protocol_factory()
        try:
            server_protocol = factory()
        except Exception as exc:
            raise ClientConnectorError(
                req.connection_key, OSError(f"the in-memory server refused the connection: {exc}")
            ) from exc
        client_protocol = ResponseHandler(loop)
        port = req.port
        if port is None:
            port = 443 if req.is_ssl() else 80
        connect_memory_pipe(
            loop,
            client_protocol,
            server_protocol,
            client_address=("127.0.0.1", next(_client_ports)),
            server_address=(str(req.host), port),
        )
        return client_protocol

    def close(self) -> Any:
        """Close every connection (and the app, if the connector started it).

        Awaitable; awaiting also waits for the connections and the app's cleanup."""
        was_closed = self._closed
        if not was_closed:
            # Idle keep-alive connections have nothing in flight: their close is finished
            # at once (both ends see it now) instead of over a few loop iterations, so
            # awaiting the result has nothing to wait for.
            for conns in self._conns.values():
                for protocol, _ in conns:
                    transport = protocol.transport
                    if isinstance(transport, MemoryTransport):
                        transport._close_at_once()
        closing = super().close()
        runner, self._runner = self._runner, None
        if runner is None or was_closed:
            return closing  # (nothing of the app's to wait for)
        cleanup = self._get_loop().create_task(runner.cleanup())
        return _MemoryClosing(closing, cleanup)
