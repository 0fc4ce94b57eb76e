"""WebSocket echo benchmark: aiotoolkit next to aiohttp, client and server.

Usage::

    .venv/bin/python bench/websocket.py [--messages 5000] [--big 30] [--repeats 3]
                                        [--compress] [--cross] [--uvloop]

For each implementation an echo server (``web.WebSocketResponse`` echoing every
message) runs alone in a child process on 127.0.0.1; the same implementation's
client (``ClientSession.ws_connect``) runs in this process. Measured, best and
median of ``--repeats`` runs, the two implementations interleaved:

- ``round trips/s``: ``--messages`` sequential ``send_str("hello")`` + ``receive()``
  over one connection;
- ``MB/s``: ``--big`` 1 MiB binary messages, each sent and its echo received
  (payload MiB sent per second, one way).

``--cross`` adds the mixed pairs (our client against their server and the other way
round), which tells client costs from server costs.

With ``--uvloop`` every process (both servers, the clients) runs uvloop's event loop,
which takes the event loop's own Python out of each round trip. With ``--compress`` the
client offers permessage-deflate (window 15). The ratios
printed last are ``toolkit / aiohttp`` medians (above 1: aiotoolkit is faster).
aiohttp is used for comparison only; nothing in ``toolkit/`` imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMPLS = ("toolkit", "aiohttp")
BIG = os.urandom(1024 * 1024)
Results = dict[str, dict[str, list[float]]]


def _modules(impl: str) -> tuple[Any, Any]:
    """(client package, web package) of ``impl``."""
    if impl == "toolkit":
        import toolkit
        from toolkit import web

        return toolkit, web
    import aiohttp
    from aiohttp import web as aioweb

    return aiohttp, aioweb


def _use_uvloop() -> None:
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def _serve(impl: str, port: int, uvloop: bool = False) -> None:
    """Child process: an echo WebSocket server of ``impl`` on 127.0.0.1:``port``."""
    if uvloop:
        _use_uvloop()
    _, web = _modules(impl)
    response_class: Any = web.WebSocketResponse

    async def echo(request: Any) -> Any:
        ws = response_class(max_msg_size=0)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == 1:  # TEXT
                await ws.send_str(msg.data)
            elif msg.type == 2:  # BINARY
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[1]})
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server on port {port} did not start within {timeout} s")


def _connect(impl: str, session: Any, url: str, compress: int) -> Any:
    if impl == "toolkit" and not hasattr(session, "ws_connect"):
        from toolkit.client.ws import ws_connect

        return ws_connect(session, url, compress=compress, max_msg_size=0)
    return session.ws_connect(url, compress=compress, max_msg_size=0)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc; 0.0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _round_trips(ws: Any, count: int, server_pid: int | None = None) -> tuple[float, float]:
    """Round trips per second, and CPU µs per round trip of this process plus the server's."""
    server_cpu = _cpu_seconds(server_pid) if server_pid else 0.0
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(count):
        await ws.send_str("hello")
        msg = await ws.receive()
        if msg.data != "hello":
            raise AssertionError(f"bad echo {msg!r}")
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if server_pid:
        cpu += _cpu_seconds(server_pid) - server_cpu
    return count / wall, cpu / count * 1e6


async def _throughput(ws: Any, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        await ws.send_bytes(BIG)
        msg = await ws.receive()
        if len(msg.data) != len(BIG):
            raise AssertionError(f"bad echo of {len(msg.data)} bytes")
    return count / (time.perf_counter() - start)


def _pairs(cross: bool) -> list[tuple[str, str]]:
    """(client, server) pairs: each implementation with itself, plus the crossings."""
    same = [(impl, impl) for impl in IMPLS]
    return same + ([(c, s) for c in IMPLS for s in IMPLS if c != s] if cross else [])


async def _measure(args: argparse.Namespace, urls: dict[str, str], pids: dict[str, int]) -> Results:
    pairs = _pairs(args.cross)
    results: Results = {
        f"{c}->{s}": {"round trips/s": [], "MB/s": [], "CPU µs/round trip": []} for c, s in pairs
    }
    compress = 15 if args.compress else 0
    sessions = {impl: _modules(impl)[0].ClientSession() for impl in IMPLS}
    try:
        sockets = {}
        for client, server in pairs:
            ws = await _connect(client, sessions[client], urls[server], compress)
            sockets[f"{client}->{server}"] = ws
            await _round_trips(ws, 200)  # warm up
        servers = {f"{client}->{server}": pids[server] for client, server in pairs}
        names = list(sockets)
        for repeat in range(args.repeats):
            for name in names if repeat % 2 == 0 else names[::-1]:
                ws = sockets[name]
                rtt, cpu = await _round_trips(ws, args.messages, servers[name])
                mbs = await _throughput(ws, args.big)
                results[name]["round trips/s"].append(rtt)
                results[name]["MB/s"].append(mbs)
                results[name]["CPU µs/round trip"].append(cpu)
                print(
                    f"  run {repeat + 1} {name:18} {rtt:8.0f} round trips/s {mbs:7.1f} MB/s"
                    f" {cpu:6.1f} CPU µs/round trip"
                )
        for ws in sockets.values():
            await ws.close()
    finally:
        for session in sessions.values():
            await session.close()
    return results


def _table(results: Results) -> None:
    print()
    print(f"{'client->server':18} {'round trips/s':>24} {'MB/s':>18} {'CPU µs/round trip':>20}")
    print(
        f"{'':18} {'best':>11} {'median':>12} {'best':>8} {'median':>9} {'best':>9} {'median':>10}"
    )
    for name, metrics in results.items():
        rtt, mbs, cpu = metrics["round trips/s"], metrics["MB/s"], metrics["CPU µs/round trip"]
        print(
            f"{name:18} {max(rtt):11.0f} {statistics.median(rtt):12.0f}"
            f" {max(mbs):8.1f} {statistics.median(mbs):9.1f}"
            f" {min(cpu):9.1f} {statistics.median(cpu):10.1f}"
        )
    print()
    ours, theirs = results["toolkit->toolkit"], results["aiohttp->aiohttp"]
    for metric in ("round trips/s", "MB/s"):
        ratio = statistics.median(ours[metric]) / statistics.median(theirs[metric])
        print(f"toolkit / aiohttp, median {metric}: {ratio:.2f}")
    metric = "CPU µs/round trip"  # lower is better: aiohttp ÷ toolkit
    ratio = statistics.median(theirs[metric]) / statistics.median(ours[metric])
    print(f"aiohttp / toolkit, median {metric} (client + server): {ratio:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="small round trips per run")
    parser.add_argument("--big", type=int, default=30, help="1 MiB echoes per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compress", action="store_true", help="offer permessage-deflate")
    parser.add_argument(
        "--cross", action="store_true", help="also toolkit client -> aiohttp server and back"
    )
    parser.add_argument(
        "--uvloop", action="store_true", help="uvloop's event loop in every process"
    )
    args = parser.parse_args(argv)
    if args.uvloop:
        _use_uvloop()

    ctx = multiprocessing.get_context("spawn")
    procs: list[Any] = []
    urls: dict[str, str] = {}
    pids: dict[str, int] = {}
    try:
        for impl in IMPLS:
            port = _free_port()
            proc = ctx.Process(target=_serve, args=(impl, port, args.uvloop), daemon=True)
            proc.start()
            procs.append(proc)
            _wait_listening(port)
            urls[impl] = f"ws://127.0.0.1:{port}/ws"
            assert proc.pid is not None
            pids[impl] = proc.pid
        if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        from toolkit.http.ws._mask import ACCELERATED

        masking = "C accelerator" if ACCELERATED else "pure Python"
        loop = "uvloop" if args.uvloop else "asyncio"
        compress = "15" if args.compress else "off"
        print(f"echo over 127.0.0.1, {loop} event loop, compress={compress}, ours: {masking}")
        results = asyncio.run(_measure(args, urls, pids))
        _table(results)
    finally:
        for proc in procs:
            proc.terminate()
            proc.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
