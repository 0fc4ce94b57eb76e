"""Route definitions: ``web.get(...)`` helpers and the :class:`RouteTableDef` decorator table."""

from __future__ import annotations

import abc
import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from toolkit import hdrs

if TYPE_CHECKING:
    from toolkit.web.routing.abc import AbstractRoute
    from toolkit.web.routing.dispatcher import UrlDispatcher

__all__ = [
    "AbstractRouteDef",
    "RouteDef",
    "RouteTableDef",
    "StaticDef",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "static",
    "view",
]

_HandlerT = Callable[..., Any]


class AbstractRouteDef(abc.ABC):
    """Something :meth:`UrlDispatcher.add_routes` can register."""

    @abc.abstractmethod
    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Register on ``router`` and return the routes made."""


@dataclasses.dataclass(frozen=True, repr=False)
class RouteDef(AbstractRouteDef):
    """``method`` + ``path`` -> ``handler``, with ``add_route`` keyword arguments."""

    method: str
    path: str
    handler: Any
    kwargs: dict[str, Any]

    def __repr__(self) -> str:
        info = "".join(f", {key}={value!r}" for key, value in sorted(self.kwargs.items()))
        return f"<RouteDef {self.method} {self.path} -> {self.handler.__name__!r}{info}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        if self.method in hdrs.METH_ALL:
            add = getattr(router, "add_" + self.method.lower())
            return [add(self.path, self.handler, **self.kwargs)]
        return [router.add_route(self.method, self.path, self.handler, **self.kwargs)]


@dataclasses.dataclass(frozen=True, repr=False)
class StaticDef(AbstractRouteDef):
    """A static directory to serve under ``prefix``."""

    prefix: str
    path: str | os.PathLike[str]
    kwargs: dict[str, Any]

    def __repr__(self) -> str:
        info = "".join(f", {key}={value!r}" for key, value in sorted(self.kwargs.items()))
        return f"<StaticDef {self.prefix} -> {self.path}{info}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        resource = router.add_static(self.prefix, self.path, **self.kwargs)
        return list(resource)


def route(method: str, path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """A route definition for any method."""
    return RouteDef(method, path, handler, kwargs)


def head(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """A HEAD route definition."""
    return route(hdrs.METH_HEAD, path, handler, **kwargs)


def options(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """An OPTIONS route definition."""
    return route(hdrs.METH_OPTIONS, path, handler, **kwargs)


def get(
    path: str, handler: Any, *, name: str | None = None, allow_head: bool = True, **kwargs: Any
) -> RouteDef:
    """A GET route definition (HEAD too unless ``allow_head=False``)."""
    return route(hdrs.METH_GET, path, handler, name=name, allow_head=allow_head, **kwargs)


def post(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """A POST route definition."""
    return route(hdrs.METH_POST, path, handler, **kwargs)


def put(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """A PUT route definition."""
    return route(hdrs.METH_PUT, path, handler, **kwargs)


def patch(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """A PATCH route definition."""
    return route(hdrs.METH_PATCH, path, handler, **kwargs)


def delete(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """A DELETE route definition."""
    return route(hdrs.METH_DELETE, path, handler, **kwargs)


def view(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """A class-based view definition (any method)."""
    return route(hdrs.METH_ANY, path, handler, **kwargs)


def static(prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> StaticDef:
    """A static directory definition."""
    return StaticDef(prefix, path, kwargs)


class RouteTableDef(Sequence[AbstractRouteDef]):
    """Collect routes with decorators: ``@routes.get("/")``; then ``app.add_routes(routes)``."""

    def __init__(self) -> None:
        self._items: list[AbstractRouteDef] = []

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"

    @overload
    def __getitem__(self, index: int) -> AbstractRouteDef: ...

    @overload
    def __getitem__(self, index: slice) -> list[AbstractRouteDef]: ...

    def __getitem__(self, index: int | slice) -> AbstractRouteDef | list[AbstractRouteDef]:
        return self._items[index]

    def __iter__(self) -> Iterator[AbstractRouteDef]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator registering the handler for ``method`` on ``path``."""

        def inner(handler: _HandlerT) -> _HandlerT:
            self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return inner

    def head(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for a HEAD handler."""
        return self.route(hdrs.METH_HEAD, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for a GET handler."""
        return self.route(hdrs.METH_GET, path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for a POST handler."""
        return self.route(hdrs.METH_POST, path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for a PUT handler."""
        return self.route(hdrs.METH_PUT, path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for a PATCH handler."""
        return self.route(hdrs.METH_PATCH, path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for a DELETE handler."""
        return self.route(hdrs.METH_DELETE, path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for an OPTIONS handler."""
        return self.route(hdrs.METH_OPTIONS, path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator for a class-based view."""
        return self.route(hdrs.METH_ANY, path, **kwargs)

    def static(self, prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Add a static directory."""
        self._items.append(StaticDef(prefix, path, kwargs))
