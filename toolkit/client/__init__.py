"""The HTTP client: ``ClientSession``, requests and responses, connectors, exceptions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit._lazy import lazy_dir, lazy_load

if TYPE_CHECKING:
    from toolkit.client.client_request import (
        ClientRequest,
    )
    from toolkit.client.connector import (
        BaseConnector,
        Connection,
        TCPConnector,
        UnixConnector,
    )
    from toolkit.client.exceptions import (
        ClientConnectionError,
        ClientConnectionResetError,
        ClientConnectorCertificateError,
        ClientConnectorDNSError,
        ClientConnectorError,
        ClientConnectorSSLError,
        ClientError,
        ClientHttpProxyError,
        ClientOSError,
        ClientPayloadError,
        ClientProxyConnectionError,
        ClientResponseError,
        ClientSSLError,
        ConnectionTimeoutError,
        ContentTypeError,
        FingerprintMismatch,
        InvalidURL,
        InvalidUrlClientError,
        InvalidUrlRedirectClientError,
        NonHttpUrlClientError,
        NonHttpUrlRedirectClientError,
        RedirectClientError,
        RequestInfo,
        ServerConnectionError,
        ServerDisconnectedError,
        ServerFingerprintMismatch,
        ServerTimeoutError,
        SocketTimeoutError,
        TooManyRedirects,
        UnixClientConnectorError,
        WSServerHandshakeError,
    )
    from toolkit.client.resolver import (
        AsyncResolver,
        DefaultResolver,
        ThreadedResolver,
    )
    from toolkit.client.response import (
        ClientResponse,
        ContentDisposition,
    )
    from toolkit.client.session import (
        ClientSession,
        request,
    )
    from toolkit.client.timeouts import (
        ClientTimeout,
    )
    from toolkit.client.tls import Fingerprint
    from toolkit.client.tracing import (
        TraceConfig,
        TraceConnectionCreateEndParams,
        TraceConnectionCreateStartParams,
        TraceConnectionQueuedEndParams,
        TraceConnectionQueuedStartParams,
        TraceConnectionReuseconnParams,
        TraceDnsCacheHitParams,
        TraceDnsCacheMissParams,
        TraceDnsResolveHostEndParams,
        TraceDnsResolveHostStartParams,
        TraceRequestChunkSentParams,
        TraceRequestEndParams,
        TraceRequestExceptionParams,
        TraceRequestHeadersSentParams,
        TraceRequestRedirectParams,
        TraceRequestStartParams,
        TraceResponseChunkReceivedParams,
    )
    from toolkit.client.ws import ClientWebSocketResponse, ClientWSTimeout

__all__ = [
    # session, request, response
    "ClientRequest",
    "ClientResponse",
    "ClientSession",
    "ClientTimeout",
    "ClientWSTimeout",
    "ClientWebSocketResponse",
    "ContentDisposition",
    "RequestInfo",
    "request",
    # connectors
    "AsyncResolver",
    "BaseConnector",
    "Connection",
    "DefaultResolver",
    "Fingerprint",
    "TCPConnector",
    "ThreadedResolver",
    "UnixConnector",
    # exceptions
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
    "ClientResponseError",
    "ClientSSLError",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "FingerprintMismatch",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "RedirectClientError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TooManyRedirects",
    "UnixClientConnectorError",
    "WSServerHandshakeError",
    # tracing
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
]

# Where each public name lives; imported on first use (PEP 562), so that importing
# one submodule does not drag in (or break with) every other part of the package.
_EXPORTS: dict[str, str] = {
    "BaseConnector": "toolkit.client.connector",
    "Connection": "toolkit.client.connector",
    "TCPConnector": "toolkit.client.connector",
    "UnixConnector": "toolkit.client.connector",
    "ClientConnectionError": "toolkit.client.exceptions",
    "ClientConnectionResetError": "toolkit.client.exceptions",
    "ClientConnectorCertificateError": "toolkit.client.exceptions",
    "ClientConnectorDNSError": "toolkit.client.exceptions",
    "ClientConnectorError": "toolkit.client.exceptions",
    "ClientConnectorSSLError": "toolkit.client.exceptions",
    "ClientError": "toolkit.client.exceptions",
    "ClientHttpProxyError": "toolkit.client.exceptions",
    "ClientOSError": "toolkit.client.exceptions",
    "ClientPayloadError": "toolkit.client.exceptions",
    "ClientProxyConnectionError": "toolkit.client.exceptions",
    "ClientResponseError": "toolkit.client.exceptions",
    "ClientSSLError": "toolkit.client.exceptions",
    "ConnectionTimeoutError": "toolkit.client.exceptions",
    "ContentTypeError": "toolkit.client.exceptions",
    "FingerprintMismatch": "toolkit.client.exceptions",
    "InvalidURL": "toolkit.client.exceptions",
    "InvalidUrlClientError": "toolkit.client.exceptions",
    "InvalidUrlRedirectClientError": "toolkit.client.exceptions",
    "NonHttpUrlClientError": "toolkit.client.exceptions",
    "NonHttpUrlRedirectClientError": "toolkit.client.exceptions",
    "RedirectClientError": "toolkit.client.exceptions",
    "RequestInfo": "toolkit.client.exceptions",
    "ServerConnectionError": "toolkit.client.exceptions",
    "ServerDisconnectedError": "toolkit.client.exceptions",
    "ServerFingerprintMismatch": "toolkit.client.exceptions",
    "ServerTimeoutError": "toolkit.client.exceptions",
    "SocketTimeoutError": "toolkit.client.exceptions",
    "TooManyRedirects": "toolkit.client.exceptions",
    "UnixClientConnectorError": "toolkit.client.exceptions",
    "WSServerHandshakeError": "toolkit.client.exceptions",
    "ClientRequest": "toolkit.client.client_request",
    "AsyncResolver": "toolkit.client.resolver",
    "DefaultResolver": "toolkit.client.resolver",
    "ThreadedResolver": "toolkit.client.resolver",
    "ClientResponse": "toolkit.client.response",
    "ContentDisposition": "toolkit.client.response",
    "ClientSession": "toolkit.client.session",
    "request": "toolkit.client.session",
    "ClientTimeout": "toolkit.client.timeouts",
    "ClientWSTimeout": "toolkit.client.ws",
    "ClientWebSocketResponse": "toolkit.client.ws",
    "Fingerprint": "toolkit.client.tls",
    "TraceConfig": "toolkit.client.tracing",
    "TraceConnectionCreateEndParams": "toolkit.client.tracing",
    "TraceConnectionCreateStartParams": "toolkit.client.tracing",
    "TraceConnectionQueuedEndParams": "toolkit.client.tracing",
    "TraceConnectionQueuedStartParams": "toolkit.client.tracing",
    "TraceConnectionReuseconnParams": "toolkit.client.tracing",
    "TraceDnsCacheHitParams": "toolkit.client.tracing",
    "TraceDnsCacheMissParams": "toolkit.client.tracing",
    "TraceDnsResolveHostEndParams": "toolkit.client.tracing",
    "TraceDnsResolveHostStartParams": "toolkit.client.tracing",
    "TraceRequestChunkSentParams": "toolkit.client.tracing",
    "TraceRequestEndParams": "toolkit.client.tracing",
    "TraceRequestExceptionParams": "toolkit.client.tracing",
    "TraceRequestHeadersSentParams": "toolkit.client.tracing",
    "TraceRequestRedirectParams": "toolkit.client.tracing",
    "TraceRequestStartParams": "toolkit.client.tracing",
    "TraceResponseChunkReceivedParams": "toolkit.client.tracing",
}


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), __all__)
