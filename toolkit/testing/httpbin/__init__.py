"""An httpbin-compatible application for tests: ``make_httpbin_app()``.

It answers httpbin's endpoints with httpbin's JSON shapes, status codes and headers, in
process (serve it with a ``TestServer``, or through a ``MemoryConnector`` with no socket
at all)::

    async with TestClient(TestServer(make_httpbin_app(), transport="memory")) as client:
        data = await (await client.get("/get?a=1")).json()
        assert data["args"] == {"a": "1"}

Endpoints: ``/get /post /put /patch /delete /anything[/...] /status/{codes} /headers
/ip /user-agent /cookies /cookies/set /cookies/set/{name}/{value} /cookies/delete
/redirect/{n} /relative-redirect/{n} /absolute-redirect/{n} /redirect-to
/basic-auth/{user}/{passwd} /hidden-basic-auth/{user}/{passwd} /bearer /gzip /deflate
/brotli`` (when ``brotli`` is importable) ``/stream/{n} /bytes/{n} /stream-bytes/{n}
/range/{numbytes} /drip /delay/{n} /json /html /xml /encoding/utf8 /robots.txt /deny
/uuid /base64/{value} /links/{n} /links/{n}/{offset} /response-headers /cache
/cache/{n} /etag/{etag}``, and ``/ws/echo`` (not in httpbin: a WebSocket that echoes
text and binary messages).
"""

from __future__ import annotations

import importlib.util

from toolkit.web import Application, UrlDispatcher

from . import _more as m, _views as v

__all__ = ["make_httpbin_app"]

_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def make_httpbin_app() -> Application:
    """A new ``web.Application`` serving the httpbin endpoints listed in the module doc."""
    app = Application()
    router = app.router
    assert isinstance(router, UrlDispatcher)
    add = router.add_route
    get = router.add_get  # GET and HEAD
    get("/get", v._get)
    for method in _BODY_METHODS:
        add(method, f"/{method.lower()}", v._with_body)
    add("*", "/anything", v._anything)
    add("*", "/anything/{path:.*}", v._anything)
    add("*", "/status/{codes}", v._status)
    get("/headers", v._headers_view)
    get("/ip", v._ip)
    get("/user-agent", v._user_agent)
    get("/cookies", v._cookies)
    get("/cookies/set", v._cookies_set)
    get("/cookies/set/{name}/{value}", v._cookies_set_one)
    get("/cookies/delete", v._cookies_delete)
    get("/redirect/{n}", v._redirect)
    get("/relative-redirect/{n}", v._relative_redirect)
    get("/absolute-redirect/{n}", v._absolute_redirect)
    add("*", "/redirect-to", v._redirect_to)
    get("/basic-auth/{user}/{passwd}", v._basic_auth)
    get("/hidden-basic-auth/{user}/{passwd}", m._hidden_basic_auth)
    get("/bearer", m._bearer)
    get("/gzip", v._gzip)
    get("/deflate", v._deflate)
    if importlib.util.find_spec("brotli") is not None:
        get("/brotli", m._brotli)
    get("/stream/{n}", v._stream)
    get("/bytes/{n}", v._bytes)
    get("/stream-bytes/{n}", m._stream_bytes)
    get("/range/{numbytes}", m._range)
    get("/drip", m._drip)
    add("*", "/delay/{n}", v._delay)
    get("/json", v._json)
    get("/html", v._html)
    get("/xml", m._xml)
    get("/encoding/utf8", m._encoding_utf8)
    get("/robots.txt", m._robots)
    get("/deny", m._deny)
    get("/uuid", v._uuid)
    get("/base64/{value}", m._base64)
    get("/links/{n}", m._links_first)
    get("/links/{n}/{offset}", m._links)
    get("/response-headers", m._response_headers)
    add("POST", "/response-headers", m._response_headers)
    get("/cache", m._cache)
    get("/cache/{n}", m._cache_for)
    get("/etag/{etag}", m._etag)
    get("/ws/echo", m._ws_echo)
    return app
