"""Server benchmark: wrk against toolkit.web and aiohttp.web, side by side.

Each server runs alone in a child process pinned to one CPU (``taskset``); wrk runs
pinned to another CPU. Two apps: a plain-text hello world and a 16 KiB JSON body.

    .venv/bin/python bench/server.py [--duration 3] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
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


def _run_one(
    impl: str, app_name: str, duration: float, connections: int, use_uvloop: bool
) -> float:
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
        out = subprocess.run(wrk, check=True, capture_output=True, text=True).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if match is None:
            raise RuntimeError(f"cannot read wrk output:\n{out}")
        if "Non-2xx" in out or "Socket errors" in out:
            print(f"  warning ({impl}/{app_name}): {out.strip().splitlines()[-3]}")
        return float(match.group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternate runs per server; the best one counts"
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
    print(
        f"wrk -t1 -c{args.connections} -d{args.duration:g}s, best of {args.rounds} "
        f"alternating runs; server on CPU 0, wrk on CPU 1; "
        f"{'uvloop' if use_uvloop else 'asyncio'} event loop"
    )
    print(f"{'app':<10} {'toolkit req/s':>14} {'aiohttp req/s':>14} {'ratio':>7}")
    for app_name in (args.app,) if args.app else ("hello", "json16k"):
        ours = theirs = 0.0
        for _ in range(args.rounds):
            ours = max(
                ours, _run_one("toolkit", app_name, args.duration, args.connections, use_uvloop)
            )
            theirs = max(
                theirs, _run_one("aiohttp", app_name, args.duration, args.connections, use_uvloop)
            )
        print(f"{app_name:<10} {ours:>14.0f} {theirs:>14.0f} {ours / theirs:>7.2f}")


if __name__ == "__main__":
    main()
