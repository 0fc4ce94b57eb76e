"""``MockConnector``: the connector seam of the mock.

A :class:`~toolkit.client.connector_memory.MemoryConnector` whose server is the mock's
``web.Server``. When a connection is opened for a request, the connector matches the
request against the routes first:

* an ``exception=`` answer is raised right here, as a connection failure is;
* an unmatched request raises :class:`MockUnmatchedError`, or opens a real TCP
  connection when passthrough allows it;
* otherwise the in-memory connection opens and the server answers, through the whole
  client and server stack (headers, cookies, redirects, decompression, streaming).

Connections are not kept alive by default (``keepalive_timeout=0``), so that every
request is matched when its connection opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.client.connector_memory import MemoryConnector
from toolkit.client.protocol import ResponseHandler
from toolkit.client.timeouts import ClientTimeout

from ._request import MockRequest
from ._server import Pending, translate_exception

if TYPE_CHECKING:
    from toolkit.client.connector_tcp import TCPConnector

    from ._router import MockRouter

__all__ = ("MockConnector",)

_SENTINEL: Any = object()


class MockConnector(MemoryConnector):
    """Connect a session to a :class:`MockRouter`; make one with ``router.connector()``.

    Keyword arguments are the :class:`BaseConnector`'s; ``passthrough_connector`` is
    the connector whose connections carry passed-through requests (by default a
    :class:`TCPConnector` made on first use and closed with this one).
    """

    def __init__(
        self,
        router: MockRouter,
        *,
        passthrough_connector: TCPConnector | None = None,
        keepalive_timeout: float | None = _SENTINEL,
        force_close: bool = False,
        **kwargs: Any,
    ) -> None:
        if keepalive_timeout is _SENTINEL and not force_close:
            keepalive_timeout = 0
        if keepalive_timeout is not _SENTINEL:
            kwargs["keepalive_timeout"] = keepalive_timeout
        super().__init__(router._server.protocol_factory, force_close=force_close, **kwargs)
        self._router = router
        self._inner = passthrough_connector
        self._owns_inner = passthrough_connector is None

    @property
    def router(self) -> MockRouter:
        """The router answering this connector's requests."""
        return self._router

    async def _create_connection(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        router = self._router
        mocked = MockRequest.from_client_request(req)
        router._history.append(mocked)
        found = router._resolve(mocked)
        if found is None:
            if router._passes_through(mocked.url):
                mocked.passed_through = True
                return await self._passthrough(req, traces, timeout)
            raise router._unmatched_error(mocked)
        route, params = found
        if route is not None:
            route._record(mocked, params)
            if route.callback is None and route.exception is not None:
                raise translate_exception(route.exception, mocked, req.connection_key)
        client = await super()._create_connection(req, traces, timeout)
        pending = Pending(mocked, route, params, client, req.connection_key)
        router._server.register(client, req.url.origin(), pending)
        return client

    async def _passthrough(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        if self._inner is None:
            from toolkit.client.connector_tcp import TCPConnector

            self._inner = TCPConnector()
        protocol: ResponseHandler = await self._inner._create_connection(req, traces, timeout)
        return protocol

    def close(self) -> Any:
        """Close every connection (and the passthrough connector, if it is ours)."""
        closing = super().close()
        inner, self._inner = self._inner, None
        if inner is not None and self._owns_inner:
            inner.close()
        return closing
