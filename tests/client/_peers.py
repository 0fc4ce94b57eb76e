"""Scripted local TCP peers for the client tests, built on ``asyncio.start_server``.

``Peer`` parses requests with h11 (an independent, strict HTTP/1.1 implementation, so
our client's bytes are checked by somebody else's parser) and answers with whatever the
test's handler returns: ``(status, headers, body)`` or raw bytes to write as they are.
``RawPeer`` hands the test the stream pair of each connection, for anything malformed or
below HTTP (TLS, proxies, WebSocket handshakes); the ``start_peer`` fixture of
``conftest.py`` starts one and closes it after the test.

Both are async context managers (or ``await peer.start()`` / ``await peer.close()``).
Closing closes every connection the peer accepted, also one whose handler never got to
run, and waits until the sockets are really closed (a TLS goodbye needs the client's
answer): nothing is left for the garbage collector to warn about in a later test.

Test modules ``import _peers`` (registered by ``conftest.py``: tests run with
``--import-mode=importlib``, so sibling modules are not importable by name).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http
import inspect
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import h11
from hypothesis import strategies as st
from yarl import URL

_KNOWN = {int(s) for s in http.HTTPStatus}

#: How long closing waits for connections to finish closing before it drops them.
CLOSE_TIMEOUT = 2.0

Reply = tuple[int, list[tuple[str, str]], bytes] | bytes
Handler = Callable[["Received"], Reply | Awaitable[Reply]]
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


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
    """Accepts connections on 127.0.0.1 and runs ``_serve`` for each one."""

    host = "127.0.0.1"

    def __init__(self, *, ssl: ssl.SSLContext | None = None) -> None:
        self.ssl = ssl
        self.server: asyncio.Server | None = None
        self.port = 0
        self.accepted = 0
        """Connections accepted so far."""
        self.writers: list[asyncio.StreamWriter] = []
        """The server side of every accepted connection, in order."""
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self, path: str = "/", scheme: str = "http") -> URL:
        """The URL of ``path`` (no query) on this peer, with any ``scheme``."""
        return URL.build(scheme=scheme, host=self.host, port=self.port, path=path)

    def url_for(self, path: str) -> URL:
        """``http://127.0.0.1:<port><path>``, where ``path`` may carry a query."""
        return URL(f"http://{self.host}:{self.port}{path}")

    async def count(self, expected: int) -> int:
        """The number of accepted connections, once it reaches ``expected`` (or 5 s passed)."""
        for _ in range(500):
            if self.accepted >= expected:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)  # one more turn: a connection beyond ``expected`` shows up
        return self.accepted

    async def start(self) -> None:
        """Listen on a free port."""
        self.server = await asyncio.start_server(self._accept, self.host, 0, ssl=self.ssl)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, stop the handlers and close every connection."""
        if self.server is None:
            return
        self.server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        # A handler cancelled before it started never ran its ``finally``: close here.
        for writer in self.writers:
            writer.close()
        closing = [asyncio.ensure_future(_closed(writer)) for writer in self.writers]
        if closing:
            _, pending = await asyncio.wait(closing, timeout=CLOSE_TIMEOUT)
            if pending:  # a TLS client that never answers the goodbye
                for writer in self.writers:
                    writer.transport.abort()
                await asyncio.wait(pending, timeout=CLOSE_TIMEOUT)
        await self.server.wait_closed()

    async def __aenter__(self) -> Any:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback and a task of our own (not asyncio's callback task): the writer
        # is known at once, and teardown may cancel the task.
        self.accepted += 1
        self.writers.append(writer)
        task = asyncio.get_running_loop().create_task(self._run(reader, writer, self.accepted))
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


async def _closed(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        await writer.wait_closed()


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


class RawPeer(_BasePeer):
    """A TCP (or TLS) server that runs ``handler(reader, writer)`` for each connection."""

    def __init__(self, handler: RawHandler, *, ssl: ssl.SSLContext | None = None) -> None:
        super().__init__(ssl=ssl)
        self.handler = handler

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int
    ) -> None:
        await self.handler(reader, writer)


async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A raw handler that keeps the connection open until the client closes it."""
    await reader.read()


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """Read one request head (through the blank line)."""
    return await reader.readuntil(b"\r\n\r\n")


def ok(body: bytes = b"ok", content_type: str = "text/plain") -> Reply:
    """A 200 reply."""
    return (200, [("Content-Type", content_type)], body)


# Header field values as the client's parser hands them over: latin-1 text, any bytes
# decoded as UTF-8 with surrogateescape, and pieces that header parsers trip over.
_FIELD_PIECES = st.sampled_from(
    [
        *('"', "'", ",", ";", "=", " ", "\t", "<", ">", "*", "%", "\\", ":", "//", "[", "]"),
        *("http://", "https:", "ftp:", "[::1]", ":99999", "charset=", "charset*=utf-8''"),
        *("permessage-deflate", "client_max_window_bits", "websocket", "upgrade", "0", "15"),
        *("Max-Age=", "Expires=", "Domain=", "Path=", "\u00b2", "9" * 19, "1" * 4400),
    ]
)
header_values = st.lists(
    _FIELD_PIECES
    | st.text(st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=20)
    | st.binary(max_size=20).map(
        lambda b: b.translate(None, b"\r\n\x00").decode("utf-8", "surrogateescape")
    ),
    max_size=6,
).map("".join)
