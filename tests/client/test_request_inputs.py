"""Property tests: whatever ``ClientSession.request()`` is given, the server gets exactly
what was meant, or a clear error is raised before anything is sent; the session stays
usable either way (requests go through the in-memory transport)."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any
from urllib.parse import quote

import _peers
from hypothesis import example, given, settings, strategies as st

from toolkit import BasicAuth, ClientSession, FormData, web
from toolkit.testing import MemoryConnector

#: Exceptions that name the bad argument (InvalidUrlClientError is a ValueError).
CLEAR = (ValueError, TypeError)
#: Subclasses that only name a codec, not the argument.
UNCLEAR = (UnicodeError,)

texts = st.text(max_size=12) | st.sampled_from(["\ud800", "\udcff", "a\r\nb", "\x00", "€", '"'])


def run(method: str = "GET", url: str = "http://x/p", **kwargs: Any) -> tuple[Any, list[Any]]:
    """Send one request, then a plain one on the same session; return the first one's
    outcome (the exception, or None) and what the server saw of it."""
    seen: list[Any] = []

    async def handler(request: web.BaseRequest) -> web.Response:
        if request.path == "/after":
            return web.Response(text="after")
        form = None
        if request.method == "POST" and request.content_type != "application/json":
            form = []
            for k, v in (await request.post()).items():
                if isinstance(v, web.FileField):
                    with v.file:
                        v = (v.filename, v.file.read())
                form.append((k, v))
        seen.append((request, form, await request.read()))
        return web.Response(text="ok")

    async def go() -> Any:
        server = web.Server(handler)
        outcome: Any = None
        async with ClientSession(connector=MemoryConnector(server)) as session:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    async with session.request(method, url, **kwargs) as resp:
                        assert resp.status == 200
            except CLEAR as exc:
                assert not isinstance(exc, UNCLEAR) or "BasicAuth" in str(exc), repr(exc)
                outcome = exc
            async with session.get("http://x/after") as resp:
                assert await resp.text() == "after"
        await server.shutdown()
        return outcome

    outcome = asyncio.run(go())
    assert (outcome is None) == (len(seen) == 1), (outcome, seen)
    return outcome, seen


def _sendable(value: str) -> bool:
    """Within the server's field size limit (a longer one is answered 431), and without
    control characters other than CR, LF and NUL (the client sends those as they are, as
    aiohttp does; the server refuses them)."""
    if len(value) > 2000:  # (up to 4 bytes a character: within 8190 bytes)
        return False
    return not any((c < " " and c not in "\t\r\n\x00") or c == "\x7f" for c in value)


@settings(max_examples=100)
@given(st.text(max_size=8), (_peers.header_values | texts).filter(_sendable))
@example("X", "\ud800")
def test_header_values(name: str, value: str) -> None:
    error, seen = run(headers={name or "X": value})
    if error is None:
        ((request, _, _),) = seen
        raw = dict(request.raw_headers)
        got = raw[(name or "X").encode()]
        assert got == value.strip(" \t").encode("utf-8", "surrogateescape")
        assert b"\r" not in got and b"\n" not in got


@settings(max_examples=50)
@given(st.dictionaries(st.text(max_size=5) | st.integers(), texts | st.integers(), max_size=3))
@example({1: "x"})
@example({"a": "\ud800"})
def test_cookies(cookies: dict[Any, Any]) -> None:
    error, seen = run(cookies=cookies)
    if error is None and cookies:
        ((request, _, _),) = seen
        assert b"\n" not in dict(request.raw_headers)[b"Cookie"]


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=6) | st.integers(),
            texts | st.integers() | st.floats(allow_nan=False) | st.booleans(),
        ),
        max_size=3,
    ),
)
@example([(1, "x")])
def test_params(params: list[tuple[Any, Any]]) -> None:
    error, seen = run(params=params)
    if error is None and params:
        ((request, _, _),) = seen
        expected = [(k, str(int(v)) if isinstance(v, bool) else str(v)) for k, v in params]
        assert [(k, v) for k, v in request.query.items()] == [
            (k, v.replace("\ud800", "").replace("\udcff", "")) for k, v in expected
        ] or any("\ud800" in k + v or "\udcff" in k + v for k, v in expected)


@settings(max_examples=60)
@given(texts.filter(lambda s: ":" not in s), texts, st.sampled_from(["latin1", "utf-8"]))
@example("€", "p", "latin1")
@example("a", "\ud800", "utf-8")
def test_basic_auth(login: str, password: str, encoding: str) -> None:
    error, seen = run(auth=BasicAuth(login, password, encoding))
    if error is None:
        ((request, _, _),) = seen
        assert BasicAuth.decode(request.headers["Authorization"], encoding) == BasicAuth(
            login, password, encoding
        )
    else:
        assert "BasicAuth" in str(error) or "auth" in str(error)


@settings(max_examples=60)
@given(st.dictionaries(texts, texts, max_size=3), st.sampled_from([None, "latin-1"]))
@example({"a": "\ud800"}, None)
@example({"a": "€"}, "latin-1")
def test_urlencoded_form(fields: dict[str, str], charset: str | None) -> None:
    error, seen = run("POST", data=FormData(fields, charset=charset))
    if error is None:
        ((_, form, _),) = seen
        if charset is None:
            assert form == list(fields.items())


@settings(max_examples=80)
@given(texts, texts, st.booleans(), st.sampled_from([None, "text/plain", "text/x\r\nX-Evil: 1"]))
@example("a", "f\r\nX-Evil: 1", False, None)
@example('a"\r\nX-Evil: 1', "f", False, None)
@example("a", "f", True, "text/plain\r\nX-Evil: 1")
@example("\ud800", "f", True, None)
@example("a", "\ud800", True, None)
def test_multipart_form(name: str, filename: str, quote_fields: bool, ctype: str | None) -> None:
    form = FormData(quote_fields=quote_fields)
    try:
        form.add_field(name, b"v", filename=filename, content_type=ctype)
    except ValueError:
        assert ctype is not None and "\n" in ctype
        return
    error, seen = run("POST", data=form)
    if error is None:
        ((_, fields, body),) = seen
        for line in body.split(b"\r\n"):
            assert not line.startswith(b"X-Evil"), body
        if quote_fields:
            assert fields == [(name, (quote(filename, ""), b"v"))]
        else:
            assert fields == [(name, (filename, b"v"))]
