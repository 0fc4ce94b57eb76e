"""aiotoolkit: an asyncio HTTP/1.1 and WebSocket client and server with aiohttp's API.

The client lives here (``toolkit.ClientSession``, ``toolkit.request``, connectors,
exceptions, payloads, cookie jars); the server is ``toolkit.web``. Public names are
imported on first use, so ``import toolkit.http`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit._lazy import lazy_dir, lazy_load

if TYPE_CHECKING:
    from toolkit import hdrs
    from toolkit.client import (
        AsyncResolver,
        BaseConnector,
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
        ClientRequest,
        ClientResponse,
        ClientResponseError,
        ClientSession,
        ClientSSLError,
        ClientTimeout,
        ClientWebSocketResponse,
        ClientWSTimeout,
        Connection,
        ConnectionTimeoutError,
        ContentTypeError,
        DefaultResolver,
        Fingerprint,
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
        TCPConnector,
        ThreadedResolver,
        TooManyRedirects,
        UnixClientConnectorError,
        UnixConnector,
        WSServerHandshakeError,
        request,
    )
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
    from toolkit.cookiejar import (
        AbstractCookieJar,
        CookieJar,
        DummyCookieJar,
    )
    from toolkit.formdata import (
        FormData,
    )
    from toolkit.helpers import (
        BasicAuth,
        ETag,
    )
    from toolkit.http import (
        HttpVersion,
        HttpVersion10,
        HttpVersion11,
    )
    from toolkit.http.ws import WebSocketError, WSCloseCode, WSMessage, WSMsgType
    from toolkit.multipart import (
        BadContentDispositionHeader,
        BadContentDispositionParam,
        BodyPartReader,
        MultipartReader,
        MultipartWriter,
        content_disposition_filename,
        parse_content_disposition,
    )
    from toolkit.payload import (
        PAYLOAD_REGISTRY,
        AsyncIterablePayload,
        BufferedReaderPayload,
        BytesIOPayload,
        BytesPayload,
        IOBasePayload,
        JsonPayload,
        Payload,
        StringIOPayload,
        StringPayload,
        TextIOPayload,
        get_payload,
        payload_type,
        streamer,
    )
    from toolkit.streams import (
        EMPTY_PAYLOAD,
        DataQueue,
        EofStream,
        FlowControlDataQueue,
        StreamReader,
    )

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "hdrs",
    # client
    "ClientRequest",
    "ClientResponse",
    "ClientSession",
    "ClientTimeout",
    "ClientWSTimeout",
    "ClientWebSocketResponse",
    "RequestInfo",
    "request",
    # connectors and resolvers
    "AsyncResolver",
    "BaseConnector",
    "Connection",
    "DefaultResolver",
    "Fingerprint",
    "TCPConnector",
    "ThreadedResolver",
    "UnixConnector",
    # client exceptions
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
    # cookies, auth, helpers
    "AbstractCookieJar",
    "BasicAuth",
    "CookieJar",
    "DummyCookieJar",
    "ETag",
    # HTTP versions
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    # forms and multipart
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPartReader",
    "FormData",
    "MultipartReader",
    "MultipartWriter",
    "content_disposition_filename",
    "parse_content_disposition",
    # payloads
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonPayload",
    "PAYLOAD_REGISTRY",
    "Payload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "payload_type",
    "streamer",
    # streams
    "DataQueue",
    "EMPTY_PAYLOAD",
    "EofStream",
    "FlowControlDataQueue",
    "StreamReader",
    # WebSocket messages
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
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

# Where the public names that are not the client's live; every other name in __all__
# comes from toolkit.client. Imported on first use (PEP 562), so that importing one
# submodule does not drag in (or break with) every other part of the package.
_NON_CLIENT: dict[str, tuple[str, ...]] = {
    "toolkit.hdrs": ("hdrs",),
    "toolkit.cookiejar": ("AbstractCookieJar", "CookieJar", "DummyCookieJar"),
    "toolkit.formdata": ("FormData",),
    "toolkit.helpers": ("BasicAuth", "ETag"),
    "toolkit.http": ("HttpVersion", "HttpVersion10", "HttpVersion11"),
    "toolkit.multipart": (
        "BadContentDispositionHeader",
        "BadContentDispositionParam",
        "BodyPartReader",
        "MultipartReader",
        "MultipartWriter",
        "content_disposition_filename",
        "parse_content_disposition",
    ),
    "toolkit.payload": (
        "PAYLOAD_REGISTRY",
        "AsyncIterablePayload",
        "BufferedReaderPayload",
        "BytesIOPayload",
        "BytesPayload",
        "IOBasePayload",
        "JsonPayload",
        "Payload",
        "StringIOPayload",
        "StringPayload",
        "TextIOPayload",
        "get_payload",
        "payload_type",
        "streamer",
    ),
    "toolkit.streams": (
        "EMPTY_PAYLOAD",
        "DataQueue",
        "EofStream",
        "FlowControlDataQueue",
        "StreamReader",
    ),
    "toolkit.http.ws": ("WSCloseCode", "WSMessage", "WSMsgType", "WebSocketError"),
}
_EXPORTS: dict[str, str] = {name: module for module, names in _NON_CLIENT.items() for name in names}
_EXPORTS.update(
    (name, "toolkit.client") for name in __all__ if name not in _EXPORTS and name != "__version__"
)


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), __all__)
