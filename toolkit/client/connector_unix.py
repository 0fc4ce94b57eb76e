"""``UnixConnector``: HTTP over a Unix domain socket (handy for tests and local daemons)."""

from __future__ import annotations

import os
from typing import Any

from .connector_base import BaseConnector
from .exceptions import ConnectionTimeoutError, UnixClientConnectorError
from .protocol import ResponseHandler
from .timeouts import ClientTimeout, ceil_timeout

__all__ = ("UnixConnector",)


class UnixConnector(BaseConnector):
    """Sends every request to the Unix socket at ``path``, whatever the URL's host."""

    allowed_protocol_schema_set = frozenset({"", "http", "https", "ws", "wss", "unix"})

    def __init__(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._path = os.fspath(path)

    @property
    def path(self) -> str:
        """The path of the Unix socket."""
        return self._path

    async def _create_connection(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        loop = self._get_loop()
        key = req.connection_key

        def error() -> BaseException:
            return ConnectionTimeoutError(
                f"Connection timeout to unix socket {self._path} "
                f"(sock_connect={timeout.sock_connect})"
            )

        async with ceil_timeout(timeout.sock_connect, timeout.ceil_threshold, error=error):
            try:
                _, protocol = await loop.create_unix_connection(
                    lambda: ResponseHandler(loop), self._path
                )
            except OSError as exc:
                if exc.errno is None and isinstance(exc, TimeoutError):
                    raise
                raise UnixClientConnectorError(self._path, key, exc) from exc
        return protocol
