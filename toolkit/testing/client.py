"""``TestClient``: a :class:`~toolkit.ClientSession` bound to one test server.

Paths are relative to the server (``await client.get("/users")``); responses and
WebSockets opened through the client are released/closed by :meth:`TestClient.close`.
A server started with ``transport="memory"`` is reached through a
:class:`~toolkit.client.connector_memory.MemoryConnector` (no socket).
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from yarl import URL

from toolkit.client.connector_memory import MemoryConnector
from toolkit.client.session import ClientSession
from toolkit.cookiejar import CookieJar
from toolkit.web.app import Application

from .server import BaseTestServer, TestServer

if TYPE_CHECKING:
    from toolkit.client.response import ClientResponse
    from toolkit.cookiejar import AbstractCookieJar

__all__ = ["TestClient"]

_T = TypeVar("_T")


class _RequestContext(Generic[_T]):
    """``await`` it for the response, or ``async with`` it to release/close it on exit."""

    __slots__ = ("_coro", "_result")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._result: _T | None = None

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        self._result = await self._coro
        return self._result

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        result = self._result
        if result is None:
            return
        release = getattr(result, "release", None)
        if release is not None and not hasattr(result, "receive"):
            outcome = release()
            if hasattr(outcome, "__await__"):
                await outcome
        else:
            await result.close()  # type: ignore[attr-defined]


class TestClient:
    """A client session for ``server`` (a :class:`BaseTestServer`, or an application,
    which is then served by a :class:`TestServer` over TCP).

    ``cookie_jar`` defaults to a ``CookieJar(unsafe=True)`` (cookies for IP-address
    hosts are kept). Other keyword arguments go to :class:`~toolkit.ClientSession`.
    Without ``connector=`` the session always reaches the test server (a
    ``TCPConnector``, or a ``MemoryConnector`` for a memory server), even while a
    :class:`~toolkit.testing.mock.MockRouter` is active.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        server: BaseTestServer,
        *,
        cookie_jar: AbstractCookieJar | None = None,
        loop: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(server, BaseTestServer):  # (the common case first: each ABC check costs)
            if not isinstance(server, Application):
                raise TypeError(
                    "TestClient needs a TestServer, a RawTestServer or a web.Application, got "
                    f"{type(server).__name__}"
                )
            # aiohttp 2.x accepted an app here: serve it on a TestServer owned by the client.
            server = TestServer(server)
        self._server = server
        self._cookie_jar = cookie_jar
        self._session_kwargs = kwargs
        self._session: ClientSession | None = None
        self._responses: list[ClientResponse] = []
        self._websockets: list[Any] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"<TestClient for {self._server!r}>"

    async def start_server(self) -> None:
        """Start the server (if needed) and create the session."""
        await self._server.start_server()
        self._make_session()

    def _make_session(self) -> ClientSession:
        session = self._session
        if session is None:
            kwargs = self._session_kwargs
            connector = kwargs.get("connector")
            if connector is None:
                # Explicit, so that a mock active in the test (``mock_http``) does not
                # stand in for the test server.
                if self._server.transport == "memory":
                    connector = MemoryConnector(self._server)
                else:
                    # Imported here: a suite that only serves from memory never needs
                    # the TCP connector's modules (DNS, TLS, proxies).
                    from toolkit.client.connector import TCPConnector

                    connector = TCPConnector()
            jar = self._cookie_jar if self._cookie_jar is not None else CookieJar(unsafe=True)
            if kwargs:
                kwargs = dict(kwargs, connector=connector)
                session = ClientSession(cookie_jar=jar, **kwargs)
            else:
                session = ClientSession(connector=connector, cookie_jar=jar)
            self._session = session
        return session

    # ------------------------------------------------------------------ properties

    @property
    def server(self) -> BaseTestServer:
        """The test server."""
        return self._server

    @property
    def app(self) -> Application | None:
        """The server's application (None for a :class:`RawTestServer`)."""
        app: Application | None = getattr(self._server, "app", None)
        return app

    @property
    def host(self) -> str:
        """The server's host."""
        return self._server.host

    @property
    def port(self) -> int | None:
        """The server's port."""
        return self._server.port

    @property
    def session(self) -> ClientSession:
        """The underlying :class:`~toolkit.ClientSession` (created on first use)."""
        return self._make_session()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on the server."""
        return self._server.make_url(path)

    # ------------------------------------------------------------------ requests

    async def _request(self, method: str, path: str | URL, **kwargs: Any) -> ClientResponse:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if not self._server.started:
            await self.start_server()
        session = self._make_session()
        # (The session's coroutine itself: request() would wrap it in a context manager.)
        resp = await session._request(method, self.make_url(path), **kwargs)
        self._responses.append(resp)
        return resp

    def request(
        self, method: str, path: str | URL, **kwargs: Any
    ) -> _RequestContext[ClientResponse]:
        """Send ``method`` to ``path`` (relative to the server); see ``ClientSession.request``."""
        return _RequestContext(self._request(method, path, **kwargs))

    def get(self, path: str | URL, **kwargs: Any) -> _RequestContext[ClientResponse]:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str | URL, **kwargs: Any) -> _RequestContext[ClientResponse]:
        """POST to ``path``."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str | URL, **kwargs: Any) -> _RequestContext[ClientResponse]:
        """PUT to ``path``."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str | URL, **kwargs: Any) -> _RequestContext[ClientResponse]:
        """PATCH ``path``."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str | URL, **kwargs: Any) -> _RequestContext[ClientResponse]:
        """DELETE ``path``."""
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str | URL, **kwargs: Any) -> _RequestContext[ClientResponse]:
        """HEAD ``path``."""
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str | URL, **kwargs: Any) -> _RequestContext[ClientResponse]:
        """OPTIONS ``path``."""
        return self.request("OPTIONS", path, **kwargs)

    def ws_connect(self, path: str | URL, **kwargs: Any) -> _RequestContext[Any]:
        """Open a WebSocket to ``path``; see ``ClientSession.ws_connect``."""
        return _RequestContext(self._ws_connect(path, **kwargs))

    async def _ws_connect(self, path: str | URL, **kwargs: Any) -> Any:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if not self._server.started:
            await self.start_server()
        ws = await self.session.ws_connect(self.make_url(path), **kwargs)
        self._websockets.append(ws)
        return ws

    # ------------------------------------------------------------------ closing

    async def close(self) -> None:
        """Release the responses, close the WebSockets, the session and the server."""
        if self._closed:
            return
        self._closed = True
        for resp in self._responses:
            resp.release()
        for ws in self._websockets:
            if not ws.closed:
                await ws.close()
        self._responses.clear()
        self._websockets.clear()
        if self._session is not None:
            await self._session.close()
        await self._server.close()

    async def __aenter__(self) -> TestClient:
        await self.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
