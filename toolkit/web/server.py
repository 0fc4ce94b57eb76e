"""The low-level web server: a request handler coroutine behind a protocol factory."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from toolkit._checks import check_number
from toolkit.http import RequestHead
from toolkit.streams import StreamReader

from .protocol import RequestHandler
from .request import BaseRequest
from .writer import StreamWriter

if TYPE_CHECKING:
    from .response import StreamResponse

__all__ = ["Server"]

_RequestFactory = Callable[
    [RequestHead, StreamReader, RequestHandler, StreamWriter, "asyncio.Task[None]"],
    "BaseRequest",
]

_PROTOCOL_KWARGS = frozenset(inspect.signature(RequestHandler).parameters) - {"manager", "loop"}

#: The numeric options of RequestHandler and what each may be (check_number's rules):
#: None disables a timeout, 0 keep-alive or lingering; no size is negative.
_NUMERIC_OPTIONS: dict[str, dict[str, Any]] = {
    "keepalive_timeout": {"none": True},
    "read_headers_timeout": {"none": True},
    "lingering_time": {"none": True},
    "timeout_ceil_threshold": {"lowest": "any"},
    "max_line_size": {"unit": "bytes"},
    "max_field_size": {"unit": "bytes"},
    "max_headers": {"unit": "headers"},
    "read_bufsize": {"unit": "bytes", "lowest": "positive"},
}


def check_server_options(owner: str, options: Mapping[str, Any]) -> None:
    """Raise ``TypeError``/``ValueError`` for a numeric server option that is not a
    number, is NaN or is out of range (``owner`` names where it was given)."""
    for name, rules in _NUMERIC_OPTIONS.items():
        if name in options:
            check_number(owner, name, options[name], **rules)


class Server:
    """Serve ``handler`` (``async (BaseRequest) -> StreamResponse``) on any transport.

    An instance is an asyncio protocol factory: ``loop.create_server(server, ...)``.
    ``request_factory(message, payload, protocol, writer, task)`` builds the request
    object (default: :class:`~toolkit.web.BaseRequest`). When ``handler_cancellation``
    is true, a handler is cancelled as soon as its client disconnects. Other keyword
    arguments go to every :class:`~toolkit.web.protocol.RequestHandler`; a timeout,
    size or count among them that is not a number, is NaN or is negative raises
    ``TypeError``/``ValueError`` here.
    """

    def __init__(
        self,
        handler: Callable[[BaseRequest], Awaitable[StreamResponse]],
        *,
        request_factory: _RequestFactory | None = None,
        handler_cancellation: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        if not _PROTOCOL_KWARGS.issuperset(kwargs):
            unknown = sorted(set(kwargs) - _PROTOCOL_KWARGS)
            raise TypeError(
                f"Server got unexpected keyword argument(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(sorted(_PROTOCOL_KWARGS))}"
            )
        check_server_options("Server", kwargs)
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._connections: dict[RequestHandler, None] = {}
        self._kwargs = kwargs
        self.requests_count = 0
        self.request_handler = handler
        # A synchronous ``(request) -> awaitable`` the connections call instead of
        # ``handler`` when set (Application: its handler's own coroutine when it can).
        self._dispatch: Callable[[BaseRequest], Awaitable[StreamResponse]] | None = None
        self.request_factory: _RequestFactory = request_factory or self._make_request
        self.handler_cancellation = handler_cancellation

    @property
    def connections(self) -> list[RequestHandler]:
        """The open connections."""
        return list(self._connections)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        """Register a new connection (called by the protocol)."""
        self._connections[handler] = None

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        """Forget a closed connection (called by the protocol)."""
        self._connections.pop(handler, None)

    def _make_request(
        self,
        message: RequestHead,
        payload: StreamReader,
        protocol: RequestHandler,
        writer: StreamWriter,
        task: asyncio.Task[None],
    ) -> BaseRequest:
        return BaseRequest(message, payload, protocol, writer, task, self._loop)

    def pre_shutdown(self) -> None:
        """Stop keep-alive: every connection closes once its queued requests are answered."""
        for conn in list(self._connections):
            conn.close()

    async def shutdown(self, timeout: float | None = None) -> None:
        """Close every connection, giving in-flight requests ``timeout`` seconds to finish."""
        conns = list(self._connections)
        if conns:
            await asyncio.gather(*(conn.shutdown(timeout) for conn in conns))
        self._connections.clear()

    def __call__(self) -> RequestHandler:
        """Create the protocol for a new connection."""
        return RequestHandler(self, loop=self._loop, **self._kwargs)
