"""Resources that hand requests to a sub-application: by path prefix or by domain."""

from __future__ import annotations

import abc
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from yarl import URL

from toolkit import hdrs
from toolkit._lazy import lazy_pattern
from toolkit.web.routing.abc import AbstractMatchInfo, AbstractResource, AbstractRoute
from toolkit.web.routing.dispatcher import UrlDispatcher
from toolkit.web.routing.resources import PrefixResource

if TYPE_CHECKING:
    from toolkit.web.app import Application
    from toolkit.web.request import Request

__all__ = [
    "AbstractRuleMatching",
    "Domain",
    "MaskDomain",
    "MatchedSubAppResource",
    "PrefixedSubAppResource",
]


def _dispatcher(app: Application) -> UrlDispatcher:
    router = app.router
    if not isinstance(router, UrlDispatcher):
        raise TypeError(f"sub-application {app!r} must use the default UrlDispatcher router")
    return router


def _allowed_of(match_info: AbstractMatchInfo) -> set[str]:
    exc = match_info.http_exception
    if exc is None:
        return set()
    from toolkit.web.exceptions import HTTPMethodNotAllowed  # (loaded: exc is one of them)

    if isinstance(exc, HTTPMethodNotAllowed):
        return set(exc.allowed_methods)
    return set()


class PrefixedSubAppResource(PrefixResource):
    """Every path under ``prefix`` goes to ``app``'s router."""

    def __init__(self, prefix: str, app: Application) -> None:
        super().__init__(prefix)
        self._app = app
        self._add_prefix_to_resources(prefix)

    def _add_prefix_to_resources(self, prefix: str) -> None:
        router = _dispatcher(self._app)
        for resource in router.resources():
            resource.add_prefix(prefix)
        router._invalidate_index()

    def add_prefix(self, prefix: str) -> None:
        super().add_prefix(prefix)
        self._add_prefix_to_resources(prefix)

    @property
    def app(self) -> Application:
        """The sub-application."""
        return self._app

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not supported by sub-application root")

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "prefix": self._prefix}

    async def resolve(self, request: Request) -> tuple[AbstractMatchInfo | None, set[str]]:
        path = request._raw_path_part
        if path != self._prefix and not path.startswith(self._prefix2):
            return None, set()
        match_info = await self._app.router.resolve(request)
        match_info.add_app(self._app)
        return match_info, _allowed_of(match_info)

    def __len__(self) -> int:
        return len(_dispatcher(self._app).routes())

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(_dispatcher(self._app).routes())

    def __repr__(self) -> str:
        return f"<PrefixedSubAppResource {self._prefix} -> {self._app!r}>"


class AbstractRuleMatching(abc.ABC):
    """A test on the request that selects a sub-application."""

    @abc.abstractmethod
    async def match(self, request: Request) -> bool:
        """``True`` when the request belongs to the sub-application."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Information about the rule."""

    @property
    @abc.abstractmethod
    def canonical(self) -> str:
        """The rule as written."""


class Domain(AbstractRuleMatching):
    """Match the Host header against one domain (optionally with a port)."""

    _VALID = lazy_pattern(r"(?!-)[a-z\d-]{1,63}(?<!-)")  # a label

    def __init__(self, domain: str) -> None:
        self._domain = self.validation(domain)

    @property
    def canonical(self) -> str:
        return self._domain

    def validation(self, domain: str) -> str:
        """Return the normalised domain or raise :class:`ValueError` naming it."""
        if not isinstance(domain, str):
            raise TypeError(f"domain must be str, got {type(domain).__name__}")
        domain = domain.rstrip(".").lower()
        if not domain:
            raise ValueError("domain cannot be empty")
        if "://" in domain:
            raise ValueError(f"scheme not supported in domain {domain!r}")
        url = URL("http://" + domain)
        host = url.raw_host
        if host is None or not all(self._VALID.fullmatch(label) for label in host.split(".")):
            raise ValueError(f"domain not valid: {domain!r}")
        if url.port == 80 or url.explicit_port is None:
            return host
        return f"{host}:{url.port}"

    async def match(self, request: Request) -> bool:
        host = request.headers.get(hdrs.HOST)
        if not host:
            return False
        return self.match_domain(host)

    def match_domain(self, host: str) -> bool:
        """``True`` if ``host`` (a Host header value) is this domain."""
        return host.lower() == self._domain

    def get_info(self) -> dict[str, Any]:
        return {"domain": self._domain}


class MaskDomain(Domain):
    """Match a ``*.example.com`` style mask."""

    _VALID = lazy_pattern(r"(?!-)[a-z\d\*-]{1,63}(?<!-)")

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        mask = self._domain.replace(".", r"\.").replace("*", ".*")
        self._mask = re.compile(mask)

    @property
    def canonical(self) -> str:
        return self._mask.pattern

    def match_domain(self, host: str) -> bool:
        return self._mask.fullmatch(host.lower()) is not None


class MatchedSubAppResource(PrefixedSubAppResource):
    """Requests that pass ``rule`` go to ``app``'s router (``app.add_domain``)."""

    def __init__(self, rule: AbstractRuleMatching, app: Application) -> None:
        AbstractResource.__init__(self)
        self._prefix = ""
        self._prefix2 = "/"
        self._app = app
        self._rule = rule

    @property
    def canonical(self) -> str:
        return self._rule.canonical

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "rule": self._rule}

    async def resolve(self, request: Request) -> tuple[AbstractMatchInfo | None, set[str]]:
        if not await self._rule.match(request):
            return None, set()
        match_info = await self._app.router.resolve(request)
        match_info.add_app(self._app)
        return match_info, _allowed_of(match_info)

    def __repr__(self) -> str:
        return f"<MatchedSubAppResource -> {self._app!r}>"
