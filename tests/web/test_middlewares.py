"""Middlewares: order (outer to inner, root before sub-app), exceptions, path normalisation."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import Serve
from toolkit import web


def tracing(name: str, trail: list[str]) -> web.middlewares.Middleware:
    @web.middleware
    async def mw(request: web.Request, handler: web.middlewares.Handler) -> web.StreamResponse:
        trail.append(f"> {name}")
        response = await handler(request)
        trail.append(f"< {name}")
        return response

    return mw


async def test_order_outer_to_inner_with_subapp(serve: Serve) -> None:
    trail: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        trail.append("handler")
        return web.Response(text="ok")

    root = web.Application(middlewares=[tracing("root1", trail), tracing("root2", trail)])
    sub = web.Application(middlewares=[tracing("sub", trail)])
    sub.router.add_get("/h", handler)
    root.add_subapp("/sub", sub)
    root.router.add_get("/h", handler)
    base = await serve(root)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/sub/h")).text == "ok"
        assert trail == [
            "> root1",
            "> root2",
            "> sub",
            "handler",
            "< sub",
            "< root2",
            "< root1",
        ]
        trail.clear()
        await client.get("/h")
        assert trail == ["> root1", "> root2", "handler", "< root2", "< root1"]


async def test_middleware_turns_exceptions_into_responses(serve: Serve) -> None:
    @web.middleware
    async def errors(request: web.Request, handler: web.middlewares.Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return web.json_response({"error": "not found"}, status=404)
        except ZeroDivisionError as exc:
            return web.Response(status=418, text=f"caught {exc}")

    async def divide(request: web.Request) -> web.Response:
        return web.Response(text=str(1 / 0))

    app = web.Application(middlewares=[errors])
    app.router.add_get("/div", divide)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/nowhere")
        assert (r.status_code, r.json()) == (404, {"error": "not found"})
        r = await client.get("/div")
        assert (r.status_code, r.text) == (418, "caught division by zero")


async def test_unhandled_error_is_500_without_traceback_unless_debug(serve: Serve) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise ValueError("secret internals")

    app = web.Application()
    app.router.add_get("/", broken)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
    assert r.status_code == 500
    assert "secret internals" not in r.text
    assert "Traceback" not in r.text

    debug_app = web.Application(debug=True)
    debug_app.router.add_get("/", broken)
    base = await serve(debug_app, debug=True)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
    assert r.status_code == 500
    assert "secret internals" in r.text


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/a", "/a/"),
        ("/a?x=1", "/a/?x=1"),
        ("//a//b", "/a/b/"),
        ("/a//b/", "/a/b/"),
    ],
)
async def test_normalize_path_append_slash(serve: Serve, path: str, location: str) -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[web.normalize_path_middleware()])
    app.router.add_get("/a/", ok)
    app.router.add_get("/a/b/", ok)
    base = await serve(app)
    async with httpx.AsyncClient() as client:
        r = await client.get(httpx.URL(base).copy_with(raw_path=path.encode()))
    assert r.status_code == 308
    assert r.headers["Location"] == location


async def test_normalize_path_remove_slash_and_no_open_redirect(serve: Serve) -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(
        middlewares=[
            web.normalize_path_middleware(
                append_slash=False, remove_slash=True, redirect_class=web.HTTPFound
            )
        ]
    )
    app.router.add_get("/a", ok)
    app.router.add_get("/evil.example", ok)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/a/")
        assert (r.status_code, r.headers["Location"]) == (302, "/a")
        r = await client.get("/a")
        assert r.status_code == 200
        r = await client.get(httpx.URL(base).copy_with(raw_path=b"//evil.example/"))
        assert r.status_code == 302
        assert r.headers["Location"] == "/evil.example"
        assert (await client.get("/missing/")).status_code == 404


def test_normalize_path_rejects_both_options() -> None:
    with pytest.raises(ValueError, match="both"):
        web.normalize_path_middleware(append_slash=True, remove_slash=True)


async def test_request_app_is_the_app_whose_middleware_runs(serve: Serve) -> None:
    NAME = web.AppKey("name", str)
    seen: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: web.middlewares.Handler) -> web.StreamResponse:
        seen.append(request.app[NAME])
        return await handler(request)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.app[NAME])

    root = web.Application(middlewares=[record])
    root[NAME] = "root"
    sub = web.Application()  # no middlewares of its own
    sub[NAME] = "sub"
    sub.router.add_get("/", handler)
    root.add_subapp("/sub", sub)
    base = await serve(root)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/sub/")).text == "sub"
    assert seen == ["root"]


async def test_typed_request_and_response_keys(serve: Serve) -> None:
    USER = web.RequestKey("user", str)
    TIMING = web.ResponseKey("timing", float)

    @web.middleware
    async def auth(request: web.Request, handler: web.middlewares.Handler) -> web.StreamResponse:
        request[USER] = "ann"
        response = await handler(request)
        assert response[TIMING] == 1.5
        return response

    async def handler(request: web.Request) -> web.Response:
        response = web.json_bytes_response(
            {"user": request[USER]}, dumps=lambda d: repr(d).encode()
        )
        response[TIMING] = 1.5
        return response

    app = web.Application(middlewares=[auth])
    app.router.add_get("/", handler)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/")
    assert r.text == "{'user': 'ann'}"
    assert r.headers["Content-Type"] == "application/json"
    assert repr(USER) == "<RequestKey(user, type=str)>"
