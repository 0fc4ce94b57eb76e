"""The client examples of the reference (sections 2.x and 3.x), one test each, rewritten
to run against the local httpbin instead of httpbin.org / example.com / badssl.com."""

from __future__ import annotations

import binascii
import hashlib
import json
import ssl
import zlib
from pathlib import Path

import pytest
import trustme
from yarl import URL

import toolkit
from toolkit import hdrs


def url_of(server, path: str) -> str:
    return str(server.url_for(path))


# ---------------------------------------------------------------- 2.1 making requests


async def test_2_1_post_json(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.post(url_of(httpbin, "/post"), json={"test": "object"}) as resp,
    ):
        assert (await resp.json())["json"] == {"test": "object"}


async def test_2_1_custom_json_serializer(httpbin) -> None:
    calls = []

    def dumps(obj):
        calls.append(obj)
        return json.dumps(obj, separators=(",", ":"))

    async with (
        toolkit.ClientSession(json_serialize=dumps) as session,
        session.post(url_of(httpbin, "/post"), json={"a": 1}) as resp,
    ):
        assert (await resp.json())["data"] == '{"a":1}'
    assert calls == [{"a": 1}]


async def test_2_1_params(httpbin) -> None:
    params = {"key1": "value1", "key2": "value2"}
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/get"), params=params) as resp,
    ):
        assert (await resp.json())["args"] == params
        assert resp.url.query == params


async def test_2_1_encoded_url_is_not_requoted(httpbin) -> None:
    url = URL(f"{httpbin.url}/anything/%30", encoded=True)
    async with toolkit.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 200
        assert resp.request_info.url.raw_path == "/anything/%30"
    async with (
        toolkit.ClientSession() as session,
        session.get(f"{httpbin.url}/anything/%30") as resp,
    ):
        assert resp.request_info.url.raw_path == "/anything/0"  # requoted


async def test_2_1_text_with_encoding(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/encoding/utf8")) as resp,
    ):
        body = await resp.read()
        assert await resp.text() == body.decode("utf-8")
        text = await resp.text(encoding="windows-1251", errors="replace")
        assert text == body.decode("windows-1251", "replace")


async def test_2_1_read_bytes(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/bytes/64?seed=1")) as resp,
    ):
        body = await resp.read()
    assert len(body) == 64


async def test_2_1_json(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/json")) as resp,
    ):
        assert "slideshow" in await resp.json()


async def test_2_1_streaming_content(httpbin, tmp_path: Path) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/stream-bytes/10000?seed=2")) as resp,
    ):
        first = await resp.content.read(10)
        assert len(first) == 10
        with (tmp_path / "out").open("wb") as fd:
            fd.write(first)
            while True:
                chunk = await resp.content.read(1024)
                if not chunk:
                    break
                fd.write(chunk)
    assert (tmp_path / "out").stat().st_size == 10000


async def test_2_1_gzip_is_decoded(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/gzip")) as resp,
    ):
        assert (await resp.json())["gzipped"] is True


# ---------------------------------------------------------------- 2.2 request details


async def test_2_2_custom_headers(httpbin) -> None:
    payload = {"some": "data"}
    headers = {"content-type": "application/json"}
    async with (
        toolkit.ClientSession() as session,
        session.post(url_of(httpbin, "/post"), data=json.dumps(payload), headers=headers) as resp,
    ):
        body = await resp.json()
    assert body["json"] == payload
    assert body["headers"]["Content-Type"] == "application/json"


async def test_2_2_session_cookies(httpbin) -> None:
    cookies = {"cookies_are": "working"}
    async with (
        toolkit.ClientSession(cookies=cookies) as session,
        session.get(url_of(httpbin, "/cookies")) as resp,
    ):
        assert await resp.json() == {"cookies": {"cookies_are": "working"}}


async def test_2_2_form_post(httpbin) -> None:
    payload = {"key1": "value1", "key2": "value2"}
    async with (
        toolkit.ClientSession() as session,
        session.post(url_of(httpbin, "/post"), data=payload) as resp,
    ):
        assert (await resp.json())["form"] == payload


async def test_2_2_string_body(httpbin) -> None:
    payload = {"key1": "value1"}
    async with (
        toolkit.ClientSession() as session,
        session.post(url_of(httpbin, "/post"), data=json.dumps(payload)) as resp,
    ):
        assert (await resp.json())["data"] == json.dumps(payload)


# ---------------------------------------------------------------- 2.3 uploads


async def test_2_3_file_in_dict(httpbin, tmp_path: Path) -> None:
    report = tmp_path / "report.xls"
    report.write_bytes(b"spreadsheet")
    with report.open("rb") as f:
        files = {"file": f}
        async with (
            toolkit.ClientSession() as session,
            session.post(url_of(httpbin, "/post"), data=files) as resp,
        ):
            assert (await resp.json())["files"] == {"file": "spreadsheet"}


async def test_2_3_formdata_with_filename(httpbin, tmp_path: Path) -> None:
    report = tmp_path / "report.xls"
    report.write_bytes(b"cells")
    data = toolkit.FormData()
    with report.open("rb") as f:
        data.add_field("file", f, filename="report.xls", content_type="application/vnd.ms-excel")
        async with (
            toolkit.ClientSession() as session,
            session.post(url_of(httpbin, "/post"), data=data) as resp,
        ):
            assert (await resp.json())["files"] == {"file": "cells"}


async def test_2_3_stream_a_file(httpbin, tmp_path: Path) -> None:
    big = tmp_path / "massive-body.avi"
    big.write_bytes(b"v" * 300_000)
    async with toolkit.ClientSession() as session:
        with big.open("rb") as f:
            async with session.post(url_of(httpbin, "/post"), data=f) as resp:
                body = await resp.json()
    assert len(body["data"]) == 300_000


async def test_2_3_streamer(httpbin, tmp_path: Path) -> None:
    huge = tmp_path / "huge_file"
    huge.write_bytes(b"s" * 150_000)

    @toolkit.streamer
    async def file_sender(writer, file_name=None):
        with open(file_name, "rb") as f:
            chunk = f.read(2**16)
            while chunk:
                await writer.write(chunk)
                chunk = f.read(2**16)

    async with (
        toolkit.ClientSession() as session,
        session.post(url_of(httpbin, "/post"), data=file_sender(file_name=huge)) as resp,
    ):
        assert len((await resp.json())["data"]) == 150_000


async def test_2_3_pipe_a_response_into_a_request(httpbin) -> None:
    """The reference's feed_stream example: hash a download while uploading it."""
    import asyncio

    async def feed_stream(resp, stream):
        h = hashlib.sha256()
        while True:
            chunk = await resp.content.readany()
            if not chunk:
                break
            h.update(chunk)
            stream.feed_data(chunk)
        stream.feed_eof()
        return h.hexdigest()

    async with toolkit.ClientSession() as session:
        resp = await session.get(url_of(httpbin, "/bytes/5000?seed=3"))
        stream = toolkit.StreamReader(None, 2**16, loop=asyncio.get_running_loop())
        upload = asyncio.get_running_loop().create_task(
            session.post(url_of(httpbin, "/post"), data=stream)
        )
        file_hash = await feed_stream(resp, stream)
        posted = await upload
        body = await posted.json()
        resp.release()
    # httpbin shows binary bodies as a data: URL; the hash proves what was read.
    assert len(file_hash) == 64
    assert body["headers"]["Transfer-Encoding"] == "chunked"


async def test_2_3_chain_get_into_post(httpbin) -> None:
    async with toolkit.ClientSession() as session:
        r = await session.get(url_of(httpbin, "/base64/aGVsbG8gd29ybGQ="))
        async with session.post(url_of(httpbin, "/post"), data=r.content) as resp:
            assert (await resp.json())["data"] == "hello world"
        r.release()


async def test_2_3_precompressed_upload(httpbin) -> None:
    data = zlib.compress(b"my data")
    headers = {"Content-Encoding": "deflate"}
    async with (
        toolkit.ClientSession() as session,
        session.post(url_of(httpbin, "/post"), data=data, headers=headers) as resp,
    ):
        body = await resp.json()
    assert body["headers"]["Content-Encoding"] == "deflate"


# ---------------------------------------------------------------- 2.4 sessions, cookies


async def test_2_4_shared_cookies(httpbin) -> None:
    # httpbin is on 127.0.0.1: cookies for IP hosts need the unsafe jar (see below).
    jar = toolkit.CookieJar(unsafe=True)
    async with toolkit.ClientSession(cookie_jar=jar) as session:
        await (await session.get(url_of(httpbin, "/cookies/set?my_cookie=my_value"))).release()
        filtered = session.cookie_jar.filter_cookies(httpbin.url)
        assert filtered["my_cookie"].value == "my_value"
        async with session.get(url_of(httpbin, "/cookies")) as r:
            json_body = await r.json()
            assert json_body["cookies"]["my_cookie"] == "my_value"


async def test_2_4_session_headers(httpbin) -> None:
    async with (
        toolkit.ClientSession(headers={"Authorization": "Basic bG9naW46cGFzcw=="}) as session,
        session.get(url_of(httpbin, "/headers")) as r,
    ):
        json_body = await r.json()
        assert json_body["headers"]["Authorization"] == "Basic bG9naW46cGFzcw=="


async def test_2_4_safe_jar_ignores_ip_hosts(httpbin) -> None:
    async with toolkit.ClientSession() as session:
        (await session.get(url_of(httpbin, "/cookies/set?k=v"))).release()
        assert len(session.cookie_jar) == 0
    jar = toolkit.CookieJar(unsafe=True)
    async with toolkit.ClientSession(cookie_jar=jar) as session:
        (await session.get(url_of(httpbin, "/cookies/set?k=v"))).release()
        assert len(jar) == 1


async def test_2_4_dummy_cookie_jar(httpbin) -> None:
    jar = toolkit.DummyCookieJar()
    async with (
        toolkit.ClientSession(cookie_jar=jar) as session,
        session.get(url_of(httpbin, "/cookies/set?k=v")) as r,
    ):
        assert await r.json() == {"cookies": {}}


async def test_2_4_connector_and_limits(httpbin) -> None:
    for conn in (
        toolkit.TCPConnector(),
        toolkit.TCPConnector(limit=30),
        toolkit.TCPConnector(limit=0),
        toolkit.TCPConnector(limit_per_host=30),
    ):
        async with (
            toolkit.ClientSession(connector=conn) as session,
            session.get(url_of(httpbin, "/get")) as resp,
        ):
            assert resp.status == 200
        assert conn.closed
    assert toolkit.TCPConnector(limit=30).limit == 30


async def test_2_4_custom_resolver(httpbin) -> None:
    pytest.importorskip("aiodns")
    from toolkit.client.resolver import AsyncResolver

    resolver = AsyncResolver(nameservers=["127.0.0.1"])
    conn = toolkit.TCPConnector(resolver=resolver)
    # An IP literal needs no lookup, so the unreachable name server is never asked.
    async with (
        toolkit.ClientSession(connector=conn) as session,
        session.get(url_of(httpbin, "/get")) as resp,
    ):
        assert resp.status == 200


# ---------------------------------------------------------------- 2.5 TLS


async def test_2_5_verify_ssl_false(httpbin_secure) -> None:
    async with toolkit.ClientSession() as session:
        with pytest.warns(DeprecationWarning, match="verify_ssl"):
            r = await session.get(url_of(httpbin_secure, "/get"), verify_ssl=False)
        assert r.status == 200
        r.release()


async def test_2_5_ssl_context(httpbin_secure, tls_ca_path) -> None:
    sslcontext = ssl.create_default_context(cafile=str(tls_ca_path))
    async with toolkit.ClientSession() as session:
        with pytest.warns(DeprecationWarning, match="ssl_context"):
            r = await session.get(url_of(httpbin_secure, "/get"), ssl_context=sslcontext)
        assert r.status == 200
        r.release()
        async with session.get(url_of(httpbin_secure, "/get"), ssl=sslcontext) as r:
            assert r.status == 200


async def test_2_5_client_certificate(httpbin_secure, tls_ca, tls_ca_path, tmp_path) -> None:
    client_cert: trustme.LeafCert = tls_ca.issue_cert("client@example.com")
    pem = tmp_path / "device.pem"
    key = tmp_path / "device.key"
    client_cert.cert_chain_pems[0].write_to_path(str(pem))
    client_cert.private_key_pem.write_to_path(str(key))
    sslcontext = ssl.create_default_context(cafile=str(tls_ca_path))
    sslcontext.load_cert_chain(str(pem), str(key))
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin_secure, "/get"), ssl=sslcontext) as r,
    ):
        assert r.status == 200


async def test_2_5_certificate_errors(httpbin_secure) -> None:
    # The default context does not trust the test CA: a verification failure.
    async with toolkit.ClientSession() as session:
        with pytest.raises(toolkit.ClientConnectorCertificateError) as info:
            await session.get(url_of(httpbin_secure, "/get"))
        assert isinstance(info.value, ssl.CertificateError)
        with pytest.raises(toolkit.ClientSSLError):
            await session.get(url_of(httpbin_secure, "/get"))


async def test_2_5_ssl_error_on_a_plain_server(httpbin) -> None:
    async with toolkit.ClientSession() as session:
        with pytest.raises(toolkit.ClientConnectorSSLError) as info:
            await session.get(f"https://{httpbin.host}:{httpbin.port}/get")
        assert isinstance(info.value, ssl.SSLError)
        assert isinstance(info.value, toolkit.ClientSSLError)


async def test_2_5_fingerprint(httpbin_secure) -> None:
    bad_fingerprint = b"0" * 32
    exc = None
    async with toolkit.ClientSession() as session:
        try:
            with pytest.warns(DeprecationWarning, match="fingerprint"):
                await session.get(url_of(httpbin_secure, "/get"), fingerprint=bad_fingerprint)
        except toolkit.FingerprintMismatch as e:
            exc = e
    assert exc is not None
    assert exc.expected == bad_fingerprint
    assert len(exc.got) == 32
    # The right digest is accepted (binascii.unhexlify of a hex digest, as the docs say).
    good = toolkit.Fingerprint(binascii.unhexlify(exc.got.hex()))
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin_secure, "/get"), ssl=good) as r,
    ):
        assert r.status == 200


# ---------------------------------------------------------------- 2.6 Unix sockets


async def test_2_6_unix_socket(httpbin_unix) -> None:
    conn = toolkit.UnixConnector(path=str(httpbin_unix.path))
    async with (
        toolkit.ClientSession(connector=conn) as session,
        session.get(httpbin_unix.url_for("/get")) as resp,
    ):
        assert resp.status == 200


# ---------------------------------------------------------------- 2.7 status, headers


async def test_2_7_status(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/get")) as resp,
    ):
        assert resp.status == 200


async def test_2_7_headers_are_case_insensitive(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/get")) as resp,
    ):
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.headers.get("content-type") == "application/json"
        assert resp.headers["CONTENT-TYPE"] == "application/json"
        assert any(name.lower() == b"content-type" for name, _ in resp.raw_headers)


async def test_2_7_response_cookies(httpbin) -> None:
    async with toolkit.ClientSession() as session:
        url = url_of(httpbin, "/response-headers?Set-Cookie=example_cookie_name%3Dhello")
        async with session.get(url) as resp:
            assert resp.cookies["example_cookie_name"].value == "hello"


async def test_2_7_history(httpbin) -> None:
    async with toolkit.ClientSession() as session:
        resp = await session.get(url_of(httpbin, "/redirect/1"))
        assert resp.url == httpbin.url_for("/get")
        assert len(resp.history) == 1
        assert resp.history[0].status == 302
        assert repr(resp.history[0]).startswith("<ClientResponse(")
        resp.release()
        async with session.get(url_of(httpbin, "/redirect/1"), allow_redirects=False) as r:
            assert r.history == ()


# ---------------------------------------------------------------- 3.1 ClientSession


async def test_3_1_session_arguments(httpbin) -> None:
    async with toolkit.ClientSession(
        connector=toolkit.TCPConnector(),
        cookies={"c": "1"},
        headers={"X-Session": "1"},
        skip_auto_headers=["User-Agent"],
        auth=toolkit.BasicAuth("user", "pass"),
        json_serialize=json.dumps,
        version=toolkit.HttpVersion11,
        cookie_jar=toolkit.CookieJar(unsafe=True),
        raise_for_status=False,
        connector_owner=True,
        auto_decompress=True,
        trust_env=False,
    ) as session:
        async with session.get(url_of(httpbin, "/headers")) as resp:
            headers = (await resp.json())["headers"]
        assert headers["X-Session"] == "1"
        assert "User-Agent" not in headers
        assert headers["Authorization"] == toolkit.BasicAuth("user", "pass").encode()
        assert not session.closed
        assert isinstance(session.connector, toolkit.TCPConnector)
        assert isinstance(session.cookie_jar, toolkit.AbstractCookieJar)
    assert session.closed


async def test_3_1_old_timeouts(httpbin) -> None:
    with pytest.warns(DeprecationWarning):
        session = toolkit.ClientSession(read_timeout=30, conn_timeout=10)
    async with session, session.get(url_of(httpbin, "/get")) as resp:
        assert resp.status == 200


async def test_3_1_requote_redirect_url(httpbin) -> None:
    async with toolkit.ClientSession(requote_redirect_url=False) as session:
        assert session.requote_redirect_url is False
        async with session.get(
            url_of(httpbin, "/redirect-to"), params={"url": "/anything/%30"}
        ) as resp:
            assert resp.url.raw_path == "/anything/%30"


async def test_3_1_loop_property() -> None:
    import asyncio

    async with toolkit.ClientSession() as session:
        with pytest.warns(DeprecationWarning):
            assert session.loop is asyncio.get_running_loop()


# ---------------------------------------------------------------- 3.2 / 3.3 requests


async def test_3_2_module_request(httpbin) -> None:
    async with toolkit.request("GET", url_of(httpbin, "/get"), params={"a": "b"}) as resp:
        assert (await resp.json())["args"] == {"a": "b"}


async def test_3_2_request_arguments(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.request(
            "POST",
            url_of(httpbin, "/post"),
            params=[("p", "1")],
            data=b"body",
            headers={"X-Req": "yes"},
            skip_auto_headers=["Accept-Encoding"],
            auth=toolkit.BasicAuth("a", "b"),
            allow_redirects=True,
            max_redirects=10,
            compress=None,
            chunked=None,
            expect100=True,
            read_until_eof=True,
            proxy=None,
            proxy_auth=None,
            timeout=toolkit.ClientTimeout(total=60),
            proxy_headers=None,
        ) as resp,
    ):
        body = await resp.json()
    assert body["data"] == "body"
    assert body["args"] == {"p": "1"}
    assert body["headers"]["X-Req"] == "yes"
    assert "Accept-Encoding" not in body["headers"]


@pytest.mark.parametrize(
    ("verb", "path", "kwargs"),
    [
        ("get", "/get", {}),
        ("post", "/post", {"data": b"p"}),
        ("put", "/put", {"data": b"p"}),
        ("delete", "/delete", {}),
        ("head", "/get", {}),
        ("options", "/get", {}),
        ("patch", "/patch", {"data": b"p"}),
    ],
)
async def test_3_3_verbs(httpbin, verb: str, path: str, kwargs) -> None:
    async with (
        toolkit.ClientSession() as session,
        getattr(session, verb)(url_of(httpbin, path), **kwargs) as resp,
    ):
        assert resp.status == 200
        assert resp.method == verb.upper()
        if verb == "head":
            assert await resp.read() == b""


async def test_3_3_head_does_not_follow_redirects(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.head(url_of(httpbin, "/redirect/1")) as resp,
    ):
        assert resp.status == 302


async def test_3_4_ws_connect() -> None:
    """ws_connect against a minimal echo server written with the ``websockets`` library."""
    websockets_server = pytest.importorskip("websockets.asyncio.server")

    async def echo(connection) -> None:
        async for message in connection:
            await connection.send(message)

    async with websockets_server.serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with (
            toolkit.ClientSession() as session,
            session.ws_connect(
                f"ws://127.0.0.1:{port}/", autoclose=True, autoping=True, heartbeat=None
            ) as ws,
        ):
            await ws.send_str("hello")
            assert await ws.receive_str() == "hello"
            await ws.send_json({"a": 1})
            assert await ws.receive_json() == {"a": 1}
            await ws.send_bytes(b"\x00\x01")
            assert await ws.receive_bytes() == b"\x00\x01"
            await ws.close()
            assert ws.closed


async def test_3_4_close_and_detach() -> None:
    session = toolkit.ClientSession()
    conn = session.connector
    session.detach()
    assert session.closed
    assert conn is not None and not conn.closed
    await conn.close()


# ---------------------------------------------------------------- 3.7 responses


async def test_3_7_response_object(httpbin) -> None:
    async with toolkit.ClientSession() as session:
        resp = await session.get(url_of(httpbin, "/get"))
        async with resp:
            assert resp.status == 200
            assert resp.reason == "OK"
            assert resp.version == toolkit.HttpVersion11
            assert resp.method == "GET"
            assert resp.url == httpbin.url_for("/get")
            assert isinstance(resp.content, toolkit.StreamReader)
            assert resp.content_type == "application/json"
            assert resp.charset is None
            assert "CONTENT-TYPE" in resp.headers
            assert resp.history == ()
            info = resp.request_info
            assert isinstance(info, toolkit.RequestInfo)
            assert info.url == resp.url
            assert info.method == "GET"
            assert info.headers[hdrs.HOST] == f"{httpbin.host}:{httpbin.port}"
            data = await resp.json(encoding="utf-8", loads=json.loads)
            assert data["url"] == str(resp.url)
        assert resp.closed


async def test_3_7_raise_for_status(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/status/404")) as resp,
    ):
        with pytest.raises(toolkit.ClientResponseError) as info:
            resp.raise_for_status()
    err = info.value
    assert err.status == 404
    assert err.message == "NOT FOUND"
    assert err.request_info.url == httpbin.url_for("/status/404")
    with pytest.warns(DeprecationWarning):
        assert err.code == 404


async def test_3_7_json_content_type_error(httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/html")) as resp,
    ):
        with pytest.raises(toolkit.ContentTypeError):
            await resp.json()
        text = await resp.text("ISO-8859-1")
        assert "<html>" in text


# ---------------------------------------------------------------- BasicAuth, CookieJar


async def test_basic_auth(httpbin) -> None:
    auth = toolkit.BasicAuth("user", "passwd")
    assert toolkit.BasicAuth.decode(auth.encode()) == auth
    url = URL(url_of(httpbin, "/basic-auth/user/passwd")).with_user("user").with_password("passwd")
    assert toolkit.BasicAuth.from_url(url) == auth
    async with (
        toolkit.ClientSession() as session,
        session.get(url_of(httpbin, "/basic-auth/user/passwd"), auth=auth) as resp,
    ):
        assert (await resp.json())["authenticated"] is True
        async with session.get(url) as resp:
            assert resp.status == 200
        async with session.get(url_of(httpbin, "/basic-auth/user/passwd")) as resp:
            assert resp.status == 401


async def test_cookie_jar_iterate_save_load(httpbin, tmp_path: Path) -> None:
    jar = toolkit.CookieJar(unsafe=True)
    async with toolkit.ClientSession(cookie_jar=jar) as session:
        (await session.get(url_of(httpbin, "/cookies/set?a=1&b=2"))).release()
    assert len(jar) == 2
    assert sorted(cookie.key for cookie in jar) == ["a", "b"]
    jar.save(tmp_path / "cookies.pickle")
    other = toolkit.CookieJar(unsafe=True)
    other.load(tmp_path / "cookies.pickle")
    assert sorted(c.key for c in other) == ["a", "b"]
    other.update_cookies({"shared": "x"})
    assert "shared" in other.filter_cookies(URL("http://anything.example/"))


# ---------------------------------------------------------------- exceptions


async def test_exception_hierarchy_examples(httpbin) -> None:
    assert issubclass(toolkit.InvalidURL, ValueError)
    assert issubclass(toolkit.ClientOSError, OSError)
    assert issubclass(toolkit.ServerTimeoutError, toolkit.ServerConnectionError)
    async with toolkit.ClientSession() as session:
        with pytest.raises(toolkit.InvalidURL):
            await session.get("http:///no-host")
        with pytest.raises(toolkit.ClientConnectorError):
            await session.get("http://127.0.0.1:1/")
        with pytest.raises(toolkit.ClientResponseError) as info:
            await session.get(url_of(httpbin, "/status/500"), raise_for_status=True)
        assert info.value.status == 500
