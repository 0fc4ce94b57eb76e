"""Fetch JSON from a small local HTTP server with ``toolkit.ClientSession``.

This is what ``make run`` runs. It starts a tiny HTTP/1.1 server on a free port of
127.0.0.1 (plain ``asyncio.start_server``, no framework), makes two requests over one
keep-alive connection, prints what came back and exits 0.
"""

from __future__ import annotations

import asyncio
import json
import sys

import toolkit


async def handle_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on this connection with a JSON description of it."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed the connection
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _version = request_line.split(" ", 2)
            headers = dict(line.split(": ", 1) for line in header_lines if line and ": " in line)
            length = int(headers.get("Content-Length", headers.get("content-length", "0")))
            body = await reader.readexactly(length) if length else b""
            payload = json.dumps(
                {
                    "method": method,
                    "path": target,
                    "user_agent": headers.get("User-Agent"),
                    "body_size": len(body),
                    "greeting": "hello from a local server",
                }
            ).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\n"
                b"Content-Type: application/json; charset=utf-8\r\n"
                b"Content-Length: " + str(len(payload)).encode() + b"\r\n"
                b"X-Served-By: examples/fetch.py\r\n"
                b"\r\n" + payload
            )
            await writer.drain()
    finally:
        writer.close()


async def main() -> int:
    server = await asyncio.start_server(handle_connection, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    base = f"http://{host}:{port}"
    print(f"local server listening on {base}")
    try:
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
    finally:
        server.close()
        await server.wait_closed()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
