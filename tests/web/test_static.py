"""Static files: serving, index pages, versioned URLs, and every way out of the root refused."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import Serve
from toolkit import web


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_text("body {}")
    (root / "hello world.txt").write_text("spaced")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    (root / "link-out").symlink_to(tmp_path / "secret.txt")
    (root / "link-in").symlink_to(root / "css" / "site.css")
    return root


async def raw_get(base: str, raw_path: str) -> tuple[int, bytes]:
    """Send ``raw_path`` byte for byte (no client-side normalisation)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {raw_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def test_serves_files(serve: Serve, tree: Path) -> None:
    app = web.Application()
    app.router.add_static("/static/", tree)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/static/css/site.css")
        assert (r.status_code, r.text, r.headers["Content-Type"]) == (200, "body {}", "text/css")
        assert (await client.get("/static/hello%20world.txt")).text == "spaced"
        assert (await client.head("/static/css/site.css")).content == b""
        assert (await client.get("/static/link-in")).text == "body {}"
        assert (await client.get("/static/nope.css")).status_code == 404
        assert (await client.get("/static/css")).status_code == 403  # no index
        assert (await client.get("/static/")).status_code == 403
        r = await client.post("/static/css/site.css")
        assert r.status_code == 405 and r.headers["Allow"] == "GET,HEAD"


@pytest.mark.parametrize(
    "raw_path",
    [
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/css/%2e%2e/%2e%2e/secret.txt",
        "/static/..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/link-out",
        "/static/x%00.txt",
    ],
)
async def test_traversal_refused(serve: Serve, tree: Path, raw_path: str) -> None:
    app = web.Application()
    app.router.add_static("/static", tree)
    base = await serve(app)
    status, body = await raw_get(base, raw_path)
    assert status in (403, 404), raw_path
    assert b"TOP SECRET" not in body
    assert b"root:" not in body


async def test_follow_symlinks_allows_links_out(serve: Serve, tree: Path) -> None:
    app = web.Application()
    app.router.add_static("/static", tree, follow_symlinks=True)
    base = await serve(app)
    status, body = await raw_get(base, "/static/link-out")
    assert (status, body) == (200, b"TOP SECRET")
    status, _ = await raw_get(base, "/static/../secret.txt")
    assert status in (403, 404)


async def test_show_index(serve: Serve, tree: Path) -> None:
    app = web.Application()
    app.router.add_static("/static", tree, show_index=True)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/static/")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        assert "Index of /static/" in r.text
        assert '<a href="/static/css/">css/</a>' in r.text
        assert '<a href="/static/hello%20world.txt">hello world.txt</a>' in r.text
        r = await client.get("/static/css")
        assert "site.css" in r.text


def test_url_for_and_append_version(tree: Path) -> None:
    app = web.Application()
    resource = app.router.add_static("/static", tree, name="static", append_version=True)
    url = resource.url_for(filename="css/site.css")
    assert url.path == "/static/css/site.css"
    assert url.query["v"]
    assert (
        url.query["v"]
        in __import__("base64").urlsafe_b64encode(hashlib.sha256(b"body {}").digest()).decode()
    )
    assert "v" not in resource.url_for(filename="missing.css").query
    assert "v" not in resource.url_for(filename="css/site.css", append_version=False).query
    with pytest.raises(ValueError, match="no directory"):
        app.router.add_static("/x", tree / "missing")


async def test_static_route_def_helpers(serve: Serve, tree: Path) -> None:
    routes = web.RouteTableDef()
    routes.static("/assets", tree / "css")
    app = web.Application()
    app.add_routes(routes)
    app.add_routes([web.static("/files", tree, show_index=True)])
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/assets/site.css")).text == "body {}"
        assert "Index of /files/" in (await client.get("/files/")).text


async def test_prefix_with_spaces_and_inside_subapp(serve: Serve, tree: Path) -> None:
    sub = web.Application()
    sub.router.add_static("/my files", tree)
    app = web.Application()
    app.add_subapp("/sub", sub)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/sub/my%20files/css/site.css")
        assert (r.status_code, r.text) == (200, "body {}")
        assert (await client.get("/my%20files/css/site.css")).status_code == 404
