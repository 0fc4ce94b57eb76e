"""Runners own a server and its lifecycle; sites bind it to listening sockets.

::

    runner = web.AppRunner(app)
    await runner.setup()                     # on_startup signals, then the Server
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses)                  # [('127.0.0.1', 54321)]
    ...
    await runner.cleanup()                   # graceful: see BaseRunner.cleanup
"""

from __future__ import annotations

import abc
import asyncio
import signal
import socket
from typing import TYPE_CHECKING, Any

from yarl import URL

from .._checks import check_number
from .log import AbstractAccessLogger, AccessLogger
from .server import Server, check_server_options

if TYPE_CHECKING:
    from ssl import SSLContext

    from .app import Application

__all__ = [
    "AppRunner",
    "BaseRunner",
    "BaseSite",
    "GracefulExit",
    "ServerRunner",
    "SockSite",
    "TCPSite",
    "UnixSite",
]


class GracefulExit(SystemExit):
    """Raised by the SIGINT/SIGTERM handlers a runner installs with ``handle_signals``."""

    code = 1


def _raise_graceful_exit() -> None:
    raise GracefulExit()


class BaseSite(abc.ABC):
    """A listening endpoint of a runner's server; subclasses say where it listens."""

    __slots__ = ("_backlog", "_runner", "_server", "_shutdown_timeout", "_ssl_context")

    def __init__(
        self,
        runner: BaseRunner,
        *,
        shutdown_timeout: float | None = None,
        ssl_context: SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        if runner.server is None:
            raise RuntimeError(f"call {type(runner).__name__}.setup() before creating a site")
        check_number(type(self).__name__, "shutdown_timeout", shutdown_timeout, none=True)
        self._runner = runner
        self._shutdown_timeout = shutdown_timeout
        if shutdown_timeout is not None:
            # Kept for compatibility: a site's value sets the runner's graceful period.
            runner._shutdown_timeout = shutdown_timeout
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._server: asyncio.Server | None = None

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The site's URL, e.g. ``http://127.0.0.1:8080``."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Start listening."""
        self._runner._check_site(self)

    async def stop(self) -> None:
        """Stop listening; open connections are left to the runner's cleanup."""
        self._runner._unreg_site(self)
        if self._server is None:
            return
        self._server.close()
        self._server = None

    def _scheme(self) -> str:
        return "https" if self._ssl_context else "http"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class TCPSite(BaseSite):
    """Listen on ``host:port`` (all interfaces when ``host`` is None; port 0 picks a free one).

    The default port is 8080, or 8443 with ``ssl_context``.
    """

    __slots__ = ("_host", "_port", "_reuse_address", "_reuse_port")

    def __init__(
        self,
        runner: BaseRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        shutdown_timeout: float | None = None,
        ssl_context: SSLContext | None = None,
        backlog: int = 128,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._host = host
        if port is None:
            port = 8443 if ssl_context else 8080
        self._port = port
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port

    @property
    def name(self) -> str:
        """``scheme://host:port``, with the bound port once started."""
        port = self._port
        if self._server is not None and self._server.sockets:
            port = self._server.sockets[0].getsockname()[1]
        host = self._host or "0.0.0.0"
        return str(URL.build(scheme=self._scheme(), host=host, port=port))

    async def start(self) -> None:
        """Bind and listen."""
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            server,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )


class UnixSite(BaseSite):
    """Listen on the Unix domain socket at ``path``."""

    __slots__ = ("_path",)

    def __init__(
        self,
        runner: BaseRunner,
        path: str,
        *,
        shutdown_timeout: float | None = None,
        ssl_context: SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._path = str(path)

    @property
    def name(self) -> str:
        """``http://unix:/path/to/socket:``."""
        return f"{self._scheme()}://unix:{self._path}:"

    async def start(self) -> None:
        """Bind the socket file and listen."""
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_unix_server(
            server, self._path, ssl=self._ssl_context, backlog=self._backlog
        )


class SockSite(BaseSite):
    """Listen on an already bound socket ``sock`` (used by the gunicorn workers)."""

    __slots__ = ("_address", "_name", "_sock")

    def __init__(
        self,
        runner: BaseRunner,
        sock: socket.socket,
        *,
        shutdown_timeout: float | None = None,
        ssl_context: SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._sock = sock
        self._address = sock.getsockname()
        self._name: str | None = None  # built when first asked for

    @property
    def name(self) -> str:
        """The URL of the socket's address."""
        if self._name is None:
            scheme = self._scheme()
            address = self._address
            if isinstance(address, tuple):  # (IPv4 and IPv6 addresses)
                host, port = address[:2]
                self._name = str(URL.build(scheme=scheme, host=host, port=port))
            else:  # a Unix socket's path
                self._name = f"{scheme}://unix:{address}:"
        return self._name

    async def start(self) -> None:
        """Listen on the socket."""
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            server, sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )


class BaseRunner(abc.ABC):
    """Lifecycle of a web server: :meth:`setup`, sites, :meth:`cleanup`.

    ``handle_signals`` installs SIGINT/SIGTERM handlers raising :class:`GracefulExit`;
    ``shutdown_timeout`` is the time in-flight requests get to finish on cleanup. Other
    keyword arguments go to the :class:`~toolkit.web.Server` (``keepalive_timeout``,
    ``access_log``, ``max_line_size`` …). A timeout or size among them that is not a
    number, is NaN or is negative raises ``TypeError``/``ValueError`` here.
    """

    __slots__ = ("_handle_signals", "_kwargs", "_server", "_shutdown_timeout", "_sites")

    def __init__(
        self, *, handle_signals: bool = False, shutdown_timeout: float = 60.0, **kwargs: Any
    ) -> None:
        owner = type(self).__name__
        check_number(owner, "shutdown_timeout", shutdown_timeout, none=True)
        check_server_options(owner, kwargs)
        self._handle_signals = handle_signals
        self._shutdown_timeout = shutdown_timeout
        self._kwargs = kwargs
        self._server: Server | None = None
        self._sites: list[BaseSite] = []

    @property
    def server(self) -> Server | None:
        """The server, once :meth:`setup` ran (None after :meth:`cleanup`)."""
        return self._server

    @property
    def addresses(self) -> list[Any]:
        """The bound addresses of the started sites (``(host, port)`` or a socket path)."""
        addresses: list[Any] = []
        for site in self._sites:
            server = site._server
            if server is not None:
                addresses.extend(sock.getsockname() for sock in server.sockets)
        return addresses

    @property
    def sites(self) -> set[BaseSite]:
        """The started sites."""
        return set(self._sites)

    async def setup(self) -> None:
        """Create the server (for an app: run its startup signals first)."""
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            try:
                loop.add_signal_handler(signal.SIGINT, _raise_graceful_exit)
                loop.add_signal_handler(signal.SIGTERM, _raise_graceful_exit)
            except NotImplementedError:  # pragma: no cover - Windows
                pass
        self._server = await self._make_server()

    @abc.abstractmethod
    async def shutdown(self) -> None:
        """Run before connections are closed (an app's ``on_shutdown`` signals)."""

    async def cleanup(self) -> None:
        """Stop gracefully.

        Stop listening on every site; close idle keep-alive connections; run
        :meth:`shutdown`; give in-flight requests ``shutdown_timeout`` seconds to finish,
        then close what is left; finally run the server's cleanup (``on_cleanup``).
        """
        sites = list(self._sites)
        for site in sites:
            await site.stop()
        server = self._server
        if server is not None:
            if sites:
                # Let connections accepted just before the sites stopped start their
                # requests (a runner without sites, e.g. an in-memory test server, has
                # no accept in flight: its connections are made synchronously).
                await asyncio.sleep(0)
            server.pre_shutdown()
            await self.shutdown()
            if server._connections or type(server) is not Server:
                # (A stock server without connections has nothing to shut down.)
                await server.shutdown(self._shutdown_timeout)
        await self._cleanup_server()
        self._server = None
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            try:
                loop.remove_signal_handler(signal.SIGINT)
                loop.remove_signal_handler(signal.SIGTERM)
            except NotImplementedError:  # pragma: no cover - Windows
                pass

    @abc.abstractmethod
    async def _make_server(self) -> Server: ...

    @abc.abstractmethod
    async def _cleanup_server(self) -> None: ...

    def _reg_site(self, site: BaseSite) -> None:
        if site in self._sites:
            raise RuntimeError(f"site {site} is already registered in runner {self}")
        self._sites.append(site)

    def _check_site(self, site: BaseSite) -> None:
        if site in self._sites:
            raise RuntimeError(f"site {site} is already started in runner {self}")
        if self._server is None:
            raise RuntimeError(f"runner {self} is not set up (call setup() first)")
        self._sites.append(site)

    def _unreg_site(self, site: BaseSite) -> None:
        if site in self._sites:
            self._sites.remove(site)


class ServerRunner(BaseRunner):
    """Run a low-level :class:`~toolkit.web.Server`."""

    __slots__ = ("_web_server",)

    def __init__(self, web_server: Server, *, handle_signals: bool = False, **kwargs: Any) -> None:
        super().__init__(handle_signals=handle_signals, **kwargs)
        self._web_server = web_server

    async def shutdown(self) -> None:
        """Nothing to do for a bare server."""

    async def _make_server(self) -> Server:
        return self._web_server

    async def _cleanup_server(self) -> None:
        pass


_Application: type[Application] | None = None


def _application_class() -> type[Application]:
    """``web.Application`` (imported on first use: the app module imports this one)."""
    global _Application
    if _Application is None:
        from .app import Application

        _Application = Application
    return _Application


class AppRunner(BaseRunner):
    """Run an :class:`~toolkit.web.Application`: startup, shutdown and cleanup signals."""

    __slots__ = ("_app",)

    def __init__(
        self,
        app: Application,
        *,
        handle_signals: bool = False,
        access_log_class: type[AbstractAccessLogger] = AccessLogger,
        **kwargs: Any,
    ) -> None:
        if not isinstance(app, _application_class()):
            raise TypeError(f"the first argument must be a web.Application, got {app!r}")
        if access_log_class is not AccessLogger and not (
            isinstance(access_log_class, type)
            and issubclass(access_log_class, AbstractAccessLogger)
        ):
            raise TypeError(
                "access_log_class must be a subclass of toolkit.web.AbstractAccessLogger, "
                f"got {access_log_class!r}"
            )
        super().__init__(handle_signals=handle_signals, access_log_class=access_log_class, **kwargs)
        self._app = app

    @property
    def app(self) -> Application:
        """The application."""
        return self._app

    async def shutdown(self) -> None:
        """Send the app's ``on_shutdown`` signal."""
        await self._app.shutdown()

    async def _make_server(self) -> Server:
        await self._app.startup()
        # The app adds its handler_args and debug flag to the server options.
        server: Server = self._app._make_handler(**self._kwargs)
        return server

    async def _cleanup_server(self) -> None:
        await self._app.cleanup()
