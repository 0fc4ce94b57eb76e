"""``make run`` (examples/fetch.py) and ``make bench`` (bench/client.py) work.

The benchmark's server is checked on its own; the end-to-end runs that need
``toolkit.ClientSession`` skip until the client exports it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import toolkit

ROOT = Path(__file__).resolve().parent.parent
needs_client = pytest.mark.skipif(
    not hasattr(toolkit, "ClientSession"), reason="toolkit.ClientSession is not exported yet"
)


def run_script(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def bench_module() -> ModuleType:
    """``bench/client.py`` imported by path (``bench/`` is not a package)."""
    spec = importlib.util.spec_from_file_location("_bench_client", ROOT / "bench" / "client.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing
    spec.loader.exec_module(module)
    return module


@needs_client
def test_fetch_example_exits_zero() -> None:
    res = run_script("-W", "error", "examples/fetch.py", timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "-> 200 OK" in res.stdout
    assert "hello from a local server" in res.stdout
    assert "server saw 14 bytes" in res.stdout  # len(json.dumps({"answer": 42}))
    assert "content-type" in res.stdout.lower()
    assert "Traceback" not in res.stderr and "Error" not in res.stderr, res.stderr


async def test_bench_server_answers_pipelined_and_split_requests(bench_module: ModuleType) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(bench_module.FixedResponseProtocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        writer.write(request * 2 + request[:10])  # two whole requests and a partial one
        await writer.drain()
        expected = bench_module.RESPONSE
        assert await reader.readexactly(2 * len(expected)) == 2 * expected
        writer.write(request[10:])  # completes the third
        await writer.drain()
        assert await reader.readexactly(len(expected)) == expected
    finally:
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()


def test_bench_response_is_well_formed(bench_module: ModuleType) -> None:
    head, _, body = bench_module.RESPONSE.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert body == bench_module.BODY


@needs_client
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_bench_runs(loop: str) -> None:
    """A tiny ``make bench``: both clients (aiohttp when installed) against one server."""
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    with_peer = importlib.util.find_spec("aiohttp") is not None
    res = run_script(
        "bench/client.py",
        *(["--uvloop"] if loop == "uvloop" else []),
        *("--client", "both" if with_peer else "toolkit"),
        *("--requests", "60", "--repeats", "1", "--concurrency", "5"),
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    for client in ("toolkit", "aiohttp") if with_peer else ("toolkit",):
        for scenario in ("sequential", "concurrent"):
            assert re.search(rf"{client}\s+{scenario}\s+runs: \d", res.stdout), res.stdout
    assert "ratio" in res.stdout


def test_fixture_bench_runs_every_suite() -> None:
    """``bench/fixtures.py`` generates, runs and compares its suites (a tiny run)."""
    res = run_script("bench/fixtures.py", "--tests", "3", "--repeats", "1", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "whole run" in res.stdout and "tests only" in res.stdout
    for suite in ("toolkit-tcp", "toolkit-memory", "pytest-aiohttp", "pytest-floor"):
        rows = [line for line in res.stdout.splitlines() if line.strip().startswith(suite)]
        assert len(rows) == 2, (suite, res.stdout)  # one row per table
    speedups = re.findall(r"(\d+\.\d+)x /", res.stdout)
    assert len(speedups) == 6 and all(float(x) > 0 for x in speedups), res.stdout
    # The targets are for the tests; the whole run shows pytest's own share next to it.
    figure = r"{} \d+\.\d+x \(rounds \d+\.\d+-\d+\.\d+x, best \d+\.\d+x, {}\)"
    tests_only = "; ".join(
        (
            figure.format("toolkit-tcp", r"target 1\.5x"),
            figure.format("toolkit-memory", r"target 3\.0x"),
        )
    )
    whole = "; ".join(
        figure.format(suite, "no target") for suite in ("toolkit-tcp", "toolkit-memory")
    )
    assert re.search(rf"tests only:\s+{tests_only}", res.stdout), res.stdout
    assert re.search(rf"whole run:\s+{whole}", res.stdout), res.stdout
    assert re.search(r"pytest's own start-up and collection, .*: \d+\.\d+ s", res.stdout), (
        res.stdout
    )
