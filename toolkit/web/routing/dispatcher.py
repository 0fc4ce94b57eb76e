"""The default router: :class:`UrlDispatcher`."""

from __future__ import annotations

import heapq
import keyword
import os
from collections.abc import Iterable, Iterator, Mapping, Sized
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from toolkit import hdrs
from toolkit._lazy import lazy_pattern
from toolkit.web.routing.abc import (
    AbstractMatchInfo,
    AbstractResource,
    AbstractRoute,
    AbstractRouter,
)
from toolkit.web.routing.resources import DynamicResource, PlainResource, Resource
from toolkit.web.routing.routes import ExpectHandler, MatchInfoError, ResourceRoute

if TYPE_CHECKING:
    from toolkit.web.request import Request
    from toolkit.web.routedef import AbstractRouteDef
    from toolkit.web.staticfiles import StaticResource

__all__ = ["ResourcesView", "RoutesView", "UrlDispatcher"]

# The routes of a resource by method, and its first catch-all (``*``) route.
_MethodTable = tuple[dict[str, ResourceRoute], "ResourceRoute | None"]


def _method_table(resource: PlainResource) -> _MethodTable:
    """For each method, the first route of ``resource`` that accepts it."""
    by_method: dict[str, ResourceRoute] = {}
    catch_all: ResourceRoute | None = None
    for route in resource._routes:
        method = route._method
        if method == hdrs.METH_ANY:
            if catch_all is None:
                catch_all = route
        elif catch_all is None:  # (a catch-all route before it takes every method)
            by_method.setdefault(method, route)
    return by_method, catch_all


_NAME_SEPARATORS = lazy_pattern(r"[.:-]")


class ResourcesView(Sized, Iterable[AbstractResource]):
    """A read-only view of the router's resources."""

    def __init__(self, resources: list[AbstractResource]) -> None:
        self._resources = resources

    def __len__(self) -> int:
        return len(self._resources)

    def __iter__(self) -> Iterator[AbstractResource]:
        return iter(self._resources)

    def __contains__(self, resource: object) -> bool:
        return resource in self._resources


class RoutesView(Sized, Iterable[AbstractRoute]):
    """A read-only view of every route of every resource."""

    def __init__(self, resources: list[AbstractResource]) -> None:
        self._routes = [route for resource in resources for route in resource]

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes)

    def __contains__(self, route: object) -> bool:
        return route in self._routes


class UrlDispatcher(AbstractRouter, Mapping[str, AbstractResource]):
    """Routes requests to resources in registration order; 404/405 when none fits."""

    def __init__(self) -> None:
        super().__init__()
        self._resources: list[AbstractResource] = []
        self._named_resources: dict[str, AbstractResource] = {}
        # Frozen routers look plain paths up in a dict: {path: [positions]}, [others].
        self._index: tuple[dict[str, list[int]], list[int]] | None = None
        # Frozen routers: {path: ({method: route}, the first catch-all route or None)}
        # for the plain resource that is the first candidate for the path.
        self._plain_routes: dict[str, _MethodTable] | None = None

    def _build_index(self) -> tuple[dict[str, list[int]], list[int]]:
        plain: dict[str, list[int]] = {}
        others: list[int] = []
        first: dict[str, _MethodTable] = {}
        for position, resource in enumerate(self._resources):
            if type(resource) is PlainResource:
                path = resource.canonical or "/"
                plain.setdefault(path, []).append(position)
                if not others and path not in first:
                    # (Else an earlier resource of another kind may match first.)
                    first[path] = _method_table(resource)
            else:
                others.append(position)
        self._plain_routes = first
        return plain, others

    def _match_plain(self, path: str, method: str) -> ResourceRoute | None:
        """The route for a plain path and method on a frozen router, else None.

        A shortcut for the common case, giving the route :meth:`resolve` finds;
        None means "ask :meth:`resolve`" (other resources, 404, 405).
        """
        table = self._plain_routes
        if table is None:
            if not self._frozen:
                return None
            self._index = self._build_index()
            table = self._plain_routes
            assert table is not None
        entry = table.get(path)
        if entry is None:
            return None
        route = entry[0].get(method)
        return route if route is not None else entry[1]

    def _invalidate_index(self) -> None:
        """Forget the lookup index (a resource's path changed)."""
        self._index = None
        self._plain_routes = None

    def _candidates(self, path: str) -> Iterable[AbstractResource]:
        """Resources that may match ``path``, in registration order."""
        if not self.frozen:
            return self._resources
        if self._index is None:
            self._index = self._build_index()
        plain, others = self._index
        exact = plain.get(path)
        resources = self._resources
        if not exact:
            positions: Iterable[int] = others
        elif not others:
            positions = exact
        else:
            positions = heapq.merge(exact, others)
        return [resources[position] for position in positions]

    async def resolve(self, request: Request) -> AbstractMatchInfo:
        allowed_methods: set[str] = set()
        for resource in self._candidates(request.path):
            match_info, allowed = await resource.resolve(request)
            if match_info is not None:
                return match_info
            allowed_methods |= allowed
        # (The HTTP exceptions are imported on first use: see toolkit.web._errors.)
        from toolkit.web.exceptions import HTTPMethodNotAllowed, HTTPNotFound

        if allowed_methods:
            return MatchInfoError(HTTPMethodNotAllowed(request.method, allowed_methods))
        return MatchInfoError(HTTPNotFound())

    # -- mapping of named resources ----------------------------------------------------

    def __iter__(self) -> Iterator[str]:
        return iter(self._named_resources)

    def __len__(self) -> int:
        return len(self._named_resources)

    def __contains__(self, resource: object) -> bool:
        return resource in self._named_resources

    def __getitem__(self, name: str) -> AbstractResource:
        return self._named_resources[name]

    def resources(self) -> ResourcesView:
        """Every registered resource, in order."""
        return ResourcesView(self._resources)

    def routes(self) -> RoutesView:
        """Every route of every resource."""
        return RoutesView(self._resources)

    def named_resources(self) -> Mapping[str, AbstractResource]:
        """Resources registered with a name, by name."""
        return MappingProxyType(self._named_resources)

    # -- registration --------------------------------------------------------------------

    def register_resource(self, resource: AbstractResource) -> None:
        """Append a resource; its name (if any) must be unique and identifier-like."""
        if self.frozen:
            raise RuntimeError("cannot register a resource into a frozen router")
        name = resource.name
        if name is not None:
            for part in _NAME_SEPARATORS.split(name):
                if not part.isidentifier() or keyword.iskeyword(part):
                    raise ValueError(
                        f"incorrect route name {name!r}: route name should be a sequence of "
                        "python identifiers separated by dash, dot or column"
                    )
            if name in self._named_resources:
                raise ValueError(
                    f"duplicate {name!r}, already handled by {self._named_resources[name]!r}"
                )
            self._named_resources[name] = resource
        self._resources.append(resource)

    def add_resource(self, path: str, *, name: str | None = None) -> Resource:
        """Return the resource for ``path``, reusing the last one if it matches."""
        if path and not path.startswith("/"):
            raise ValueError(f"path should start with / or be empty, got {path!r}")
        if self._resources:
            last = self._resources[-1]
            if isinstance(last, Resource) and last.name == name and last.raw_match(path):
                return last
        resource: Resource
        if "{" not in path and "}" not in path:
            resource = PlainResource(path, name=name)
        else:
            resource = DynamicResource(path, name=name)
        self.register_resource(resource)
        return resource

    def add_route(
        self,
        method: str,
        path: str,
        handler: Any,
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
    ) -> AbstractRoute:
        """Register ``handler`` for ``method`` on ``path``."""
        resource = self.add_resource(path, name=name)
        return resource.add_route(method, handler, expect_handler=expect_handler)

    def add_get(
        self,
        path: str,
        handler: Any,
        *,
        name: str | None = None,
        allow_head: bool = True,
        **kwargs: Any,
    ) -> AbstractRoute:
        """Register a GET handler (and, unless ``allow_head=False``, HEAD with it)."""
        resource = self.add_resource(path, name=name)
        if allow_head:
            resource.add_route(hdrs.METH_HEAD, handler, **kwargs)
        return resource.add_route(hdrs.METH_GET, handler, **kwargs)

    def add_head(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Register a HEAD handler."""
        return self.add_route(hdrs.METH_HEAD, path, handler, **kwargs)

    def add_options(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Register an OPTIONS handler."""
        return self.add_route(hdrs.METH_OPTIONS, path, handler, **kwargs)

    def add_post(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Register a POST handler."""
        return self.add_route(hdrs.METH_POST, path, handler, **kwargs)

    def add_put(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Register a PUT handler."""
        return self.add_route(hdrs.METH_PUT, path, handler, **kwargs)

    def add_patch(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Register a PATCH handler."""
        return self.add_route(hdrs.METH_PATCH, path, handler, **kwargs)

    def add_delete(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Register a DELETE handler."""
        return self.add_route(hdrs.METH_DELETE, path, handler, **kwargs)

    def add_view(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Register a class-based view (any method; the view dispatches)."""
        return self.add_route(hdrs.METH_ANY, path, handler, **kwargs)

    def add_static(
        self,
        prefix: str,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> StaticResource:
        """Serve the files under directory ``path`` at URLs under ``prefix``."""
        from toolkit.web.staticfiles import StaticResource

        if not prefix.startswith("/"):
            raise ValueError(f"static prefix should start with /, got {prefix!r}")
        prefix = prefix.rstrip("/")
        resource = StaticResource(
            prefix,
            path,
            name=name,
            expect_handler=expect_handler,
            chunk_size=chunk_size,
            show_index=show_index,
            follow_symlinks=follow_symlinks,
            append_version=append_version,
        )
        self.register_resource(resource)
        return resource

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        """Register route definitions (:class:`RouteTableDef`, ``web.get(...)`` ...)."""
        registered: list[AbstractRoute] = []
        for route_def in routes:
            registered.extend(route_def.register(self))
        return registered

    def freeze(self) -> None:
        super().freeze()
        for resource in self._resources:
            resource.freeze()
        self._index = None
