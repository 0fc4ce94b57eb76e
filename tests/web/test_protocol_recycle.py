"""A connection that ends cleanly between two messages hands its request parser on to
the next connection; any other parser is released."""

from __future__ import annotations

import asyncio

import pytest

from tests.web.test_protocol import connect, get, read_response, serve
from toolkit.web.request import BaseRequest
from toolkit.web.response import Response, StreamResponse


async def ok(request: BaseRequest) -> StreamResponse:
    return Response(text="ok")


async def test_a_closed_connection_hands_its_clean_parser_on() -> None:
    pytest.importorskip("httptools")
    from toolkit.http import _httptools

    spares = _httptools._REQUEST_SPARES
    spares.clear()
    async with serve(ok) as (server, port):
        async with connect(port) as (reader, writer):
            writer.write(get())
            await read_response(reader)
            (first,) = server.connections
            parser = first._parser
        await asyncio.sleep(0.05)
        assert server.connections == []
        with pytest.raises(RuntimeError, match="used after release"):
            first._parser.feed_data(get())
        async with connect(port) as (reader, writer):
            await asyncio.sleep(0.05)
            (second,) = server.connections
            assert second._parser is parser
            writer.write(get("/x", "Connection: close\r\n"))
            assert (await read_response(reader))[0] == 200
            assert await reader.read() == b""
        await asyncio.sleep(0.05)
        assert parser not in spares  # (its last request closed)
