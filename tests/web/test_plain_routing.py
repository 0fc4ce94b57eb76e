"""The frozen router's per-method table for plain paths picks the route a linear scan picks."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from toolkit import web
from toolkit.web.routing.dispatcher import UrlDispatcher

_METHODS = ["GET", "POST", "PUT", "DELETE", "*"]


async def _handler(request: web.Request) -> web.Response:
    return web.Response()


def _linear(router: UrlDispatcher, path: str, method: str) -> object:
    """The first route of the first plain resource for ``path`` that takes ``method``."""
    for resource in router._resources:
        if isinstance(resource, web.PlainResource) and (resource.canonical or "/") == path:
            for route in resource._routes:
                if route.method in (method, "*"):
                    return route
            return None
    return None


@given(st.lists(st.sampled_from(_METHODS), min_size=1, max_size=6))
@settings(max_examples=150, deadline=None)
def test_method_table_matches_a_linear_scan(methods: list[str]) -> None:
    router = UrlDispatcher()
    resource = router.add_resource("/r")
    for method in methods:
        try:
            resource.add_route(method, _handler)
        except RuntimeError:  # a route the ones before it shadow: refused
            pass
    router.freeze()
    for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"):
        assert router._match_plain("/r", method) is _linear(router, "/r", method)
    assert router._match_plain("/other", "GET") is None


def test_unfrozen_router_has_no_shortcut() -> None:
    router = UrlDispatcher()
    router.add_get("/", _handler)
    assert router._match_plain("/", "GET") is None
    router.freeze()
    route = router._match_plain("/", "GET")
    assert route is not None and route.method == "GET"
    head = router._match_plain("/", "HEAD")
    assert head is not None and head.method == "HEAD"
    assert router._match_plain("/", "POST") is None  # 405: resolve() answers it


def test_index_is_rebuilt_after_invalidation() -> None:
    router = UrlDispatcher()
    router.add_get("/a", _handler)
    router.freeze()
    assert router._match_plain("/a", "GET") is not None
    router._invalidate_index()
    assert router._plain_routes is None
    assert router._match_plain("/a", "GET") is not None
