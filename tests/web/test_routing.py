"""Routing through a real server: plain, dynamic, regex, named, 404/405, HEAD, views."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from tests.web.conftest import Serve, make_request
from toolkit import web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text=f"hello {request.match_info.get('name', 'world')}")


async def test_plain_and_dynamic_routes(serve: Serve) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/users/{name}", hello)
    app.router.add_get(r"/items/{id:\d+}", lambda_handler("item"))
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
        assert (r.status_code, r.text) == (200, "hello world")
        r = await client.get("/users/ann%20lee")
        assert r.text == "hello ann lee"
        r = await client.get("/items/42")
        assert r.text == "item 42"
        r = await client.get("/items/abc")
        assert r.status_code == 404
        assert r.text == "404: Not Found"


def lambda_handler(prefix: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"{prefix} {request.match_info['id']}")

    return handler


async def test_405_lists_allowed_methods(serve: Serve) -> None:
    app = web.Application()
    app.router.add_get("/thing", hello)
    app.router.add_post("/thing", hello)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.put("/thing")
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET,HEAD,POST"


async def test_head_served_by_get_handler_without_body(serve: Serve) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/nohead", hello, allow_head=False)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.head("/")
        assert r.status_code == 200
        assert r.content == b""
        assert r.headers["Content-Length"] == str(len("hello world"))
        r = await client.head("/nohead")
        assert r.status_code == 405


async def test_any_method_route(serve: Serve) -> None:
    async def echo_method(request: web.Request) -> web.Response:
        return web.Response(text=request.method)

    app = web.Application()
    app.router.add_route("*", "/any", echo_method)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        for method in ("GET", "POST", "DELETE", "PATCH"):
            r = await client.request(method, "/any")
            assert r.text == method


async def test_class_based_view(serve: Serve) -> None:
    class ItemView(web.View):
        async def get(self) -> web.Response:
            return web.Response(text="got " + self.request.match_info["id"])

        async def post(self) -> web.Response:
            return web.json_response({"posted": await self.request.json()})

    app = web.Application()
    app.router.add_view("/items/{id}", ItemView)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/items/7")).text == "got 7"
        r = await client.post("/items/7", json={"a": 1})
        assert r.json() == {"posted": {"a": 1}}
        r = await client.delete("/items/7")
        assert r.status_code == 405
        assert set(r.headers["Allow"].split(",")) == {"GET", "POST"}


async def test_route_table_def_and_helpers(serve: Serve) -> None:
    routes = web.RouteTableDef()

    @routes.get("/a")
    async def a(request: web.Request) -> web.Response:
        return web.Response(text="a")

    @routes.post("/b")
    async def b(request: web.Request) -> web.Response:
        return web.Response(text="b")

    app = web.Application()
    app.add_routes(routes)
    app.add_routes([web.put("/c", b), web.delete("/c", b), web.patch("/c", b), web.head("/h", a)])
    assert len(routes) == 2
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/a")).text == "a"
        assert (await client.post("/b")).text == "b"
        assert (await client.patch("/c")).text == "b"
        assert (await client.head("/h")).status_code == 200
        assert (await client.get("/h")).status_code == 405


def test_named_resources_and_url_for() -> None:
    app = web.Application()
    app.router.add_get("/", hello, name="index")
    app.router.add_get("/users/{name}/posts/{post:\\d+}", hello, name="user-post")
    app.router.add_static("/static", ".", name="static")
    router = app.router
    assert isinstance(router, web.UrlDispatcher)
    assert str(router["index"].url_for()) == "/"
    url = router["user-post"].url_for(name="a b/c", post="12")
    assert url.raw_path == "/users/a%20b%2Fc/posts/12"
    assert str(router["static"].url_for(filename="x/y.css")) == "/static/x/y.css"
    assert set(router.named_resources()) == {"index", "user-post", "static"}
    assert len(router.resources()) == 3
    assert len(router.routes()) == 2 + 2 + 2  # GET+HEAD each
    with pytest.raises(ValueError, match="duplicate"):
        router.add_get("/other", hello, name="index")
    with pytest.raises(ValueError, match="incorrect route name"):
        router.add_get("/bad", hello, name="1bad")


def test_bad_routes_rejected() -> None:
    router = web.UrlDispatcher()
    with pytest.raises(ValueError, match="should start with /"):
        router.add_get("nope", hello)
    with pytest.raises(TypeError, match="only async functions"):
        router.add_get("/sync", "not callable")
    with pytest.warns(DeprecationWarning, match="bare functions are deprecated"):
        router.add_get("/sync", lambda request: web.Response(text="sync"))
    with pytest.raises(ValueError, match="not a valid HTTP method"):
        router.add_route("GE T", "/x", hello)
    with pytest.raises(ValueError, match="bad pattern"):
        router.add_get("/{x:(}", hello)
    router.add_get("/dup", hello)
    with pytest.raises(RuntimeError, match="already registered"):
        router.add_get("/dup", hello)
    router.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        router.add_get("/late", hello)


async def test_resolve_unit() -> None:
    router = web.UrlDispatcher()
    route = router.add_get("/x/{a}", hello)
    info = await router.resolve(make_request("GET", "/x/1"))
    assert info.route is route  # type: ignore[attr-defined]
    assert dict(info) == {"a": "1"}  # type: ignore[call-overload]
    assert info.http_exception is None
    info = await router.resolve(make_request("GET", "/nope"))
    assert isinstance(info.http_exception, web.HTTPNotFound)
    info = await router.resolve(make_request("POST", "/x/1"))
    assert isinstance(info.http_exception, web.HTTPMethodNotAllowed)
    assert info.http_exception.allowed_methods == {"GET", "HEAD"}


async def test_custom_router_swapped_in(serve: Serve) -> None:
    class EverythingRouter(web.AbstractRouter):
        def post_init(self, app: web.Application) -> None:
            self.app = app

        async def resolve(self, request: web.Request) -> web.AbstractMatchInfo:
            route = web.ResourceRoute("*", self.handle, web.PlainResource("/"))
            return web.UrlMappingMatchInfo({"path": request.path}, route)

        async def handle(self, request: web.Request) -> web.Response:
            return web.Response(text="custom " + request.match_info["path"])

    router = EverythingRouter()
    app = web.Application(router=router)
    assert router.app is app and app.router is router
    with pytest.raises(TypeError, match="AbstractRouter"):
        web.Application(router=object())  # type: ignore[arg-type]
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/whatever/here")
    assert r.text == "custom /whatever/here"


@given(value=st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s))
@settings(max_examples=150, deadline=None)
def test_url_for_round_trips_through_resolve(value: str) -> None:
    import asyncio

    router = web.UrlDispatcher()
    router.add_get("/users/{name}/x", hello, name="user")
    url = router["user"].url_for(name=value)

    async def resolve() -> web.AbstractMatchInfo:
        return await router.resolve(make_request("GET", url.raw_path))

    info = asyncio.get_event_loop().run_until_complete(resolve())
    assert info.http_exception is None, url
    assert info["name"] == value  # type: ignore[index]


async def test_registration_order_wins_in_a_frozen_router() -> None:
    async def first(request: web.Request) -> web.Response:
        return web.Response(text="first")

    router = web.UrlDispatcher()
    dynamic = router.add_get("/{name}", first)
    plain = router.add_get("/fixed", hello)
    later_plain = router.add_post("/{name}", hello)
    for frozen in (False, True):
        if frozen:
            router.freeze()
        info = await router.resolve(make_request("GET", "/fixed"))
        assert info.route is dynamic  # type: ignore[attr-defined]
        info = await router.resolve(make_request("POST", "/fixed"))
        assert info.route is later_plain  # type: ignore[attr-defined]
        info = await router.resolve(make_request("DELETE", "/fixed"))
        assert info.http_exception is not None
        assert info.http_exception.headers["Allow"] == "GET,HEAD,POST"
    del plain


async def test_route_table_def_every_decorator(serve: Serve) -> None:
    routes = web.RouteTableDef()

    def echo() -> Any:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(text=request.method)

        return handler

    routes.get("/m", allow_head=False)(echo())
    routes.put("/m")(echo())
    routes.patch("/m")(echo())
    routes.delete("/m")(echo())
    routes.options("/m")(echo())
    routes.head("/m")(echo())
    routes.post("/m", name="m")(echo())
    routes.route("PROPFIND", "/m")(echo())

    @routes.view("/v")
    class V(web.View):
        async def get(self) -> web.Response:
            return web.Response(text="view")

    assert len(routes) == 9 and routes[0].method == "GET"  # type: ignore[attr-defined]
    assert "RouteDef GET /m" in repr(routes[0]) and "count=9" in repr(routes)
    app = web.Application()
    registered = app.add_routes(routes)
    assert len(registered) == 9
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        for method in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "POST", "PROPFIND"):
            r = await client.request(method, "/m")
            assert r.text == method
        assert (await client.head("/m")).status_code == 200
        assert (await client.get("/v")).text == "view"


async def test_deprecated_sync_handler_still_works() -> None:
    router = web.UrlDispatcher()
    with pytest.warns(DeprecationWarning):
        route = router.add_get("/sync", lambda request: web.Response(text="sync"))
    response = await route.handler(make_request("GET", "/sync"))
    assert isinstance(response, web.Response) and response.text == "sync"
