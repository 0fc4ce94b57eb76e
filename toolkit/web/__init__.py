"""aiotoolkit's web server: aiohttp.web's API (applications, routing, requests, responses).

The WebSocket names and the gunicorn workers are imported on first use (see
``_LAZY``): a test suite that serves plain HTTP loads neither the WebSocket engine
nor gunicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from toolkit.web._keys import RequestKey, ResponseKey
from toolkit.web.app import (
    AppKey,
    Application,
    CleanupError,
)
from toolkit.web.exceptions import (
    HTTPAccepted,
    HTTPBadGateway,
    HTTPBadRequest,
    HTTPClientError,
    HTTPConflict,
    HTTPCreated,
    HTTPError,
    HTTPException,
    HTTPExpectationFailed,
    HTTPFailedDependency,
    HTTPForbidden,
    HTTPFound,
    HTTPGatewayTimeout,
    HTTPGone,
    HTTPInsufficientStorage,
    HTTPInternalServerError,
    HTTPLengthRequired,
    HTTPMethodNotAllowed,
    HTTPMisdirectedRequest,
    HTTPMove,
    HTTPMovedPermanently,
    HTTPMultipleChoices,
    HTTPNetworkAuthenticationRequired,
    HTTPNoContent,
    HTTPNonAuthoritativeInformation,
    HTTPNotAcceptable,
    HTTPNotExtended,
    HTTPNotFound,
    HTTPNotImplemented,
    HTTPNotModified,
    HTTPOk,
    HTTPPartialContent,
    HTTPPaymentRequired,
    HTTPPermanentRedirect,
    HTTPPreconditionFailed,
    HTTPPreconditionRequired,
    HTTPProxyAuthenticationRequired,
    HTTPRedirection,
    HTTPRequestEntityTooLarge,
    HTTPRequestHeaderFieldsTooLarge,
    HTTPRequestRangeNotSatisfiable,
    HTTPRequestTimeout,
    HTTPRequestURITooLong,
    HTTPResetContent,
    HTTPSeeOther,
    HTTPServerError,
    HTTPServiceUnavailable,
    HTTPSuccessful,
    HTTPTemporaryRedirect,
    HTTPTooManyRequests,
    HTTPUnauthorized,
    HTTPUnavailableForLegalReasons,
    HTTPUnprocessableEntity,
    HTTPUnsupportedMediaType,
    HTTPUpgradeRequired,
    HTTPUseProxy,
    HTTPVariantAlsoNegotiates,
    HTTPVersionNotSupported,
    NotAppKeyWarning,
    PayloadAccessError,
    RequestPayloadError,
)
from toolkit.web.fileresponse import (
    FileResponse,
)
from toolkit.web.log import (
    AbstractAccessLogger,
    AccessLogger,
)
from toolkit.web.middlewares import (
    middleware,
    normalize_path_middleware,
)
from toolkit.web.protocol import (
    RequestHandler,
)
from toolkit.web.request import (
    BaseRequest,
    FileField,
    Request,
)
from toolkit.web.response import (
    ContentCoding,
    Response,
    StreamResponse,
    json_bytes_response,
    json_response,
)
from toolkit.web.routedef import (
    AbstractRouteDef,
    RouteDef,
    RouteTableDef,
    StaticDef,
    delete,
    get,
    head,
    options,
    patch,
    post,
    put,
    route,
    static,
    view,
)
from toolkit.web.routing import (
    AbstractMatchInfo,
    AbstractResource,
    AbstractRoute,
    AbstractRouter,
    AbstractRuleMatching,
    AbstractView,
    Domain,
    DynamicResource,
    MaskDomain,
    MatchedSubAppResource,
    MatchInfoError,
    PlainResource,
    PrefixedSubAppResource,
    PrefixResource,
    Resource,
    ResourceRoute,
    ResourcesView,
    RoutesView,
    SystemRoute,
    UrlDispatcher,
    UrlMappingMatchInfo,
)
from toolkit.web.run_app import (
    run_app,
)
from toolkit.web.runner import (
    AppRunner,
    BaseRunner,
    BaseSite,
    GracefulExit,
    ServerRunner,
    SockSite,
    TCPSite,
    UnixSite,
)
from toolkit.web.server import (
    Server,
)
from toolkit.web.signals import (
    FrozenList,
    Signal,
)
from toolkit.web.staticfiles import (
    StaticResource,
)
from toolkit.web.views import (
    View,
)

if TYPE_CHECKING:
    from toolkit.http.ws import WSMsgType
    from toolkit.web.websocket import WebSocketReady, WebSocketResponse
    from toolkit.web.worker import GunicornUVLoopWebWorker, GunicornWebWorker

__all__ = [
    "WSMsgType",
    "WebSocketReady",
    "WebSocketResponse",
    "RequestKey",
    "ResponseKey",
    "json_bytes_response",
    "PayloadAccessError",
    "RequestPayloadError",
    "AbstractAccessLogger",
    "AbstractMatchInfo",
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouteDef",
    "AbstractRouter",
    "AbstractRuleMatching",
    "AbstractView",
    "AccessLogger",
    "AppKey",
    "AppRunner",
    "Application",
    "BaseRequest",
    "BaseRunner",
    "BaseSite",
    "CleanupError",
    "ContentCoding",
    "Domain",
    "DynamicResource",
    "FileField",
    "FileResponse",
    "FrozenList",
    "GracefulExit",
    "GunicornUVLoopWebWorker",
    "GunicornWebWorker",
    "HTTPAccepted",
    "HTTPBadGateway",
    "HTTPBadRequest",
    "HTTPClientError",
    "HTTPConflict",
    "HTTPCreated",
    "HTTPError",
    "HTTPException",
    "HTTPExpectationFailed",
    "HTTPFailedDependency",
    "HTTPForbidden",
    "HTTPFound",
    "HTTPGatewayTimeout",
    "HTTPGone",
    "HTTPInsufficientStorage",
    "HTTPInternalServerError",
    "HTTPLengthRequired",
    "HTTPMethodNotAllowed",
    "HTTPMisdirectedRequest",
    "HTTPMove",
    "HTTPMovedPermanently",
    "HTTPMultipleChoices",
    "HTTPNetworkAuthenticationRequired",
    "HTTPNoContent",
    "HTTPNonAuthoritativeInformation",
    "HTTPNotAcceptable",
    "HTTPNotExtended",
    "HTTPNotFound",
    "HTTPNotImplemented",
    "HTTPNotModified",
    "HTTPOk",
    "HTTPPartialContent",
    "HTTPPaymentRequired",
    "HTTPPermanentRedirect",
    "HTTPPreconditionFailed",
    "HTTPPreconditionRequired",
    "HTTPProxyAuthenticationRequired",
    "HTTPRedirection",
    "HTTPRequestEntityTooLarge",
    "HTTPRequestHeaderFieldsTooLarge",
    "HTTPRequestRangeNotSatisfiable",
    "HTTPRequestTimeout",
    "HTTPRequestURITooLong",
    "HTTPResetContent",
    "HTTPSeeOther",
    "HTTPServerError",
    "HTTPServiceUnavailable",
    "HTTPSuccessful",
    "HTTPTemporaryRedirect",
    "HTTPTooManyRequests",
    "HTTPUnauthorized",
    "HTTPUnavailableForLegalReasons",
    "HTTPUnprocessableEntity",
    "HTTPUnsupportedMediaType",
    "HTTPUpgradeRequired",
    "HTTPUseProxy",
    "HTTPVariantAlsoNegotiates",
    "HTTPVersionNotSupported",
    "MaskDomain",
    "MatchInfoError",
    "MatchedSubAppResource",
    "NotAppKeyWarning",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Request",
    "RequestHandler",
    "Resource",
    "ResourceRoute",
    "ResourcesView",
    "Response",
    "RouteDef",
    "RouteTableDef",
    "RoutesView",
    "Server",
    "ServerRunner",
    "Signal",
    "SockSite",
    "StaticDef",
    "StaticResource",
    "StreamResponse",
    "SystemRoute",
    "TCPSite",
    "UnixSite",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "View",
    "delete",
    "get",
    "head",
    "json_response",
    "middleware",
    "normalize_path_middleware",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "run_app",
    "static",
    "view",
]

#: Public names imported on first access, and the module each comes from.
_LAZY = {
    "WSMsgType": "toolkit.http.ws",
    "WebSocketReady": "toolkit.web.websocket",
    "WebSocketResponse": "toolkit.web.websocket",
    "GunicornUVLoopWebWorker": "toolkit.web.worker",
    "GunicornWebWorker": "toolkit.web.worker",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
