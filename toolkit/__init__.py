"""aiotoolkit: an asyncio HTTP/1.1 and WebSocket client and server with aiohttp's API.

The client lives here (``toolkit.ClientSession``, ``toolkit.request``, connectors,
exceptions, payloads, cookie jars); the server is ``toolkit.web``. Public names are
imported on first use, so ``import toolkit.http`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
]

# Where each public name lives; imported on first use (PEP 562), so that importing
# one submodule does not drag in (or break with) every other part of the package.
_EXPORTS: dict[str, str] = {
    "hdrs": "toolkit.hdrs",
    "AsyncResolver": "toolkit.client",
    "BaseConnector": "toolkit.client",
    "ClientConnectionError": "toolkit.client",
    "ClientConnectionResetError": "toolkit.client",
    "ClientConnectorCertificateError": "toolkit.client",
    "ClientConnectorDNSError": "toolkit.client",
    "ClientConnectorError": "toolkit.client",
    "ClientConnectorSSLError": "toolkit.client",
    "ClientError": "toolkit.client",
    "ClientHttpProxyError": "toolkit.client",
    "ClientOSError": "toolkit.client",
    "ClientPayloadError": "toolkit.client",
    "ClientProxyConnectionError": "toolkit.client",
    "ClientRequest": "toolkit.client",
    "ClientResponse": "toolkit.client",
    "ClientResponseError": "toolkit.client",
    "ClientSession": "toolkit.client",
    "ClientSSLError": "toolkit.client",
    "ClientTimeout": "toolkit.client",
    "ClientWSTimeout": "toolkit.client",
    "ClientWebSocketResponse": "toolkit.client",
    "Connection": "toolkit.client",
    "ConnectionTimeoutError": "toolkit.client",
    "ContentTypeError": "toolkit.client",
    "FingerprintMismatch": "toolkit.client",
    "DefaultResolver": "toolkit.client",
    "Fingerprint": "toolkit.client",
    "InvalidURL": "toolkit.client",
    "InvalidUrlClientError": "toolkit.client",
    "InvalidUrlRedirectClientError": "toolkit.client",
    "NonHttpUrlClientError": "toolkit.client",
    "NonHttpUrlRedirectClientError": "toolkit.client",
    "RedirectClientError": "toolkit.client",
    "RequestInfo": "toolkit.client",
    "ServerConnectionError": "toolkit.client",
    "ServerDisconnectedError": "toolkit.client",
    "ServerFingerprintMismatch": "toolkit.client",
    "ServerTimeoutError": "toolkit.client",
    "SocketTimeoutError": "toolkit.client",
    "TCPConnector": "toolkit.client",
    "ThreadedResolver": "toolkit.client",
    "TooManyRedirects": "toolkit.client",
    "UnixClientConnectorError": "toolkit.client",
    "UnixConnector": "toolkit.client",
    "WSServerHandshakeError": "toolkit.client",
    "request": "toolkit.client",
    "AbstractCookieJar": "toolkit.cookiejar",
    "CookieJar": "toolkit.cookiejar",
    "DummyCookieJar": "toolkit.cookiejar",
    "FormData": "toolkit.formdata",
    "BasicAuth": "toolkit.helpers",
    "ETag": "toolkit.helpers",
    "HttpVersion": "toolkit.http",
    "HttpVersion10": "toolkit.http",
    "HttpVersion11": "toolkit.http",
    "BadContentDispositionHeader": "toolkit.multipart",
    "BadContentDispositionParam": "toolkit.multipart",
    "BodyPartReader": "toolkit.multipart",
    "MultipartReader": "toolkit.multipart",
    "MultipartWriter": "toolkit.multipart",
    "content_disposition_filename": "toolkit.multipart",
    "parse_content_disposition": "toolkit.multipart",
    "PAYLOAD_REGISTRY": "toolkit.payload",
    "AsyncIterablePayload": "toolkit.payload",
    "BufferedReaderPayload": "toolkit.payload",
    "BytesIOPayload": "toolkit.payload",
    "BytesPayload": "toolkit.payload",
    "IOBasePayload": "toolkit.payload",
    "JsonPayload": "toolkit.payload",
    "Payload": "toolkit.payload",
    "StringIOPayload": "toolkit.payload",
    "StringPayload": "toolkit.payload",
    "TextIOPayload": "toolkit.payload",
    "get_payload": "toolkit.payload",
    "payload_type": "toolkit.payload",
    "streamer": "toolkit.payload",
    "EMPTY_PAYLOAD": "toolkit.streams",
    "DataQueue": "toolkit.streams",
    "EofStream": "toolkit.streams",
    "FlowControlDataQueue": "toolkit.streams",
    "StreamReader": "toolkit.streams",
    "WSCloseCode": "toolkit.http.ws",
    "WSMessage": "toolkit.http.ws",
    "WSMsgType": "toolkit.http.ws",
    "WebSocketError": "toolkit.http.ws",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name.rsplit(".", 1)[-1] == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
