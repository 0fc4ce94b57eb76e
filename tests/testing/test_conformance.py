"""check_connector: the built-in connectors pass; a broken one is caught and named."""

from __future__ import annotations

from typing import Any

import pytest

from toolkit import TCPConnector
from toolkit.client.protocol import ResponseHandler
from toolkit.client.timeouts import ClientTimeout
from toolkit.testing import ConnectorConformanceError, MemoryConnector, check_connector


async def test_tcp_connector_conforms() -> None:
    await check_connector(lambda server: TCPConnector())


async def test_memory_connector_conforms() -> None:
    await check_connector(MemoryConnector, transport="memory")


async def test_force_close_needs_expect_reuse_false() -> None:
    await check_connector(lambda server: TCPConnector(force_close=True), expect_reuse=False)
    with pytest.raises(ConnectorConformanceError, match="'keep-alive' check"):
        await check_connector(lambda server: TCPConnector(force_close=True))


class CorruptingConnector(MemoryConnector):
    """Flips one byte of what the client sends, 100 000 bytes into a connection."""

    async def _create_connection(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        protocol = await super()._create_connection(req, traces, timeout)
        transport = protocol.transport
        assert transport is not None
        original = transport.write
        sent = 0

        def write(data: Any) -> None:
            nonlocal sent
            chunk = bytearray(data)
            at = 100_000 - sent
            if 0 <= at < len(chunk):
                chunk[at] ^= 0xFF
            sent += len(chunk)
            original(bytes(chunk))

        transport.write = write  # type: ignore[method-assign]
        return protocol


async def test_a_broken_connector_is_caught() -> None:
    with pytest.raises(ConnectorConformanceError, match="CorruptingConnector failed the 'large"):
        await check_connector(CorruptingConnector, transport="memory")
