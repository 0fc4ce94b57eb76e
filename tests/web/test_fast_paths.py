"""The server's fast paths give what the general paths give.

Plain-path routing without awaiting the router, the lazily built request URL, the
skipped ``on_response_prepare`` send and the writer calls made without coroutines are
shortcuts: these tests pin that they answer exactly like the slow paths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from hypothesis import given, settings, strategies as st

from tests.web.conftest import Serve, make_request
from toolkit import web
from toolkit.web.routing.routes import UrlMappingMatchInfo


def _named(name: str) -> web.Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"{name} {request.match_info.get('x', '-')}")

    return handler


async def test_registration_order_wins_over_the_plain_path_index(serve: Serve) -> None:
    app = web.Application()
    app.router.add_get("/{x}", _named("dynamic"))  # registered first: it matches /a first
    app.router.add_get("/a", _named("plain"))
    app.router.add_post("/b", _named("plain-b"))
    app.router.add_route("*", "/any", _named("any"))
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/a")).text == "dynamic a"
        assert (await client.post("/b")).text == "plain-b -"
        r = await client.get("/b")  # the dynamic route takes any GET
        assert r.text == "dynamic b"
        assert (await client.delete("/any")).text == "any -"
        r = await client.put("/b")
        assert r.status_code == 405
        assert r.headers["Allow"] == "GET,HEAD,POST"  # from both resources
        assert (await client.get("/x/y")).status_code == 404


async def test_plain_paths_methods_head_and_expect(serve: Serve) -> None:
    seen: list[str] = []

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        seen.append(request.method)
        response.headers["X-Prepared"] = "yes"

    app = web.Application()
    app.router.add_get("/", _named("root"))
    app.router.add_post("/up", _named("up"))
    app.on_response_prepare.append(on_prepare)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
        assert (r.status_code, r.text, r.headers["X-Prepared"]) == (200, "root -", "yes")
        r = await client.head("/")
        assert (r.status_code, r.headers["Content-Length"]) == (200, "6")
        r = await client.post("/up", content=b"x" * 10, headers={"Expect": "100-continue"})
        assert (r.status_code, r.text) == (200, "up -")
        r = await client.delete("/up")
        assert r.status_code == 405
    assert seen == ["GET", "HEAD", "POST", "DELETE"]


async def test_middlewares_still_run_for_plain_paths(serve: Serve) -> None:
    @web.middleware
    async def tag(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers["X-Tag"] = "1"
        return response

    app = web.Application(middlewares=[tag])
    app.router.add_get("/", _named("root"))
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
        assert (r.text, r.headers["X-Tag"]) == ("root -", "1")


async def test_cookies_and_headers_reach_the_wire(serve: Serve) -> None:
    async def handler(request: web.Request) -> web.Response:
        response = web.Response(body=b"ok", headers={"X-A": "1"})
        response.set_cookie("k", "v", partitioned=True)
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
        assert r.headers["X-A"] == "1"
        assert r.headers["Set-Cookie"] == "k=v; Path=/; Partitioned"
        assert r.headers["Server"].startswith("Python/")
        assert "Date" in r.headers


def test_response_defaults_are_per_instance() -> None:
    one = web.Response(text="a")
    two = web.Response(text="b")
    one.set_cookie("x", "1")
    one.force_close()
    assert not two.cookies
    assert two.keep_alive is None
    assert one.keep_alive is False
    assert two.headers["Content-Type"] == "text/plain; charset=utf-8"


@given(
    st.text(
        alphabet=st.sampled_from(list("abcXYZ019-._~:/?#[]@!$&'()*+,;=%")),
        max_size=30,
    )
)
@settings(max_examples=200, deadline=None)
def test_lazy_path_matches_the_url(suffix: str) -> None:
    import asyncio

    async def check() -> None:
        for target in ("/" + suffix, "http://h" + suffix):
            fast = make_request("GET", target)
            slow = make_request("GET", target)
            assert fast.path == slow.rel_url.path
            assert fast._raw_path_part == slow.rel_url.raw_path

    asyncio.get_event_loop().run_until_complete(check())


async def test_state_mappings_start_empty_and_are_created_on_first_write() -> None:
    request = make_request("GET", "/")
    response = web.Response()
    for mapping in (request, response):
        assert len(mapping) == 0 and list(mapping) == [] and "k" not in mapping
        assert mapping.get("k") is None
        try:
            del mapping["k"]
        except KeyError:
            pass
        else:
            raise AssertionError("deleting a missing key must raise KeyError")
        mapping["k"] = 1
        assert list(mapping.items()) == [("k", 1)]
        del mapping["k"]
        assert len(mapping) == 0
    request["a"] = [1]
    clone = request.clone()
    clone["b"] = 2
    assert list(clone.items()) == [("a", [1]), ("b", 2)]
    assert list(request.items()) == [("a", [1])]
    assert list(make_request("GET", "/").clone().items()) == []


async def test_cookies_and_forwarded_are_parsed_once() -> None:
    request = make_request(
        "GET", "/", {"Cookie": "a=1; b=2", "Forwarded": "for=1.2.3.4;proto=https"}
    )
    assert request.cookies == {"a": "1", "b": "2"}
    assert request.cookies is request.cookies
    assert request.forwarded[0]["for"] == "1.2.3.4"
    assert request.forwarded is request.forwarded


async def test_dispatch_shortcut_answers_like_handle_and_builds_match_info_on_demand() -> None:
    seen: list[tuple[str, object, object]] = []

    async def handler(request: web.Request) -> web.Response:
        info = request.match_info  # made on first use by the shortcut
        seen.append((info.route.resource.canonical, info.current_app, request.app))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/plain", handler)
    app.freeze()
    request = make_request("GET", "/plain?q=1", app=app)
    request._match_info = None  # as the protocol hands it over: not routed yet
    response = await app._dispatch(request)
    assert response.text == "ok"
    assert request._route is not None and request._match is not None
    assert seen == [("/plain", app, app)]
    assert list(request.match_info.apps) == [app]
    # The same request through _handle (the general path) gets the same answer.
    again = make_request("GET", "/plain?q=1", app=app)
    again._match_info = None
    assert (await app._handle(again)).text == "ok"
    assert seen[-1] == ("/plain", app, app)


async def test_dispatch_leaves_expect_variables_and_middlewares_to_handle() -> None:
    calls: list[str] = []

    @web.middleware
    async def tag(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        calls.append("middleware")
        return await handler(request)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info.get("x", "-"))

    plain = web.Application()
    plain.router.add_get("/{x}", handler)
    plain.router.add_get("/p", handler)
    plain.freeze()
    assert plain._plain_dispatch is not None
    request = make_request("GET", "/v", app=plain)
    request._match_info = None
    assert (await plain._dispatch(request)).text == "v"  # a variable: resolve()
    assert request._route is None

    with_mw = web.Application(middlewares=[tag])
    with_mw.router.add_get("/p", handler)
    with_mw.freeze()
    assert with_mw._plain_dispatch is None
    request = make_request("GET", "/p", app=with_mw)
    request._match_info = None
    assert (await with_mw._dispatch(request)).text == "-"
    assert calls == ["middleware"]


async def test_setting_match_info_replaces_the_lazy_one() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    route = app.router.add_get("/", handler)
    app.freeze()
    request = make_request("GET", "/", app=app)
    request._match_info = None
    await app._dispatch(request)
    assert request._route is route
    other = UrlMappingMatchInfo({"x": "1"}, route)
    request._match_info = other
    assert request.match_info is other and request._route is None
    assert request.clone().match_info is other


async def test_objects_made_without_init_have_what_init_sets() -> None:
    """The protocol makes its StreamWriter and the app its Request without calling
    __init__: they must still get every attribute __init__ sets."""
    import asyncio

    from toolkit.streams import EMPTY_PAYLOAD
    from toolkit.web.request import Request
    from toolkit.web.writer import StreamWriter

    seen: list[web.Request] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    server = app._make_handler(access_log=None)
    protocol = server()
    written: list[bytes] = []

    class Transport(asyncio.Transport):
        def write(self, data: bytes | bytearray | memoryview) -> None:
            written.append(bytes(data))

        def is_closing(self) -> bool:
            return False

        def get_extra_info(self, name: str, default: object = None) -> object:
            return default

    protocol.connection_made(Transport())
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(5):
        await asyncio.sleep(0)
    assert written and written[0].startswith(b"HTTP/1.1 200 OK\r\n")
    [request] = seen
    loop = asyncio.get_running_loop()
    writer = request._payload_writer
    assert type(writer) is StreamWriter
    assert set(vars(StreamWriter(protocol, loop))) <= set(vars(writer))
    reference = Request(request._message, EMPTY_PAYLOAD, protocol, writer, request._task, loop)
    assert set(vars(reference)) <= set(vars(request))
    assert request._loop is loop
    protocol.connection_lost(None)


async def test_connections_share_the_stock_access_logger_only() -> None:
    class Custom(web.AccessLogger):
        pass

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    stock = web.Server(hello)
    assert stock().access_logger is stock().access_logger
    custom = web.Server(hello, access_log_class=Custom)
    assert custom().access_logger is not custom().access_logger
    assert type(custom().access_logger) is Custom
    assert web.Server(hello, access_log=None)().access_logger is None


async def test_lifecycle_signals_still_run_when_set() -> None:
    calls: list[str] = []
    app = web.Application()

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        calls.append("ctx start")
        yield
        calls.append("ctx end")

    async def on_shutdown(app: web.Application) -> None:
        calls.append("shutdown")

    app.cleanup_ctx.append(ctx)
    app.on_shutdown.append(on_shutdown)
    runner = web.AppRunner(app)
    await runner.setup()
    await runner.cleanup()
    assert calls == ["ctx start", "shutdown", "ctx end"]
