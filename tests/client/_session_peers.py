"""Local HTTP peers for the session tests, built on ``asyncio.start_server``.

``Peer`` parses requests with h11 (an independent, strict HTTP/1.1 implementation, so
our client's bytes are checked by somebody else's parser) and answers with whatever the
test's handler returns: ``(status, headers, body)`` or raw bytes to write as they are.
``RawPeer`` hands the test the stream pair for anything malformed.

Test modules load it by path (tests run with ``--import-mode=importlib``, so sibling
modules are not importable by name).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import h11
from yarl import URL

_KNOWN = {int(s) for s in http.HTTPStatus}

Reply = tuple[int, list[tuple[str, str]], bytes] | bytes
Handler = Callable[["Received"], Reply | Awaitable[Reply]]


@dataclasses.dataclass
class Received:
    """One request as the peer parsed it."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    http_version: str
    connection_id: int

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_names(self) -> list[str]:
        """Header names in the order they were sent, lowercased."""
        return [key.lower() for key, _ in self.headers]


class _BasePeer:
    def __init__(self) -> None:
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0
        self.port = 0

    @property
    def url(self) -> URL:
        return URL.build(scheme="http", host="127.0.0.1", port=self.port)

    def url_for(self, path: str) -> URL:
        return URL(f"http://127.0.0.1:{self.port}{path}")

    async def __aenter__(self) -> Any:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        await self._server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A task of our own (not asyncio's callback task), so that teardown may cancel it.
        self.connections += 1
        task = asyncio.get_running_loop().create_task(self._run(reader, writer, self.connections))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int
    ) -> None:
        try:
            await self._serve(reader, writer, conn_id)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int
    ) -> None:
        raise NotImplementedError


class Peer(_BasePeer):
    """An HTTP/1.1 server whose answers come from ``handler``."""

    def __init__(self, handler: Handler, *, send_continue: bool = True) -> None:
        super().__init__()
        self.handler = handler
        self.send_continue = send_continue
        self.requests: list[Received] = []

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int
    ) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            request: h11.Request | None = None
            body = bytearray()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    if (
                        request is not None
                        and self.send_continue
                        and conn.they_are_waiting_for_100_continue
                    ):
                        writer.write(
                            conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                        )
                    data = await reader.read(65536)
                    if not data and conn.their_state is h11.IDLE:
                        return
                    conn.receive_data(data)
                    continue
                if isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    return
            assert request is not None
            received = Received(
                method=request.method.decode(),
                target=request.target.decode(),
                headers=[(k.decode(), v.decode()) for k, v in request.headers.raw_items()],
                body=bytes(body),
                http_version=request.http_version.decode(),
                connection_id=conn_id,
            )
            self.requests.append(received)
            reply = self.handler(received)
            if inspect.isawaitable(reply):
                reply = await reply
            if isinstance(reply, bytes):
                writer.write(reply)
                await writer.drain()
                return
            status, headers, payload = reply
            if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
                headers = [*headers, ("Content-Length", str(len(payload)))]
            reason = http.HTTPStatus(status).phrase.encode() if status in _KNOWN else b""
            response = h11.Response(status_code=status, headers=headers, reason=reason)
            writer.write(conn.send(response) or b"")
            if payload and request.method != b"HEAD":
                writer.write(conn.send(h11.Data(data=payload)) or b"")
            writer.write(conn.send(h11.EndOfMessage()) or b"")
            await writer.drain()
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawPeer(_BasePeer):
    """A TCP server that runs ``handler(reader, writer)`` for each connection."""

    def __init__(self, handler: RawHandler) -> None:
        super().__init__()
        self.handler = handler

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int
    ) -> None:
        await self.handler(reader, writer)


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """Read one request head (through the blank line)."""
    return await reader.readuntil(b"\r\n\r\n")


def ok(body: bytes = b"ok", content_type: str = "text/plain") -> Reply:
    """A 200 reply."""
    return (200, [("Content-Type", content_type)], body)
