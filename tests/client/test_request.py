"""What the session puts on the wire: headers, URLs, bodies, and what it refuses to send."""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import io
import json
import zlib
from pathlib import Path
from typing import Any

import _peers as peers  # registered by conftest.py
import pytest
from hypothesis import given, settings, strategies as st
from multidict import MultiDict
from yarl import URL

import toolkit
from toolkit.client.client_request import USER_AGENT, ClientRequest, check_header_field
from toolkit.client.exceptions import InvalidUrlClientError, NonHttpUrlClientError
from toolkit.client.session import ClientSession
from toolkit.http import HttpVersion10


def echo(req):
    return peers.ok(b"ok")


async def send(method: str = "GET", path: str = "/", **kwargs):
    """Make one request to a fresh peer; return (the peer's view of it, response body)."""
    async with peers.Peer(echo) as peer, ClientSession() as session:
        url = kwargs.pop("url", None) or peer.url_for(path)
        async with session.request(method, url, **kwargs) as resp:
            body = await resp.read()
        return peer.requests[-1], body


# ---------------------------------------------------------------- headers


async def test_default_headers() -> None:
    req, _ = await send()
    assert req.header("Host") == f"127.0.0.1:{req.header('Host').split(':')[1]}"
    assert req.header("Accept") == "*/*"
    encodings = [e.strip() for e in req.header("Accept-Encoding").split(",")]
    assert encodings[:2] == ["gzip", "deflate"]
    assert ("br" in encodings) == (importlib.util.find_spec("brotli") is not None)
    assert ("zstd" in encodings) == (importlib.util.find_spec("zstandard") is not None)
    assert req.header("User-Agent") == USER_AGENT
    assert USER_AGENT.startswith("Python/3.") and USER_AGENT.endswith(" aiotoolkit/0.1")
    assert req.header("Content-Length") is None  # GET without a body


async def test_skip_auto_headers() -> None:
    req, _ = await send(skip_auto_headers=["User-Agent", "accept-encoding"])
    assert req.header("User-Agent") is None
    assert req.header("Accept-Encoding") is None
    assert req.header("Accept") == "*/*"


async def test_user_headers_win_over_defaults() -> None:
    req, _ = await send(headers={"User-Agent": "me", "Accept": "text/html"})
    assert req.header("User-Agent") == "me"
    assert req.header("Accept") == "text/html"


async def test_empty_post_has_content_length_zero() -> None:
    req, _ = await send("POST")
    assert req.header("Content-Length") == "0"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"X-Bad": "a\r\nInjected: yes"}},
        {"headers": {"X-Bad": "a\nb"}},
        {"headers": {"X-Bad": "a\x00b"}},
        {"headers": {"Bad Name": "x"}},
        {"headers": {"Bad:Name": "x"}},
        {"headers": {"X\r\nY": "x"}},
    ],
)
async def test_header_injection_is_refused_before_sending(kwargs) -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        with pytest.raises(ValueError):
            await session.get(peer.url(), **kwargs)
    assert peer.accepted == 0


@pytest.mark.parametrize("method", ["GET\r\nX: y", "GE T", "G\x00T", ""])
async def test_bad_method_is_refused(method: str) -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        with pytest.raises(ValueError, match="method"):
            await session.request(method, peer.url())
    assert peer.accepted == 0


async def test_crlf_in_encoded_url_is_refused() -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        url = URL(f"http://127.0.0.1:{peer.port}/a\r\nX-Injected: 1", encoded=True)
        with pytest.raises(ValueError, match="CR, LF or NUL"):
            await session.get(url)
    assert peer.accepted == 0


@given(value=st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
@settings(max_examples=60, deadline=None)
def test_header_values_are_checked(value: str) -> None:
    bad = any(c in value for c in "\r\n\x00")
    if bad:
        with pytest.raises(ValueError):
            check_header_field("X-Test", value)
    else:
        check_header_field("X-Test", value)


# ---------------------------------------------------------------- URLs


async def test_invalid_and_non_http_urls() -> None:
    async with ClientSession() as session:
        with pytest.raises(InvalidUrlClientError):
            await session.get("http://")
        with pytest.raises(NonHttpUrlClientError):
            await session.get("/relative/without/base")  # no scheme, as aiohttp
        with pytest.raises(NonHttpUrlClientError):
            await session.get("ftp://example.com/file")
        with pytest.raises(NonHttpUrlClientError):
            await session.get("mailto:someone@example.com")


async def test_fragment_is_not_sent() -> None:
    async with (
        peers.Peer(echo) as peer,
        ClientSession() as session,
        session.get(peer.url_for("/p?q=1#frag")) as resp,
    ):
        assert resp.url.fragment == ""
        assert resp.real_url.fragment == "frag"
    assert peer.requests[0].target == "/p?q=1"


async def test_requoting_and_encoded_opt_out() -> None:
    req, _ = await send(path="/%30 x")
    assert req.target == "/0%20x"
    async with (
        peers.Peer(echo) as peer,
        ClientSession() as session,
        session.get(URL(f"http://127.0.0.1:{peer.port}/%30", encoded=True)),
    ):
        pass
    assert peer.requests[0].target == "/%30"


@pytest.mark.parametrize(
    ("params", "query"),
    [
        ({"a": "1", "b": "x y"}, "a=1&b=x+y"),
        (MultiDict([("a", "1"), ("a", "2")]), "a=1&a=2"),
        ([("k", "v"), ("k", "w")], "k=v&k=w"),
        ("raw=%2F&x", "raw=%2F&x"),
        ({"n": 5}, "n=5"),
    ],
)
async def test_params(params, query: str) -> None:
    req, _ = await send(path="/p", params=params)
    assert req.target == f"/p?{query}"


_query_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
)


@given(pairs=st.lists(st.tuples(_query_text.filter(bool), _query_text), max_size=5))
@settings(max_examples=60, deadline=None)
def test_params_round_trip(pairs: list[tuple[str, str]]) -> None:
    """Whatever the keys and values, the query the server parses is the one given."""
    from urllib.parse import parse_qsl

    loop = asyncio.new_event_loop()
    try:
        url = ClientRequest("GET", URL("http://h.example/p"), params=pairs, loop=loop).url
    finally:
        loop.close()
    assert parse_qsl(url.raw_query_string, keep_blank_values=True) == pairs


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({1: "a"}, TypeError),
        ({"a": None}, TypeError),
        ({"a": object()}, TypeError),
        ([("a",)], ValueError),
        ({"a": float("nan")}, ValueError),
        (5, TypeError),
    ],
)
def test_bad_params_name_them(params: Any, error: type[Exception]) -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(error, match=r"^invalid params "):
            ClientRequest("GET", URL("http://h.example/p"), params=params, loop=loop)
    finally:
        loop.close()


async def test_params_extend_existing_query() -> None:
    req, _ = await send(path="/p?x=0", params={"y": "1"})
    assert req.target == "/p?x=0&y=1"


async def test_idna_host_header() -> None:
    req = ClientRequest("GET", URL("http://пример.испытание:8080/"))
    assert req.headers["Host"] == "xn--e1afmkfd.xn--80akhbyknj4f:8080"
    req = ClientRequest("GET", URL("http://[::1]/"))
    assert req.headers["Host"] == "[::1]"
    req = ClientRequest("GET", URL("https://example.com:443/"))
    assert req.headers["Host"] == "example.com"


async def test_credentials_in_url_become_basic_auth() -> None:
    async with peers.Peer(echo) as peer, ClientSession() as session:
        url = URL(f"http://user:pa%20ss@127.0.0.1:{peer.port}/")
        async with session.get(url):
            pass
        assert peer.requests[0].header("Authorization") == (
            toolkit.BasicAuth("user", "pa ss").encode()
        )
        assert "user" not in peer.requests[0].target
        with pytest.raises(ValueError, match="credentials"):
            await session.get(url, auth=toolkit.BasicAuth("other"))


async def test_auth_and_authorization_header_conflict() -> None:
    async with ClientSession() as session:
        with pytest.raises(ValueError, match="Authorization"):
            await session.get(
                "http://127.0.0.1:1/",
                auth=toolkit.BasicAuth("a", "b"),
                headers={"Authorization": "Bearer x"},
            )


# ---------------------------------------------------------------- bodies


async def test_json_and_data_are_exclusive() -> None:
    async with ClientSession() as session:
        with pytest.raises(ValueError, match="data and json"):
            await session.post("http://127.0.0.1:1/", data=b"x", json={})


async def test_json_body() -> None:
    req, _ = await send("POST", json={"a": [1, 2]})
    assert json.loads(req.body) == {"a": [1, 2]}
    assert req.header("Content-Type") == "application/json"
    assert req.header("Content-Length") == str(len(req.body))


async def test_dict_is_urlencoded() -> None:
    req, _ = await send("POST", data={"key1": "value 1", "key2": "é"})
    assert req.body == b"key1=value+1&key2=%C3%A9"
    assert req.header("Content-Type") == "application/x-www-form-urlencoded"


async def test_bytes_and_str_bodies() -> None:
    req, _ = await send("POST", data=b"\x00\x01raw")
    assert req.body == b"\x00\x01raw"
    assert req.header("Content-Type") == "application/octet-stream"
    req, _ = await send("PUT", data="text é")
    assert req.body == "text é".encode()
    assert req.header("Content-Type").startswith("text/plain")


async def test_file_object_body(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 200_000)
    with path.open("rb") as f:
        req, _ = await send("POST", data=f)
    assert req.body == b"x" * 200_000


async def test_bytesio_body() -> None:
    req, _ = await send("POST", data=io.BytesIO(b"in memory"))
    assert req.body == b"in memory"


async def test_async_generator_body_is_chunked() -> None:
    async def gen():
        for i in range(3):
            yield f"part{i};".encode()

    req, _ = await send("POST", data=gen())
    assert req.body == b"part0;part1;part2;"
    assert req.header("Transfer-Encoding") == "chunked"


async def test_streamer_body() -> None:
    @toolkit.streamer
    async def sender(writer, count: int = 2):
        for _ in range(count):
            await writer.write(b"ab")

    req, _ = await send("POST", data=sender(count=3))
    assert req.body == b"ababab"


async def test_stream_reader_body() -> None:
    stream = toolkit.StreamReader(None, 2**16, loop=asyncio.get_running_loop())
    stream.feed_data(b"from ")
    stream.feed_data(b"a stream")
    stream.feed_eof()
    req, _ = await send("POST", data=stream)
    assert req.body == b"from a stream"


async def test_formdata_multipart_body() -> None:
    form = toolkit.FormData()
    form.add_field("field", "value")
    form.add_field(
        "file", io.BytesIO(b"content"), filename="report.xls", content_type="application/x"
    )
    req, _ = await send("POST", data=form)
    assert req.header("Content-Type").startswith("multipart/form-data; boundary=")
    assert b'filename="report.xls"' in req.body
    assert b"content" in req.body


async def test_explicit_chunked() -> None:
    req, _ = await send("POST", data=b"abc", chunked=True)
    assert req.header("Transfer-Encoding") == "chunked"
    assert req.header("Content-Length") is None
    assert req.body == b"abc"


async def test_chunked_with_content_length_is_refused() -> None:
    async with ClientSession() as session:
        with pytest.raises(ValueError, match="Content-Length"):
            await session.post(
                "http://127.0.0.1:1/", data=b"x", chunked=True, headers={"Content-Length": "1"}
            )


@pytest.mark.parametrize(
    ("compress", "coding"), [(True, "deflate"), ("deflate", "deflate"), ("gzip", "gzip")]
)
async def test_compressed_request_body(compress, coding: str) -> None:
    payload = b"squeeze me " * 1000
    req, _ = await send("POST", data=payload, compress=compress)
    assert req.header("Content-Encoding") == coding
    assert req.header("Transfer-Encoding") == "chunked"
    decoded = gzip.decompress(req.body) if coding == "gzip" else zlib.decompress(req.body)
    assert decoded == payload


async def test_compress_with_content_encoding_header_is_refused() -> None:
    async with ClientSession() as session:
        with pytest.raises(ValueError, match="Content-Encoding"):
            await session.post(
                "http://127.0.0.1:1/",
                data=b"x",
                compress=True,
                headers={"Content-Encoding": "gzip"},
            )


async def test_precompressed_body_is_sent_as_is() -> None:
    data = zlib.compress(b"already")
    req, _ = await send("POST", data=data, headers={"Content-Encoding": "deflate"})
    assert req.body == data
    assert req.header("Content-Encoding") == "deflate"


async def test_expect_100_continue() -> None:
    req, body = await send("POST", data=b"after continue", expect100=True)
    assert req.header("Expect") == "100-continue"
    assert req.body == b"after continue"
    assert body == b"ok"


async def test_expect_100_waits_for_the_server() -> None:
    """The body is not sent before the server's 100 Continue."""
    seen_before_continue = bytearray()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await peers.read_head(reader)
        assert b"expect: 100-continue" in head.lower()
        try:
            seen_before_continue.extend(await asyncio.wait_for(reader.read(100), 0.05))
        except asyncio.TimeoutError:
            pass
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await reader.readexactly(4)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + body)
        await writer.drain()

    async with (
        peers.RawPeer(handler) as peer,
        ClientSession() as session,
        session.post(peer.url(), data=b"body", expect100=True) as resp,
    ):
        assert await resp.read() == b"body"
    assert seen_before_continue == b""


async def test_http10_refuses_chunked_bodies() -> None:
    async def gen():
        yield b"x"

    async with ClientSession(version=HttpVersion10) as session:
        with pytest.raises(ValueError, match=r"HTTP/1\.1"):
            await session.post("http://127.0.0.1:1/", data=gen())


async def test_unknown_body_type_is_a_type_error() -> None:
    async with ClientSession() as session:
        with pytest.raises(TypeError, match="object"):
            await session.post("http://127.0.0.1:1/", data=object())


# ---------------------------------------------------------------- cookies


async def test_per_request_cookies_are_deprecated_but_sent() -> None:
    async with peers.Peer(echo) as peer, ClientSession(cookies={"s": "1"}) as session:
        with pytest.warns(DeprecationWarning, match="cookies"):
            async with session.get(peer.url(), cookies={"r": "2"}):
                pass
    cookie = peer.requests[0].header("Cookie")
    assert sorted(cookie.split("; ")) == ["r=2", "s=1"]


# ---------------------------------------------------------------- trust_env


async def test_trust_env_proxy_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    async with peers.Peer(echo) as proxy:
        monkeypatch.setenv("HTTP_PROXY", str(proxy.url()))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with (
            ClientSession(trust_env=True) as session,
            session.get("http://example.invalid/path?q=1") as resp,
        ):
            assert resp.status == 200
        assert proxy.requests[0].target == "http://example.invalid/path?q=1"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with (
            peers.Peer(echo) as origin,
            ClientSession(trust_env=True) as session,
            session.get(origin.url_for("/direct")),
        ):
            pass
        assert origin.requests[0].target == "/direct"
        assert len(proxy.requests) == 1


async def test_trust_env_netrc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with (
        peers.Peer(echo) as peer,
        ClientSession(trust_env=True) as session,
        session.get(peer.url()),
    ):
        pass
    assert peer.requests[0].header("Authorization") == toolkit.BasicAuth("alice", "s3cret").encode()


async def test_plain_proxy_argument_with_auth() -> None:
    async with (
        peers.Peer(echo) as proxy,
        ClientSession() as session,
        session.get(
            "http://origin.invalid/x",
            proxy=proxy.url(),
            proxy_auth=toolkit.BasicAuth("p", "w"),
            proxy_headers={"X-Proxy": "1"},
        ),
    ):
        pass
    req = proxy.requests[0]
    assert req.target == "http://origin.invalid/x"
    assert req.header("Proxy-Authorization") == toolkit.BasicAuth("p", "w").encode()
    assert req.header("X-Proxy") == "1"
    assert req.header("Host") == "origin.invalid"


async def test_expect_100_refused_by_the_server() -> None:
    """A final status instead of 100 Continue: the response comes back and the
    connection, whose request body may be half sent, is not reused."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()  # whatever comes, until the client hangs up

    async with peers.RawPeer(handler) as peer, ClientSession() as session:
        for _ in range(2):
            async with session.post(peer.url(), data=b"x" * 1000, expect100=True) as resp:
                assert resp.status == 417
                assert await resp.read() == b""
    assert peer.accepted == 2


async def test_request_sent_by_hand_on_a_connector_connection() -> None:
    """The seam without the session: connector.connect(), send(), start()."""
    async with peers.Peer(echo) as peer, toolkit.TCPConnector() as connector:
        req = ClientRequest("POST", peer.url_for("/by-hand"), data=b"payload")
        conn = await connector.connect(req, [], toolkit.ClientTimeout(total=5))
        assert conn.protocol is not None
        conn.protocol.set_response_params(method=req.method)
        resp = await req.send(conn)
        await resp.start(conn)
        assert await resp.read() == b"ok"
        resp.release()
        await req.close()
    assert peer.requests[0].body == b"payload"
    assert peer.requests[0].target == "/by-hand"
