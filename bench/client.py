"""Client throughput, aiotoolkit next to aiohttp, against one fast local server.

Scenarios, each run with both clients on the same loop implementation:

- ``sequential``: one keep-alive connection, one request after another;
- ``concurrent``: ``--concurrency`` tasks (100 by default) sharing one session and its
  pool, all requests keep-alive.

The server runs in a separate process pinned to another core than the client (when
there are two), and is a raw asyncio protocol answering every request with the same
small response, so the clients, not the server, are what is measured. Each client is
measured over ``--requests`` requests, ``--repeats`` times; the best run counts.

    python bench/client.py [--requests 5000] [--repeats 3] [--concurrency 100] [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

BODY = b"Hello, World!"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"\r\n" + BODY
)


# --------------------------------------------------------------------------- server


class FixedResponseProtocol(asyncio.Protocol):
    """Answer every request head (bodiless GETs) with :data:`RESPONSE`; keep the connection."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.pending = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.pending + data
        count = buf.count(b"\r\n\r\n")
        if count:
            self.pending = buf[buf.rfind(b"\r\n\r\n") + 4 :]
            assert self.transport is not None
            self.transport.write(RESPONSE * count)
        else:
            self.pending = buf


async def serve(use_uvloop: bool) -> None:
    """Listen on a free port of 127.0.0.1, print it, serve until stdin closes."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FixedResponseProtocol, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    # The parent closes our stdin to stop us.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def pin_to_cpu(index: int) -> int | None:
    """Pin this process to the ``index``-th CPU it may use; return the CPU or None."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    cpu = cpus[index % len(cpus)]
    os.sched_setaffinity(0, {cpu})
    return cpu


@contextlib.contextmanager
def server_process(use_uvloop: bool) -> Iterator[str]:
    """Start the server in a child process on the second CPU; yield its URL."""
    cmd = [sys.executable, os.path.abspath(__file__), "--serve"]
    if use_uvloop:
        cmd.append("--uvloop")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"benchmark server did not report its port (got {line!r})")
        yield f"http://127.0.0.1:{int(line)}/"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


# --------------------------------------------------------------------------- clients


@dataclass
class Result:
    client: str
    scenario: str
    requests: int
    best_rps: float
    runs: list[float]


async def fetch(session: Any, url: str) -> None:
    async with session.get(url) as resp:
        body = await resp.read()
        if resp.status != 200 or body != BODY:
            raise RuntimeError(f"unexpected response: {resp.status} {body[:40]!r}")


async def sequential(session: Any, url: str, n: int) -> None:
    for _ in range(n):
        await fetch(session, url)


async def concurrent(session: Any, url: str, n: int, concurrency: int) -> None:
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await fetch(session, url)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(
    lib: Any, url: str, scenario: str, n: int, repeats: int, concurrency: int
) -> list[float]:
    """Run ``scenario`` ``repeats`` times with one session of ``lib``; return req/s per run."""
    connector = lib.TCPConnector(limit=concurrency)
    runs: list[float] = []
    async with lib.ClientSession(connector=connector) as session:
        job: Callable[[int], Awaitable[None]]
        if scenario == "sequential":
            job = lambda count: sequential(session, url, count)  # noqa: E731
        else:
            job = lambda count: concurrent(session, url, count, concurrency)  # noqa: E731
        await job(min(n, 200))  # warm up: open the pool's connections
        for _ in range(repeats):
            start = time.perf_counter()
            await job(n)
            runs.append(n / (time.perf_counter() - start))
    return runs


def load_client(name: str) -> Any | None:
    """Import ``name`` and check it has a usable ``ClientSession``; None if not."""
    try:
        lib = importlib.import_module(name)
    except ImportError as exc:
        print(f"  {name}: cannot import ({exc})", file=sys.stderr)
        return None
    if not hasattr(lib, "ClientSession") or not hasattr(lib, "TCPConnector"):
        print(f"  {name}: no ClientSession/TCPConnector yet", file=sys.stderr)
        return None
    return lib


def run_one(lib_name: str, url: str, scenario: str, args: argparse.Namespace) -> Result | None:
    lib = load_client(lib_name)
    if lib is None:
        return None
    new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if args.uvloop:
        import uvloop

        new_loop = uvloop.new_event_loop
    loop = new_loop()
    try:
        runs = loop.run_until_complete(
            measure(lib, url, scenario, args.requests, args.repeats, args.concurrency)
        )
    except Exception as exc:  # report and carry on with the other client
        print(f"  {lib_name} {scenario}: failed: {exc!r}", file=sys.stderr)
        return None
    finally:
        loop.close()
    return Result(lib_name, scenario, args.requests, max(runs), runs)


# --------------------------------------------------------------------------- report


def report(results: dict[tuple[str, str], Result | None], scenarios: list[str]) -> None:
    print()
    print(f"{'scenario':<12} {'toolkit req/s':>14} {'aiohttp req/s':>14} {'ratio':>7}")
    for scenario in scenarios:
        mine = results.get(("toolkit", scenario))
        peer = results.get(("aiohttp", scenario))
        a = f"{mine.best_rps:14.0f}" if mine else f"{'n/a':>14}"
        b = f"{peer.best_rps:14.0f}" if peer else f"{'n/a':>14}"
        ratio = f"{mine.best_rps / peer.best_rps:7.2f}" if mine and peer else f"{'n/a':>7}"
        print(f"{scenario:<12} {a} {b} {ratio}")
    print("\nratio = toolkit / aiohttp (higher is better for toolkit); best of the repeats")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="requests per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per client and scenario")
    parser.add_argument("--concurrency", type=int, default=100, help="tasks in 'concurrent'")
    parser.add_argument(
        "--scenario",
        choices=["sequential", "concurrent", "all"],
        default="all",
        help="which scenario to run",
    )
    parser.add_argument(
        "--client", choices=["toolkit", "aiohttp", "both"], default="both", help="which client"
    )
    parser.add_argument("--uvloop", action="store_true", help="use uvloop on both sides")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        pin_to_cpu(1)
        if args.uvloop:
            import uvloop

            uvloop.run(serve(True))
        else:
            asyncio.run(serve(False))
        return 0

    cpu = pin_to_cpu(0)
    scenarios = ["sequential", "concurrent"] if args.scenario == "all" else [args.scenario]
    clients = ["toolkit", "aiohttp"] if args.client == "both" else [args.client]
    loop_name = "uvloop" if args.uvloop else "asyncio"
    print(
        f"python {sys.version.split()[0]}, {loop_name} loop, client on CPU {cpu}, "
        f"{args.requests} requests x {args.repeats} runs, concurrency {args.concurrency}"
    )
    results: dict[tuple[str, str], Result | None] = {}
    with server_process(args.uvloop) as url:
        for scenario in scenarios:
            for client in clients:
                result = run_one(client, url, scenario, args)
                results[client, scenario] = result
                if result is not None:
                    runs = ", ".join(f"{r:.0f}" for r in result.runs)
                    print(f"  {client:<8} {scenario:<11} runs: {runs} req/s")
    report(results, scenarios)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
