import json
import pickle

import pytest

from toolkit.http.ws import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WSCloseCode,
    WSHandshakeError,
    WSMessage,
    WSMsgType,
    is_valid_close_code,
)


def test_msg_type_values_match_aiohttp() -> None:
    assert [int(t) for t in WSMsgType] == [0, 1, 2, 9, 10, 8, 256, 257, 258]
    assert WSMsgType.text is WSMsgType.TEXT
    assert WSMsgType.closed is WSMsgType.CLOSED


def test_close_code_values() -> None:
    assert WSCloseCode.OK == 1000
    assert WSCloseCode.GOING_AWAY == 1001
    assert WSCloseCode.PROTOCOL_ERROR == 1002
    assert WSCloseCode.UNSUPPORTED_DATA == 1003
    assert WSCloseCode.ABNORMAL_CLOSURE == 1006
    assert WSCloseCode.INVALID_TEXT == 1007
    assert WSCloseCode.POLICY_VIOLATION == 1008
    assert WSCloseCode.MESSAGE_TOO_BIG == 1009
    assert WSCloseCode.MANDATORY_EXTENSION == 1010
    assert WSCloseCode.INTERNAL_ERROR == 1011
    assert WSCloseCode.SERVICE_RESTART == 1012
    assert WSCloseCode.TRY_AGAIN_LATER == 1013
    assert WSCloseCode.BAD_GATEWAY == 1014


def test_message_json() -> None:
    msg = WSMessage(WSMsgType.TEXT, '{"a": [1, 2]}', "")
    assert msg.json() == {"a": [1, 2]}
    assert msg.json(loads=lambda s: ("custom", s)) == ("custom", msg.data)
    assert msg.type is WSMsgType.TEXT and msg.extra == ""
    with pytest.raises(json.JSONDecodeError):
        WSMessage(WSMsgType.TEXT, "not json", "").json()


def test_closed_and_closing_messages() -> None:
    assert WS_CLOSED_MESSAGE == (WSMsgType.CLOSED, None, None)
    assert WS_CLOSING_MESSAGE == (WSMsgType.CLOSING, None, None)


def test_websocket_error_carries_code_and_pickles() -> None:
    exc = WebSocketError(WSCloseCode.PROTOCOL_ERROR, "bad frame")
    assert exc.code == 1002
    assert str(exc) == "bad frame"
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is WebSocketError
    assert (clone.code, str(clone)) == (1002, "bad frame")


def test_handshake_error_pickles() -> None:
    exc = WSHandshakeError("no key", 426, (("Sec-WebSocket-Version", "13"),))
    clone = pickle.loads(pickle.dumps(exc))
    assert (clone.message, clone.status, clone.headers) == (exc.message, 426, exc.headers)
    assert str(clone) == "no key"


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        (999, False),
        (1000, True),
        (1003, True),
        (1004, False),
        (1005, False),
        (1006, False),
        (1007, True),
        (1014, True),
        (1015, False),
        (1016, False),
        (2999, False),
        (3000, True),
        (4999, True),
        (5000, False),
        (65535, False),
    ],
)
def test_valid_close_codes(code: int, valid: bool) -> None:
    assert is_valid_close_code(code) is valid
