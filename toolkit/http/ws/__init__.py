"""Sans-IO WebSocket protocol core (RFC 6455, RFC 7692 permessage-deflate).

Bytes in, messages out: :class:`WebSocketReader` parses frames into
:class:`WSMessage`, :class:`WebSocketWriter` encodes them, :class:`WSConnection`
adds the close handshake, and the handshake helpers check and build the
HTTP upgrade headers. Nothing here performs I/O.

A client, over whatever carries the bytes::

    key = make_client_key()
    offer = DeflateOffer.from_compress(15)            # or None: no compression
    headers = build_client_request_headers(key, protocols=["chat"], deflate_offer=offer)
    ...  # send GET with headers, read the response head
    agreed = validate_server_response(status, resp_headers, key=key,
                                      protocols=["chat"], deflate_offer=offer)
    conn = WSConnection(Role.CLIENT, deflate=agreed.deflate)
    write(conn.send_str("hello"))
    for msg in conn.receive_data(read()):             # TEXT, BINARY, PING, PONG, CLOSE, ERROR
        ...
    write(conn.data_to_send())                         # pongs and close replies

A server calls :func:`validate_client_request` on the request head, answers
``101`` with the returned headers (or the error's status and headers on
:class:`WSHandshakeError`) and builds ``WSConnection(Role.SERVER, deflate=...)``.
"""

from ._connection import WSConnection, WSState, WSStateError
from ._deflate import (
    PERMESSAGE_DEFLATE,
    DeflateCompressor,
    DeflateDecompressor,
    DeflateOffer,
    DeflateParams,
    negotiate_deflate,
    parse_extensions,
)
from ._handshake import (
    WS_KEY,
    WS_VERSION,
    ClientHandshake,
    ServerHandshake,
    build_client_request_headers,
    make_client_key,
    validate_client_request,
    validate_server_response,
    ws_accept_key,
)
from ._mask import websocket_mask
from ._models import (
    MAX_CONTROL_PAYLOAD,
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    Role,
    WebSocketError,
    WSCloseCode,
    WSHandshakeError,
    WSMessage,
    WSMsgType,
    is_valid_close_code,
)
from ._reader import DEFAULT_MAX_MSG_SIZE, WebSocketReader
from ._writer import WebSocketWriter, build_frame, close_payload

__all__ = [
    # models
    "Role",
    "WSMsgType",
    "WSCloseCode",
    "WSMessage",
    "WebSocketError",
    "WSHandshakeError",
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "MAX_CONTROL_PAYLOAD",
    "is_valid_close_code",
    # framing
    "websocket_mask",
    "WebSocketReader",
    "DEFAULT_MAX_MSG_SIZE",
    "WebSocketWriter",
    "build_frame",
    "close_payload",
    # permessage-deflate
    "PERMESSAGE_DEFLATE",
    "parse_extensions",
    "DeflateOffer",
    "DeflateParams",
    "negotiate_deflate",
    "DeflateCompressor",
    "DeflateDecompressor",
    # handshake
    "WS_KEY",
    "WS_VERSION",
    "ws_accept_key",
    "make_client_key",
    "build_client_request_headers",
    "ServerHandshake",
    "validate_client_request",
    "ClientHandshake",
    "validate_server_response",
    # engine
    "WSConnection",
    "WSState",
    "WSStateError",
]
