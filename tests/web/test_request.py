"""Request: attributes (unit level) and body APIs through a real server."""

from __future__ import annotations

import datetime
import io
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings, strategies as st
from multidict import CIMultiDict

from tests.web.conftest import Serve, header_values, make_request
from toolkit import web
from toolkit.helpers import ETag
from toolkit.http import HttpVersion10


async def test_request_line_attributes() -> None:
    req = make_request(
        "GET", "/p%20a/th?a=1&b=x%20y&a=2", {"Host": "example.com:8080"}, version=HttpVersion10
    )
    assert req.method == "GET"
    assert req.version == HttpVersion10
    assert req.path == "/p a/th"
    assert req.raw_path == "/p%20a/th?a=1&b=x%20y&a=2"
    assert req.query.getall("a") == ["1", "2"]
    assert req.query["b"] == "x y"
    assert req.query_string == "a=1&b=x y&a=2"
    assert req.path_qs == "/p%20a/th?a=1&b=x%20y&a=2"
    assert str(req.url) == "http://example.com:8080/p%20a/th?a=1&b=x%20y&a=2"
    assert req.host == "example.com:8080"
    assert req.scheme == "http" and not req.secure
    assert req.remote is None
    assert req.rel_url.path == "/p a/th"
    assert req.keep_alive
    assert not req.body_exists and not req.can_read_body
    assert req.content_type == "application/octet-stream"
    assert req.charset is None and req.content_length is None


async def test_headers_cookies_content_type() -> None:
    req = make_request(
        "POST",
        "/",
        [
            ("Content-Type", 'text/plain; charset="UTF-8"'),
            ("Content-Length", "5"),
            ("Cookie", "a=1; b=two"),
            ("Cookie", "c=3"),
            ("X-Dup", "1"),
            ("x-dup", "2"),
        ],
    )
    assert req.content_type == "text/plain"
    assert req.charset == "UTF-8"
    assert req.content_length == 5
    assert dict(req.cookies) == {"a": "1", "b": "two", "c": "3"}
    assert req.headers.getall("X-DUP") == ["1", "2"]
    assert (b"Cookie", b"c=3") in req.raw_headers


async def test_forwarded_rfc7239() -> None:
    req = make_request(
        "GET",
        "/",
        [
            ("Forwarded", 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8::1]:80"'),
            ("Forwarded", 'for=bad"quote, For="_gazonk";Proto=HTTPS'),
        ],
    )
    forwarded = req.forwarded
    assert dict(forwarded[0]) == {"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"}
    assert dict(forwarded[1]) == {"for": "[2001:db8::1]:80"}
    # the malformed element is skipped, the next one kept
    assert dict(forwarded[-1]) == {"for": "_gazonk", "proto": "HTTPS"}
    assert len(forwarded) == 3


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_forwarded_never_crashes(header: str) -> None:
    from toolkit.web._helpers import parse_forwarded as _parse_forwarded

    for element in _parse_forwarded([header]):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in element.items())


async def test_conditional_and_range_headers() -> None:
    req = make_request(
        "GET",
        "/",
        {
            "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
            "If-Unmodified-Since": "not a date",
            "If-Range": "Sun, 06 Nov 1994 08:49:37 GMT",
            "If-Match": '"a", W/"b"',
            "If-None-Match": "*",
            "Range": "bytes=5-9",
        },
    )
    expected = datetime.datetime(1994, 11, 6, 8, 49, 37, tzinfo=datetime.timezone.utc)
    assert req.if_modified_since == expected
    assert req.if_range == expected
    assert req.if_unmodified_since is None
    assert req.if_match == (ETag("a"), ETag("b", is_weak=True))
    assert req.if_none_match == (ETag("*"),)
    assert req.http_range == slice(5, 10, 1)
    assert make_request("GET", "/", {"Range": "bytes=-3"}).http_range == slice(-3, None, 1)
    assert make_request("GET", "/", {"Range": "bytes=4-"}).http_range == slice(4, None, 1)
    assert make_request("GET", "/").http_range == slice(None, None, 1)
    for bad in ("bytes=9-5", "items=1-2", "bytes=-", "bytes=1-2,4-5"):
        with pytest.raises(ValueError):
            _ = make_request("GET", "/", {"Range": bad}).http_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=" + "9" * 5000 + "-", slice(10**18, None, 1)),  # int() takes <= 4300 digits
        ("bytes=0-" + "0" * 5000 + "7", slice(0, 8, 1)),
        ("bytes=-" + "9" * 5000, slice(-(10**18), None, 1)),
        ("bytes=\u0663-", None),  # Arabic-Indic digits are no DIGIT
        ("bytes=0-\uff15", None),  # nor fullwidth ones
        ("\tbytes=1-2 ", slice(1, 3, 1)),
        ("bytes=1-2\x1f", None),  # only spaces and tabs are trimmed (str.strip() takes more)
        ("bytes=1-2\u3000", None),
        ("bytes=1-2\n", None),
    ],
    ids=[
        "huge-first",
        "zeros",
        "huge-suffix",
        "arabic-indic",
        "fullwidth",
        "ows",
        "control",
        "ideographic-space",
        "newline",
    ],
)
async def test_http_range_of_long_or_non_ascii_numbers(header: str, expected: slice | None) -> None:
    request = make_request("GET", "/", {"Range": header})
    if expected is None:
        with pytest.raises(ValueError, match="range not in acceptable format"):
            _ = request.http_range
    else:
        assert request.http_range == expected


async def test_conditional_dates_out_of_range_are_none() -> None:
    date = "Fri, 31 Dec 9999 23:59:59 -0100"  # past year 9999 in UTC (OverflowError)
    headers = {"If-Modified-Since": date, "If-Unmodified-Since": date, "If-Range": date}
    req = make_request("GET", "/", headers)
    assert (req.if_modified_since, req.if_unmodified_since, req.if_range) == (None, None, None)


async def test_clone_and_state() -> None:
    req = make_request("GET", "/a?x=1", {"A": "1"})
    req["user"] = "ann"
    clone = req.clone(method="POST", rel_url="/b?y=2", headers={"B": "2"}, host="h.test")
    assert (clone.method, clone.path, clone.query["y"]) == ("POST", "/b", "2")
    assert dict(clone.headers) == {"B": "2"}
    assert clone.host == "h.test"
    assert clone["user"] == "ann"
    clone["user"] = "bob"
    assert req["user"] == "ann"
    with pytest.raises(ValueError, match="relative"):
        req.clone(rel_url="http://other/")


async def test_loop_property_is_deprecated() -> None:
    req = make_request("GET", "/")
    with pytest.warns(DeprecationWarning):
        assert req.loop is not None


async def test_read_text_json_and_limit() -> None:
    req = make_request("POST", "/", {"Content-Type": "application/json"}, body=b'{"a": [1, 2]}')
    assert await req.json() == {"a": [1, 2]}
    assert await req.read() == b'{"a": [1, 2]}'  # cached
    big = make_request("POST", "/", body=b"x" * 100, client_max_size=10)
    with pytest.raises(web.HTTPRequestEntityTooLarge) as info:
        await big.read()
    assert info.value.status == 413
    assert "10" in info.value.text  # type: ignore[operator]


async def echo_form(request: web.Request) -> web.Response:
    form = await request.post()
    out: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            out[key] = {
                "filename": value.filename,
                "content_type": value.content_type,
                "data": value.file.read().decode(),
            }
            value.file.close()
        elif isinstance(value, bytes):
            out[key] = value.decode()
        else:
            out[key] = value
    return web.json_response(out)


async def test_post_urlencoded_and_multipart(serve: Serve) -> None:
    app = web.Application()
    app.router.add_post("/form", echo_form)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post("/form", data={"a": "1", "b": "é & ="})
        assert r.json() == {"a": "1", "b": "é & ="}
        r = await client.post(
            "/form",
            data={"field": "value"},
            files={"upload": ("notes.txt", io.BytesIO(b"file body"), "text/plain")},
        )
        assert r.json() == {
            "field": "value",
            "upload": {"filename": "notes.txt", "content_type": "text/plain", "data": "file body"},
        }


async def test_body_over_client_max_size_is_413(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.Response:
        data = await request.read()
        return web.Response(text=str(len(data)))

    app = web.Application(client_max_size=1024)
    app.router.add_post("/", handler)
    app.router.add_post("/form", echo_form)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.post("/", content=b"x" * 1024)).text == "1024"
        r = await client.post("/", content=b"x" * 4096)
        assert r.status_code == 413
        assert "Maximum request body size 1024 exceeded" in r.text
        r = await client.post(
            "/form", files={"f": ("big.bin", io.BytesIO(b"y" * 4096), "application/octet-stream")}
        )
        assert r.status_code == 413


async def test_multipart_reader_streaming(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        names = []
        async for part in reader:
            names.append(f"{part.name}={(await part.read()).decode()}")  # type: ignore[union-attr]
        return web.Response(text=",".join(names))

    app = web.Application()
    app.router.add_post("/", handler)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post("/", data={"x": "1"}, files={"y": ("y.txt", b"22")})
    assert r.text == "x=1,y=22"


async def test_remote_and_transport_through_server(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.Response:
        peer = request.get_extra_info("peername")
        return web.json_response(
            {
                "remote": request.remote,
                "peer": peer[0],
                "url": str(request.url),
                "task": request.task is not None,
                "transport": request.transport is not None,
            }
        )

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        data = (await client.get("/?q=1")).json()
    assert data["remote"] == data["peer"] == "127.0.0.1"
    assert data["url"] == base + "/?q=1"
    assert data["task"] and data["transport"]


async def test_expect_100_continue_with_curl(serve: Serve, tmp_path: Any) -> None:
    import asyncio

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"got {len(await request.read())}")

    async def refuse(request: web.Request) -> None:
        raise web.HTTPForbidden(text="no uploads here")

    app = web.Application()
    app.router.add_post("/up", handler)
    app.router.add_route("POST", "/refuse", handler, expect_handler=refuse)
    base = await serve(app)
    upload = tmp_path / "body.bin"
    upload.write_bytes(b"z" * 5000)

    async def curl(path: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            "curl",
            "-sS",
            "-v",
            "-H",
            "Expect: 100-continue",
            "--data-binary",
            f"@{upload}",
            base + path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        return out.decode() + "\n" + err.decode()

    text = await curl("/up")
    assert "HTTP/1.1 100 Continue" in text
    assert "got 5000" in text
    text = await curl("/refuse")
    assert "100 Continue" not in text
    assert "403 Forbidden" in text and "no uploads here" in text


async def test_host_fallbacks_and_bad_host(serve: Serve) -> None:
    import asyncio

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.host} {request.url}")

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    host, port = base.removeprefix("http://").split(":")

    async def raw(head: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(head)
        data = await reader.read()
        writer.close()
        await writer.wait_closed()
        return data

    data = await raw(b"GET / HTTP/1.0\r\n\r\n")
    assert data.endswith(f"{host}:{port} http://{host}:{port}/".encode())
    data = await raw(b"GET / HTTP/1.1\r\nHost: ex.com:99999\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400 ")
    assert b"Invalid Host header" in data


@given(
    st.text(
        st.sampled_from(list("abcXYZ019-._~:/?#[]@!$&'()*+,;=%")),
        max_size=30,
    )
)
@settings(max_examples=200, deadline=None)
def test_any_request_target_gives_a_request(suffix: str) -> None:
    import asyncio

    async def build() -> None:
        for target in ("/" + suffix, "http://" + suffix, "http://h" + suffix):
            request = make_request("GET", target)
            assert isinstance(request.path, str)
            assert isinstance(request.query_string, str)
            assert request.raw_path == target

    asyncio.get_event_loop().run_until_complete(build())


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"no boundary"),
        ("multipart/form-data; boundary=abc", b"garbage"),
        ("application/x-www-form-urlencoded; charset=nope", b"a=1"),
        ("application/x-www-form-urlencoded", b"a=\xff\xfe"),
    ],
)
async def test_malformed_forms_are_400(content_type: str, body: bytes) -> None:
    req = make_request("POST", "/", {"Content-Type": content_type}, body=body)
    with pytest.raises(web.HTTPBadRequest) as info:
        await req.post()
    assert "Malformed" in (info.value.text or "")


_PARSED_HEADERS = (
    "If-Modified-Since",
    "If-Unmodified-Since",
    "If-Range",
    "If-Match",
    "If-None-Match",
    "Range",
    "Cookie",
    "Content-Type",
    "Content-Length",
    "Host",
    "Forwarded",
    "Connection",
    "Accept-Encoding",
)


def _read_header_accessors(req: web.Request) -> None:
    for name in ("if_modified_since", "if_unmodified_since", "if_range"):
        value = getattr(req, name)
        assert value is None or value.tzinfo is not None
    for name in ("if_match", "if_none_match"):
        tags = getattr(req, name)
        assert tags is None or all(isinstance(tag, ETag) for tag in tags)
    try:
        rng = req.http_range
    except ValueError:  # documented for a malformed Range
        pass
    else:
        assert isinstance(rng, slice)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in req.cookies.items())
    assert isinstance(req.content_type, str)
    assert req.charset is None or isinstance(req.charset, str)
    length = req.content_length
    assert length is None or req.headers["Content-Length"].strip(" \t").isascii()
    assert isinstance(req.host, str)
    assert isinstance(req.scheme, str) and isinstance(req.secure, bool)
    assert req.remote is None or isinstance(req.remote, str)
    for element in req.forwarded:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in element.items())
    assert isinstance(req.keep_alive, bool)
    assert req.version == (1, 1)
    assert isinstance(req.raw_headers, tuple)
    try:
        url = req.url
    except web.HTTPBadRequest:  # raised on purpose for a Host that is no authority
        pass
    else:
        assert url.scheme == req.scheme
    clone = req.clone(headers=req.headers)
    assert list(clone.headers.items()) == list(req.headers.items())
    assert clone.raw_headers == req.raw_headers


@given(name=st.sampled_from(_PARSED_HEADERS), value=header_values, other=header_values)
@example(name="Cookie", value="\udcff", other="")  # (b"\xff"): raw_headers encoded it strictly
@example(name="Content-Length", value="", other="")  # int(): ValueError
@example(name="Content-Length", value="1" * 4400, other="")  # int() refuses > 4300 digits
@example(name="Content-Length", value="\u0665", other="")  # int() takes other scripts' digits
@settings(max_examples=200, deadline=None)
def test_header_accessors_never_raise(name: str, value: str, other: str) -> None:
    from toolkit.testing import make_mocked_request

    headers = CIMultiDict({name: value})
    headers.add(name, other)  # (some accessors read every field line)
    req = make_mocked_request("GET", "/p?q=1", headers)
    _read_header_accessors(req)
    # all of them at once, the same value in each
    _read_header_accessors(make_mocked_request("GET", "/", {n: value for n in _PARSED_HEADERS}))
