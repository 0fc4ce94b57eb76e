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
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

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
        # uvloop's transports do not subclass asyncio.Transport, so no isinstance check.
        self.transport = cast(asyncio.Transport, transport)

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
    runs: list[float]

    @property
    def best_rps(self) -> float:
        return max(self.runs)

    @property
    def median_rps(self) -> float:
        return statistics.median(self.runs)


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


async def measure(
    libs: dict[str, Any], url: str, scenario: str, args: argparse.Namespace
) -> dict[str, Result]:
    """Time ``scenario`` with one session per client, interleaving the clients' runs.

    Runs alternate between the clients (A B, B A, A B...) so that a burst of load from
    elsewhere on the machine does not land on one client only.
    """
    n, concurrency = args.requests, args.concurrency

    def job(session: Any, count: int) -> Awaitable[None]:
        if scenario == "sequential":
            return sequential(session, url, count)
        return concurrent(session, url, count, concurrency)

    results: dict[str, Result] = {}
    async with contextlib.AsyncExitStack() as stack:
        sessions: dict[str, Any] = {}
        for name, lib in libs.items():
            connector = lib.TCPConnector(limit=concurrency)
            session = lib.ClientSession(connector=connector)
            sessions[name] = await stack.enter_async_context(session)
            await job(sessions[name], min(n, 200))  # warm up: open the pool's connections
            results[name] = Result(name, scenario, n, [])
        order = list(sessions)
        for repeat in range(args.repeats):
            for name in order if repeat % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                await job(sessions[name], n)
                results[name].runs.append(n / (time.perf_counter() - start))
    return results


def run_scenario(
    libs: dict[str, Any], url: str, scenario: str, args: argparse.Namespace
) -> dict[str, Result]:
    new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if args.uvloop:
        import uvloop

        new_loop = uvloop.new_event_loop
    loop = new_loop()
    try:
        return loop.run_until_complete(measure(libs, url, scenario, args))
    finally:
        loop.close()


# --------------------------------------------------------------------------- report


def report(results: dict[tuple[str, str], Result | None], scenarios: list[str]) -> None:
    """Print best and median req/s of each client and the ratio toolkit / aiohttp."""

    def cell(result: Result | None, attr: str) -> str:
        return f"{getattr(result, attr):>9.0f}" if result else f"{'n/a':>9}"

    def ratio(mine: Result | None, peer: Result | None, attr: str) -> str:
        if not (mine and peer):
            return f"{'n/a':>6}"
        return f"{getattr(mine, attr) / getattr(peer, attr):>6.2f}"

    print()
    print(f"{'':<12} {'toolkit req/s':>19}  {'aiohttp req/s':>19}  {'ratio':>13}")
    print(
        f"{'scenario':<12} {'best':>9} {'median':>9}  {'best':>9} {'median':>9}  "
        f"{'best':>6} {'median':>6}"
    )
    for scenario in scenarios:
        mine = results.get(("toolkit", scenario))
        peer = results.get(("aiohttp", scenario))
        print(
            f"{scenario:<12} {cell(mine, 'best_rps')} {cell(mine, 'median_rps')}  "
            f"{cell(peer, 'best_rps')} {cell(peer, 'median_rps')}  "
            f"{ratio(mine, peer, 'best_rps')} {ratio(mine, peer, 'median_rps')}"
        )
    print("\nratio = toolkit / aiohttp: above 1 means aiotoolkit is faster")


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
    libs = {name: lib for name in clients if (lib := load_client(name)) is not None}
    results: dict[tuple[str, str], Result | None] = {}
    with server_process(args.uvloop) as url:
        for scenario in scenarios:
            try:
                measured = run_scenario(libs, url, scenario, args) if libs else {}
            except Exception as exc:
                print(f"  {scenario}: failed: {exc!r}", file=sys.stderr)
                measured = {}
            for client in clients:
                result = results[client, scenario] = measured.get(client)
                if result is not None:
                    runs = ", ".join(f"{r:.0f}" for r in result.runs)
                    print(f"  {client:<8} {scenario:<11} runs: {runs} req/s")
    report(results, scenarios)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
