"""What the client quick start (docs/client/quickstart.md) shows works, against httpbin.

These are the documentation's examples with the local httpbin instead of httpbin.org,
so a change that breaks the docs fails here.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import io
import pathlib
import re
import ssl
from typing import Any

import pytest
from yarl import URL

import toolkit

pytestmark = pytest.mark.skipif(
    not hasattr(toolkit, "ClientSession"), reason="toolkit.ClientSession is not exported yet"
)

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


async def test_get_and_read_json(httpbin: Any) -> None:
    async with toolkit.ClientSession() as session, session.get(httpbin.url_for("/get")) as resp:
        assert resp.status == 200
        assert (resp.method, resp.reason, resp.ok) == ("GET", "OK", True)
        assert resp.headers["Content-Type"] == "application/json"
        assert (await resp.json())["url"] == str(httpbin.url_for("/get"))


async def test_params_end_up_in_the_url(httpbin: Any) -> None:
    params = {"key1": "value1", "key2": "value2"}
    url = httpbin.url_for("/get")
    async with toolkit.ClientSession() as session, session.get(url, params=params) as resp:
        assert resp.url.query_string == "key1=value1&key2=value2"
        assert (await resp.json())["args"] == params


async def test_encoded_url_is_sent_verbatim(httpbin: Any) -> None:
    url = URL(f"{httpbin.url}/anything/%30", encoded=True)
    assert URL(f"{httpbin.url}/anything/%30").raw_path == "/anything/0"  # requoted
    async with toolkit.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 200
        assert resp.request_info.url.raw_path == "/anything/%30"


async def test_stream_body_in_chunks(httpbin: Any) -> None:
    out = io.BytesIO()
    url = httpbin.url_for("/bytes/50000")
    async with toolkit.ClientSession() as session, session.get(url) as resp:
        async for chunk in resp.content.iter_chunked(4096):
            assert len(chunk) <= 4096
            out.write(chunk)
    assert len(out.getvalue()) == 50000


async def test_send_bytes_form_json_and_file(httpbin: Any) -> None:
    url = httpbin.url_for("/post")
    async with toolkit.ClientSession() as session:
        async with session.post(url, data=b"raw bytes") as resp:
            assert (await resp.json())["data"] == "raw bytes"
        async with session.post(url, data={"key": "value"}) as resp:
            assert (await resp.json())["form"] == {"key": "value"}
        async with session.post(url, json={"key": "value"}) as resp:
            assert (await resp.json())["json"] == {"key": "value"}
        async with session.post(url, data=io.BytesIO(b"file body")) as resp:
            assert (await resp.json())["data"] == "file body"


async def test_multipart_with_formdata(httpbin: Any) -> None:
    form = toolkit.FormData()
    form.add_field("file", b"col1,col2\n", filename="report.csv", content_type="text/csv")
    url = httpbin.url_for("/post")
    async with toolkit.ClientSession() as session, session.post(url, data=form) as resp:
        assert (await resp.json())["files"] == {"file": "col1,col2\n"}


async def test_headers_cookies_and_auth(httpbin: Any) -> None:
    async with toolkit.ClientSession(
        headers={"User-Agent": "my-app/1.0"},
        cookies={"session": "abc"},
        auth=toolkit.BasicAuth("user", "secret"),
        cookie_jar=toolkit.CookieJar(unsafe=True),
    ) as session:
        async with session.get(httpbin.url_for("/headers"), headers={"X-Custom": "42"}) as r:
            headers = (await r.json())["headers"]
        assert headers["User-Agent"] == "my-app/1.0"
        assert headers["X-Custom"] == "42"  # httpbin hides X-Request-Id
        assert headers["Cookie"] == "session=abc"
        assert headers["Authorization"] == toolkit.BasicAuth("user", "secret").encode()
        async with session.get(httpbin.url_for("/basic-auth/user/secret")) as resp:
            assert resp.status == 200


async def test_cookie_jar_keeps_cookies_the_server_sets(httpbin: Any) -> None:
    jar = toolkit.CookieJar(unsafe=True)
    async with toolkit.ClientSession(cookie_jar=jar) as session:
        set_url = httpbin.url_for("/cookies/set").with_query(my_cookie="my_value")
        async with session.get(set_url) as resp:
            assert resp.status == 200
        assert session.cookie_jar.filter_cookies(httpbin.url)["my_cookie"].value == "my_value"
        async with session.get(httpbin.url_for("/cookies")) as resp:
            assert (await resp.json())["cookies"] == {"my_cookie": "my_value"}


async def test_timeouts_raise_asyncio_timeout(httpbin: Any) -> None:
    async with toolkit.ClientSession(timeout=toolkit.ClientTimeout(total=30)) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(httpbin.url_for("/delay/3"), timeout=toolkit.ClientTimeout(total=0.2))


async def test_errors_from_the_quick_start(httpbin: Any, unused_port: int) -> None:
    async with toolkit.ClientSession() as session:
        with pytest.raises(toolkit.ClientResponseError) as info:
            async with session.get(httpbin.url_for("/status/404")) as resp:
                resp.raise_for_status()
        assert info.value.status == 404
        assert info.value.request_info is not None
        assert info.value.request_info.url == httpbin.url_for("/status/404")
        with pytest.raises(toolkit.ClientConnectionError):
            await session.get(f"http://127.0.0.1:{unused_port}/")


async def test_redirect_history(httpbin: Any) -> None:
    async with toolkit.ClientSession() as session:
        async with session.get(httpbin.url_for("/redirect/2")) as resp:
            assert resp.status == 200
            assert [r.status for r in resp.history] == [302, 302]
        async with session.head(httpbin.url_for("/redirect/1")) as resp:
            assert resp.status == 302  # head() does not follow redirects by default


def resolve(name: str) -> Any:
    """``ssl.SSLError``, ``OSError`` or ``RedirectClientError`` to the class it names."""
    if "." in name:
        module, attr = name.split(".")
        return getattr({"ssl": ssl, "asyncio": asyncio}[module], attr)
    return getattr(toolkit, name, None) or getattr(builtins, name)


def test_every_documented_exception_is_exported() -> None:
    text = (DOCS / "client" / "exceptions.md").read_text()
    tree = text.split("```text", 1)[1].split("```", 1)[0]
    classes = re.sub(r"\(\+ [^)]*\)", "", tree)  # drop the "(+ OSError)" extra bases
    names = set(re.findall(r"\b([A-Z][A-Za-z]+)\b", classes)) - {"Exception"}
    missing = sorted(n for n in names if not hasattr(toolkit, n))
    assert not missing, f"docs/client/exceptions.md names what toolkit does not export: {missing}"
    # ... and the documented bases are the real ones.
    for line in tree.splitlines():
        match = re.search(r"([A-Z][A-Za-z]+)\s+\(\+ ([\w.]+)\)", line)
        if match is None:
            continue
        cls = getattr(toolkit, match.group(1))
        extra = resolve(match.group(2))
        assert issubclass(cls, extra), f"{cls.__name__} is documented as a {extra}"


# --------------------------------------------------------------- reference: TLS, Unix, proxies


async def test_tls_with_own_ca_and_without_verification(httpbin_secure: Any) -> None:
    url = httpbin_secure.url_for("/get")
    async with toolkit.ClientSession() as session:
        async with session.get(url, ssl=httpbin_secure.ssl_context) as resp:
            assert resp.status == 200
        async with session.get(url, ssl=False) as resp:
            assert resp.status == 200
        with pytest.raises(toolkit.ClientConnectorCertificateError) as info:
            await session.get(url)  # the system trust store does not know the test CA
        assert isinstance(info.value, ssl.CertificateError)
        assert isinstance(info.value, toolkit.ClientSSLError)


async def test_certificate_pinning(httpbin_secure: Any, tls_server_cert: Any) -> None:
    der = ssl.PEM_cert_to_DER_cert(tls_server_cert.cert_chain_pems[0].bytes().decode())
    good = toolkit.Fingerprint(hashlib.sha256(der).digest())
    bad = toolkit.Fingerprint(b"0" * 32)
    url = httpbin_secure.url_for("/get")
    async with toolkit.ClientSession() as session:
        async with session.get(url, ssl=good) as resp:
            assert resp.status == 200
        with pytest.raises(toolkit.ServerFingerprintMismatch) as info:
            await session.get(url, ssl=bad)
    assert info.value.expected == b"0" * 32
    assert info.value.got == hashlib.sha256(der).digest()


async def test_unix_connector(httpbin_unix: Any) -> None:
    conn = toolkit.UnixConnector(path=str(httpbin_unix.path))
    async with (
        toolkit.ClientSession(connector=conn) as session,
        session.get(httpbin_unix.url_for("/get")) as resp,
    ):
        assert resp.status == 200
        assert (await resp.json())["url"] == "http://localhost/get"


@pytest.mark.needs_tinyproxy
async def test_plain_http_through_a_proxy(tinyproxy: Any, httpbin: Any) -> None:
    url = httpbin.url_for("/headers").with_query(show_env="1")
    async with toolkit.ClientSession() as session, session.get(url, proxy=tinyproxy.url) as resp:
        assert "tinyproxy" in (await resp.json())["headers"].get("Via", "")


@pytest.mark.needs_tinyproxy
async def test_https_tunnel_through_a_proxy(tinyproxy: Any, httpbin_secure: Any) -> None:
    url = httpbin_secure.url_for("/get")
    ctx = httpbin_secure.ssl_context
    async with (
        toolkit.ClientSession() as session,
        session.get(url, proxy=tinyproxy.url, ssl=ctx) as resp,
    ):
        assert resp.status == 200


@pytest.mark.needs_tinyproxy
async def test_proxy_auth(tinyproxy_auth: Any, httpbin: Any) -> None:
    url = httpbin.url_for("/get")
    auth = toolkit.BasicAuth(tinyproxy_auth.login, tinyproxy_auth.password)
    async with toolkit.ClientSession() as session:
        async with session.get(url, proxy=tinyproxy_auth.url, proxy_auth=auth) as resp:
            assert resp.status == 200
        async with session.get(url, proxy=tinyproxy_auth.url_with_auth) as resp:
            assert resp.status == 200
        async with session.get(url, proxy=tinyproxy_auth.url) as resp:
            assert resp.status == 407


# --------------------------------------------------------------- testing page


@pytest.mark.parametrize(
    "options", [{}, {"memory": True}, {"tls": True}], ids=["tcp", "memory", "tls"]
)
async def test_testing_page_example(http_client: Any, options: dict[str, bool]) -> None:
    from toolkit import web

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    app = web.Application()
    app.add_routes([web.get("/", hello)])
    client = await http_client(app, **options)
    resp = await client.get("/")
    assert resp.status == 200
    assert await resp.json() == {"hello": "world"}
