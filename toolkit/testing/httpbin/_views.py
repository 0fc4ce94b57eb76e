"""The core httpbin views: request echoes, status, cookies, redirects, auth, codings."""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import json
import random
import uuid
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from multidict import MultiDictProxy

from toolkit._lazy import lazy_pattern
from toolkit.web import (
    FileField,
    HTTPBadRequest,
    HTTPFound,
    HTTPNotFound,
    Request,
    Response,
    StreamResponse,
    json_response,
)

__all__: list[str] = []

_Handler = Callable[[Request], Awaitable[StreamResponse]]

#: Longest /delay in seconds, and most /stream lines and /bytes, as httpbin caps them.
MAX_DELAY = 10.0
MAX_STREAM = 100
MAX_BYTES = 100 * 1024

_SAMPLE_JSON = {
    "slideshow": {
        "author": "Yours Truly",
        "date": "date of publication",
        "title": "Sample Slide Show",
        "slides": [
            {"title": "Wake up to WonderWidgets!", "type": "all"},
            {
                "title": "Overview",
                "type": "all",
                "items": [
                    "Why <em>WonderWidgets</em> are great",
                    "Who <em>buys</em> WonderWidgets",
                ],
            },
        ],
    }
}

_SAMPLE_HTML = """<!DOCTYPE html>
<html>
  <head><title>aiotoolkit httpbin</title></head>
  <body>
    <h1>A sample page</h1>
    <p>This page is served by toolkit.testing.httpbin for tests that need some HTML.</p>
  </body>
</html>
"""


# --------------------------------------------------------------------------- helpers


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _flatten(items: MultiDictProxy[Any] | Any) -> dict[str, Any]:
    """httpbin's multidict rendering: one value as is, several as a list."""
    out: dict[str, Any] = {}
    for key in items:
        if key in out:
            continue
        values = items.getall(key)
        out[key] = values[0] if len(values) == 1 else list(values)
    return out


def _headers(request: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        key = _title(name)
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def _base(request: Request) -> dict[str, Any]:
    return {
        "args": _flatten(request.query),
        "headers": _headers(request),
        "origin": request.remote or "",
        "url": str(request.url),
    }


async def _body(request: Request) -> dict[str, Any]:
    """``data``, ``files``, ``form`` and ``json`` of httpbin's body-echoing endpoints."""
    files: dict[str, Any] = {}
    form: dict[str, Any] = {}
    data = ""
    parsed: Any = None
    ctype = request.content_type
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        post = await request.post()
        fields: dict[str, list[str]] = {}
        for key, value in post.items():
            if isinstance(value, FileField):
                with value.file:  # a temporary file the request created for us
                    files[key] = _text_or_data_url(value.file.read(), value.content_type)
            else:
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                fields.setdefault(key, []).append(text)
        form = {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
    else:
        raw = await request.read()
        data = _text_or_data_url(raw, ctype)
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
    return {"data": data, "files": files, "form": form, "json": parsed}


def _text_or_data_url(raw: bytes, content_type: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        encoded = base64.b64encode(raw).decode("ascii")
        return f"data:{content_type or 'application/octet-stream'};base64,{encoded}"


_DECIMAL_RE = lazy_pattern(r"-?[0-9]{1,15}(?:\.[0-9]{0,15})?|-?\.[0-9]{1,15}")


def _seconds(raw: str, name: str) -> float:
    """A number of seconds written in ASCII decimal, else 400 (float() would also take
    'nan' and 'inf', which no timer can wait for, '1e9', '1_0' and other scripts' digits)."""
    if _DECIMAL_RE.fullmatch(raw) is None:
        raise HTTPBadRequest(text=f"{name} must be a number of seconds, got {raw!r}")
    return float(raw)


def _int(request: Request, name: str, *, lo: int = 0, hi: int | None = None) -> int:
    raw = request.match_info[name]
    if not raw.isascii() or not raw.isdigit():
        # httpbin's routes take <int:...>: anything else is not a route there.
        raise HTTPNotFound(text=f"{name} must be a non-negative integer, got {raw!r}")
    value = int(raw)
    if value < lo:
        raise HTTPBadRequest(text=f"{name} must be >= {lo}, got {value}")
    return value if hi is None else min(value, hi)


def _pretty(payload: Any, status: int = 200) -> Response:
    return json_response(payload, status=status, dumps=lambda o: json.dumps(o, indent=2) + "\n")


# --------------------------------------------------------------------------- handlers


async def _get(request: Request) -> StreamResponse:
    return _pretty(_base(request))


async def _with_body(request: Request) -> StreamResponse:
    return _pretty({**_base(request), **await _body(request)})


async def _anything(request: Request) -> StreamResponse:
    return _pretty({**_base(request), **await _body(request), "method": request.method})


async def _status(request: Request) -> StreamResponse:
    choices: list[tuple[int, float]] = []
    for part in request.match_info["codes"].split(","):
        code, _, weight = part.partition(":")
        try:
            choices.append((int(code), float(weight) if weight else 1.0))
        except ValueError:
            raise HTTPBadRequest(text=f"invalid status code {part!r}") from None
    codes, weights = zip(*choices)
    status = random.choices(codes, weights)[0]
    if not 100 <= status <= 599:
        raise HTTPBadRequest(text=f"status code out of range: {status}")
    headers: dict[str, str] = {}
    text = ""
    if status in (301, 302, 303, 305, 307, 308):
        headers["Location"] = "/redirect/1"
    elif status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Fake Realm"'
    elif status == 418:
        text = "I'm a teapot\n"
    return Response(status=status, headers=headers, text=text or None)


async def _headers_view(request: Request) -> StreamResponse:
    return _pretty({"headers": _headers(request)})


async def _ip(request: Request) -> StreamResponse:
    return _pretty({"origin": request.remote or ""})


async def _user_agent(request: Request) -> StreamResponse:
    return _pretty({"user-agent": request.headers.get("User-Agent")})


async def _cookies(request: Request) -> StreamResponse:
    return _pretty({"cookies": dict(request.cookies)})


async def _cookies_set(request: Request) -> StreamResponse:
    resp = HTTPFound("/cookies")
    for name, value in request.query.items():
        resp.set_cookie(name, value, path="/")
    raise resp


async def _cookies_set_one(request: Request) -> StreamResponse:
    resp = HTTPFound("/cookies")
    resp.set_cookie(request.match_info["name"], request.match_info["value"], path="/")
    raise resp


async def _cookies_delete(request: Request) -> StreamResponse:
    resp = HTTPFound("/cookies")
    for name in request.query:
        resp.del_cookie(name, path="/")
    raise resp


def _redirect_target(request: Request, n: int, *, absolute: bool) -> str:
    path = "/get" if n <= 1 else f"/{'absolute' if absolute else 'relative'}-redirect/{n - 1}"
    return str(request.url.with_path(path).with_query(None)) if absolute else path


async def _redirect(request: Request) -> StreamResponse:
    n = _int(request, "n", lo=1)
    absolute = request.query.get("absolute", "").lower() == "true"
    raise HTTPFound(_redirect_target(request, n, absolute=absolute))


async def _relative_redirect(request: Request) -> StreamResponse:
    raise HTTPFound(_redirect_target(request, _int(request, "n", lo=1), absolute=False))


async def _absolute_redirect(request: Request) -> StreamResponse:
    raise HTTPFound(_redirect_target(request, _int(request, "n", lo=1), absolute=True))


async def _redirect_to(request: Request) -> StreamResponse:
    url = request.query.get("url")
    if not url:
        raise HTTPBadRequest(text="redirect-to needs a url query parameter")
    status = int(request.query.get("status_code", "302"))
    if not 300 <= status < 400:
        status = 302
    return Response(status=status, headers={"Location": url})


def _basic_ok(request: Request, user: str, passwd: str) -> bool:
    """Whether the request's ``Authorization: Basic`` credentials are ``user:passwd``."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    ok = False
    if scheme.lower() == "basic":
        try:
            given = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            given = ""
        ok = given == f"{user}:{passwd}"
    return ok


async def _basic_auth(request: Request) -> StreamResponse:
    user, passwd = request.match_info["user"], request.match_info["passwd"]
    if not _basic_ok(request, user, passwd):
        return Response(status=401, headers={"WWW-Authenticate": 'Basic realm="Fake Realm"'})
    return _pretty({"authenticated": True, "user": user})


def _compressed(encoding: str, body: bytes) -> Response:
    resp = Response(body=body, content_type="application/json")
    resp.headers["Content-Encoding"] = encoding
    return resp


async def _gzip(request: Request) -> StreamResponse:
    payload = {"gzipped": True, "headers": _headers(request), "method": request.method}
    payload["origin"] = request.remote or ""
    body = gzip.compress(json.dumps(payload, indent=2).encode() + b"\n")
    return _compressed("gzip", body)


async def _deflate(request: Request) -> StreamResponse:
    payload = {"deflated": True, "headers": _headers(request), "method": request.method}
    payload["origin"] = request.remote or ""
    body = zlib.compress(json.dumps(payload, indent=2).encode() + b"\n")
    return _compressed("deflate", body)


async def _stream(request: Request) -> StreamResponse:
    n = _int(request, "n", hi=MAX_STREAM)
    resp = StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    base = _base(request)
    for i in range(n):
        await resp.write(json.dumps({**base, "id": i}).encode() + b"\n")
    await resp.write_eof()
    return resp


async def _bytes(request: Request) -> StreamResponse:
    n = _int(request, "n", hi=MAX_BYTES)
    seed = request.query.get("seed")
    rng = random.Random(seed)
    return Response(body=rng.randbytes(n), content_type="application/octet-stream")


async def _json(request: Request) -> StreamResponse:
    return _pretty(_SAMPLE_JSON)


async def _html(request: Request) -> StreamResponse:
    return Response(text=_SAMPLE_HTML, content_type="text/html")


async def _uuid(request: Request) -> StreamResponse:
    return _pretty({"uuid": str(uuid.uuid4())})


async def _delay(request: Request) -> StreamResponse:
    seconds = min(max(_seconds(request.match_info["n"], "delay"), 0.0), MAX_DELAY)
    await asyncio.sleep(seconds)
    body = await _body(request)
    del body["json"]  # httpbin's /delay has no "json" member
    return _pretty({**_base(request), **body})
