"""Server benchmark: wrk against toolkit.web and aiohttp.web, side by side.

Each server runs alone in a child process pinned to one CPU (``taskset``); wrk runs
pinned to another CPU. Two apps: a plain-text hello world and a 16 KiB JSON body.

Every round runs toolkit then aiohttp (a fresh server each, after a 1 s warm-up), so
both see the same machine load. A single run can swing by ±20% on a busy host: the
headline ratio is the **median** over the rounds; the best run of each is shown too.
Next to requests/s, the server's CPU time (user + system, from ``/proc``) per request:
on a machine shared with other work it moves less than the throughput does.

    .venv/bin/python bench/server.py [--rounds 7] [--duration 5] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PAYLOAD = {"items": [{"id": i, "name": f"item-{i:04d}", "tags": ["a", "b"]} for i in range(305)]}


def _serve(impl: str, app_name: str, port: int, use_uvloop: bool) -> None:
    """Child process: serve ``app_name`` with ``impl`` on 127.0.0.1:``port`` (no access log)."""
    body = json.dumps(_PAYLOAD)
    if use_uvloop:
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if impl == "toolkit":
        sys.path.insert(0, str(ROOT))
        from toolkit import web
    else:
        from aiohttp import web  # type: ignore[no-redef]

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Hello, World!")

    async def payload(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/", hello if app_name == "hello" else payload)
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
    raise RuntimeError(f"server on port {port} did not start within {timeout}s")


def _pinned(cpu: int, argv: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *argv]
    return argv


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # After the command name: utime and stime are the 12th and 13th fields.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_one(
    impl: str, app_name: str, duration: float, connections: int, use_uvloop: bool
) -> tuple[float, float]:
    """One wrk run against a fresh server: (requests/s, server CPU µs per request)."""
    port = _free_port()
    argv = [sys.executable, __file__, "--serve", impl, app_name, str(port)]
    if not use_uvloop:
        argv.append("--no-uvloop")
    server = subprocess.Popen(_pinned(0, argv), stdout=subprocess.DEVNULL)
    try:
        _wait_listening(port)
        wrk = _pinned(
            1,
            [
                "wrk", "-t1", f"-c{connections}", f"-d{duration:g}s",
                f"http://127.0.0.1:{port}/",
            ],
        )  # fmt: skip
        subprocess.run([*wrk[:-2], "-d1s", wrk[-1]], check=True, capture_output=True)  # warm-up
        cpu_before = _cpu_seconds(server.pid)
        out = subprocess.run(wrk, check=True, capture_output=True, text=True).stdout
        cpu = _cpu_seconds(server.pid) - cpu_before
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        total = re.search(r"(\d+) requests in", out)
        if rate is None or total is None:
            raise RuntimeError(f"cannot read wrk output:\n{out}")
        if "Non-2xx" in out or "Socket errors" in out:
            print(f"  warning ({impl}/{app_name}): {out.strip().splitlines()[-3]}")
        return float(rate.group(1)), cpu * 1e6 / max(int(total.group(1)), 1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--rounds",
        type=int,
        default=7,
        help="rounds per app; each runs toolkit then aiohttp; the median counts",
    )
    parser.add_argument("--app", choices=("hello", "json16k"), help="only this app")
    parser.add_argument(
        "--no-uvloop", action="store_true", help="asyncio's own event loop for both servers"
    )
    parser.add_argument("--serve", nargs=3, metavar=("IMPL", "APP", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    use_uvloop = not args.no_uvloop
    if args.serve:
        impl, app_name, port = args.serve
        _serve(impl, app_name, int(port), use_uvloop)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1")
    print(
        f"wrk -t1 -c{args.connections} -d{args.duration:g}s, {args.rounds} rounds "
        f"(toolkit then aiohttp each); server on CPU 0, wrk on CPU 1; "
        f"{'uvloop' if use_uvloop else 'asyncio'} event loop"
    )
    print(
        f"{'':<18} {'---------- requests/s ----------':>38}   {'-- server CPU µs/request --':>27}"
    )
    print(
        f"{'app':<10} {'':<7} {'toolkit':>14} {'aiohttp':>14} {'ratio':>7}"
        f"   {'toolkit':>9} {'aiohttp':>9} {'ratio':>7}"
    )
    for app_name in (args.app,) if args.app else ("hello", "json16k"):
        ours: list[float] = []
        theirs: list[float] = []
        cpu_ours: list[float] = []
        cpu_theirs: list[float] = []
        for _ in range(args.rounds):
            run = (app_name, args.duration, args.connections, use_uvloop)
            rate, cpu = _run_one("toolkit", *run)
            ours.append(rate)
            cpu_ours.append(cpu)
            rate, cpu = _run_one("aiohttp", *run)
            theirs.append(rate)
            cpu_theirs.append(cpu)
        rows = (
            ("best", max(ours), max(theirs), min(cpu_ours), min(cpu_theirs)),
            ("median", *map(_median, (ours, theirs, cpu_ours, cpu_theirs))),
        )
        for i, (label, our_rate, their_rate, our_cpu, their_cpu) in enumerate(rows):
            print(
                f"{app_name if i == 0 else '':<10} {label:<7} {our_rate:>14.0f} "
                f"{their_rate:>14.0f} {our_rate / their_rate:>7.2f}"
                f"   {our_cpu:>9.1f} {their_cpu:>9.1f} {their_cpu / max(our_cpu, 1e-9):>7.2f}"
            )
        per_round = " ".join(f"{o / t:.2f}" for o, t in zip(ours, theirs))
        print(f"{'':<10} {'rounds':<7} requests/s ratio of each round: {per_round}")
    print(
        "headline: the median requests/s ratio (toolkit ÷ aiohttp). The CPU columns "
        "(user + system time of the server per request) move less with machine load."
    )


if __name__ == "__main__":
    main()
