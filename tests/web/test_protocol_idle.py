"""RequestHandler's task runs only while there are requests to answer: an idle
keep-alive connection has none, and anything that needs it (a request, an error,
close) starts a new one."""

from __future__ import annotations

import asyncio

import pytest

from tests.web.test_protocol import connect, get, read_response, serve
from toolkit.web.request import BaseRequest
from toolkit.web.response import Response, StreamResponse


async def task_name(request: BaseRequest) -> StreamResponse:
    return Response(text=str(id(request.task)))


async def test_an_idle_connection_has_no_running_task_and_wakes_for_the_next_request() -> None:
    async with serve(task_name) as (server, port), connect(port) as (reader, writer):
        writer.write(get())
        first = (await read_response(reader))[2]
        await asyncio.sleep(0.01)
        (conn,) = server.connections
        assert conn._task is not None and conn._task.done()
        assert conn._timer is not None  # the keep-alive timer is armed
        writer.write(get() + b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n")
        second = (await read_response(reader))[2]
        assert second != first  # answered by a new task
        status, headers, _ = await read_response(reader)
        assert (status, headers["connection"]) == (400, "close")
        assert await reader.read() == b""


async def test_close_and_force_close_end_an_idle_connection() -> None:
    for method in ("close", "force_close"):
        async with serve(task_name) as (server, port), connect(port) as (reader, writer):
            writer.write(get())
            await read_response(reader)
            await asyncio.sleep(0.01)
            (conn,) = server.connections
            getattr(conn, method)()
            assert await asyncio.wait_for(reader.read(), 5) == b""
            await asyncio.sleep(0.01)
            assert server.connections == []


async def test_a_silent_connection_gets_its_head_timer_from_its_task() -> None:
    timeout = {"read_headers_timeout": 0.2}
    async with serve(task_name, **timeout) as (server, port), connect(port) as (reader, _):
        await asyncio.sleep(0.05)
        (conn,) = server.connections
        assert conn._task is not None and conn._task.done()
        assert conn._timer is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await asyncio.wait_for(reader.read(), 5) == b""
        assert loop.time() - started < 1


async def test_a_closed_connection_hands_its_clean_parser_on() -> None:
    pytest.importorskip("httptools")
    from toolkit.http import _httptools

    spares = _httptools.SPARES[_httptools.HttptoolsRequestParser]
    spares.clear()
    async with serve(task_name) as (server, port):
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
