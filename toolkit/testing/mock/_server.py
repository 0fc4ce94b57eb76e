"""The mock's server side: a low-level ``web.Server`` handler that answers requests.

Most requests arrive already decided: the connector matched them when the connection
was opened (see :mod:`._connector`) and left a :class:`Pending` note keyed by the
client's (fake) address. The handler reads the body from the wire, completes the
recorded request, runs the route's callback and writes the response through the real
server stack. Requests whose route needed a streamed body are matched here.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Any

from yarl import URL

from toolkit.client.exceptions import ClientConnectorError, ClientError, SocketTimeoutError

from ._request import MockRequest
from ._route import MockResponse, MockRoute

if TYPE_CHECKING:
    from toolkit.client.protocol import ResponseHandler
    from toolkit.web import BaseRequest, Server, StreamResponse

    from ._router import MockRouter

__all__ = ("MockServer", "Pending", "translate_exception")


def translate_exception(exc: BaseException, request: MockRequest, connection_key: Any) -> Any:
    """The exception the session raises for an ``exception=`` answer.

    Client errors are raised as given. A bare timeout becomes the session's
    :class:`~toolkit.SocketTimeoutError` (a ``ServerTimeoutError`` and an
    ``asyncio.TimeoutError``); a bare ``OSError`` becomes ``ClientConnectorError``,
    as a real connection failure does. Anything else is raised as given.
    """
    if isinstance(exc, ClientError):
        return exc
    if type(exc) in (TimeoutError, asyncio.TimeoutError):
        error: BaseException = SocketTimeoutError(
            f"Timeout on reading data from socket (mocked for {request.method} {request.url})"
        )
        error.__cause__ = exc
        return error
    if isinstance(exc, OSError) and connection_key is not None:
        error = ClientConnectorError(connection_key, exc)
        error.__cause__ = exc
        return error
    return exc


class Pending:
    """What the connector decided for one new connection."""

    __slots__ = ("client", "connection_key", "params", "request", "route")

    def __init__(
        self,
        request: MockRequest,
        route: MockRoute | None,
        params: dict[str, str],
        client: ResponseHandler,
        connection_key: Any,
    ) -> None:
        self.request = request
        self.route = route
        self.params = params
        self.client = client
        self.connection_key = connection_key


class MockServer:
    """One ``web.Server`` per event loop, answering for a :class:`MockRouter`."""

    def __init__(self, router: MockRouter) -> None:
        self._router = router
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[Any, Pending] = {}
        self._clients: weakref.WeakValueDictionary[Any, ResponseHandler] = (
            weakref.WeakValueDictionary()
        )
        self._origins: weakref.WeakKeyDictionary[ResponseHandler, URL] = weakref.WeakKeyDictionary()

    def protocol_factory(self) -> asyncio.BaseProtocol:
        """A new server-side protocol (the ``MemoryConnector`` target)."""
        loop = asyncio.get_running_loop()
        if self._server is None or self._loop is not loop:
            from toolkit.web import Server

            # A handler (a slow callback) stops when its client goes away.
            self._server = Server(self._handle, handler_cancellation=True)
            self._loop = loop
            self._pending.clear()
        protocol: asyncio.BaseProtocol = self._server()
        return protocol

    def register(self, client: ResponseHandler, origin: URL, pending: Pending | None) -> None:
        """Remember a new connection to ``origin`` (and its decision) by the client's
        address; the connection is forgotten with its client protocol."""
        transport = client.transport
        if transport is None:
            return
        address = transport.get_extra_info("sockname")
        self._clients[address] = client
        self._origins[client] = origin
        if pending is not None:
            self._pending[address] = pending

    def clear(self) -> None:
        """Forget undelivered decisions."""
        self._pending.clear()

    # ------------------------------------------------------------------ handler

    async def _handle(self, request: BaseRequest) -> StreamResponse:
        transport = request.transport
        address = transport.get_extra_info("peername") if transport is not None else None
        pending = self._pending.pop(address, None)
        if (
            transport is not None
            and request.headers.get("Expect", "").lower() == "100-continue"
            and request.version >= (1, 1)
        ):
            transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await request.content.read()
        router = self._router
        route: MockRoute | None = None
        params: dict[str, str] = {}
        if pending is not None:
            mocked = pending.request
            mocked._set_wire(request.headers, body)
            route, params = pending.route, pending.params
            connection_key = pending.connection_key
        else:  # a kept-alive connection: nothing was decided when it opened
            client = self._clients.get(address)
            origin = self._origins.get(client) if client is not None else None
            if origin is None:
                origin = URL.build(scheme="http", authority=request.host)
            url = origin.join(request.rel_url)
            mocked = MockRequest(request.method, url, request.headers, body)
            router._history.append(mocked)
            connection_key = None
        if route is None:
            found = router._resolve(mocked)
            if found is None or found[0] is None:
                exc: BaseException = router._unmatched_error(mocked)
                return self._fail(request, address, exc)
            route, params = found
        assert route is not None
        if mocked.route is None:
            route._record(mocked, params)
        try:
            answer = await route._answer(mocked)
        except Exception as error:  # a bad callback result: tell the caller, not the log
            answer = error
        if isinstance(answer, BaseException):
            return self._fail(request, address, translate_exception(answer, mocked, connection_key))
        if isinstance(answer, MockResponse):
            return await _build_response(answer, request)
        return answer

    def _fail(self, request: BaseRequest, address: Any, exc: BaseException) -> StreamResponse:
        """Make the client's pending read fail with ``exc`` and drop the connection."""
        from toolkit.web import Response

        client = self._clients.get(address)
        if client is not None:
            client.set_exception(exc)
        transport = request.transport
        if transport is not None:
            transport.abort()
        return Response(status=500)


async def _build_response(spec: MockResponse, request: BaseRequest) -> StreamResponse:
    from toolkit.web import Response, StreamResponse

    body = spec._body_bytes()
    headers = spec._headers()
    if body is not None:
        return Response(status=spec.status, reason=spec.reason, body=body, headers=headers)
    response = StreamResponse(status=spec.status, reason=spec.reason, headers=headers)
    await response.prepare(request)
    chunks = spec.body
    if isinstance(chunks, AsyncIterable):
        async for chunk in chunks:
            await response.write(_as_bytes(chunk))
    else:
        assert chunks is not None and not isinstance(chunks, (bytes, str))
        for chunk in chunks:
            await response.write(_as_bytes(chunk))
    await response.write_eof()
    return response


def _as_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"a streamed mock body must yield bytes or str, got {type(chunk).__name__}")
