"""The HTTP client: ``ClientSession``, requests and responses, connectors, exceptions.

Public names are imported on first use (PEP 562): ``import toolkit.client`` loads only
this table, so importing one submodule does not drag in every other part of the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit._lazy import exported_names, lazy_dir, lazy_load, name_table

# Type checkers see the names through these imports (``X as X`` re-exports them).
if TYPE_CHECKING:
    from toolkit.client.client_request import (
        ClientRequest as ClientRequest,
    )
    from toolkit.client.connector import (
        BaseConnector as BaseConnector,
        Connection as Connection,
        TCPConnector as TCPConnector,
        UnixConnector as UnixConnector,
    )
    from toolkit.client.exceptions import (
        ClientConnectionError as ClientConnectionError,
        ClientConnectionResetError as ClientConnectionResetError,
        ClientConnectorCertificateError as ClientConnectorCertificateError,
        ClientConnectorDNSError as ClientConnectorDNSError,
        ClientConnectorError as ClientConnectorError,
        ClientConnectorSSLError as ClientConnectorSSLError,
        ClientError as ClientError,
        ClientHttpProxyError as ClientHttpProxyError,
        ClientOSError as ClientOSError,
        ClientPayloadError as ClientPayloadError,
        ClientProxyConnectionError as ClientProxyConnectionError,
        ClientResponseError as ClientResponseError,
        ClientSSLError as ClientSSLError,
        ConnectionTimeoutError as ConnectionTimeoutError,
        ContentTypeError as ContentTypeError,
        FingerprintMismatch as FingerprintMismatch,
        InvalidURL as InvalidURL,
        InvalidUrlClientError as InvalidUrlClientError,
        InvalidUrlRedirectClientError as InvalidUrlRedirectClientError,
        NonHttpUrlClientError as NonHttpUrlClientError,
        NonHttpUrlRedirectClientError as NonHttpUrlRedirectClientError,
        RedirectClientError as RedirectClientError,
        RequestInfo as RequestInfo,
        ServerConnectionError as ServerConnectionError,
        ServerDisconnectedError as ServerDisconnectedError,
        ServerFingerprintMismatch as ServerFingerprintMismatch,
        ServerTimeoutError as ServerTimeoutError,
        SocketTimeoutError as SocketTimeoutError,
        TooManyRedirects as TooManyRedirects,
        UnixClientConnectorError as UnixClientConnectorError,
        WSServerHandshakeError as WSServerHandshakeError,
    )
    from toolkit.client.resolver import (
        AsyncResolver as AsyncResolver,
        DefaultResolver as DefaultResolver,
        ThreadedResolver as ThreadedResolver,
    )
    from toolkit.client.response import (
        ClientResponse as ClientResponse,
        ContentDisposition as ContentDisposition,
    )
    from toolkit.client.session import (
        ClientSession as ClientSession,
        request as request,
    )
    from toolkit.client.timeouts import (
        ClientTimeout as ClientTimeout,
    )
    from toolkit.client.tls import (
        Fingerprint as Fingerprint,
    )
    from toolkit.client.tracing import (
        TraceConfig as TraceConfig,
        TraceConnectionCreateEndParams as TraceConnectionCreateEndParams,
        TraceConnectionCreateStartParams as TraceConnectionCreateStartParams,
        TraceConnectionQueuedEndParams as TraceConnectionQueuedEndParams,
        TraceConnectionQueuedStartParams as TraceConnectionQueuedStartParams,
        TraceConnectionReuseconnParams as TraceConnectionReuseconnParams,
        TraceDnsCacheHitParams as TraceDnsCacheHitParams,
        TraceDnsCacheMissParams as TraceDnsCacheMissParams,
        TraceDnsResolveHostEndParams as TraceDnsResolveHostEndParams,
        TraceDnsResolveHostStartParams as TraceDnsResolveHostStartParams,
        TraceRequestChunkSentParams as TraceRequestChunkSentParams,
        TraceRequestEndParams as TraceRequestEndParams,
        TraceRequestExceptionParams as TraceRequestExceptionParams,
        TraceRequestHeadersSentParams as TraceRequestHeadersSentParams,
        TraceRequestRedirectParams as TraceRequestRedirectParams,
        TraceRequestStartParams as TraceRequestStartParams,
        TraceResponseChunkReceivedParams as TraceResponseChunkReceivedParams,
    )
    from toolkit.client.ws import (
        ClientWebSocketResponse as ClientWebSocketResponse,
        ClientWSTimeout as ClientWSTimeout,
    )

#: Where each public name lives; ``__all__`` and the lazy loader both come from this.
_NAMES_BY_MODULE: dict[str, tuple[str, ...]] = {
    "toolkit.client.client_request": ("ClientRequest",),
    "toolkit.client.connector": (
        "BaseConnector",
        "Connection",
        "TCPConnector",
        "UnixConnector",
    ),
    "toolkit.client.exceptions": (
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
        "RequestInfo",
        "ServerConnectionError",
        "ServerDisconnectedError",
        "ServerFingerprintMismatch",
        "ServerTimeoutError",
        "SocketTimeoutError",
        "TooManyRedirects",
        "UnixClientConnectorError",
        "WSServerHandshakeError",
    ),
    "toolkit.client.resolver": (
        "AsyncResolver",
        "DefaultResolver",
        "ThreadedResolver",
    ),
    "toolkit.client.response": (
        "ClientResponse",
        "ContentDisposition",
    ),
    "toolkit.client.session": (
        "ClientSession",
        "request",
    ),
    "toolkit.client.timeouts": ("ClientTimeout",),
    "toolkit.client.tls": ("Fingerprint",),
    "toolkit.client.tracing": (
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
    ),
    "toolkit.client.ws": (
        "ClientWSTimeout",
        "ClientWebSocketResponse",
    ),
}

__all__ = exported_names(_NAMES_BY_MODULE)
_EXPORTS = name_table(_NAMES_BY_MODULE)


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), __all__)
