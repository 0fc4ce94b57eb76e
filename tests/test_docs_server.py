"""Run the ``python`` blocks of ``docs/server/`` marked ``<!-- runnable: NAME -->``.

Each block builds ``app``; it is served with ``AppRunner`` on 127.0.0.1 port 0 and the
responses the page documents are checked over a real socket.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import h11

from toolkit import web

DOCS = Path(__file__).resolve().parent.parent / "docs" / "server"
_BLOCK = re.compile(r"<!-- runnable: (?P<name>[\w-]+) -->\n```python\n(?P<code>.*?)\n```", re.S)


def runnable_blocks() -> dict[str, str]:
    """Map block name to source for every marked block of the server pages."""
    blocks: dict[str, str] = {}
    for page in sorted(DOCS.glob("*.md")):
        for match in _BLOCK.finditer(page.read_text(encoding="utf-8")):
            name = match["name"]
            assert name not in blocks, f"runnable block {name!r} appears twice ({page.name})"
            blocks[name] = match["code"]
    return blocks


def exec_block(name: str) -> dict[str, Any]:
    """Run block ``name`` as a module (not ``__main__``) and return its namespace."""
    namespace: dict[str, Any] = {"__name__": f"docs_server_{name}"}
    exec(compile(runnable_blocks()[name], f"<docs block {name}>", "exec"), namespace)
    return namespace


def build_app(name: str) -> web.Application:
    app = exec_block(name)["app"]
    assert isinstance(app, web.Application), f"block {name!r} must define app"
    return app


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


async def fetch(
    port: int, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Answer:
    """One request on its own connection, parsed with h11."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = h11.Connection(h11.CLIENT)
    extra = dict(headers or {})
    head = [("Host", extra.pop("Host", f"127.0.0.1:{port}")), ("Connection", "close")]
    head += list(extra.items())
    if body or method in ("POST", "PUT", "PATCH"):
        head.append(("Content-Length", str(len(body))))
    data = conn.send(h11.Request(method=method, target=target, headers=head))
    if body:
        data += conn.send(h11.Data(data=body))
    data += conn.send(h11.EndOfMessage())
    writer.write(data)
    status, answer_headers, chunks = 0, {}, []
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                answer_headers = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
    finally:
        writer.close()
        await writer.wait_closed()
    return Answer(status, answer_headers, b"".join(chunks))


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


def test_blocks_are_found() -> None:
    assert {"hello", "routing", "middlewares", "responses"} <= set(runnable_blocks())


async def test_hello_world() -> None:
    runner, port = await serve(build_app("hello"))
    try:
        root = await fetch(port, "GET", "/")
        assert root.status == 200
        assert root.headers["content-type"].startswith("application/json")
        assert root.json() == {"hello": "world"}
        ada = await fetch(port, "GET", "/ada")
        assert ada.json() == {"hello": "ada"}
        assert (await fetch(port, "GET", "/ada/x")).status == 404
        not_allowed = await fetch(port, "POST", "/")
        assert not_allowed.status == 405
        assert "GET" in not_allowed.headers["allow"]
        head = await fetch(port, "HEAD", "/")
        assert head.status == 200
        assert head.body == b""
    finally:
        await runner.cleanup()


async def test_routing_example() -> None:
    runner, port = await serve(build_app("routing"))
    try:
        item = await fetch(port, "GET", "/items/7")
        assert (item.status, item.json()) == (200, {"id": 7})
        assert (await fetch(port, "GET", "/items/seven")).status == 404
        created = await fetch(
            port, "POST", "/items", b'{"id": 3}', {"Content-Type": "application/json"}
        )
        assert created.status == 201
        assert created.headers["location"] == "/items/3"
        notes = await fetch(port, "GET", "/notes")
        assert (notes.status, notes.body) == (200, b"no notes yet")
        assert (await fetch(port, "DELETE", "/notes")).status == 405
    finally:
        await runner.cleanup()


async def test_middlewares_example() -> None:
    namespace = exec_block("middlewares")
    runner, port = await serve(namespace["app"])
    try:
        index = await fetch(port, "GET", "/")
        assert (index.status, index.body) == (200, b"index")
        assert index.headers["x-outer"] == "yes"
        assert namespace["calls"] == ["outer in", "inner in", "handler", "inner out", "outer out"]
        missing = await fetch(port, "GET", "/missing")
        assert (missing.status, missing.body) == (404, b"nothing here")
        assert missing.headers["x-outer"] == "yes"
    finally:
        await runner.cleanup()


async def test_responses_example() -> None:
    runner, port = await serve(build_app("responses"))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        plain = await fetch(port, "GET", "/plain")
        assert (plain.status, plain.body) == (200, b"plain text")
        assert plain.headers["content-type"] == "text/plain; charset=utf-8"
        assert plain.headers["x-demo"] == "1"
        stream = await fetch(port, "GET", "/stream")
        assert stream.headers["transfer-encoding"] == "chunked"
        assert stream.body == b"line 0\nline 1\nline 2\n"
        login = await fetch(port, "POST", "/login", b"user=ada", form)
        assert login.status == 303
        assert login.headers["location"] == "/"
        assert login.headers["set-cookie"].startswith("session=s3cr3t;")
        assert "httponly" in login.headers["set-cookie"].lower()
        refused = await fetch(port, "POST", "/login", b"user=bob", form)
        assert (refused.status, refused.body) == (403, b"unknown user")
        too_big = await fetch(port, "POST", "/login", b"user=" + b"x" * 2000, form)
        assert too_big.status == 413
    finally:
        await runner.cleanup()
