"""The public names of ``toolkit`` and ``toolkit.client``, pinned.

Adding or removing a public name is a deliberate change: update the list here too.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import toolkit
import toolkit.client

#: Exported by both ``toolkit`` and ``toolkit.client`` (the same objects).
EXPECTED_COMMON = frozenset(
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

EXPECTED_TOOLKIT = EXPECTED_COMMON | {
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

EXPECTED_CLIENT = EXPECTED_COMMON | {
    "ContentDisposition",
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
    for name in EXPECTED_COMMON:
        assert getattr(toolkit, name) is getattr(toolkit.client, name), name
    assert callable(toolkit.request)
    assert toolkit.request is importlib.import_module("toolkit.client.session").request


def test_importing_the_http_core_does_not_import_the_client() -> None:
    code = (
        "import sys, toolkit.http, toolkit.hdrs; "
        "print(any(m.startswith('toolkit.client') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_version() -> None:
    assert toolkit.__version__ == "0.1.0"
