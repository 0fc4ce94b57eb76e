"""Path resources: plain paths and ``{variable}`` patterns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from yarl import URL

from toolkit import hdrs
from toolkit._lazy import lazy_pattern
from toolkit.web.routing.abc import AbstractMatchInfo, AbstractResource, AbstractRoute
from toolkit.web.routing.routes import ExpectHandler, ResourceRoute, UrlMappingMatchInfo

if TYPE_CHECKING:
    from toolkit.web.request import Request

__all__ = ["DynamicResource", "PlainResource", "PrefixResource", "Resource"]

# (Patterns, not compiled ones: re compiles and caches them when a dynamic route is added.)
_VAR = lazy_pattern(r"\{(?P<var>[_a-zA-Z][_a-zA-Z0-9]*)\}")
_VAR_REGEX = lazy_pattern(r"\{(?P<var>[_a-zA-Z][_a-zA-Z0-9]*):(?P<re>.+)\}")
_GOOD = r"[^{}/]+"
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def quote_path(path: str) -> str:
    """Percent-encode a decoded path the way it appears on the wire."""
    return URL.build(path=path, encoded=False).raw_path


class Resource(AbstractResource):
    """A resource holding routes keyed by method."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._routes: list[ResourceRoute] = []

    def add_route(
        self,
        method: str,
        handler: Any,
        *,
        expect_handler: ExpectHandler | None = None,
    ) -> ResourceRoute:
        """Add a route for ``method``; a method can be registered once per resource."""
        method = method.upper()
        for route in self._routes:
            if route._method == method or route._method == hdrs.METH_ANY:
                raise RuntimeError(
                    f"added route will never be executed, method {route.method} is already "
                    f"registered on {self.canonical!r}"
                )
        route = ResourceRoute(method, handler, self, expect_handler=expect_handler)
        self._routes.append(route)
        return route

    def register_route(self, route: ResourceRoute) -> None:
        """Attach an already built route."""
        self._routes.append(route)

    def _match(self, request: Request) -> dict[str, str] | None:
        raise NotImplementedError

    async def resolve(self, request: Request) -> tuple[AbstractMatchInfo | None, set[str]]:
        match_dict = self._match(request)
        if match_dict is None:
            return None, set()
        allowed: set[str] = set()
        method = request.method
        for route in self._routes:
            if route.method == method or route.method == hdrs.METH_ANY:
                return UrlMappingMatchInfo(match_dict, route), allowed
            allowed.add(route.method)
        return None, allowed

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes)


class PlainResource(Resource):
    """A resource for one fixed path."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if path and not path.startswith("/"):
            raise ValueError(f"path should start with / or be empty, got {path!r}")
        self._path = path

    @property
    def canonical(self) -> str:
        return self._path

    def freeze(self) -> None:
        if not self._path:
            self._path = "/"

    def add_prefix(self, prefix: str) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"prefix must start with / and not end with /, got {prefix!r}")
        self._path = prefix + self._path

    def _match(self, request: Request) -> dict[str, str] | None:
        return {} if request.path == (self._path or "/") else None

    def raw_match(self, path: str) -> bool:
        return self._path == path

    def get_info(self) -> dict[str, Any]:
        return {"path": self._path}

    def url_for(self, **kwargs: Any) -> URL:
        if kwargs:
            raise TypeError(f"{self!r}.url_for() takes no path parts, got {sorted(kwargs)}")
        return URL.build(path=self._path or "/")

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<PlainResource {name}{self._path}>"


class DynamicResource(Resource):
    """A resource whose path has ``{name}`` or ``{name:regex}`` variables."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if not path.startswith("/"):
            raise ValueError(f"path should start with /, got {path!r}")
        pattern = ""
        formatter = ""
        for part in re.split(r"(\{[_a-zA-Z][^{}]*(?:\{[^{}]*\}[^{}]*)*\})", path):
            match = _VAR.fullmatch(part)
            if match:
                pattern += f"(?P<{match.group('var')}>{_GOOD})"
                formatter += "{" + match.group("var") + "}"
                continue
            match = _VAR_REGEX.fullmatch(part)
            if match:
                pattern += f"(?P<{match.group('var')}>{match.group('re')})"
                formatter += "{" + match.group("var") + "}"
                continue
            if "{" in part or "}" in part:
                raise ValueError(f"invalid path {path!r}: bad pattern part {part!r}")
            raw = quote_path(part)
            formatter += raw.replace("{", "{{").replace("}", "}}")
            pattern += re.escape(raw)
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"bad pattern {pattern!r} in path {path!r}: {exc}") from None
        assert compiled.pattern.startswith("/")
        self._pattern = compiled
        self._formatter = formatter
        self._canonical = path

    @property
    def canonical(self) -> str:
        return self._canonical

    def add_prefix(self, prefix: str) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"prefix must start with / and not end with /, got {prefix!r}")
        raw = quote_path(prefix)
        self._pattern = re.compile(re.escape(raw) + self._pattern.pattern)
        self._formatter = raw.replace("{", "{{").replace("}", "}}") + self._formatter
        self._canonical = prefix + self._canonical

    def _match(self, request: Request) -> dict[str, str] | None:
        match = self._pattern.fullmatch(request._raw_path_part)
        if match is None:
            return None
        return {key: unquote(value) for key, value in match.groupdict().items()}

    def raw_match(self, path: str) -> bool:
        return self._canonical == path

    def get_info(self) -> dict[str, Any]:
        return {"formatter": self._formatter, "pattern": self._pattern}

    def url_for(self, **parts: str) -> URL:
        try:
            path = self._formatter.format_map(
                {
                    key: URL.build(path=str(value)).raw_path.replace("/", "%2F")
                    for key, value in parts.items()
                }
            )
        except KeyError as exc:
            raise KeyError(f"{self!r}.url_for() is missing the path part {exc}") from None
        return URL.build(path=path, encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<DynamicResource {name}{self._canonical}>"


class PrefixResource(AbstractResource):
    """A resource that owns every path under a prefix (static files, sub-apps)."""

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        if prefix and not prefix.startswith("/"):
            raise ValueError(f"prefix should start with /, got {prefix!r}")
        if prefix in ("", "/"):
            raise ValueError(f"prefix cannot be empty, got {prefix!r}")
        super().__init__(name=name)
        self._prefix = quote_path(prefix)
        self._prefix2 = self._prefix + "/"

    @property
    def canonical(self) -> str:
        return self._prefix

    def add_prefix(self, prefix: str) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"prefix must start with / and not end with /, got {prefix!r}")
        self._prefix = quote_path(prefix) + self._prefix
        self._prefix2 = self._prefix + "/"

    def raw_match(self, prefix: str) -> bool:
        return False
