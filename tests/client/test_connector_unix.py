"""UnixConnector: connections to a Unix socket, and its connect error."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from toolkit.client.connector import UnixConnector
from toolkit.client.exceptions import ClientConnectorError, UnixClientConnectorError
from toolkit.client.timeouts import ClientTimeout

MakeRequest = Callable[..., Any]


@pytest.fixture
async def unix_server() -> AsyncIterator[tuple[str, list[int]]]:
    accepted: list[int] = []
    writers: list[asyncio.StreamWriter] = []
    tasks: list[asyncio.Future[Any]] = []

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writers.append(writer)
        await reader.read()
        writer.close()

    def track(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Any:
        task = asyncio.ensure_future(on_client(reader, writer))
        tasks.append(task)
        return task

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "s.sock")
        server = await asyncio.start_unix_server(track, path)
        yield path, accepted
        server.close()
        for writer in writers:
            writer.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def test_unix_connect_and_reuse(
    make_request: MakeRequest, unix_server: tuple[str, list[int]]
) -> None:
    path, accepted = unix_server
    async with UnixConnector(path=path) as connector:
        assert connector.path == path
        req = make_request("http://any-host/")
        conn = await connector.connect(req, [], ClientTimeout())
        assert conn.transport is not None
        assert conn.transport.get_extra_info("peername") == path
        conn.release()
        (await connector.connect(req, [], ClientTimeout())).release()
        await asyncio.sleep(0.01)  # let the server's handler start
    assert accepted == [1]


async def test_unix_missing_socket(make_request: MakeRequest, tmp_path: Path) -> None:
    path = str(tmp_path / "missing.sock")
    async with UnixConnector(path) as connector:
        with pytest.raises(UnixClientConnectorError) as info:
            await connector.connect(make_request("http://h/"), [], ClientTimeout())
    err = info.value
    assert isinstance(err, ClientConnectorError)
    assert err.path == path and isinstance(err.os_error, FileNotFoundError)
    assert str(err).startswith(f"Cannot connect to unix socket {path}")
