"""aiotoolkit: an asyncio HTTP/1.1 and WebSocket client and server with aiohttp's API.

The client lives here (``toolkit.ClientSession``, ``toolkit.request``, connectors,
exceptions, payloads, cookie jars); the server is ``toolkit.web``. Public names are
imported on first use, so ``import toolkit.http`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit import client as _client
from toolkit._lazy import exported_names, lazy_dir, lazy_load, name_table

# Type checkers see the names through these imports (``X as X`` re-exports them).
if TYPE_CHECKING:
    from toolkit import hdrs as hdrs
    from toolkit.client import (
        AsyncResolver as AsyncResolver,
        BaseConnector as BaseConnector,
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
        ClientRequest as ClientRequest,
        ClientResponse as ClientResponse,
        ClientResponseError as ClientResponseError,
        ClientSession as ClientSession,
        ClientSSLError as ClientSSLError,
        ClientTimeout as ClientTimeout,
        ClientWebSocketResponse as ClientWebSocketResponse,
        ClientWSTimeout as ClientWSTimeout,
        Connection as Connection,
        ConnectionTimeoutError as ConnectionTimeoutError,
        ContentDisposition as ContentDisposition,
        ContentTypeError as ContentTypeError,
        DefaultResolver as DefaultResolver,
        Fingerprint as Fingerprint,
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
        TCPConnector as TCPConnector,
        ThreadedResolver as ThreadedResolver,
        TooManyRedirects as TooManyRedirects,
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
        UnixClientConnectorError as UnixClientConnectorError,
        UnixConnector as UnixConnector,
        WSServerHandshakeError as WSServerHandshakeError,
        request as request,
    )
    from toolkit.cookiejar import (
        AbstractCookieJar as AbstractCookieJar,
        CookieJar as CookieJar,
        DummyCookieJar as DummyCookieJar,
    )
    from toolkit.formdata import (
        FormData as FormData,
    )
    from toolkit.helpers import (
        BasicAuth as BasicAuth,
        ETag as ETag,
    )
    from toolkit.http import (
        HttpVersion as HttpVersion,
        HttpVersion10 as HttpVersion10,
        HttpVersion11 as HttpVersion11,
    )
    from toolkit.http.ws import (
        WebSocketError as WebSocketError,
        WSCloseCode as WSCloseCode,
        WSMessage as WSMessage,
        WSMsgType as WSMsgType,
    )
    from toolkit.multipart import (
        BadContentDispositionHeader as BadContentDispositionHeader,
        BadContentDispositionParam as BadContentDispositionParam,
        BodyPartReader as BodyPartReader,
        MultipartReader as MultipartReader,
        MultipartWriter as MultipartWriter,
        content_disposition_filename as content_disposition_filename,
        parse_content_disposition as parse_content_disposition,
    )
    from toolkit.payload import (
        PAYLOAD_REGISTRY as PAYLOAD_REGISTRY,
        AsyncIterablePayload as AsyncIterablePayload,
        BufferedReaderPayload as BufferedReaderPayload,
        BytesIOPayload as BytesIOPayload,
        BytesPayload as BytesPayload,
        IOBasePayload as IOBasePayload,
        JsonPayload as JsonPayload,
        Payload as Payload,
        StringIOPayload as StringIOPayload,
        StringPayload as StringPayload,
        TextIOPayload as TextIOPayload,
        get_payload as get_payload,
        payload_type as payload_type,
        streamer as streamer,
    )
    from toolkit.streams import (
        EMPTY_PAYLOAD as EMPTY_PAYLOAD,
        DataQueue as DataQueue,
        EofStream as EofStream,
        FlowControlDataQueue as FlowControlDataQueue,
        StreamReader as StreamReader,
    )

__version__ = "0.1.0"

#: Where each public name lives; ``__all__`` and the lazy loader both come from this.
#: The client facade's names are all re-exported: ``toolkit.client`` is only a name table
#: until a name is used, so reading its ``__all__`` imports no client code.
_NAMES_BY_MODULE: dict[str, tuple[str, ...]] = {
    "toolkit.cookiejar": (
        "AbstractCookieJar",
        "CookieJar",
        "DummyCookieJar",
    ),
    "toolkit.formdata": ("FormData",),
    "toolkit.hdrs": ("hdrs",),
    "toolkit.helpers": (
        "BasicAuth",
        "ETag",
    ),
    "toolkit.http": (
        "HttpVersion",
        "HttpVersion10",
        "HttpVersion11",
    ),
    "toolkit.http.ws": (
        "WSCloseCode",
        "WSMessage",
        "WSMsgType",
        "WebSocketError",
    ),
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
    ),
    "toolkit.streams": (
        "DataQueue",
        "EMPTY_PAYLOAD",
        "EofStream",
        "FlowControlDataQueue",
        "StreamReader",
    ),
    "toolkit.client": tuple(_client.__all__),
}
__all__ = ["__version__", *exported_names(_NAMES_BY_MODULE)]
_EXPORTS = name_table(_NAMES_BY_MODULE)


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), __all__)
