"""FileResponse over a real socket: ranges, conditionals, pre-compressed siblings."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from tests.web.conftest import Serve, header_values
from toolkit import web

CONTENT = bytes(range(256)) * 40  # 10 KiB


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "data.bin").write_bytes(CONTENT)
    (tmp_path / "page.html").write_text("<p>plain</p>")
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(b"<p>gzipped</p>"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    return tmp_path


@pytest.fixture
async def base(serve: Serve, files: Path) -> str:
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(files / request.match_info["name"], chunk_size=1000)

    app = web.Application()
    app.router.add_get("/f/{name}", handler)
    return await serve(app)


async def test_whole_file_and_headers(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/f/data.bin")
        assert r.status_code == 200
        assert r.content == CONTENT
        assert r.headers["Content-Length"] == str(len(CONTENT))
        assert r.headers["Accept-Ranges"] == "bytes"
        assert r.headers["Content-Type"] == "application/octet-stream"
        assert r.headers["ETag"].startswith('"')
        assert "Last-Modified" in r.headers
        r = await client.get("/f/page.html", headers={"Accept-Encoding": "identity"})
        assert r.headers["Content-Type"] == "text/html"
        assert r.text == "<p>plain</p>"
        r = await client.head("/f/data.bin")
        assert r.content == b"" and r.headers["Content-Length"] == str(len(CONTENT))
        r = await client.get("/f/empty.txt")
        assert (r.status_code, r.content) == (200, b"")
        assert (await client.get("/f/missing")).status_code == 404
        assert (await client.get("/f/sub")).status_code == 403


@pytest.mark.parametrize(
    ("range_header", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=100-", 100, len(CONTENT)),
        ("bytes=-50", len(CONTENT) - 50, len(CONTENT)),
        ("bytes=10000-99999", 10000, len(CONTENT)),
        ("bytes=-99999", 0, len(CONTENT)),
    ],
)
async def test_single_ranges(base: str, range_header: str, start: int, stop: int) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/f/data.bin", headers={"Range": range_header})
    assert r.status_code == 206
    assert r.content == CONTENT[start:stop]
    assert r.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(CONTENT)}"
    assert r.headers["Content-Length"] == str(stop - start)


@pytest.mark.parametrize("range_header", ["bytes=99999-", "bytes=20-10", "bytes=x-y"])
async def test_unsatisfiable_ranges(base: str, range_header: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/f/data.bin", headers={"Range": range_header})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{len(CONTENT)}"


async def test_multiple_ranges_are_ignored(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/f/data.bin", headers={"Range": "bytes=0-1,5-6"})
    assert (r.status_code, r.content) == (200, CONTENT)


async def test_conditionals(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        first = await client.get("/f/data.bin")
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        cases = [
            ({"If-None-Match": etag}, 304),
            ({"If-None-Match": f'W/{etag}, "other"'}, 304),
            ({"If-None-Match": '"other"'}, 200),
            ({"If-None-Match": "*"}, 304),
            ({"If-Modified-Since": modified}, 304),
            ({"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}, 200),
            ({"If-Match": etag}, 200),
            ({"If-Match": '"other"'}, 412),
            ({"If-Match": f"W/{etag}"}, 412),  # If-Match uses the strong comparison
            ({"If-Unmodified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}, 412),
            ({"If-Unmodified-Since": modified}, 200),
            # If-None-Match wins over If-Modified-Since
            ({"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),
        ]
        for headers, status in cases:
            r = await client.get("/f/data.bin", headers=headers)
            assert r.status_code == status, headers
            if status == 304:
                assert r.content == b"" and r.headers["ETag"] == etag
        r = await client.get("/f/data.bin", headers={"Range": "bytes=0-9", "If-Range": etag})
        assert (r.status_code, r.content) == (206, CONTENT[:10])
        r = await client.get("/f/data.bin", headers={"Range": "bytes=0-9", "If-Range": '"old"'})
        assert (r.status_code, r.content) == (200, CONTENT)
        r = await client.get(
            "/f/data.bin",
            headers={"Range": "bytes=0-9", "If-Range": "Sun, 06 Nov 1994 08:49:37 GMT"},
        )
        assert r.status_code == 200


async def test_precompressed_sibling(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/f/page.html", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == "text/html"
    assert "Accept-Encoding" in r.headers["Vary"]
    assert r.text == "<p>gzipped</p>"  # httpx decodes it


async def test_large_file_with_sendfile_and_curl(serve: Serve, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024 + 17))

    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(big)

    app = web.Application()
    app.router.add_get("/big", handler)
    base = await serve(app)
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "-o",
        str(tmp_path / "out.bin"),
        "-w",
        "%{http_code}",
        base + "/big",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert out == b"200"
    assert (tmp_path / "out.bin").read_bytes() == big.read_bytes()


async def test_sendfile_is_used_and_chunked_fallback_when_compressing(
    serve: Serve, files: Path
) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    calls: list[int] = []
    original = loop.sendfile

    async def counting_sendfile(*args: object, **kwargs: object) -> int:
        result = await original(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(result)
        return result

    loop.sendfile = counting_sendfile  # type: ignore[method-assign]

    async def plain(request: web.Request) -> web.FileResponse:
        return web.FileResponse(files / "data.bin")

    async def compressed(request: web.Request) -> web.FileResponse:
        resp = web.FileResponse(files / "data.bin", chunk_size=999)
        resp.enable_compression(web.ContentCoding.gzip)
        return resp

    app = web.Application()
    app.router.add_get("/plain", plain)
    app.router.add_get("/gz", compressed)
    base = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            r = await client.get("/plain")
            assert r.content == CONTENT
            assert calls == [len(CONTENT)]
            r = await client.get("/gz")
            assert r.headers["Content-Encoding"] == "gzip"
            assert r.headers["Transfer-Encoding"] == "chunked"
            assert r.content == CONTENT
            assert calls == [len(CONTENT)]  # the compressed body went through the writer
    finally:
        del loop.sendfile  # type: ignore[method-assign]


def expected_range(size: int, first: int | None, last: int | None) -> tuple[int, bytes] | int:
    """RFC 9110 14.1.2 semantics for one byte range: (status, body) or 416."""
    data = bytes(i % 251 for i in range(size))
    if first is None:
        assert last is not None
        if last == 0 or size == 0:
            return 416
        return 206, data[max(size - last, 0) :]
    if last is not None and last < first:
        return 416
    if first >= size:
        return 416
    stop = size if last is None else min(last + 1, size)
    return 206, data[first:stop]


@pytest.mark.parametrize(
    ("header", "status", "body"),
    [
        ("bytes=" + "9" * 5000 + "-", 416, b""),  # int() refuses over 4300 digits
        ("bytes=0-" + "9" * 5000, 206, bytes(range(100))),
        ("bytes=-" + "9" * 5000, 206, bytes(range(100))),
        ("bytes=" + "0" * 5000 + "95-", 206, bytes(range(95, 100))),
        ("bytes=\u0663-\u0665", 416, b""),  # Arabic-Indic digits are no DIGIT
        ("bytes=-\uff15", 416, b""),  # nor fullwidth ones
        (" bytes=98-\t", 206, b"bc"),
        ("bytes=98-\x1f", 416, b""),  # only spaces and tabs are trimmed (str.strip() takes more)
        ("\u3000bytes=98-", 416, b""),
    ],
    ids=[
        "huge-first",
        "huge-last",
        "huge-suffix",
        "zeros",
        "arabic-indic",
        "fullwidth",
        "ows",
        "control",
        "ideographic-space",
    ],
)
async def test_range_of_long_or_non_ascii_numbers(
    tmp_path: Path, header: str, status: int, body: bytes
) -> None:
    from tests.web.conftest import make_request

    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(100)))
    request = make_request("GET", "/", {"Range": header})
    resp = web.FileResponse(path, chunk_size=7)
    await resp.prepare(request)
    await resp.write_eof()
    assert (resp.status, bytes(request.writer.body)) == (status, body)


@given(
    size=st.integers(0, 300),
    first=st.none() | st.integers(0, 400),
    last=st.none() | st.integers(0, 400),
)
@settings(max_examples=80, deadline=None)
def test_range_semantics_match_rfc(tmp_path_factory: Any, size: int, first: Any, last: Any) -> None:
    if first is None and last is None:
        return
    import asyncio

    from tests.web.conftest import make_request

    path = tmp_path_factory.mktemp("r") / "f.bin"
    path.write_bytes(bytes(i % 251 for i in range(size)))
    header = f"bytes={'' if first is None else first}-{'' if last is None else last}"

    async def run() -> tuple[int, bytes]:
        request = make_request("GET", "/", {"Range": header})
        resp = web.FileResponse(path, chunk_size=7)
        await resp.prepare(request)
        await resp.write_eof()
        return resp.status, bytes(request.writer.body)

    status, body = asyncio.get_event_loop().run_until_complete(run())
    expected = expected_range(size, first, last)
    if expected == 416:
        assert status == 416, header
    else:
        assert (status, body) == expected, header


@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "Range",
                "If-Range",
                "If-Match",
                "If-None-Match",
                "If-Modified-Since",
                "If-Unmodified-Since",
                "Accept-Encoding",
            ]
        ),
        header_values,
        max_size=4,
    ),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)
@settings(max_examples=150, deadline=None)
def test_any_conditional_headers_get_a_status(
    tmp_path_factory: Any, headers: dict[str, str], method: str
) -> None:
    import asyncio

    from tests.web.conftest import make_request

    directory = tmp_path_factory.getbasetemp() / "any-conditional"
    directory.mkdir(exist_ok=True)
    path = directory / "page.html"
    if not path.exists():
        path.write_bytes(b"<p>plain</p>")
        (directory / "page.html.gz").write_bytes(gzip.compress(b"<p>gzipped</p>"))

    async def run() -> int:
        request = make_request(method, "/", headers)
        resp = web.FileResponse(path, chunk_size=5)
        await resp.prepare(request)
        await resp.write_eof()
        return resp.status

    status = asyncio.get_event_loop().run_until_complete(run())
    assert status in (200, 206, 304, 412, 416)
