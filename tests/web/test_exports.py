"""Pin the public names of ``toolkit.web`` (aiohttp.web's API plus our extras)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import toolkit.web

EXPECTED = {
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
    "PayloadAccessError",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Request",
    "RequestHandler",
    "RequestKey",
    "RequestPayloadError",
    "Resource",
    "ResourceRoute",
    "ResourcesView",
    "Response",
    "ResponseKey",
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
    "WSMsgType",
    "WebSocketReady",
    "WebSocketResponse",
    "delete",
    "get",
    "head",
    "json_bytes_response",
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
}


def test_exported_names_are_pinned() -> None:
    assert set(toolkit.web.__all__) == EXPECTED
    assert len(toolkit.web.__all__) == len(EXPECTED)


def test_every_exported_name_exists() -> None:
    for name in toolkit.web.__all__:
        assert getattr(toolkit.web, name) is not None, name


PUBLIC_MODULES = (
    "app",
    "exceptions",
    "fileresponse",
    "middlewares",
    "request",
    "response",
    "routedef",
    "routing",
    "signals",
    "staticfiles",
    "views",
)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_modules_declare_all(name: str) -> None:
    module = importlib.import_module(f"toolkit.web.{name}")
    for exported in module.__all__:
        assert hasattr(module, exported), f"{module.__name__}.{exported}"


def test_helpers_are_not_shadowed_by_modules() -> None:
    from toolkit.web import routedef

    assert toolkit.web.static is routedef.static
    assert toolkit.web.view is routedef.view
    assert toolkit.web.route is routedef.route
    import types

    assert not isinstance(toolkit.web.run_app, types.ModuleType)


#: Modules no plain HTTP test needs: ours, and stdlib ones for cookie jar files, exact
#: Content-Type parsing, file type guessing, .netrc files and reason phrases (``http``).
_OPTIONAL_MODULES = (
    "toolkit.web.fileresponse",
    "toolkit.web.staticfiles",
    "toolkit.web.routedef",
    "toolkit.web.views",
    "toolkit.web.middlewares",
    "toolkit.web.websocket",
    "toolkit.client.ws",
    "toolkit.client.tracing",
    "toolkit.web.worker",
    "toolkit.web._forms",
    "toolkit.multipart",
    "toolkit.web.exceptions",
    "toolkit.client.redirects",
    "toolkit.client.writer",
    "toolkit.client._content_disposition",
    "toolkit.auth",
    "toolkit.proxy_env",
    "toolkit.dataqueue",
    "toolkit.content_disposition",
    "toolkit.payload",
    "http",
    "http.cookies",
    "zstandard",
    "brotli",
    "pickle",
    "email.parser",
    "mimetypes",
    "netrc",
)

#: Two plain HTTP tests: a session GET from a TCP test server, a test client's GET
#: through memory (which must not load the TCP connector and its TLS options either).
_PLAIN_GETS = {
    "tcp-session": (
        "from toolkit.client.session import ClientSession\n"
        "async def get(app):\n"
        "    async with TestServer(app) as server, ClientSession() as session:\n"
        "        async with session.get(server.make_url('/')) as resp:\n"
        "            assert await resp.text() == 'hello'\n"
        "            assert (resp.content_type, resp.charset) == ('text/plain', 'utf-8')\n",
        [],
    ),
    "memory-test-client": (
        "from toolkit.testing.client import TestClient\n"
        "async def get(app):\n"
        "    async with TestClient(TestServer(app, transport='memory')) as client:\n"
        "        async with client.get('/') as resp:\n"
        "            assert await resp.text() == 'hello'\n",
        ["toolkit.client.connector_tcp", "toolkit.client.tls"],
    ),
}


@pytest.mark.parametrize("kind", sorted(_PLAIN_GETS))
def test_plain_http_imports_leave_the_optional_modules_alone(kind: str) -> None:
    # They load on first use only (checked in a fresh interpreter: this one has them all).
    get, more = _PLAIN_GETS[kind]
    unwanted = [*_OPTIONAL_MODULES, *more]
    code = (
        "import sys, asyncio\n"
        "from toolkit import web\n"
        "from toolkit.testing.server import TestServer\n"
        f"{get}"
        "async def hello(request):\n"
        "    return web.Response(text='hello')\n"
        "app = web.Application()\n"
        "app.router.add_get('/', hello)\n"
        "asyncio.run(get(app))\n"
        f"print(sorted(m for m in sys.modules if m in {unwanted!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("FileResponse", "fileresponse"),
        ("StaticResource", "staticfiles"),
        ("RouteTableDef", "routedef"),
        ("View", "views"),
        ("normalize_path_middleware", "middlewares"),
        ("FileField", "_forms"),
        ("HTTPNotFound", "exceptions"),
        ("RequestPayloadError", "exceptions"),
    ],
)
def test_lazy_names_are_the_modules_objects(name: str, module: str) -> None:
    assert getattr(toolkit.web, name) is getattr(
        importlib.import_module(f"toolkit.web.{module}"), name
    )
