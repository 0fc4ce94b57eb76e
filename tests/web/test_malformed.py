"""Malformed requests through the real server: 4xx, a clean close, and service goes on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from toolkit.http import PyRequestParser, RequestParser, errors
from toolkit.web import protocol as protocol_module
from toolkit.web.request import BaseRequest
from toolkit.web.response import Response, StreamResponse
from toolkit.web.runner import ServerRunner, TCPSite
from toolkit.web.server import Server

CORPUS = Path(__file__).parents[2] / "fixtures" / "http"

handled: list[str] = []


async def recording_handler(request: BaseRequest) -> StreamResponse:
    handled.append(request.path)
    return Response(text="ok")


@contextlib.asynccontextmanager
async def serve(**kwargs: Any) -> AsyncIterator[int]:
    runner = ServerRunner(Server(recording_handler, **kwargs), shutdown_timeout=2)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def send_raw(port: int, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def assert_still_serving(port: int) -> None:
    data = await send_raw(port, b"GET /good HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data[:200]
    assert data.endswith(b"ok")


def status_of(data: bytes) -> int:
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data[9:12])


BAD_REQUESTS: dict[str, tuple[bytes, int | tuple[int, ...]]] = {
    "garbage": (b"\x00\x01\x02 nonsense\r\n\r\n", 400),
    "tls_client_hello": (bytes.fromhex("16030100a5010000a10303") + b"\x00" * 64, 400),
    "no_version": (b"GET /\r\n\r\n", (400, 505)),  # HTTP/0.9: 505 or 400
    "bad_method": (b"G@T / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "space_in_header_name": (b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
    "bad_content_length": (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400),
    "double_content_length": (
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400,
    ),
    "cl_and_te": (
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    "long_request_line": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "long_header_field": (b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    "too_many_headers": (
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(200)) + b"\r\n",
        431,
    ),
    "header_obs_fold": (b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n  folded\r\n\r\n", 400),
}


@pytest.mark.parametrize("name", sorted(BAD_REQUESTS))
async def test_bad_request_gets_4xx_and_close(name: str, caplog: pytest.LogCaptureFixture) -> None:
    data, expected = BAD_REQUESTS[name]
    handled.clear()
    with caplog.at_level(logging.ERROR):
        async with serve() as port:
            reply = await send_raw(port, data)
            assert status_of(reply) in (expected if isinstance(expected, tuple) else (expected,))
            assert b"\r\nConnection: close\r\n" in reply.split(b"\r\n\r\n")[0] + b"\r\n"
            assert handled == []
            await assert_still_serving(port)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "parser",
    [
        pytest.param(PyRequestParser, id="py"),
        pytest.param(RequestParser, id="default"),
    ],
)
async def test_good_requests_before_a_bad_one_are_answered_first(
    parser: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol_module, "RequestParser", parser)
    handled.clear()
    async with serve() as port:
        reply = await send_raw(
            port, b"GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\nHost: t\r\n\r\nBAD\r\n\r\n"
        )
        assert reply.count(b"HTTP/1.1 200 OK") == 2
        assert reply.rfind(b"HTTP/1.1 400 ") > reply.rfind(b"HTTP/1.1 200 OK")
        assert handled == ["/1", "/2"]


async def test_configured_limits() -> None:
    async with serve(max_field_size=100, max_headers=4) as port:
        reply = await send_raw(port, b"GET / HTTP/1.1\r\nX: " + b"v" * 200 + b"\r\n\r\n")
        assert status_of(reply) == 431
        many = b"".join(b"X-%d: v\r\n" % i for i in range(6))
        reply = await send_raw(port, b"GET / HTTP/1.1\r\n" + many + b"\r\n")
        assert status_of(reply) == 431
        await assert_still_serving(port)


async def test_broken_chunked_body_closes_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.CRITICAL):
        async with serve() as port:
            reply = await send_raw(
                port,
                b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            )
            # The request was dispatched before its body failed: any answer, then a close.
            assert reply == b"" or reply.startswith(b"HTTP/1.1 ")
            await assert_still_serving(port)


def expected_status(raw: bytes) -> int:
    """The status the parser's own error asks for."""
    try:
        RequestParser().feed_data(raw)
    except errors.HttpProcessingError as exc:
        return exc.code
    raise AssertionError(f"the parser accepts corpus case {raw!r}")


def load_corpus() -> list[Any]:
    """The malformed-request corpus of the http core (see ``fixtures/http/README.md``)."""
    path = CORPUS / "malformed_requests.json"
    if not path.is_file():
        return []
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case["raw"].encode("latin-1"), id=case["name"]) for case in cases]


CORPUS_CASES = load_corpus()


@pytest.mark.skipif(not CORPUS_CASES, reason="no malformed-request corpus in fixtures/http/")
@pytest.mark.parametrize("raw", CORPUS_CASES)
async def test_corpus(raw: bytes, caplog: pytest.LogCaptureFixture) -> None:
    status = expected_status(raw)
    assert 400 <= status < 600
    handled.clear()
    with caplog.at_level(logging.ERROR):
        async with serve() as port:
            reply = await send_raw(port, raw)
            assert status_of(reply) == status
            assert b"\r\nConnection: close\r\n" in reply
            assert handled == []
            await assert_still_serving(port)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    junk=st.one_of(
        st.binary(min_size=1, max_size=300),
        st.builds(
            lambda line, rest: line + b"\r\n" + rest + b"\r\n\r\n",
            st.sampled_from([b"GET / HTTP/1.1", b"POST /x HTTP/1.1", b"GET / HTTP/1.0"]),
            st.binary(max_size=200),
        ),
    )
)
def test_any_bytes_get_an_answer_or_a_close_and_the_server_survives(junk: bytes) -> None:
    """Invariant: whatever a client sends, the server replies or closes, and keeps serving."""

    async def run() -> None:
        async with serve(read_headers_timeout=0.5, keepalive_timeout=0.3) as port:
            reply = await send_raw(port, junk)
            assert reply == b"" or reply.startswith(b"HTTP/1.")
            await assert_still_serving(port)

    asyncio.run(run())


async def test_the_400_survives_a_client_still_sending() -> None:
    """Lingering close: unread input must not turn the close into a reset."""
    async with serve() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\nContent-Length: 2000000\r\n\r\n"
        )
        for _ in range(20):
            writer.write(b"b" * 100_000)
            await asyncio.sleep(0)
        reply = await asyncio.wait_for(reader.read(), 10)
        assert status_of(reply) == 400
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
