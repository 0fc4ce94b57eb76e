"""The public names of ``toolkit`` and ``toolkit.client``, pinned.

Adding or removing a public name is a deliberate change: update the list here too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

import toolkit
import toolkit.client

#: Exported by ``toolkit.client``, and by ``toolkit`` too (the same objects).
EXPECTED_CLIENT = frozenset(
    {
        "AsyncResolver",
        "BaseConnector",
        "ClientConnectionError",
        "ClientConnectionResetError",
        "ClientConnectorCertificateError",
        "ClientConnectorDNSError",
        "ClientConnectorError",
        "ClientConnectorSSLError",
        "ClientError",
        "ClientHttpProxyError",
        "ClientOSError",
        "ClientPayloadError",
        "ClientProxyConnectionError",
        "ClientRequest",
        "ClientResponse",
        "ClientResponseError",
        "ClientSSLError",
        "ClientSession",
        "ClientTimeout",
        "ClientWSTimeout",
        "ClientWebSocketResponse",
        "Connection",
        "ConnectionTimeoutError",
        "ContentDisposition",
        "ContentTypeError",
        "DefaultResolver",
        "Fingerprint",
        "FingerprintMismatch",
        "InvalidURL",
        "InvalidUrlClientError",
        "InvalidUrlRedirectClientError",
        "NonHttpUrlClientError",
        "NonHttpUrlRedirectClientError",
        "RedirectClientError",
        "RequestInfo",
        "ServerConnectionError",
        "ServerDisconnectedError",
        "ServerFingerprintMismatch",
        "ServerTimeoutError",
        "SocketTimeoutError",
        "TCPConnector",
        "ThreadedResolver",
        "TooManyRedirects",
        "TraceConfig",
        "TraceConnectionCreateEndParams",
        "TraceConnectionCreateStartParams",
        "TraceConnectionQueuedEndParams",
        "TraceConnectionQueuedStartParams",
        "TraceConnectionReuseconnParams",
        "TraceDnsCacheHitParams",
        "TraceDnsCacheMissParams",
        "TraceDnsResolveHostEndParams",
        "TraceDnsResolveHostStartParams",
        "TraceRequestChunkSentParams",
        "TraceRequestEndParams",
        "TraceRequestExceptionParams",
        "TraceRequestHeadersSentParams",
        "TraceRequestRedirectParams",
        "TraceRequestStartParams",
        "TraceResponseChunkReceivedParams",
        "UnixClientConnectorError",
        "UnixConnector",
        "WSServerHandshakeError",
        "request",
    }
)

#: ``toolkit`` re-exports every client name.
EXPECTED_TOOLKIT = EXPECTED_CLIENT | {
    "AbstractCookieJar",
    "AsyncIterablePayload",
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BasicAuth",
    "BodyPartReader",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "CookieJar",
    "DataQueue",
    "DummyCookieJar",
    "EMPTY_PAYLOAD",
    "ETag",
    "EofStream",
    "FlowControlDataQueue",
    "FormData",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "IOBasePayload",
    "JsonPayload",
    "MultipartReader",
    "MultipartWriter",
    "PAYLOAD_REGISTRY",
    "Payload",
    "StreamReader",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "__version__",
    "content_disposition_filename",
    "get_payload",
    "hdrs",
    "parse_content_disposition",
    "payload_type",
    "streamer",
}


def test_toolkit_all_is_pinned() -> None:
    assert len(toolkit.__all__) == len(set(toolkit.__all__)), "duplicates in __all__"
    assert set(toolkit.__all__) == EXPECTED_TOOLKIT


def test_client_all_is_pinned() -> None:
    assert len(toolkit.client.__all__) == len(set(toolkit.client.__all__))
    assert set(toolkit.client.__all__) == EXPECTED_CLIENT


@pytest.mark.parametrize("module", [toolkit, toolkit.client], ids=["toolkit", "client"])
def test_every_exported_name_resolves(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        value = getattr(module, name)
        assert value is not None, name
        if name == "__version__":
            continue
        defined_in = getattr(value, "__module__", None) or getattr(value, "__name__", "")
        assert defined_in.startswith("toolkit"), (name, defined_in)
        assert name in dir(module)


def test_star_import() -> None:
    namespace: dict[str, object] = {}
    exec("from toolkit import *", namespace)
    assert set(namespace) >= EXPECTED_TOOLKIT


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        toolkit.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_same_objects_through_both_facades() -> None:
    for name in EXPECTED_CLIENT:
        assert getattr(toolkit, name) is getattr(toolkit.client, name), name
    assert callable(toolkit.request)
    assert toolkit.request is importlib.import_module("toolkit.client.session").request


def test_importing_the_http_core_does_not_import_the_client() -> None:
    # The ``toolkit.client`` facade itself is a name table and may load; no client code may.
    code = (
        "import sys, toolkit.http, toolkit.hdrs; "
        "print(any(m.startswith('toolkit.client.') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_version() -> None:
    assert toolkit.__version__ == "0.1.0"


def _names_type_checkers_see(module: object) -> set[str]:
    """The names a facade re-exports to type checkers (``from m import X as X``)."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    guard = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    return {
        alias.asname
        for node in guard.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    }


@pytest.mark.parametrize("module", [toolkit, toolkit.client], ids=["toolkit", "client"])
def test_type_checkers_see_exactly_the_runtime_names(module: object) -> None:
    runtime = set(module.__all__) - {"__version__"}  # type: ignore[attr-defined]
    assert _names_type_checkers_see(module) == runtime
