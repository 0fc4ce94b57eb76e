"""ClientResponse: attributes, body decoding, and when its connection goes back to the pool."""

from __future__ import annotations

import asyncio
import email.utils

import _peers as peers  # registered by conftest.py
import pytest
from hypothesis import example, given, settings, strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from toolkit.client.exceptions import (
    ClientConnectionError,
    ClientPayloadError,
    ClientResponseError,
    ContentTypeError,
    RequestInfo,
)
from toolkit.client.response import ClientResponse
from toolkit.client.session import ClientSession
from toolkit.cookiejar import CookieJar
from toolkit.http import HttpVersion11
from toolkit.streams import EMPTY_PAYLOAD


def fixed(status: int = 200, headers=(), body: bytes = b""):
    def handler(req):
        return (status, list(headers), body)

    return handler


async def fetch(handler, method: str = "GET", **kwargs):
    """(response with its body read, peer) for one request."""
    async with (
        peers.Peer(handler) as peer,
        ClientSession(**kwargs) as session,
        session.request(method, peer.url_for("/r")) as resp,
    ):
        await resp.read()
        return resp, peer


# ---------------------------------------------------------------- attributes


async def test_attributes() -> None:
    headers = [
        ("Content-Type", "text/html; charset=ISO-8859-1"),
        ("Set-Cookie", "a=1; Path=/"),
        ("Set-Cookie", "b=2"),
        ("X-Multi", "1"),
        ("X-Multi", "2"),
    ]
    resp, peer = await fetch(fixed(201, headers, b"body"))
    assert resp.status == 201
    assert resp.reason == "Created"
    assert resp.ok
    assert resp.version == HttpVersion11
    assert resp.method == "GET"
    assert resp.url == peer.url_for("/r")
    assert resp.real_url == peer.url_for("/r")
    assert resp.host == "127.0.0.1"
    assert resp.content_type == "text/html"
    assert resp.charset == "ISO-8859-1"
    assert resp.content_length == 4
    assert resp.headers.getall("x-multi") == ["1", "2"]
    assert (b"X-Multi", b"2") in resp.raw_headers
    assert resp.cookies["a"].value == "1"
    assert resp.cookies["b"].value == "2"
    assert resp.history == ()
    assert isinstance(resp.request_info, RequestInfo)
    assert resp.request_info.method == "GET"
    assert resp.request_info.url == peer.url_for("/r")
    assert resp.request_info.headers["Host"] == f"127.0.0.1:{peer.port}"
    assert resp.closed
    assert resp.connection is None
    assert "201 Created" in repr(resp)


async def test_content_type_default() -> None:
    resp, _ = await fetch(fixed(200, [], b"x"))
    assert resp.content_type == "application/octet-stream"
    assert resp.charset is None
    assert resp.content_disposition is None


def _email_content_type(raw: str) -> tuple[str, dict[str, str]]:
    from email.parser import HeaderParser

    message = HeaderParser().parsestr("Content-Type: " + raw)
    params = message.get_params(()) or []
    return message.get_content_type(), {str(k).lower(): _text(v) for k, v in params[1:]}


def _text(value: str | tuple[str | None, str | None, str]) -> str:
    """A parameter value of the email package's as text (RFC 2231 ones decoded by it)."""
    if isinstance(value, str):
        return value
    try:
        return email.utils.collapse_rfc2231_value(value, "replace", "latin-1")  # type: ignore[arg-type]
    except UnicodeError:
        return value[2]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["text", "/", "Plain", ";", " ", "\t", "charset", "=", "utf-8", '"'])
        | st.sampled_from(["*", "'", "x+y", "%", "_", "a.b", "\u00e9", ","]),
        max_size=12,
    ).map("".join)
)
@example(raw=";text*")  # an RFC 2231 value with no charset: (None, None, "")
def test_content_type_parsing_agrees_with_the_email_package(raw: str) -> None:
    # The usual values take a fast path; every value must parse as the email package does.
    from toolkit.client.response import _parse_content_type

    content_type, params = _parse_content_type(raw)
    assert (content_type, dict(params)) == _email_content_type(raw)


async def test_content_disposition() -> None:
    headers = [("Content-Disposition", 'attachment; filename="report.xls"; size=3')]
    resp, _ = await fetch(fixed(200, headers, b"x"))
    cd = resp.content_disposition
    assert cd is not None
    assert cd.type == "attachment"
    assert cd.filename == "report.xls"
    assert cd.parameters["size"] == "3"


async def test_links() -> None:
    link = '</page/2>; rel="next", <http://other.example/>; rel=prev; title="P"'
    resp, peer = await fetch(fixed(200, [("Link", link)], b""))
    assert resp.links["next"]["url"] == peer.url_for("/page/2")
    assert resp.links["prev"]["url"] == URL("http://other.example/")
    assert resp.links["prev"]["title"] == "P"


async def test_head_response_has_no_body() -> None:
    resp, _ = await fetch(fixed(200, [("Content-Length", "100")], b""), method="HEAD")
    assert resp.content_length == 100
    assert await resp.read() == b""


# ---------------------------------------------------------------- body decoding


async def test_text_uses_declared_charset() -> None:
    body = "Grüße".encode("iso-8859-1")
    resp, _ = await fetch(fixed(200, [("Content-Type", "text/plain; charset=iso-8859-1")], body))
    assert await resp.text() == "Grüße"
    assert resp.get_encoding() == "iso8859-1"


async def test_text_fallback_resolver_then_utf8() -> None:
    body = "Grüße".encode("cp1252")
    calls = []

    def resolver(resp, raw: bytes) -> str:
        calls.append(raw)
        return "cp1252"

    resp, _ = await fetch(
        fixed(200, [("Content-Type", "text/plain")], body), fallback_charset_resolver=resolver
    )
    assert await resp.text() == "Grüße"
    assert calls == [body]
    resp, _ = await fetch(fixed(200, [("Content-Type", "text/plain")], "é".encode()))
    assert await resp.text() == "é"


async def test_text_explicit_encoding_and_errors() -> None:
    resp, _ = await fetch(fixed(200, [], b"caf\xe9"))
    with pytest.raises(UnicodeDecodeError):
        await resp.text()
    assert await resp.text(errors="replace") == "caf\ufffd"
    assert await resp.text("windows-1251") == "cafй"


@pytest.mark.parametrize("charset", ["no-such", "rot13", "base64", "zlib", "undefined"])
async def test_unknown_declared_charset_falls_back(charset: str) -> None:
    """A charset Python has no text codec for (rot13, base64 and zlib are bytes or str
    transforms; "undefined" refuses everything) is as if none were declared."""
    resp, _ = await fetch(fixed(200, [("Content-Type", f"text/plain; charset={charset}")], b"ok"))
    assert await resp.text() == "ok"
    assert resp.get_encoding() == "utf-8"


async def test_json() -> None:
    resp, _ = await fetch(fixed(200, [("Content-Type", "application/json")], b'{"a": 1}'))
    assert await resp.json() == {"a": 1}
    assert await resp.json(loads=lambda s: s) == '{"a": 1}'
    resp, _ = await fetch(fixed(200, [("Content-Type", "application/problem+json")], b"[1]"))
    assert await resp.json() == [1]


async def test_json_empty_body_is_none() -> None:
    resp, _ = await fetch(fixed(200, [("Content-Type", "application/json")], b"  \n"))
    assert await resp.json() is None


async def test_json_content_type_mismatch() -> None:
    resp, _ = await fetch(fixed(200, [("Content-Type", "text/html")], b'{"a": 1}'))
    with pytest.raises(ContentTypeError) as info:
        await resp.json()
    assert info.value.status == 200
    assert "text/html" in info.value.message
    assert info.value.request_info == resp.request_info
    assert await resp.json(content_type=None) == {"a": 1}
    assert await resp.json(content_type="text/html") == {"a": 1}


# ---------------------------------------------------------------- raise_for_status


async def test_raise_for_status() -> None:
    resp, _ = await fetch(fixed(418, [("X-Why", "tea")], b""))
    assert not resp.ok
    with pytest.raises(ClientResponseError) as info:
        resp.raise_for_status()
    err = info.value
    assert err.status == 418
    assert err.message == "I'm a Teapot"
    assert err.headers["X-Why"] == "tea"
    assert err.history == ()
    assert err.request_info == resp.request_info
    ok, _ = await fetch(fixed(204))
    ok.raise_for_status()


# ---------------------------------------------------------------- connection handling


async def test_unread_body_discards_the_connection() -> None:
    async def partial(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()
        await reader.read()  # until the client hangs up

    async with peers.RawPeer(partial) as peer, ClientSession() as session:
        async with session.get(peer.url()) as resp:
            assert await resp.content.read(3) == b"abc"
        assert resp.closed
        assert resp.connection is None
        async with session.get(peer.url()) as resp:
            assert await resp.content.read(3) == b"abc"
    assert peer.accepted == 2


async def test_buffered_body_may_be_left_unread() -> None:
    """A response received whole may go back to the pool even if the caller did not
    read it: the bytes are already off the wire."""
    async with (
        peers.Peer(fixed(200, [], b"small")) as peer,
        ClientSession() as session,
    ):
        async with session.get(peer.url()) as resp:
            await resp.content.read(1)
            await asyncio.sleep(0.01)
        async with session.get(peer.url()) as resp:
            assert await resp.read() == b"small"
    assert peer.accepted in (1, 2)


async def test_release_works_with_and_without_await() -> None:
    async with peers.Peer(fixed(200, [], b"abc")) as peer, ClientSession() as session:
        resp = await session.get(peer.url())
        await resp.release()
        assert resp.closed
        resp.release()  # idempotent
        resp = await session.get(peer.url())
        resp.close()
        assert resp.closed


async def test_read_after_release_without_body_fails() -> None:
    async with peers.Peer(fixed(200, [], b"abc" * 50_000)) as peer, ClientSession() as session:
        resp = await session.get(peer.url())
        resp.release()
        with pytest.raises(ClientConnectionError):
            await resp.read()


async def test_body_is_cached_after_release() -> None:
    resp, _ = await fetch(fixed(200, [], b"abc"))
    assert await resp.read() == b"abc"
    assert await resp.text() == "abc"


async def test_truncated_body_is_a_payload_error_and_not_reused() -> None:
    async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()

    async with (
        peers.RawPeer(truncated) as peer,
        ClientSession() as session,
        session.get(peer.url()) as resp,
    ):
        with pytest.raises(ClientPayloadError):
            await resp.read()
        assert resp.closed
        assert resp.connection is None


async def test_malformed_status_line() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()

    async with peers.RawPeer(garbage) as peer, ClientSession() as session:
        with pytest.raises(ClientResponseError):
            await session.get(peer.url())


async def test_connection_close_response_is_not_pooled() -> None:
    handler = fixed(200, [("Connection", "close")], b"bye")
    async with peers.Peer(handler) as peer, ClientSession() as session:
        for _ in range(2):
            async with session.get(peer.url()) as resp:
                assert await resp.read() == b"bye"
    assert peer.accepted == 2


async def test_read_until_eof_false_skips_close_delimited_body() -> None:
    async def close_delimited(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await peers.read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
        await writer.drain()

    async with (
        peers.RawPeer(close_delimited) as peer,
        ClientSession() as session,
        session.get(peer.url()) as resp,
    ):
        assert await resp.read() == b"until the end"
        async with session.get(peer.url(), read_until_eof=False) as resp:
            assert await resp.read() == b""


async def test_wait_for_close() -> None:
    async with peers.Peer(fixed(200, [], b"abc")) as peer, ClientSession() as session:
        resp = await session.post(peer.url(), data=b"x" * 10)
        await resp.read()
        await resp.wait_for_close()
        assert resp.closed


async def test_auto_decompress() -> None:
    import gzip

    body = gzip.compress(b"packed")
    handler = fixed(200, [("Content-Encoding", "gzip")], body)
    resp, _ = await fetch(handler)
    assert await resp.read() == b"packed"
    resp, _ = await fetch(handler, auto_decompress=False)
    assert await resp.read() == body


async def test_header_limits_are_applied() -> None:
    handler = fixed(200, [("X-Big", "v" * 300)], b"ok")
    async with peers.Peer(handler) as peer:
        async with ClientSession(max_field_size=100) as session:
            with pytest.raises(ClientResponseError) as info:
                await session.get(peer.url())
            assert info.value.status == 400
            assert info.value.request_info is not None
            assert info.value.request_info.url == peer.url()
            async with session.get(peer.url(), max_field_size=1000) as resp:
                assert await resp.read() == b"ok"
        async with ClientSession() as session, session.get(peer.url()) as resp:
            assert resp.headers["X-Big"] == "v" * 300


def bare_response(url: URL, loop: asyncio.AbstractEventLoop) -> ClientResponse:
    """A GET response for ``url`` with no connection, writer or session behind it."""
    return ClientResponse(
        "GET",
        url,
        writer=None,
        continue100=None,
        timer=None,
        request_info=RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict())),
        traces=[],
        loop=loop,
        session=None,
    )


@given(
    link=peers.header_values,
    content_type=peers.header_values,
    length=peers.header_values,
    disposition=peers.header_values,
)
@example(link="", content_type="", length="0\x1f", disposition="")  # str.strip() != int()
@example(link="", content_type="", length="\u00b2", disposition="")  # a digit to isdigit()
@example(link="", content_type="a/b; c=\udce9\xe9", length="", disposition="")  # email pkg
@example(link="<http://h:99999/>", content_type="", length="", disposition="")  # yarl
@example(link="", content_type="a/b; charset*=utf-8''x", length="", disposition="")  # tuple
@settings(max_examples=200, deadline=None)
def test_header_parsing_never_raises(
    link: str, content_type: str, length: str, disposition: str
) -> None:
    """Whatever a server puts in Link, Content-Type, Content-Length and
    Content-Disposition, reading the parsed attributes gives values (or None), never an
    exception; the encoding is always one bytes.decode() takes."""
    loop = asyncio.new_event_loop()
    try:
        resp = bare_response(URL("http://h.example/base/"), loop)
        resp._headers = CIMultiDictProxy(
            CIMultiDict(
                [
                    ("Link", link),
                    ("Content-Type", content_type),
                    ("Content-Length", length),
                    ("Content-Disposition", disposition),
                ]
            )
        )
        for rel, value in resp.links.items():
            assert isinstance(rel, str)
            assert isinstance(value["url"], URL)
        assert isinstance(resp.content_type, str)
        assert all(isinstance(v, str) for v in resp._content_params.values())
        assert resp.charset is None or isinstance(resp.charset, str)
        assert resp.content_length is None or resp.content_length >= 0
        cd = resp.content_disposition
        assert cd is None or cd.filename is None or isinstance(cd.filename, str)
        resp._body = b"body \xe9"
        assert isinstance(resp._body.decode(resp.get_encoding(), "replace"), str)
    finally:
        loop.close()


def test_rfc2231_content_type_parameters_are_decoded() -> None:
    """``name*=charset'lang'%xx`` values are text, decoded with their charset."""
    from toolkit.client.response import _parse_content_type

    assert _parse_content_type("a/b; charset*=utf-8''koi8-r")[1] == {"charset": "koi8-r"}
    assert _parse_content_type("a/b; x*=utf-8'en'%C3%A9")[1] == {"x": "\xe9"}
    assert _parse_content_type("a/b; x*=undefined''%C3%A9")[1] == {"x": "\xc3\xa9"}


@given(set_cookies=st.lists(peers.header_values, min_size=1, max_size=3))
@example(set_cookies=["a=b; Max-Age=" + "9" * 5000, "c=d; Expires=Sun, 06 Nov 99999 08:49:37"])
@settings(max_examples=200, deadline=None)
def test_set_cookie_never_raises(set_cookies: list[str]) -> None:
    """Any Set-Cookie values go through the response (SimpleCookie) and the session's
    jar (update_cookies, then filter_cookies for the next requests) without raising."""
    loop = asyncio.new_event_loop()
    try:
        url = URL("http://h.example/dir/page")
        resp = bare_response(url, loop)

        class Protocol:
            upgraded = True  # (keeps the fake connection out of the release path)

            async def read_response(self):
                headers = CIMultiDict(("Set-Cookie", v) for v in set_cookies)
                head = (HttpVersion11, 200, "OK", CIMultiDictProxy(headers), (), False)
                return head, EMPTY_PAYLOAD

        class Conn:
            protocol = Protocol()

            def close(self) -> None:
                pass

        loop.run_until_complete(resp.start(Conn()))  # type: ignore[arg-type]
        resp.close()
        for unsafe in (False, True):
            jar = CookieJar(unsafe=unsafe)
            jar.update_cookies(resp.cookies, url)
            jar.update_cookies(resp.cookies, URL("http://127.0.0.1/"))
            for target in ("http://h.example/dir/x", "https://sub.h.example/", "http://[::1]/"):
                sent = jar.filter_cookies(URL(target))
                assert isinstance(sent.output(header="", sep=";"), str)
            assert len(jar) >= 0
    finally:
        loop.close()
