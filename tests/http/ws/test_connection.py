"""The sans-IO engine: close handshake state, automatic replies, errors."""

from __future__ import annotations

import pytest

from toolkit.http.ws import (
    Role,
    WebSocketReader,
    WSConnection,
    WSMessage,
    WSMsgType,
    WSState,
    WSStateError,
)


def pair(**kw: object) -> tuple[WSConnection, WSConnection]:
    return WSConnection(Role.CLIENT, **kw), WSConnection(Role.SERVER, **kw)  # type: ignore[arg-type]


def test_client_initiated_close_handshake() -> None:
    client, server = pair()
    wire = client.close(1001, "going")
    assert client.state is WSState.CLOSING and client.close_sent
    assert client.close() == b""  # close is sent once
    assert server.receive_data(wire) == [WSMessage(WSMsgType.CLOSE, 1001, "going")]
    assert server.state is WSState.CLOSED
    assert (server.close_code, server.close_reason) == (1001, "going")
    reply = server.data_to_send()
    assert client.receive_data(reply) == [WSMessage(WSMsgType.CLOSE, 1001, "")]
    assert client.state is WSState.CLOSED
    assert client.close_code == 1001


def test_server_initiated_close_without_autoclose() -> None:
    client, server = pair(autoclose=False)
    assert client.receive_data(server.close(4000, "app")) == [
        WSMessage(WSMsgType.CLOSE, 4000, "app")
    ]
    assert client.state is WSState.CLOSING
    assert client.close_received and not client.close_sent
    assert client.data_to_send() == b""
    reply = client.close(4000)
    assert client.state is WSState.CLOSED
    assert server.receive_data(reply) == [WSMessage(WSMsgType.CLOSE, 4000, "")]
    assert server.state is WSState.CLOSED


def test_close_without_code() -> None:
    client, server = pair()
    assert server.receive_data(client.close(None)) == [WSMessage(WSMsgType.CLOSE, 0, "")]
    assert server.data_to_send() == b"\x88\x00"


def test_sending_after_close_is_refused() -> None:
    client, _ = pair()
    client.close()
    with pytest.raises(WSStateError, match="client already sent its close frame"):
        client.send_str("late")
    with pytest.raises(WSStateError):
        client.send_bytes(b"late")
    with pytest.raises(WSStateError):
        client.ping()
    with pytest.raises(WSStateError, match="use close"):
        client.send_frame(b"", WSMsgType.CLOSE)


def test_type_checks_like_aiohttp() -> None:
    client, _ = pair()
    with pytest.raises(TypeError, match="must be str"):
        client.send_str(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="byte-ish"):
        client.send_bytes("text")  # type: ignore[arg-type]


def test_queued_pong_goes_out_before_the_next_frame() -> None:
    client, server = pair()
    server.receive_data(client.ping(b"1"))
    wire = server.send_str("after")
    assert client.receive_data(wire) == [
        WSMessage(WSMsgType.PONG, b"1", ""),
        WSMessage(WSMsgType.TEXT, "after", ""),
    ]


def test_no_pong_after_close_sent() -> None:
    client, server = pair()
    server.close()
    server.receive_data(client.ping(b"x"))
    assert server.data_to_send() == b""


def test_protocol_error_fails_the_connection() -> None:
    client, server = pair()
    wire = client.send_str("ok") + b"\x83\x80\x00\x00\x00\x00"  # opcode 3, masked
    messages = server.receive_data(wire)
    assert messages[0] == WSMessage(WSMsgType.TEXT, "ok", "")
    assert messages[1].type is WSMsgType.ERROR and messages[1].extra is None
    assert server.exception() is messages[1].data
    assert server.state is WSState.CLOSED
    assert server.close_code == 1002
    sent = WebSocketReader(Role.CLIENT).feed_data(server.data_to_send())
    assert sent == [WSMessage(WSMsgType.CLOSE, 1002, "unknown opcode 0x3")]
    assert server.receive_data(client.send_str("ignored")) == []


def test_error_after_our_close_sends_nothing_more() -> None:
    server = WSConnection(Role.SERVER)
    server.close()
    messages = server.receive_data(b"\x8f\x80\x00\x00\x00\x00")
    assert messages[-1].type is WSMsgType.ERROR
    assert server.data_to_send() == b""
    assert server.state is WSState.CLOSED


def test_long_error_reason_is_truncated_to_fit() -> None:
    _, server = pair()
    server.reader.max_msg_size = 1
    server.receive_data(b"\x82\x82\x00\x00\x00\x00xx")
    frame = server.data_to_send()
    assert len(frame) <= 127
    assert frame[:4] == b"\x88" + bytes([len(frame) - 2]) + b"\x03\xf1"


def test_repr() -> None:
    assert repr(WSConnection(Role.SERVER)) == "<WSConnection server open>"


def test_eof_without_close_is_abnormal() -> None:
    client, server = pair()
    client.receive_data(server.send_str("partial")[:-2])
    client.receive_eof()
    assert client.state is WSState.CLOSED
    assert client.close_code == 1006
    assert not client.clean_close
    assert client.receive_data(b"\x81\x00") == []


def test_eof_after_the_close_handshake_keeps_the_code() -> None:
    client, server = pair()
    server.receive_data(client.close(1000, "done"))
    client.receive_data(server.data_to_send())
    client.receive_eof()
    assert client.clean_close
    assert client.close_code == 1000
