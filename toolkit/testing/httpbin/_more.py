"""More httpbin views: bearer/hidden auth, byte streams, ranges, caching, formats, /ws/echo."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import random
import re
import uuid
from email.utils import formatdate

from multidict import CIMultiDict

from toolkit._lazy import lazy_pattern
from toolkit.web import (
    HTTPBadRequest,
    HTTPFound,
    Request,
    Response,
    StreamResponse,
    WebSocketResponse,
    WSMsgType,
)

from ._views import (
    MAX_BYTES,
    _basic_ok,
    _compressed,
    _get,
    _headers,
    _int,
    _pretty,
    _seconds,
)

__all__: list[str] = []

#: Largest /drip body, as httpbin caps it.
MAX_DRIP = 10 * 1024 * 1024
_RANGE_ERROR = "number of bytes must be in the range (0, 102400]"
_INTEGER_RE = lazy_pattern(r"-?[0-9]{1,18}")

_ROBOTS_TXT = "User-agent: *\nDisallow: /deny\n"
_DENY_TEXT = """
   .-----------------------------------.
   |  robots.txt said /deny is off     |
   |  limits. You came anyway. Shoo!   |
   '-----------------------------------'
"""
_UTF8_TEXT = """<h1>UTF-8 sample</h1>
<pre>
Greek:     Τη γλώσσα μου έδωσαν ελληνική
Russian:   Съешь же ещё этих мягких французских булок
Chinese:   我能吞下玻璃而不伤身体
Japanese:  いろはにほへと ちりぬるを
Arrows:    ← ↑ → ↓ ↔ ↕   Boxes: ┌─┬─┐ │ │ │ └─┴─┘
</pre>
"""
_SAMPLE_XML = """<?xml version='1.0' encoding='us-ascii'?>
<!--  A small sample XML document served by toolkit.testing.httpbin  -->
<catalog title="Sample Catalog" owner="aiotoolkit">
    <item id="1" kind="book">
        <title>Sockets for the Impatient</title>
    </item>
    <item id="2" kind="tool">
        <title>A <em>very</em> small wrench</title>
        <note>Handle with care</note>
    </item>
</catalog>
"""


def _seconds_arg(request: Request, name: str, default: float) -> float:
    raw = request.query.get(name)
    return default if raw is None else _seconds(raw, name)


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if _INTEGER_RE.fullmatch(raw) is None:  # (int() would take '1_0', ' 5', '٣'...)
        raise HTTPBadRequest(text=f"{name} must be an integer, got {raw!r}")
    return int(raw)


# --------------------------------------------------------------------------- auth


async def _bearer(request: Request) -> StreamResponse:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    return _pretty({"authenticated": True, "token": header[len("Bearer ") :]})


async def _hidden_basic_auth(request: Request) -> StreamResponse:
    user, passwd = request.match_info["user"], request.match_info["passwd"]
    if not _basic_ok(request, user, passwd):
        return Response(status=404)
    return _pretty({"authenticated": True, "user": user})


async def _brotli(request: Request) -> StreamResponse:
    import brotli  # only routed when importable

    payload = {"brotli": True, "headers": _headers(request), "method": request.method}
    payload["origin"] = request.remote or ""
    return _compressed("br", brotli.compress(json.dumps(payload, indent=2).encode() + b"\n"))


# --------------------------------------------------------------------------- bytes


async def _stream_bytes(request: Request) -> StreamResponse:
    n = _int(request, "n", hi=MAX_BYTES)
    rng = random.Random(_int_arg(request, "seed", 0) if "seed" in request.query else None)
    chunk_size = max(1, _int_arg(request, "chunk_size", 10 * 1024))
    resp = StreamResponse(headers={"Content-Type": "application/octet-stream"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    left = n
    while left > 0:
        size = min(chunk_size, left)
        await resp.write(rng.randbytes(size))
        left -= size
    await resp.write_eof()
    return resp


def _parse_range(header: str, size: int) -> tuple[int, int]:
    """The first and last byte positions ``Range: bytes=a-b`` asks for (whole body if none)."""
    match = re.fullmatch(
        r"[ \t]*bytes[ \t]*=[ \t]*([0-9]{0,18})[ \t]*-[ \t]*([0-9]{0,18})[ \t]*", header
    )
    if match is None or not (match[1] or match[2]):
        return 0, size - 1
    first, last = match[1], match[2]
    if not first:  # the last N bytes
        return max(0, size - int(last)), size - 1
    return int(first), int(last) if last else size - 1


async def _range(request: Request) -> StreamResponse:
    size = _int(request, "numbytes")
    headers = {"ETag": f"range{size}", "Accept-Ranges": "bytes"}
    if not 0 < size <= MAX_BYTES:
        return Response(status=404, headers=headers, text=_RANGE_ERROR)
    first, last = _parse_range(request.headers.get("Range", ""), size)
    if first > last or not 0 <= first < size or not 0 <= last < size:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status=416, headers=headers)
    body = bytes(ord("a") + i % 26 for i in range(first, last + 1))
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    duration = _seconds_arg(request, "duration", 0.0)
    if duration > 0:
        await asyncio.sleep(min(duration, 10.0) * len(body) / size)
    status = 200 if (first, last) == (0, size - 1) else 206
    return Response(
        status=status, body=body, headers=headers, content_type="application/octet-stream"
    )


async def _drip(request: Request) -> StreamResponse:
    duration = _seconds_arg(request, "duration", 2.0)
    numbytes = min(_int_arg(request, "numbytes", 10), MAX_DRIP)
    code = _int_arg(request, "code", 200)
    if numbytes <= 0:
        return Response(status=400, text="number of bytes must be positive")
    if not 100 <= code <= 599:
        raise HTTPBadRequest(text=f"code must be an HTTP status code, got {code}")
    delay = _seconds_arg(request, "delay", 0.0)
    if delay > 0:
        await asyncio.sleep(delay)
    pause = duration / numbytes
    resp = StreamResponse(status=code, headers={"Content-Type": "application/octet-stream"})
    resp.content_length = numbytes
    await resp.prepare(request)
    for _ in range(numbytes):
        await resp.write(b"*")
        if pause > 0:
            await asyncio.sleep(pause)
    await resp.write_eof()
    return resp


# --------------------------------------------------------------------------- formats


async def _encoding_utf8(request: Request) -> StreamResponse:
    return Response(text=_UTF8_TEXT, content_type="text/html", charset="utf-8")


async def _xml(request: Request) -> StreamResponse:
    return Response(text=_SAMPLE_XML, content_type="application/xml")


async def _robots(request: Request) -> StreamResponse:
    return Response(text=_ROBOTS_TXT, content_type="text/plain")


async def _deny(request: Request) -> StreamResponse:
    return Response(text=_DENY_TEXT, content_type="text/plain")


async def _base64(request: Request) -> StreamResponse:
    try:
        text = base64.urlsafe_b64decode(request.match_info["value"]).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        text = "Incorrect Base64 data try: SFRUUEJJTiBpcyBhd2Vzb21l"
    return Response(text=text, content_type="text/html", charset="utf-8")


async def _links(request: Request) -> StreamResponse:
    n = min(max(1, _int(request, "n")), 200)
    offset = _int(request, "offset")
    parts = ["<html><head><title>Links</title></head><body>"]
    for i in range(n):
        parts.append(f"{i} " if i == offset else f"<a href='/links/{n}/{i}'>{i}</a> ")
    parts.append("</body></html>")
    return Response(text="".join(parts), content_type="text/html", charset="utf-8")


async def _links_first(request: Request) -> StreamResponse:
    raise HTTPFound(f"/links/{_int(request, 'n')}/0")


# --------------------------------------------------------------------------- headers


async def _response_headers(request: Request) -> StreamResponse:
    """The query pairs as response headers, and every response header as the JSON body."""
    extra = list(request.query.items())
    length = 0
    while True:  # the body states its own Content-Length: iterate until it is stable
        headers: CIMultiDict[str] = CIMultiDict(
            {"Content-Type": "application/json", "Content-Length": str(length)}
        )
        for key, value in extra:
            headers.add(key, value)
        doc: dict[str, str | list[str]] = {}
        for key in headers:
            values = headers.getall(key)
            doc.setdefault(key, values[0] if len(values) == 1 else values)
        body = json.dumps(doc, indent=2).encode() + b"\n"
        if len(body) == length:
            break
        length = len(body)
    resp = Response(body=body, content_type="application/json")
    for key, value in extra:
        resp.headers.add(key, value)
    return resp


async def _cache(request: Request) -> StreamResponse:
    if "If-Modified-Since" in request.headers or "If-None-Match" in request.headers:
        return Response(status=304)
    resp = await _get(request)
    resp.headers["Last-Modified"] = formatdate(usegmt=True)
    resp.headers["ETag"] = uuid.uuid4().hex
    return resp


async def _cache_for(request: Request) -> StreamResponse:
    seconds = _int(request, "n")
    resp = await _get(request)
    resp.headers["Cache-Control"] = f"public, max-age={seconds}"
    return resp


def _etags(header: str | None) -> list[str]:
    """The entity tags of an If-Match/If-None-Match list, quotes and ``W/`` removed."""
    if not header:
        return []
    out = []
    for part in header.split(","):
        part = part.strip()
        part = part.removeprefix("W/")
        out.append(part.strip('"'))
    return out


async def _etag(request: Request) -> StreamResponse:
    etag = request.match_info["etag"]
    if_none_match = _etags(request.headers.get("If-None-Match"))
    if_match = _etags(request.headers.get("If-Match"))
    if if_none_match:
        if etag in if_none_match or "*" in if_none_match:
            return Response(status=304, headers={"ETag": etag})
    elif if_match and etag not in if_match and "*" not in if_match:
        return Response(status=412)
    resp = await _get(request)
    resp.headers["ETag"] = etag
    return resp


# --------------------------------------------------------------------------- websocket


async def _ws_echo(request: Request) -> StreamResponse:
    """Echo every text and binary message back until the client closes."""
    ws = WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws
