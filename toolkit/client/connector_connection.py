"""``Connection``: one connection borrowed from a connector's pool."""

from __future__ import annotations

import asyncio
import sys
import traceback
import warnings
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from . import _unclosed

if TYPE_CHECKING:
    from .connector_base import BaseConnector
    from .protocol import ResponseHandler

__all__ = ("Connection",)


class Connection:
    """A connection borrowed from a connector; release or close it when done."""

    _source_traceback: traceback.StackSummary | None = None

    def __init__(
        self,
        connector: BaseConnector,
        key: Hashable,
        protocol: ResponseHandler,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._key = key
        self._connector = connector
        self._loop = loop
        self._protocol: ResponseHandler | None = protocol
        self._callbacks: list[Callable[[], None]] = []
        if loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))

    def __repr__(self) -> str:
        return f"Connection<{self._key}>"

    def __del__(self, _warnings: Any = warnings, _unclosed: Any = _unclosed) -> None:
        protocol = getattr(self, "_protocol", None)
        if protocol is None:
            return
        _warnings.warn(f"Unclosed connection {self!r}", ResourceWarning, source=self)
        if _unclosed.listeners:
            _unclosed.report_unclosed("client_connection", self)
        if self._loop.is_closed():
            return
        self._connector._release(self._key, protocol, should_close=True)
        context: dict[str, Any] = {"client_connection": self, "message": "Unclosed connection"}
        if self._source_traceback is not None:
            context["source_traceback"] = self._source_traceback
        self._loop.call_exception_handler(context)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The connection's event loop (deprecated)."""
        warnings.warn("connector.loop property is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop

    @property
    def key(self) -> Hashable:
        """The pool key the connection belongs to."""
        return self._key

    @property
    def transport(self) -> asyncio.Transport | None:
        """The transport carrying the bytes, or None once released/closed."""
        if self._protocol is None:
            return None
        return self._protocol.transport

    @property
    def protocol(self) -> ResponseHandler | None:
        """The connection's protocol, or None once released/closed."""
        return self._protocol

    @property
    def closed(self) -> bool:
        """True once released, closed or detached, or when the peer went away."""
        return self._protocol is None or not self._protocol.is_connected()

    def add_callback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the connection is released, closed or detached."""
        self._callbacks.append(callback)

    def _notify_release(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception as exc:
                self._loop.call_exception_handler(
                    {"message": "error in a connection release callback", "exception": exc}
                )

    def close(self) -> None:
        """Close the underlying socket and give the pool slot back."""
        self._notify_release()
        if self._protocol is not None:
            self._connector._release(self._key, self._protocol, should_close=True)
            self._protocol = None

    def release(self) -> None:
        """Give the connection back to the pool (it is closed if it cannot be reused)."""
        if self._callbacks:
            self._notify_release()
        if self._protocol is not None:
            protocol, self._protocol = self._protocol, None
            self._connector._release(self._key, protocol)  # checks protocol.should_close

    def detach(self) -> None:
        """Take the socket out of the pool's hands (e.g. for a WebSocket)."""
        self._notify_release()
        if self._protocol is not None:
            self._connector._release_acquired(self._key, self._protocol)
            self._protocol = None
