"""Application: state and AppKey, freezing, sub-apps, domains, signals and cleanup contexts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.web.conftest import Serve
from toolkit import web


async def whoami(request: web.Request) -> web.Response:
    return web.Response(text=request.app.get("name", "?"))


def test_appkey_state_and_warning() -> None:
    key = web.AppKey("db", int)
    app = web.Application()
    app[key] = 3
    assert app[key] == 3
    assert app.get(key) == 3
    assert repr(key) == "<AppKey(db, type=int)>"
    with pytest.warns(web.NotAppKeyWarning, match="AppKey"):
        app["plain"] = 1
    assert len(app) == 2
    app.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        app[key] = 4
    with pytest.raises(RuntimeError, match="frozen"):
        del app[key]
    with pytest.raises(RuntimeError):
        app.router.add_get("/", whoami)
    with pytest.raises(RuntimeError):
        app.middlewares.append(web.normalize_path_middleware())


def test_loop_argument_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="loop"):
        web.Application(loop=object())  # type: ignore[arg-type]


async def test_subapps_and_prefix(serve: Serve) -> None:
    NAME = web.AppKey("name", str)

    async def name_of_app(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.app[NAME]} {request.path}")

    root = web.Application()
    root[NAME] = "root"
    root.router.add_get("/", name_of_app)
    admin = web.Application()
    admin[NAME] = "admin"
    admin.router.add_get("/", name_of_app)
    admin.router.add_get("/users/{id}", name_of_app, name="user")
    resource = root.add_subapp("/admin/", admin)
    assert resource.canonical == "/admin"
    assert str(admin.router["user"].url_for(id="3")) == "/admin/users/3"  # type: ignore[index]
    with pytest.raises(RuntimeError, match="frozen"):
        admin.router.add_get("/late", name_of_app)

    base = await serve(root)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/")).text == "root /"
        assert (await client.get("/admin/")).text == "admin /admin/"
        assert (await client.get("/admin/users/3")).text == "admin /admin/users/3"
        assert (await client.get("/admin/nope")).status_code == 404
        r = await client.post("/admin/users/3")
        assert r.status_code == 405
        assert r.headers["Allow"] == "GET,HEAD"
        assert (await client.get("/administrator")).status_code == 404


async def test_config_dict_chains_apps() -> None:
    from tests.web.conftest import make_request

    outer_key, inner_key = web.AppKey("outer", str), web.AppKey("inner", str)
    root = web.Application()
    root[outer_key] = "o"
    sub = web.Application()
    sub[inner_key] = "i"
    sub.router.add_get("/x", whoami)
    root.add_subapp("/s", sub)
    request = make_request("GET", "/s/x")
    info = await root.router.resolve(request)
    info.add_app(root)
    request._match_info = info  # type: ignore[assignment]
    assert request.app is sub
    assert request.config_dict[outer_key] == "o"
    assert request.config_dict[inner_key] == "i"


async def test_domains(serve: Serve) -> None:
    NAME = web.AppKey("name", str)

    async def name_of_app(request: web.Request) -> web.Response:
        return web.Response(text=request.app[NAME])

    root = web.Application()
    root[NAME] = "root"
    for domain in ("example.com", "*.example.org", "api.example.net:8080"):
        sub = web.Application()
        sub[NAME] = domain
        sub.router.add_get("/", name_of_app)
        root.add_domain(domain, sub)
    root.router.add_get("/", name_of_app)  # resources match in registration order
    with pytest.raises(ValueError, match="domain"):
        root.add_domain("bad_domain!", web.Application())
    base = await serve(root)
    async with httpx.AsyncClient(base_url=base) as client:
        for host, expected in [
            ("example.com", "example.com"),
            ("EXAMPLE.com", "example.com"),
            ("a.example.org", "*.example.org"),
            ("example.org", "root"),
            ("api.example.net:8080", "api.example.net:8080"),
            ("api.example.net", "root"),
            ("other.test", "root"),
        ]:
            r = await client.get("/", headers={"Host": host})
            assert r.text == expected, host


async def test_signals_and_cleanup_ctx_order() -> None:
    events: list[str] = []
    app = web.Application()

    async def on_startup(app: web.Application) -> None:
        events.append("startup")

    async def on_shutdown(app: web.Application) -> None:
        events.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    def ctx(name: str):  # type: ignore[no-untyped-def]
        async def gen(app: web.Application) -> AsyncIterator[None]:
            events.append(f"enter {name}")
            yield
            events.append(f"exit {name}")

        return gen

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.cleanup_ctx.extend([ctx("a"), ctx("b")])
    sub = web.Application()
    sub.cleanup_ctx.append(ctx("sub"))
    app.add_subapp("/sub", sub)

    runner = web.AppRunner(app)
    await runner.setup()
    await runner.cleanup()
    # cleanup_ctx hooks are registered first, sub-app signals where add_subapp was called
    assert events == [
        "enter a",
        "enter b",
        "startup",
        "enter sub",
        "shutdown",
        "exit b",
        "exit a",
        "cleanup",
        "exit sub",
    ]


async def test_cleanup_runs_for_started_contexts_when_a_later_one_fails() -> None:
    events: list[str] = []

    async def good(app: web.Application) -> AsyncIterator[None]:
        events.append("enter good")
        yield
        events.append("exit good")

    async def bad(app: web.Application) -> AsyncIterator[None]:
        raise RuntimeError("boom in startup")
        yield  # pragma: no cover

    app = web.Application()
    app.cleanup_ctx.extend([good, bad])
    with pytest.raises(RuntimeError, match="boom in startup"):
        await app.startup()
    await app.cleanup()
    assert events == ["enter good", "exit good"]


async def test_cleanup_errors_are_collected() -> None:
    def failing(msg: str):  # type: ignore[no-untyped-def]
        async def gen(app: web.Application) -> AsyncIterator[None]:
            yield
            raise ValueError(msg)

        return gen

    app = web.Application()
    app.cleanup_ctx.extend([failing("one"), failing("two")])
    app.freeze()
    await app.startup()
    with pytest.raises(web.CleanupError) as info:
        await app.cleanup()
    assert [str(e) for e in info.value.exceptions] == ["two", "one"]


async def test_signal_semantics() -> None:
    calls: list[tuple[int, str]] = []
    signal = web.Signal(owner=None)

    async def first(x: int) -> None:
        calls.append((x, "first"))

    async def boom(x: int) -> None:
        raise KeyError("receiver failed")

    async def never(x: int) -> None:
        calls.append((x, "never"))

    signal.extend([first, boom, never])
    with pytest.raises(RuntimeError, match="non-frozen"):
        await signal.send(1)
    signal.freeze()
    with pytest.raises(RuntimeError):
        signal.append(first)
    with pytest.raises(KeyError, match="receiver failed"):
        await signal.send(1)
    assert calls == [(1, "first")]


async def test_on_response_prepare_can_edit_headers(serve: Serve) -> None:
    async def add_header(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Prepared"] = request.path

    app = web.Application()
    app.router.add_get("/p", whoami)
    app.on_response_prepare.append(add_header)
    base = await serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/p")
        assert r.headers["X-Prepared"] == "/p"
        r = await client.get("/missing")
        assert r.headers["X-Prepared"] == "/missing"


async def test_nested_subapps_with_many_plain_routes(serve: Serve) -> None:
    from tests.web.conftest import make_request

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.match_info.route.resource.canonical}")  # type: ignore[union-attr]

    inner = web.Application()
    for i in range(30):
        inner.router.add_get(f"/p{i}", ok)
    inner.router.add_get("/d/{x}", ok)
    mid = web.Application()
    mid.add_subapp("/inner", inner)
    # The inner router is frozen now; resolving builds its lookup index...
    assert (await inner.router.resolve(make_request("GET", "/inner/p3"))).http_exception is None
    root = web.Application()
    root.router.add_get("/p3", ok)
    root.add_subapp("/mid", mid)  # ...which must follow the new prefix
    base = await serve(root)
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/mid/inner/p3")).text == "/mid/inner/p3"
        assert (await client.get("/mid/inner/p29")).text == "/mid/inner/p29"
        assert (await client.get("/mid/inner/d/1")).text == "/mid/inner/d/{x}"
        assert (await client.get("/p3")).text == "/p3"
        assert (await client.get("/inner/p3")).status_code == 404


async def test_make_handler_passes_handler_args_and_debug() -> None:
    app = web.Application(debug=True, handler_args={"keepalive_timeout": 5.0})
    app.router.add_get("/", whoami)
    server = app._make_handler()
    assert isinstance(server, web.Server)
    assert app.frozen
    protocol = server()
    assert protocol.debug is True
    assert protocol.keepalive_timeout == 5.0


def test_signals_hold_their_application_weakly() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        app = web.Application()
        assert app.on_startup._owner is app
        assert "owner=<Application" in repr(app.on_cleanup)
        signal = app.on_shutdown
        ref = weakref.ref(app)
        del app
        assert ref() is None  # freed at once: no cycle through the signals
        assert signal._owner is None
    finally:
        gc.enable()
    assert web.Signal(owner=None)._owner is None
    assert web.Signal(owner=3)._owner == 3  # objects without weak references: kept as is


async def test_signals_asked_for_late_are_frozen_as_if_made_with_the_app() -> None:
    # Signals, middlewares and cleanup contexts are made on first access: one made
    # after a stage of the lifecycle must be as read-only as one made before it.
    async def receiver(app: web.Application) -> None:
        pass

    started = web.Application()
    await started.startup()
    with pytest.raises(RuntimeError, match="frozen"):
        started.on_startup.append(receiver)
    with pytest.raises(RuntimeError, match="frozen"):
        started.cleanup_ctx.append(lambda app: None)  # type: ignore[arg-type,return-value]
    started.on_cleanup.append(receiver)  # (frozen by pre_freeze only)
    started.on_shutdown.append(receiver)
    await started.shutdown()
    with pytest.raises(RuntimeError, match="frozen"):
        started.on_shutdown.append(receiver)

    frozen = web.Application()
    frozen.freeze()
    for signal in (
        frozen.on_startup,
        frozen.on_shutdown,
        frozen.on_cleanup,
        frozen.on_response_prepare,
        frozen.cleanup_ctx,
        frozen.middlewares,
    ):
        assert signal.frozen
        with pytest.raises(RuntimeError, match="frozen"):
            signal.append(receiver)  # type: ignore[arg-type]
    await frozen.startup()
    await frozen.shutdown()
    await frozen.cleanup()


async def test_an_app_without_receivers_runs_its_lifecycle() -> None:
    app = web.Application()
    assert list(app.middlewares) == []
    assert len(app.on_startup) == 1  # the cleanup contexts' hook
    runner = web.AppRunner(web.Application())
    await runner.setup()
    await runner.cleanup()
    unfrozen = web.Application()
    await unfrozen.cleanup()
    assert unfrozen.on_cleanup.frozen is False


@pytest.mark.parametrize(
    ("value", "error"),
    [(float("nan"), ValueError), ("1M", TypeError), (True, TypeError), (-1, ValueError)],
)
def test_client_max_size_is_checked(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"Application\.client_max_size must be a number of bytes"):
        web.Application(client_max_size=value)  # type: ignore[arg-type]


def test_client_max_size_without_a_bound_still_accepted() -> None:
    # 0, and None as in aiohttp's read(): no bound (None failed in post() before).
    assert web.Application(client_max_size=0)._client_max_size == 0
    assert web.Application(client_max_size=None)._client_max_size == 0  # type: ignore[arg-type]
    size: Any = 1.5 * 1024**2
    assert web.Application(client_max_size=size)._client_max_size == size


@pytest.mark.parametrize(
    ("handler_args", "error"),
    [({"keepalive_timeout": float("nan")}, ValueError), ({"max_field_size": "8k"}, TypeError)],
)
def test_numeric_handler_args_are_checked(
    handler_args: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"Application\.handler_args\.\w+ must be a number"):
        web.Application(handler_args=handler_args)
