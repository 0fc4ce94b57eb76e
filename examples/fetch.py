"""Fetch JSON from a small local server with ``toolkit.ClientSession``.

This is what ``make run`` runs. It starts a ``toolkit.web`` application on a free port of
127.0.0.1, makes two requests to it over one keep-alive connection, prints the status,
the headers and the JSON that came back, stops the server and exits 0.
"""

from __future__ import annotations

import asyncio
import sys

import toolkit
from toolkit import web


async def hello(request: web.Request) -> web.Response:
    """Describe the request in a JSON body."""
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "user_agent": request.headers.get("User-Agent"),
            "greeting": "hello from a local server",
        },
        headers={"X-Served-By": "examples/fetch.py"},
    )


async def echo(request: web.Request) -> web.Response:
    """Send the JSON body back, with its size."""
    body = await request.read()
    return web.json_response({"body_size": len(body), "echo": await request.json()})


async def main() -> int:
    app = web.Application()
    app.add_routes([web.get("/hello", hello), web.post("/echo", echo)])
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)  # port 0: any free port
        await site.start()
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        print(f"local server listening on {base}")

        async with toolkit.ClientSession(timeout=toolkit.ClientTimeout(total=10)) as session:
            async with session.get(f"{base}/hello", params={"name": "world"}) as resp:
                print(f"GET {resp.url} -> {resp.status} {resp.reason}")
                for name, value in resp.headers.items():
                    print(f"  {name}: {value}")
                print("  json:", await resp.json())

            async with session.post(f"{base}/echo", json={"answer": 42}) as resp:
                resp.raise_for_status()
                data = await resp.json()
                print(f"POST {resp.url} -> {resp.status}; server saw {data['body_size']} bytes")
                print("  json:", data)
    finally:
        await runner.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
