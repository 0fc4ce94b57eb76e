"""Value types shared by the WebSocket reader, writer and engine (RFC 6455)."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum, IntEnum
from typing import Any, NamedTuple

__all__ = [
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
]

#: Largest payload a control frame (close, ping, pong) may carry (RFC 6455 §5.5).
MAX_CONTROL_PAYLOAD = 125


class Role(Enum):
    """Which end of the connection an engine, reader or writer plays."""

    CLIENT = "client"
    SERVER = "server"


class WSMsgType(IntEnum):
    """Message kinds, with aiohttp's values (opcodes plus three local states)."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    # aiohttp's lower-case aliases
    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


class WSCloseCode(IntEnum):
    """Close status codes (RFC 6455 §7.4.1 and the IANA registry)."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


def is_valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a close frame on the wire.

    1000-1003 and 1007-1014 are defined; 1004 is reserved, 1005, 1006 and 1015
    are reserved for local use and never sent; 3000-4999 belong to libraries,
    frameworks and applications. Everything else is invalid.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


class WSMessage(NamedTuple):
    """One WebSocket message, as aiohttp delivers it.

    ``data`` is a ``str`` for TEXT, ``bytes`` for BINARY, PING and PONG, the
    close code (``int``, 0 when the frame carried none) for CLOSE and the
    exception for ERROR. ``extra`` is the close reason for CLOSE, else ``""``
    or ``None``.
    """

    type: WSMsgType
    data: Any
    extra: Any

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Decode the message data as JSON with ``loads``."""
        return loads(self.data)


WS_CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
WS_CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)


class WebSocketError(Exception):
    """A protocol violation by the peer; ``code`` is the close code to send back."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(code, message)

    @property
    def message(self) -> str:
        """What was wrong, in words."""
        return str(self.args[1])

    def __str__(self) -> str:
        return self.message


class WSHandshakeError(Exception):
    """An opening handshake that cannot go on.

    On the server side ``status`` and ``headers`` describe the HTTP error
    response to send instead of ``101``; on the client side ``status`` is the
    status the server answered with (or 101 when the 101 response was wrong).
    """

    def __init__(
        self,
        message: str,
        status: int = 400,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.message = message
        self.status = status
        self.headers = headers
        super().__init__(message, status, headers)

    def __str__(self) -> str:
        return self.message
