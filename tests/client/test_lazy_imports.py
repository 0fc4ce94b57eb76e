"""A plain GET loads none of the modules only some programs need (cookie jar files,
exact Content-Type parsing, file type guessing, .netrc files)."""

from __future__ import annotations

import subprocess
import sys

_PLAIN_GET = """
import asyncio, sys
from toolkit import web
from toolkit.client.session import ClientSession
from toolkit.testing.server import TestServer

async def hello(request):
    return web.Response(text="hello")

async def main():
    app = web.Application()
    app.router.add_get("/", hello)
    server = TestServer(app)
    await server.start_server()
    async with ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.text() == "hello"
            assert resp.content_type == "text/plain" and resp.charset == "utf-8"
    await server.close()

asyncio.run(main())
print(sorted(m for m in sys.modules if m in {"pickle", "email.parser", "mimetypes", "netrc"}))
"""


def test_plain_get_leaves_the_optional_stdlib_modules_alone() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PLAIN_GET], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr
