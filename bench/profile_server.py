"""CPU cost per request of the server stack, measured in-process (no sockets, no wrk).

A fake transport stands in for the socket; ``--connections`` simulated keep-alive
clients each send a request, wait for its response and send the next one, so the
protocol's per-request path (parse, route, handle, serialize, write) runs exactly as
it does behind a real socket. The same driver runs aiohttp's server, so the result
is a ratio that does not depend much on how loaded the machine is.

    .venv/bin/python bench/profile_server.py [--requests 20000] [--app hello|json16k]
    .venv/bin/python bench/profile_server.py --impl toolkit --profile   # cProfile top 30

On a busy machine CPU time is noisy; instruction counts are not: run the same driver
under ``valgrind --tool=callgrind`` with two request counts and divide the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_PAYLOAD = {"items": [{"id": i, "name": f"item-{i:04d}", "tags": ["a", "b"]} for i in range(305)]}
_REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"


class FakeTransport(asyncio.Transport):
    """Counts the responses written; wakes the client waiting for one.

    It stands in for uvloop's TCP transport, whose ``writelines()`` is one ``writev``
    (no copy): its module name says so, so the servers take the path they take on
    uvloop (see ``_fake_module``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.waiter: asyncio.Future[None] | None = None
        self.bytes_out = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.bytes_out += len(data)
        waiter = self.waiter
        if waiter is not None and bytes(data[:5]) == b"HTTP/" and not waiter.done():
            waiter.set_result(None)

    def writelines(self, list_of_data: Any) -> None:
        buffers = list(list_of_data)
        self.bytes_out += sum(map(len, buffers))
        waiter = self.waiter
        if waiter is not None and bytes(buffers[0][:5]) == b"HTTP/" and not waiter.done():
            waiter.set_result(None)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def can_write_eof(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return ("127.0.0.1", 40000)
        if name == "sockname":
            return ("127.0.0.1", 8080)
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0


def _make_app(impl: str, app_name: str) -> Any:
    body = json.dumps(_PAYLOAD)
    if impl == "toolkit":
        from toolkit import web
    else:
        from aiohttp import web  # type: ignore[no-redef]

    async def hello(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    async def payload(request: Any) -> Any:
        return web.Response(text=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/", hello if app_name == "hello" else payload)
    return app


async def _drive(impl: str, app_name: str, requests: int, connections: int) -> float:
    """Serve ``requests`` requests over ``connections`` connections; return CPU seconds."""
    app = _make_app(impl, app_name)
    server = app._make_handler(access_log=None)  # the same private hook in both
    await app.startup()

    async def client(count: int) -> None:
        proto = server()
        transport = FakeTransport()
        proto.connection_made(transport)
        loop = asyncio.get_running_loop()
        for _ in range(count):
            waiter = transport.waiter = loop.create_future()
            proto.data_received(_REQUEST)
            await waiter
        proto.connection_lost(None)

    # Warm-up (imports, caches, the Date header), then the measured run.
    await asyncio.gather(*(client(50) for _ in range(connections)))
    start = time.process_time()
    per_conn = requests // connections
    await asyncio.gather(*(client(per_conn) for _ in range(connections)))
    elapsed = time.process_time() - start
    await app.cleanup()
    return elapsed / (per_conn * connections)


def _fake_module(use_uvloop: bool) -> None:
    """Name FakeTransport's module after the transports it stands in for."""
    FakeTransport.__module__ = "uvloop.loop" if use_uvloop else __name__


def _run(impl: str, app_name: str, requests: int, connections: int, use_uvloop: bool) -> float:
    runner: Callable[..., Any] = asyncio.run
    _fake_module(use_uvloop)
    if use_uvloop:
        import uvloop

        runner = uvloop.run
    result: float = runner(_drive(impl, app_name, requests, connections))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--app", choices=("hello", "json16k", "both"), default="both")
    parser.add_argument("--impl", choices=("toolkit", "aiohttp", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5, help="best of this many runs")
    parser.add_argument("--no-uvloop", action="store_true", help="use asyncio's own loop")
    parser.add_argument("--profile", action="store_true", help="cProfile one run, print top 30")
    args = parser.parse_args()
    apps = ("hello", "json16k") if args.app == "both" else (args.app,)
    impls = ("toolkit", "aiohttp") if args.impl == "both" else (args.impl,)
    use_uvloop = not args.no_uvloop
    if args.profile:
        for impl in impls:
            for app_name in apps:
                prof = cProfile.Profile()
                prof.enable()
                _run(impl, app_name, args.requests, args.connections, use_uvloop)
                prof.disable()
                print(f"== {impl} / {app_name}")
                pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    loop_name = "uvloop" if use_uvloop else "asyncio"
    print(
        f"{args.requests} requests over {args.connections} keep-alive connections, "
        f"{loop_name}, best of {args.rounds}: CPU µs per request"
    )
    print(f"{'app':<10} " + " ".join(f"{impl:>10}" for impl in impls) + "   ratio (aiohttp/ours)")
    for app_name in apps:
        # Alternate the implementations so that both see the same machine load.
        results = dict.fromkeys(impls, float("inf"))
        for _ in range(args.rounds):
            for impl in impls:
                cost = _run(impl, app_name, args.requests, args.connections, use_uvloop)
                results[impl] = min(results[impl], cost)
        line = f"{app_name:<10} " + " ".join(f"{results[i] * 1e6:>10.1f}" for i in impls)
        if len(impls) == 2:
            line += f"   {results['aiohttp'] / results['toolkit']:.2f}"
        print(line)


if __name__ == "__main__":
    main()
