"""Routes (method + handler) and the match info that routing produces."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import types
import warnings
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from yarl import URL

from toolkit import hdrs
from toolkit._lazy import lazy_pattern
from toolkit.http import HttpVersion11
from toolkit.web.routing.abc import (
    AbstractMatchInfo,
    AbstractResource,
    AbstractRoute,
    AbstractView,
    Handler,
)

if TYPE_CHECKING:
    from toolkit.web.app import Application
    from toolkit.web.exceptions import HTTPException
    from toolkit.web.request import Request
    from toolkit.web.response import StreamResponse

__all__ = [
    "MatchInfoError",
    "ResourceRoute",
    "SystemRoute",
    "UrlMappingMatchInfo",
]

# Only methods outside _KNOWN_METHODS need it: compiled on first use.
_METHOD_RE = lazy_pattern(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_KNOWN_METHODS = hdrs.METH_ALL | {hdrs.METH_ANY}
_CO_COROUTINE = inspect.CO_COROUTINE
ExpectHandler = Callable[["Request"], Awaitable["StreamResponse | None"]]

CONTINUE_LINE = b"HTTP/1.1 100 Continue\r\n\r\n"


async def default_expect_handler(request: Request) -> None:
    """Answer ``Expect: 100-continue`` with an interim 100 response; 417 otherwise."""
    expect = request.headers.get(hdrs.EXPECT, "")
    if request.version == HttpVersion11:
        if expect.lower() == "100-continue":
            transport = request.transport
            if transport is not None and not transport.is_closing():
                transport.write(CONTINUE_LINE)
        else:
            from toolkit.web.exceptions import HTTPExpectationFailed

            raise HTTPExpectationFailed(text=f"Unknown Expect: {expect}")


def _is_async_callable(handler: Any) -> bool:
    if type(handler) is types.FunctionType and handler.__code__.co_flags & _CO_COROUTINE:
        return True  # the usual handler, an async def function: one flag test
    while isinstance(handler, functools.partial):
        handler = handler.func
    return inspect.iscoroutinefunction(handler) or (
        callable(handler)
        and not inspect.isfunction(handler)
        and inspect.iscoroutinefunction(getattr(handler, "__call__", None))  # noqa: B004
    )


def _wrap_sync_handler(handler: Callable[[Request], Any]) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: Request) -> StreamResponse:
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        response: StreamResponse = result
        return response

    return wrapper


class BaseRoute(AbstractRoute):
    """A route with its method and handler validated at construction."""

    def __init__(
        self,
        method: str,
        handler: Any,
        *,
        expect_handler: ExpectHandler | None = None,
        resource: AbstractResource | None = None,
    ) -> None:
        if expect_handler is None:
            expect_handler = default_expect_handler
        elif not asyncio.iscoroutinefunction(expect_handler):
            raise TypeError(f"expect_handler must be an async function, got {expect_handler!r}")
        if method not in _KNOWN_METHODS:  # (known names are valid and upper case)
            method = method.upper()
            if not _METHOD_RE.match(method):
                raise ValueError(f"{method!r} is not a valid HTTP method")
        if isinstance(handler, type):
            if not issubclass(handler, AbstractView):
                raise TypeError(
                    f"a class handler must subclass AbstractView (web.View), got {handler!r}"
                )
        elif not callable(handler):
            raise TypeError(f"only async functions are allowed as a handler, got {handler!r}")
        elif not _is_async_callable(handler):
            warnings.warn(
                f"bare functions are deprecated as handlers, use async ones ({handler!r})",
                DeprecationWarning,
                stacklevel=4,
            )
            handler = _wrap_sync_handler(handler)
        self._method = method
        self._handler: Handler = handler
        self._expect_handler = expect_handler
        self._resource = resource

    @property
    def method(self) -> str:
        return self._method

    @property
    def handler(self) -> Handler:
        return self._handler

    @property
    def resource(self) -> AbstractResource | None:
        return self._resource

    @property
    def name(self) -> str | None:
        return self._resource.name if self._resource is not None else None

    def get_info(self) -> dict[str, Any]:
        return self._resource.get_info() if self._resource is not None else {}

    def url_for(self, *args: str, **kwargs: str) -> URL:
        if self._resource is None:
            raise RuntimeError(f"{self!r} has no resource to build a URL for")
        return self._resource.url_for(*args, **kwargs)

    async def handle_expect_header(self, request: Request) -> StreamResponse | None:
        return await self._expect_handler(request)


class ResourceRoute(BaseRoute):
    """A route registered on a resource by the router."""

    def __init__(
        self,
        method: str,
        handler: Any,
        resource: AbstractResource,
        *,
        expect_handler: ExpectHandler | None = None,
    ) -> None:
        super().__init__(method, handler, expect_handler=expect_handler, resource=resource)

    def __repr__(self) -> str:
        resource = self._resource
        canonical = resource.canonical if resource is not None else "?"
        return f"<ResourceRoute [{self.method}] {canonical} -> {self.handler!r}>"


async def _raise(http_exception: HTTPException, request: Request) -> StreamResponse:
    raise http_exception


class SystemRoute(BaseRoute):
    """The route of a 404/405 match: its handler raises the routing exception."""

    def __init__(self, http_exception: HTTPException) -> None:
        # Not a bound method: the route would refer to itself (a reference cycle).
        super().__init__(hdrs.METH_ANY, functools.partial(_raise, http_exception))
        self._http_exception = http_exception

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not allowed for SystemRoute")

    @property
    def name(self) -> str | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return {"http_exception": self._http_exception}

    @property
    def status(self) -> int:
        """The status code of the routing exception."""
        return self._http_exception.status

    @property
    def reason(self) -> str:
        """The reason phrase of the routing exception."""
        return self._http_exception.reason

    def __repr__(self) -> str:
        return f"<SystemRoute {self.status}: {self.reason}>"


class UrlMappingMatchInfo(dict[str, str], AbstractMatchInfo):
    """Path variables (the dict) plus the route, handler and applications."""

    __slots__ = ("_apps", "_current_app", "_frozen", "_route")

    def __init__(self, match_dict: dict[str, str], route: AbstractRoute) -> None:
        super().__init__(match_dict)
        self._route = route
        self._apps: list[Application] = []
        self._current_app: Application | None = None
        self._frozen = False

    @classmethod
    def _for_app(
        cls, match_dict: dict[str, str], route: AbstractRoute, app: Application
    ) -> UrlMappingMatchInfo:
        """A frozen match in ``app`` alone: ``add_app(app)`` and ``freeze()`` in one step."""
        self = cls.__new__(cls)  # __init__'s work, in fewer steps
        if match_dict:
            self.update(match_dict)
        self._route = route
        self._apps = [app]
        self._current_app = app
        self._frozen = True
        return self

    @property
    def handler(self) -> Handler:
        return self._route.handler

    @property
    def route(self) -> AbstractRoute:
        """The matched route."""
        return self._route

    @property
    def expect_handler(self) -> ExpectHandler:
        return self._route.handle_expect_header

    @property
    def http_exception(self) -> HTTPException | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return self._route.get_info()

    @property
    def apps(self) -> tuple[Application, ...]:
        return tuple(self._apps)

    def add_app(self, app: Application) -> None:
        if self._frozen:
            raise RuntimeError("cannot change the apps stack after .freeze() call")
        if self._current_app is None:
            self._current_app = app
        self._apps.insert(0, app)

    @property
    def current_app(self) -> Application:
        app = self._current_app
        assert app is not None, "no application was added to the match info"
        return app

    @current_app.setter
    def current_app(self, app: Application) -> None:
        if app not in self._apps:
            raise RuntimeError(f"expected one of the following apps {self._apps!r}, got {app!r}")
        self._current_app = app

    @contextlib.contextmanager
    def set_current_app(self, app: Application) -> Generator[None, None, None]:
        """Make ``app`` the current app inside the ``with`` block."""
        previous = self._current_app
        self.current_app = app
        try:
            yield
        finally:
            self._current_app = previous

    def freeze(self) -> None:
        self._frozen = True

    def __repr__(self) -> str:
        return f"<MatchInfo {super().__repr__()}: {self._route}>"


class MatchInfoError(UrlMappingMatchInfo):
    """The match info for a request no route matched (404) or allowed (405)."""

    __slots__ = ("_exception",)

    def __init__(self, http_exception: HTTPException) -> None:
        self._exception = http_exception
        super().__init__({}, SystemRoute(http_exception))

    @property
    def http_exception(self) -> HTTPException:
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"
