"""toolkit.testing.httpbin: the endpoints, and their shapes next to the real httpbin's."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from toolkit import BasicAuth, ClientSession, FormData
from toolkit.testing import TestClient, TestServer, make_httpbin_app


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_httpbin_app(), transport="memory")) as c:
        yield c


async def test_get_args_headers_origin_url(client: TestClient) -> None:
    resp = await client.get("/get?a=1&a=2&b=x", headers={"x-custom": "v"})
    data = await resp.json()
    assert data["args"] == {"a": ["1", "2"], "b": "x"}
    assert data["headers"]["X-Custom"] == "v"
    assert data["headers"]["Host"] == f"127.0.0.1:{client.port}"
    assert data["origin"] == "127.0.0.1"
    assert data["url"] == str(client.make_url("/get?a=1&a=2&b=x"))
    assert (await client.head("/get")).status == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
async def test_body_methods_echo_json(client: TestClient, method: str) -> None:
    resp = await getattr(client, method)(f"/{method}", json={"k": [1, 2]})
    data = await resp.json()
    assert data["json"] == {"k": [1, 2]}
    assert json.loads(data["data"]) == {"k": [1, 2]}
    assert data["form"] == {} and data["files"] == {}


async def test_form_and_files(client: TestClient) -> None:
    form = FormData()
    form.add_field("name", "value")
    form.add_field("upload", b"file body", filename="a.txt", content_type="text/plain")
    data = await (await client.post("/post", data=form)).json()
    assert data["form"] == {"name": "value"}
    assert data["files"] == {"upload": "file body"}
    data = await (await client.post("/post", data={"x": "1"})).json()
    assert data["form"] == {"x": "1"} and data["data"] == ""


async def test_binary_body_is_a_data_url(client: TestClient) -> None:
    data = await (await client.put("/put", data=b"\xff\x00")).json()
    assert data["data"].startswith("data:application/octet-stream;base64,")
    assert data["json"] is None


async def test_anything_reports_the_method(client: TestClient) -> None:
    data = await (await client.request("PROPFIND", "/anything/x/y?q=1")).json()
    assert data["method"] == "PROPFIND"
    assert data["args"] == {"q": "1"}


async def test_status(client: TestClient) -> None:
    assert (await client.get("/status/418")).status == 418
    assert (await client.get("/status/204")).status == 204
    assert (await client.get("/status/201,201")).status == 201
    resp = await client.get("/status/302", allow_redirects=False)
    assert resp.headers["Location"] == "/redirect/1"
    assert (await client.get("/status/abc")).status == 400


async def test_small_views(client: TestClient) -> None:
    resp = await client.get("/user-agent", headers={"User-Agent": "probe/1"})
    assert await resp.json() == {"user-agent": "probe/1"}
    assert await (await client.get("/ip")).json() == {"origin": "127.0.0.1"}
    assert "headers" in await (await client.get("/headers")).json()
    assert len((await (await client.get("/uuid")).json())["uuid"]) == 36
    assert "slideshow" in await (await client.get("/json")).json()
    html = await client.get("/html")
    assert html.content_type == "text/html" and "<h1>" in await html.text()


async def test_cookies_round_trip(client: TestClient) -> None:
    data = await (await client.get("/cookies/set?a=1&b=2")).json()
    assert data == {"cookies": {"a": "1", "b": "2"}}
    data = await (await client.get("/cookies/delete?a")).json()
    assert data == {"cookies": {"b": "2"}}
    data = await (await client.get("/cookies/set/c/3")).json()
    assert data["cookies"]["c"] == "3"


async def test_redirect_chains(client: TestClient) -> None:
    for path in ("/redirect/3", "/relative-redirect/2", "/absolute-redirect/2"):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert resp.url.path == "/get"
    resp = await client.get("/redirect/2?absolute=true", allow_redirects=False)
    assert resp.headers["Location"].startswith("http://127.0.0.1")
    resp = await client.get("/redirect-to?url=/ip&status_code=307", allow_redirects=False)
    assert resp.status == 307 and resp.headers["Location"] == "/ip"
    assert (await client.get("/redirect/x")).status == 400


async def test_basic_auth(client: TestClient) -> None:
    resp = await client.get("/basic-auth/u/p")
    assert resp.status == 401 and "Basic" in resp.headers["WWW-Authenticate"]
    resp = await client.get("/basic-auth/u/p", auth=BasicAuth("u", "wrong"))
    assert resp.status == 401
    resp = await client.get("/basic-auth/u/p", auth=BasicAuth("u", "p"))
    assert await resp.json() == {"authenticated": True, "user": "u"}


async def test_compressed(client: TestClient) -> None:
    assert (await (await client.get("/gzip")).json())["gzipped"] is True
    assert (await (await client.get("/deflate")).json())["deflated"] is True
    raw = await client.get("/gzip", auto_decompress=False)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(await raw.read()))["gzipped"] is True


async def test_stream_bytes_delay(client: TestClient) -> None:
    resp = await client.get("/stream/5")
    lines = [json.loads(line) async for line in resp.content]
    assert [line["id"] for line in lines] == [0, 1, 2, 3, 4]
    a = await (await client.get("/bytes/64?seed=7")).read()
    b = await (await client.get("/bytes/64?seed=7")).read()
    assert len(a) == 64 and a == b
    data = await (await client.get("/delay/0?x=1")).json()
    assert data["args"] == {"x": "1"}


# The same requests against the real httpbin (gunicorn, from tests/conftest.py): the
# JSON documents must have the same keys and the statuses must match.
SHAPE_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/get?a=1", {}),
    ("POST", "/post", {"json": {"x": 1}}),
    ("POST", "/post", {"data": {"f": "v"}}),
    ("PUT", "/put", {"data": b"raw"}),
    ("PATCH", "/patch", {}),
    ("DELETE", "/delete", {}),
    ("GET", "/anything/sub?q=1", {}),
    ("GET", "/headers", {}),
    ("GET", "/ip", {}),
    ("GET", "/user-agent", {}),
    ("GET", "/cookies", {}),
    ("GET", "/redirect/2", {}),
    ("GET", "/basic-auth/u/p", {"auth": BasicAuth("u", "p")}),
    ("GET", "/gzip", {}),
    ("GET", "/deflate", {}),
    ("GET", "/json", {}),
    ("GET", "/uuid", {}),
    ("GET", "/delay/0", {}),
    ("GET", "/status/404", {}),
]


def _keys(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {key: _keys(value) for key, value in doc.items() if key not in ("headers",)}
    return type(doc).__name__ if doc is not None else None


async def test_shapes_match_real_httpbin(client: TestClient, httpbin: Any) -> None:
    async with ClientSession() as real:
        for method, path, kwargs in SHAPE_CASES:
            ours = await client.request(method, path, **kwargs)
            async with real.request(method, httpbin.url_for(path), **kwargs) as theirs:
                assert ours.status == theirs.status, path
                if theirs.content_type != "application/json":
                    continue
                our_doc, their_doc = await ours.json(), await theirs.json()
            assert set(our_doc) == set(their_doc), path
            if not path.startswith("/json"):
                assert _keys(our_doc).keys() == _keys(their_doc).keys(), path
