"""The web :class:`Application`: state, router, middlewares, sub-apps and lifecycle."""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    MutableMapping,
)
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from toolkit import hdrs
from toolkit._checks import check_number
from toolkit.web._errors import NotAppKeyWarning
from toolkit.web._keys import AppKey
from toolkit.web.request import BaseRequest, Request
from toolkit.web.routing.abc import AbstractMatchInfo, AbstractResource, AbstractRouter
from toolkit.web.routing.dispatcher import UrlDispatcher
from toolkit.web.routing.routes import UrlMappingMatchInfo
from toolkit.web.routing.subapps import (
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
)
from toolkit.web.server import Server, check_server_options
from toolkit.web.signals import FrozenList, Signal

if TYPE_CHECKING:
    from toolkit.http import RequestHead
    from toolkit.streams import StreamReader
    from toolkit.web.response import StreamResponse
    from toolkit.web.routing.routes import ResourceRoute

__all__ = ["AppKey", "Application", "CleanupError"]

_T = TypeVar("_T")
_EXPECT = hdrs.EXPECT
_new_object = object.__new__
# The path variables of a plain resource's match (read, never changed).
_NO_MATCH: dict[str, str] = {}
Handler = Callable[[Request], Awaitable["StreamResponse"]]
Middleware = Callable[..., Awaitable["StreamResponse"]]
CleanupCtx = Callable[["Application"], AsyncIterator[None]]

web_logger = logging.getLogger("toolkit.web")


def _with_current_app(app: Application, handler: Handler) -> Handler:
    async def run_in_app(request: Request) -> StreamResponse:
        with request.match_info.set_current_app(app):
            return await handler(request)

    return run_in_app


class CleanupError(RuntimeError):
    """Several cleanup contexts failed; ``exceptions`` holds each error."""

    @property
    def exceptions(self) -> list[BaseException]:
        """The errors, in the order they were raised."""
        errors: list[BaseException] = self.args[1]
        return errors


class CleanupContext(FrozenList[CleanupCtx]):
    """Async generators run up to their ``yield`` on startup, resumed on cleanup."""

    def __init__(self) -> None:
        super().__init__()
        self._exits: list[AsyncIterator[None]] = []

    async def _on_startup(self, app: Application) -> None:
        for factory in self:
            iterator = factory(app).__aiter__()
            await iterator.__anext__()
            self._exits.append(iterator)  # only contexts that started are cleaned up

    async def _on_cleanup(self, app: Application) -> None:
        errors: list[BaseException] = []
        for iterator in reversed(self._exits):
            try:
                await iterator.__anext__()
            except StopAsyncIteration:
                pass
            except (Exception, asyncio.CancelledError) as exc:
                errors.append(exc)
            else:
                errors.append(RuntimeError(f"{iterator!r} has more than one 'yield'"))
        self._exits.clear()
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise CleanupError("multiple errors on cleanup stage", errors)


class _Lifecycle:
    """An application's ``on_startup`` and ``on_cleanup`` signals and its cleanup
    contexts, whose hooks come first in those signals (made together, when first
    asked for)."""

    __slots__ = ("cleanup_ctx", "ctx_cleanup", "ctx_startup", "on_cleanup", "on_startup")

    def __init__(self, app: Application) -> None:
        self.cleanup_ctx = ctx = CleanupContext()
        self.ctx_startup = ctx._on_startup
        self.ctx_cleanup = ctx._on_cleanup
        self.on_startup = Signal(app)
        self.on_cleanup = Signal(app)
        # (straight into the lists: MutableSequence.append goes through insert())
        self.on_startup._items.append(self.ctx_startup)
        self.on_cleanup._items.append(self.ctx_cleanup)


class Application(MutableMapping["str | AppKey[Any]", Any]):
    """A web application: routes requests through middlewares to handlers.

    State is kept in the application mapping (prefer :class:`AppKey` keys). The app is
    frozen once a runner starts it: then state, router and middlewares are read-only.
    ``client_max_size`` bounds a request body read whole (0 or None: no bound); it and
    the numeric ``handler_args`` raise ``TypeError``/``ValueError`` here when they are
    not numbers, are NaN or are negative.
    """

    def __init__(
        self,
        *,
        logger: logging.Logger = web_logger,
        router: AbstractRouter | None = None,
        middlewares: Iterable[Middleware] = (),
        handler_args: dict[str, Any] | None = None,
        client_max_size: int = 1024**2,
        loop: asyncio.AbstractEventLoop | None = None,
        debug: Any = ...,
    ) -> None:
        if loop is not None:
            warnings.warn("loop argument is deprecated", DeprecationWarning, stacklevel=2)
        check_number("Application", "client_max_size", client_max_size, unit="bytes", none=True)
        if handler_args:
            check_server_options("Application.handler_args", handler_args)
        if router is None:
            router = UrlDispatcher()
        elif not isinstance(router, AbstractRouter):
            raise TypeError(f"router must be an AbstractRouter, got {router!r}")
        router.post_init(self)
        self._router = router
        self._loop = loop
        self._debug = bool(debug) if debug is not ... else False
        self._handler_args = handler_args
        self.logger = logger
        # The middlewares, signals and cleanup contexts are made when first asked for
        # (most apps have none): see the properties.
        self._middlewares: FrozenList[Middleware] | None = (
            FrozenList(middlewares) if middlewares else None
        )
        self._middlewares_handlers: tuple[Middleware, ...] = ()
        self._run_middlewares: bool | None = None
        self._plain_dispatch: UrlDispatcher | None = None  # set by freeze()
        # Set by pre_freeze(): whether on_response_prepare has receivers.
        self._has_prepare_handlers = False
        self._state: dict[str | AppKey[Any], Any] = {}
        self._frozen = False
        self._pre_frozen = False
        self._subapps: list[Application] = []
        self._on_response_prepare: Signal | None = None
        self._on_shutdown: Signal | None = None
        self._lifecycle: _Lifecycle | None = None  # on_startup, on_cleanup, cleanup_ctx
        self._started = False  # startup() ran: on_startup and cleanup_ctx are frozen
        self._client_max_size = client_max_size or 0  # (None: no bound, as 0)

    # -- state -------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True

    @overload
    def __getitem__(self, key: AppKey[_T]) -> _T: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: str | AppKey[_T]) -> Any:
        return self._state[key]

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError(
                f"cannot change the state of {self!r}: it is frozen (started or attached)"
            )

    @overload
    def __setitem__(self, key: AppKey[_T], value: _T) -> None: ...

    @overload
    def __setitem__(self, key: str, value: Any) -> None: ...

    def __setitem__(self, key: str | AppKey[_T], value: Any) -> None:
        self._check_frozen()
        if not isinstance(key, AppKey):
            warnings.warn(
                f"It is recommended to use web.AppKey instances for keys (got {key!r}).\n"
                "https://docs.aiohttp.org/en/stable/web_advanced.html#application-s-config",
                category=NotAppKeyWarning,
                stacklevel=2,
            )
        self._state[key] = value

    def __delitem__(self, key: str | AppKey[_T]) -> None:
        self._check_frozen()
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[str | AppKey[Any]]:
        return iter(self._state)

    @overload  # type: ignore[override]
    def get(self, key: AppKey[_T], default: None = ...) -> _T | None: ...

    @overload
    def get(self, key: AppKey[_T], default: _T) -> _T: ...

    @overload
    def get(self, key: str, default: Any = ...) -> Any: ...

    def get(self, key: str | AppKey[_T], default: Any = None) -> Any:
        return self._state.get(key, default)

    # -- configuration -------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running event loop (deprecated)."""
        warnings.warn("app.loop property is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop if self._loop is not None else asyncio.get_event_loop()

    @property
    def debug(self) -> bool:
        """Debug mode: 500 responses include the traceback."""
        return self._debug

    @property
    def router(self) -> UrlDispatcher:
        """The router (a :class:`UrlDispatcher` unless another one was given).

        Typed as :class:`UrlDispatcher`, as in aiohttp, so that ``app.router.add_get``
        type-checks; a custom router is returned as it is.
        """
        return cast(UrlDispatcher, self._router)

    @property
    def middlewares(self) -> FrozenList[Middleware]:
        """The middlewares, outermost first."""
        middlewares = self._middlewares
        if middlewares is None:
            middlewares = self._middlewares = FrozenList()
            if self._pre_frozen:
                middlewares.freeze()
        return middlewares

    def _new_signal(self, frozen: bool) -> Signal:
        signal = Signal(self)
        if frozen:
            signal.freeze()
        return signal

    def _get_lifecycle(self) -> _Lifecycle:
        lifecycle = self._lifecycle
        if lifecycle is None:
            lifecycle = self._lifecycle = _Lifecycle(self)
            if self._pre_frozen or self._started:
                lifecycle.on_startup.freeze()
                lifecycle.cleanup_ctx.freeze()
            if self._pre_frozen:
                lifecycle.on_cleanup.freeze()
        return lifecycle

    @property
    def on_response_prepare(self) -> Signal:
        """Sent as ``(request, response)`` before a response's head is written."""
        signal = self._on_response_prepare
        if signal is None:
            signal = self._on_response_prepare = self._new_signal(self._pre_frozen)
        return signal

    @property
    def on_startup(self) -> Signal:
        """Sent as ``(app)`` when the app starts."""
        return self._get_lifecycle().on_startup

    @property
    def on_shutdown(self) -> Signal:
        """Sent as ``(app)`` when the server begins shutting down."""
        signal = self._on_shutdown
        if signal is None:
            signal = self._on_shutdown = self._new_signal(self._pre_frozen)
        return signal

    @property
    def on_cleanup(self) -> Signal:
        """Sent as ``(app)`` after shutdown."""
        return self._get_lifecycle().on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext:
        """Async generators: code before ``yield`` runs on startup, after it on cleanup."""
        return self._get_lifecycle().cleanup_ctx

    @property
    def frozen(self) -> bool:
        """``True`` once the app started (or its parent did)."""
        return self._frozen

    @property
    def pre_frozen(self) -> bool:
        """``True`` once router, middlewares and signals are read-only."""
        return self._pre_frozen

    def pre_freeze(self) -> None:
        """Make router, middlewares and signals read-only (state stays writable)."""
        if self._pre_frozen:
            return
        self._pre_frozen = True
        self._router.freeze()
        middlewares = self._middlewares
        if middlewares is not None:
            middlewares.freeze()
            self._middlewares_handlers = tuple(reversed(middlewares._items))
        self._run_middlewares = bool(self._middlewares_handlers)
        prepare = self._on_response_prepare
        if prepare is not None:
            prepare.freeze()
            self._has_prepare_handlers = bool(prepare._items)
        if self._on_shutdown is not None:
            self._on_shutdown.freeze()
        lifecycle = self._lifecycle
        if lifecycle is not None:
            lifecycle.cleanup_ctx.freeze()
            lifecycle.on_startup.freeze()
            lifecycle.on_cleanup.freeze()
        for subapp in self._subapps:
            subapp.pre_freeze()
            self._run_middlewares = self._run_middlewares or bool(subapp._run_middlewares)

    def freeze(self) -> None:
        """Make everything read-only, state included; sub-apps too."""
        if self._frozen:
            return
        self.pre_freeze()
        self._frozen = True
        for subapp in self._subapps:
            subapp.freeze()
        # _dispatch's shortcut: the stock router and no middleware anywhere.
        router = self._router
        if type(router) is UrlDispatcher and not self._run_middlewares:
            self._plain_dispatch = router

    # -- sub-applications ----------------------------------------------------------------

    def add_subapp(self, prefix: str, subapp: Application) -> PrefixedSubAppResource:
        """Serve ``subapp`` under the path ``prefix``."""
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be str, got {type(prefix).__name__}")
        prefix = prefix.rstrip("/")
        if not prefix:
            raise ValueError("prefix cannot be empty")
        resource = self._add_subapp(functools.partial(PrefixedSubAppResource, prefix), subapp)
        return cast(PrefixedSubAppResource, resource)

    def add_domain(self, domain: str, subapp: Application) -> MatchedSubAppResource:
        """Serve ``subapp`` for requests whose Host is ``domain`` (``*`` masks allowed)."""
        if not isinstance(domain, str):
            raise TypeError(f"domain must be str, got {type(domain).__name__}")
        if not domain:
            raise ValueError("domain cannot be empty")
        rule: Domain = MaskDomain(domain) if "*" in domain else Domain(domain)
        resource = self._add_subapp(functools.partial(MatchedSubAppResource, rule), subapp)
        return cast(MatchedSubAppResource, resource)

    def _add_subapp(
        self, factory: Callable[[Application], AbstractResource], subapp: Application
    ) -> AbstractResource:
        if self._frozen:
            raise RuntimeError("cannot add a sub-application to a frozen application")
        if subapp.frozen:
            raise RuntimeError(f"cannot add the frozen application {subapp!r} as a sub-app")
        if not isinstance(self._router, UrlDispatcher):
            raise TypeError("sub-applications need the default UrlDispatcher router")
        resource = factory(subapp)
        self._router.register_resource(resource)
        for signame in ("on_startup", "on_shutdown", "on_cleanup"):
            self._forward_signal(signame, subapp)
        self._subapps.append(subapp)
        subapp.pre_freeze()
        return resource

    def _forward_signal(self, signame: str, subapp: Application) -> None:
        subsignal: Signal = getattr(subapp, signame)

        async def forward(app: Application) -> None:
            await subsignal.send(subapp)

        getattr(self, signame).append(forward)

    def add_routes(self, routes: Iterable[Any]) -> list[Any]:
        """Shortcut for ``app.router.add_routes(routes)``."""
        if not isinstance(self._router, UrlDispatcher):
            raise TypeError("add_routes() needs the default UrlDispatcher router")
        return self._router.add_routes(routes)

    # -- lifecycle -----------------------------------------------------------------------

    def _idle(self, signal: Signal, ctx_hook: Any, ctx_pending: list[Any]) -> bool:
        """Whether sending ``signal`` would run nothing but the cleanup contexts' hook
        with no context to run (a test's app: no coroutines to go through then)."""
        items = signal._items
        return not items or (len(items) == 1 and items[0] is ctx_hook and not ctx_pending)

    async def startup(self) -> None:
        """Send ``on_startup`` (runs the cleanup contexts up to their ``yield``)."""
        self._started = True
        lifecycle = self._lifecycle
        if lifecycle is None:
            return  # (no receivers, no cleanup contexts)
        lifecycle.on_startup.freeze()
        lifecycle.cleanup_ctx.freeze()
        ctx = lifecycle.cleanup_ctx
        if not self._idle(lifecycle.on_startup, lifecycle.ctx_startup, ctx._items):
            await lifecycle.on_startup.send(self)

    async def shutdown(self) -> None:
        """Send ``on_shutdown``."""
        signal = self._on_shutdown
        if signal is None:
            if self._pre_frozen:
                return  # (no receivers, and none can be added)
            signal = self.on_shutdown
        signal.freeze()
        if signal._items:
            await signal.send(self)

    async def cleanup(self) -> None:
        """Send ``on_cleanup`` (finishes the cleanup contexts that started)."""
        lifecycle = self._lifecycle
        if lifecycle is None:
            return  # (no receivers, no cleanup contexts)
        ctx = lifecycle.cleanup_ctx
        if lifecycle.on_cleanup.frozen:
            if not self._idle(lifecycle.on_cleanup, lifecycle.ctx_cleanup, ctx._exits):
                await lifecycle.on_cleanup.send(self)
        else:
            # Never frozen means never fully started; still finish any context.
            await ctx._on_cleanup(self)

    def _make_handler(self, *, loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any) -> Any:
        """Build the low-level :class:`~toolkit.web.server.Server` for this app."""
        self.freeze()
        options = dict(self._handler_args or {})
        options.update(kwargs)
        if self._debug:
            options.setdefault("debug", True)
        server = Server(self._handle, request_factory=self._make_request, **options)
        server._dispatch = self._dispatch  # (see RequestHandler: used instead of _handle)
        return server

    def _make_request(
        self,
        message: RequestHead,
        payload: StreamReader,
        protocol: Any,
        writer: Any,
        task: asyncio.Task[None],
        _cls: type[Request] = Request,
    ) -> Request:
        """Build the :class:`Request` for a parsed head (called by the protocol)."""
        loop = self._loop
        if loop is None:
            # The connection's loop: asyncio.get_running_loop() costs a getpid()
            # system call per request (CPython checks for a fork each time).
            try:
                loop = protocol._loop
            except AttributeError:
                loop = asyncio.get_running_loop()
        if _cls is not Request:
            return _cls(
                message,
                payload,
                protocol,
                writer,
                task,
                loop,
                client_max_size=self._client_max_size,
            )
        # BaseRequest.__init__ for what the protocol passes, without the call.
        request: Request = _new_object(Request)
        request._message = message
        request._payload = payload
        request._protocol = protocol
        request._payload_writer = writer
        request._task = task
        request._loop = loop
        request._client_max_size = self._client_max_size
        return request

    def _dispatch(self, request: BaseRequest) -> Awaitable[StreamResponse]:
        """What answers ``request``: ``_handle(request)``, or the route handler's own
        awaitable when the route is found in one step (the protocol's entry point:
        one coroutine less per request)."""
        dispatcher = self._plain_dispatch
        if dispatcher is not None and type(request) is Request:
            # The stock router, no middlewares, a path without variables
            # (router._match_plain(), inline).
            message = request._message
            path = request._path
            if path is None:
                target = message.target
                path = target.partition("?")[0] if target[:1] == "/" else "%"
                path = request.path if "%" in path else path
                request._path = path
            table = dispatcher._plain_routes
            if table is None:  # not built yet (the first request), or invalidated
                dispatcher._match_plain(path, message.method)  # builds it
                table = dispatcher._plain_routes
            if table is not None:
                entry = table.get(path)
                if entry is not None:
                    route = entry[0].get(message.method)
                    if route is None:
                        route = entry[1]
                    if route is not None and _EXPECT not in message.headers:
                        # The match info is made when asked for (request.match_info).
                        request._route = route
                        request._route_app = self
                        if not self._has_prepare_handlers:
                            request._run_prepare_hook = False
                        handler: Handler = route._handler
                        return handler(request)
        return self._handle(request)

    async def _handle(self, request: BaseRequest) -> StreamResponse:
        """Route ``request`` and run its handler through the middlewares."""
        if not isinstance(request, Request):
            raise TypeError(f"{self!r} handles Request objects, got {request!r}")
        if not self._frozen:
            self.freeze()  # served without a runner: the app is in use from now on
        router = self._router
        route: ResourceRoute | None = None
        if type(router) is UrlDispatcher:
            route = router._match_plain(request.path, request.method)
        if route is not None and not self._run_middlewares:
            request._match_info = UrlMappingMatchInfo._for_app(_NO_MATCH, route, self)
            if type(request) is Request and not self._has_prepare_handlers:
                request._run_prepare_hook = False
            if not request.headers.get(hdrs.EXPECT):
                return await route._handler(request)
        match_info: AbstractMatchInfo
        if route is not None:
            match_info = UrlMappingMatchInfo({}, route)
        else:
            match_info = await router.resolve(request)
        match_info.add_app(self)
        match_info.freeze()
        request._match_info = cast(UrlMappingMatchInfo, match_info)
        response: StreamResponse | None = None
        if request.headers.get(hdrs.EXPECT):
            response = await match_info.expect_handler(request)
        if response is None:
            handler: Handler = match_info.handler
            if self._run_middlewares:
                tracks_app = isinstance(match_info, UrlMappingMatchInfo)
                for app in reversed(match_info.apps):
                    for middleware in app._middlewares_handlers:
                        handler = functools.update_wrapper(
                            functools.partial(middleware, handler=handler), handler
                        )
                    if tracks_app:
                        # Each app's middlewares see that app as request.app.
                        handler = _with_current_app(app, handler)
            response = await handler(request)
        return response

    def __call__(self) -> Application:
        """gunicorn compatibility: the app is its own factory."""
        return self

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"
