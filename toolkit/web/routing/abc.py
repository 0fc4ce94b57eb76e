"""The abstract routing interfaces an application talks to.

:class:`AbstractRouter` is what :class:`~toolkit.web.Application` needs of a router;
a custom router implementing it can be passed as ``Application(router=...)``.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Generator, Iterator, Sized
from typing import TYPE_CHECKING, Any

from yarl import URL

if TYPE_CHECKING:
    from toolkit.web.app import Application
    from toolkit.web.exceptions import HTTPException
    from toolkit.web.request import Request
    from toolkit.web.response import StreamResponse

__all__ = [
    "AbstractMatchInfo",
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouter",
    "AbstractView",
    "Handler",
]

Handler = Callable[["Request"], Awaitable["StreamResponse"]]


class AbstractRouter(abc.ABC):
    """Maps a request to an :class:`AbstractMatchInfo`."""

    def __init__(self) -> None:
        self._frozen = False

    def post_init(self, app: Application) -> None:  # noqa: B027 - optional hook
        """Called once the application that owns the router is built."""

    @property
    def frozen(self) -> bool:
        """``True`` once :meth:`freeze` was called."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse further changes."""
        self._frozen = True

    @abc.abstractmethod
    async def resolve(self, request: Request) -> AbstractMatchInfo:
        """Return the match info for ``request`` (a 404/405 one when nothing matches)."""


class AbstractMatchInfo(abc.ABC):
    """The result of routing: what handles the request, and in which apps."""

    @property
    @abc.abstractmethod
    def handler(self) -> Handler:
        """The request handler."""

    @property
    @abc.abstractmethod
    def expect_handler(self) -> Callable[[Request], Awaitable[StreamResponse | None]]:
        """The handler for ``Expect:`` headers."""

    @property
    @abc.abstractmethod
    def http_exception(self) -> HTTPException | None:
        """The exception routing produced (404, 405), else ``None``."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Information about the route, for debugging."""

    @property
    @abc.abstractmethod
    def apps(self) -> tuple[Application, ...]:
        """The applications on the route, root first."""

    @abc.abstractmethod
    def add_app(self, app: Application) -> None:
        """Prepend an enclosing application."""

    @abc.abstractmethod
    def freeze(self) -> None:
        """Refuse further :meth:`add_app` calls."""

    @property
    @abc.abstractmethod
    def current_app(self) -> Application:
        """The application whose code is running now."""


class AbstractView(abc.ABC):
    """A class-based handler: instantiated with the request, then awaited."""

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def request(self) -> Request:
        """The request being handled."""
        return self._request

    @abc.abstractmethod
    def __await__(self) -> Generator[Any, None, StreamResponse]:
        """Handle the request and return the response."""


class AbstractResource(Sized):
    """A path (or path pattern) that routes hang off."""

    def __init__(self, *, name: str | None = None) -> None:
        self._name = name

    @property
    def name(self) -> str | None:
        """The name given at registration, if any."""
        return self._name

    @property
    @abc.abstractmethod
    def canonical(self) -> str:
        """The path pattern as written when registered (with the prefix)."""

    @abc.abstractmethod
    def url_for(self, **kwargs: Any) -> URL:
        """Build a relative URL for this resource."""

    @abc.abstractmethod
    async def resolve(self, request: Request) -> tuple[AbstractMatchInfo | None, set[str]]:
        """Match ``request``: ``(match_info, allowed_methods)``; ``match_info`` is ``None``
        when the path or the method does not match."""

    @abc.abstractmethod
    def add_prefix(self, prefix: str) -> None:
        """Mount the resource under ``prefix`` (used by sub-applications)."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Information about the resource, for debugging and URL building."""

    def freeze(self) -> None:
        """Called when the router freezes."""

    @abc.abstractmethod
    def raw_match(self, path: str) -> bool:
        """``True`` if the resource was registered with exactly this path."""

    @abc.abstractmethod
    def __iter__(self) -> Iterator[AbstractRoute]:
        """The routes of the resource."""


class AbstractRoute(abc.ABC):
    """A method plus a handler on a resource."""

    @property
    @abc.abstractmethod
    def method(self) -> str:
        """The HTTP method (``*`` for any)."""

    @property
    @abc.abstractmethod
    def handler(self) -> Handler:
        """The request handler."""

    @property
    @abc.abstractmethod
    def name(self) -> str | None:
        """The resource's name."""

    @property
    @abc.abstractmethod
    def resource(self) -> AbstractResource | None:
        """The resource the route belongs to."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Information about the route."""

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: str) -> URL:
        """Build a URL for the route's resource."""

    @abc.abstractmethod
    async def handle_expect_header(self, request: Request) -> StreamResponse | None:
        """Answer an ``Expect:`` header (``100-continue``) before the body is read."""
