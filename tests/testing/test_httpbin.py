"""toolkit.testing.httpbin: the endpoints, and their shapes next to the real httpbin's."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

from toolkit import BasicAuth, ClientResponse, ClientSession, CookieJar, FormData
from toolkit.testing import TestClient, TestServer, make_httpbin_app
from toolkit.web import AppRunner, TCPSite


class _Client:
    """Requests by path against one base URL, like ``TestClient``, for either server."""

    def __init__(self, session: ClientSession, base: URL) -> None:
        self.session = session
        self.base = base
        self.port = base.port
        self._responses: list[ClientResponse] = []

    def make_url(self, path: str) -> URL:
        return self.base.join(URL(path))

    async def request(self, method: str, path: str, **kwargs: Any) -> ClientResponse:
        resp = await self.session.request(method, self.make_url(path), **kwargs)
        self._responses.append(resp)
        return resp

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.request("GET", path, **kwargs)

    async def head(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.request("HEAD", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        for resp in self._responses:
            resp.close()


@pytest.fixture(params=["httpbin", "ours"])
async def client(request: pytest.FixtureRequest, httpbin: Any) -> AsyncIterator[Any]:
    """The same assertions against the real httpbin and ``make_httpbin_app()`` on TCP."""
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:
        if request.param == "httpbin":
            c = _Client(session, URL(str(httpbin.url)))
            try:
                yield c
            finally:
                c.close()
            return
        runner = AppRunner(make_httpbin_app())
        await runner.setup()
        site = TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        c = _Client(session, URL(site.name))
        try:
            yield c
        finally:
            c.close()
            await runner.cleanup()


@pytest.fixture
async def memory_client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_httpbin_app(), transport="memory")) as c:
        yield c


async def test_get_args_headers_origin_url(client: Any) -> None:
    resp = await client.get("/get?a=1&a=2&b=x", headers={"x-custom": "v"})
    data = await resp.json()
    assert data["args"] == {"a": ["1", "2"], "b": "x"}
    assert data["headers"]["X-Custom"] == "v"
    assert data["headers"]["Host"] == f"127.0.0.1:{client.port}"
    assert data["origin"] == "127.0.0.1"
    assert data["url"] == str(client.make_url("/get?a=1&a=2&b=x"))
    assert (await client.head("/get")).status == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
async def test_body_methods_echo_json(client: Any, method: str) -> None:
    resp = await getattr(client, method)(f"/{method}", json={"k": [1, 2]})
    data = await resp.json()
    assert data["json"] == {"k": [1, 2]}
    assert json.loads(data["data"]) == {"k": [1, 2]}
    assert data["form"] == {} and data["files"] == {}


async def test_form_and_files(client: Any) -> None:
    form = FormData()
    form.add_field("name", "value")
    form.add_field("upload", b"file body", filename="a.txt", content_type="text/plain")
    data = await (await client.post("/post", data=form)).json()
    assert data["form"] == {"name": "value"}
    assert data["files"] == {"upload": "file body"}
    data = await (await client.post("/post", data={"x": "1"})).json()
    assert data["form"] == {"x": "1"} and data["data"] == ""


async def test_binary_body_is_a_data_url(client: Any) -> None:
    data = await (await client.put("/put", data=b"\xff\x00")).json()
    assert data["data"].startswith("data:application/octet-stream;base64,")
    assert data["json"] is None


async def test_anything_reports_the_method(client: Any) -> None:
    data = await (await client.request("TRACE", "/anything/x/y?q=1")).json()
    assert data["method"] == "TRACE"
    assert data["args"] == {"q": "1"}


async def test_anything_takes_any_method_in_ours(memory_client: TestClient) -> None:
    # httpbin answers 405 to methods outside GET/POST/PUT/DELETE/PATCH/TRACE; ours echoes.
    data = await (await memory_client.request("PROPFIND", "/anything")).json()
    assert data["method"] == "PROPFIND"


async def test_status(client: Any) -> None:
    assert (await client.get("/status/418")).status == 418
    assert (await client.get("/status/204")).status == 204
    assert (await client.get("/status/201,201")).status == 201
    resp = await client.get("/status/302", allow_redirects=False)
    assert resp.headers["Location"] == "/redirect/1"
    assert (await client.get("/status/abc")).status == 400


async def test_small_views(client: Any) -> None:
    resp = await client.get("/user-agent", headers={"User-Agent": "probe/1"})
    assert await resp.json() == {"user-agent": "probe/1"}
    assert await (await client.get("/ip")).json() == {"origin": "127.0.0.1"}
    assert "headers" in await (await client.get("/headers")).json()
    assert len((await (await client.get("/uuid")).json())["uuid"]) == 36
    assert "slideshow" in await (await client.get("/json")).json()
    html = await client.get("/html")
    assert html.content_type == "text/html" and "<h1>" in await html.text()


async def test_cookies_round_trip(client: Any) -> None:
    data = await (await client.get("/cookies/set?a=1&b=2")).json()
    assert data == {"cookies": {"a": "1", "b": "2"}}
    data = await (await client.get("/cookies/delete?a")).json()
    assert data == {"cookies": {"b": "2"}}
    data = await (await client.get("/cookies/set/c/3")).json()
    assert data["cookies"]["c"] == "3"


async def test_redirect_chains(client: Any) -> None:
    for path in ("/redirect/3", "/relative-redirect/2", "/absolute-redirect/2"):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert resp.url.path == "/get"
    resp = await client.get("/redirect/2?absolute=true", allow_redirects=False)
    assert resp.headers["Location"].startswith("http://127.0.0.1")
    resp = await client.get("/redirect-to?url=/ip&status_code=307", allow_redirects=False)
    assert resp.status == 307 and resp.headers["Location"] == "/ip"
    assert (await client.get("/redirect/x")).status == 404


async def test_basic_auth(client: Any) -> None:
    resp = await client.get("/basic-auth/u/p")
    assert resp.status == 401 and "Basic" in resp.headers["WWW-Authenticate"]
    resp = await client.get("/basic-auth/u/p", auth=BasicAuth("u", "wrong"))
    assert resp.status == 401
    resp = await client.get("/basic-auth/u/p", auth=BasicAuth("u", "p"))
    assert await resp.json() == {"authenticated": True, "user": "u"}


async def test_compressed(client: Any) -> None:
    assert (await (await client.get("/gzip")).json())["gzipped"] is True
    assert (await (await client.get("/deflate")).json())["deflated"] is True
    raw = await client.get("/gzip", auto_decompress=False)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(await raw.read()))["gzipped"] is True


async def test_stream_bytes_delay(client: Any) -> None:
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


async def test_shapes_match_real_httpbin(memory_client: TestClient, httpbin: Any) -> None:
    client = memory_client
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
