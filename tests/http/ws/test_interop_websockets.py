"""Interop with a real peer: the ``websockets`` library's sans-IO protocols.

Our engines and theirs exchange the opening handshake and then frames, in
memory, with and without permessage-deflate: whatever one side sends the
other must read back unchanged, and the close handshake must complete.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from multidict import CIMultiDict
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from toolkit.http.ws import (
    DeflateOffer,
    DeflateParams,
    Role,
    WSConnection,
    WSMessage,
    WSMsgType,
    WSState,
    build_client_request_headers,
    make_client_key,
    validate_client_request,
    validate_server_response,
)


def parse_http_head(data: bytes) -> tuple[str, CIMultiDict[str], bytes]:
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    return lines[0], headers, rest


def wire(proto: ClientProtocol | ServerProtocol) -> bytes:
    return b"".join(proto.data_to_send())


def their_messages(proto: ClientProtocol | ServerProtocol, data: bytes) -> list[WSMessage]:
    """Feed ``data`` to websockets and reassemble its frames into messages."""
    proto.receive_data(data)
    out: list[WSMessage] = []
    parts: list[bytes] = []
    kind = Opcode.CONT
    for frame in proto.events_received():
        if isinstance(frame, Frame):
            if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                kind, parts = frame.opcode, [bytes(frame.data)]
            elif frame.opcode is Opcode.CONT:
                parts.append(bytes(frame.data))
            elif frame.opcode is Opcode.CLOSE:
                code = int.from_bytes(frame.data[:2], "big") if frame.data else 0
                out.append(WSMessage(WSMsgType.CLOSE, code, bytes(frame.data[2:]).decode()))
                continue
            else:
                out.append(WSMessage(WSMsgType(frame.opcode), bytes(frame.data), ""))
                continue
            if frame.fin:
                data_ = b"".join(parts)
                if kind is Opcode.TEXT:
                    out.append(WSMessage(WSMsgType.TEXT, data_.decode(), ""))
                else:
                    out.append(WSMessage(WSMsgType.BINARY, data_, ""))
    return out


# -- handshakes ---------------------------------------------------------------------

SERVER_FACTORIES: dict[str, dict[str, Any] | None] = {
    "off": None,
    "default": {},
    "client-bits": {"client_max_window_bits": 10},
    "server-bits": {"server_max_window_bits": 11},
    "no-takeover": {"server_no_context_takeover": True, "client_no_context_takeover": True},
}
CLIENT_FACTORIES: dict[str, dict[str, Any] | None] = {
    "off": None,
    "default": {},
    "server-bits": {"server_max_window_bits": 12},
    "client-bits": {"client_max_window_bits": 9},
    "no-takeover": {"server_no_context_takeover": True, "client_no_context_takeover": True},
}


def their_client_with_our_server(
    factory: dict[str, Any] | None, **server_kw: Any
) -> tuple[ClientProtocol, WSConnection]:
    """websockets client -> our server handshake; returns both open ends."""
    extensions = [ClientPerMessageDeflateFactory(**factory)] if factory is not None else None
    client = ClientProtocol(
        parse_uri("ws://127.0.0.1/chat"),
        extensions=extensions,
        subprotocols=["v2.chat", "chat"],  # type: ignore[list-item]
        max_size=None,
    )
    client.send_request(client.connect())
    request_line, headers, _ = parse_http_head(wire(client))
    method, _, rest = request_line.partition(" ")
    assert rest.endswith("HTTP/1.1")
    result = validate_client_request(method, (1, 1), headers, protocols=["chat"], **server_kw)
    head = "HTTP/1.1 101 Switching Protocols\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in result.headers.items()
    )
    client.receive_data(head.encode() + b"\r\n")
    [response] = client.events_received()
    assert isinstance(response, Response)
    assert client.handshake_exc is None, client.handshake_exc
    assert client.state is State.OPEN
    assert client.subprotocol == "chat"
    assert bool(client.extensions) is (result.deflate is not None)
    return client, WSConnection(Role.SERVER, deflate=result.deflate, max_msg_size=0)


def our_client_with_their_server(
    offer: DeflateOffer | None, factory: dict[str, Any] | None, *, strict: bool = True
) -> tuple[WSConnection, ServerProtocol]:
    """Our client -> websockets server handshake; returns both open ends."""
    key = make_client_key()
    headers = build_client_request_headers(
        key, protocols=["chat"], origin="http://127.0.0.1", deflate_offer=offer
    )
    headers["Host"] = "127.0.0.1"
    request = "GET /chat HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    extensions = [ServerPerMessageDeflateFactory(**factory)] if factory is not None else None
    server = ServerProtocol(extensions=extensions, subprotocols=["chat"], max_size=None)  # type: ignore[list-item]
    server.receive_data(request.encode() + b"\r\n")
    [req] = server.events_received()
    assert isinstance(req, Request)
    server.send_response(server.accept(req))
    assert server.handshake_exc is None, server.handshake_exc
    status_line, resp_headers, rest = parse_http_head(wire(server))
    assert rest == b""
    status = int(status_line.split()[1])
    result = validate_server_response(
        status, resp_headers, key=key, protocols=["chat"], deflate_offer=offer
    )
    assert result.protocol == "chat"
    if strict:
        assert (result.deflate is not None) is (offer is not None and factory is not None)
    return WSConnection(Role.CLIENT, deflate=result.deflate, max_msg_size=0), server


@pytest.mark.parametrize("name", CLIENT_FACTORIES)
def test_handshake_their_client_our_server(name: str) -> None:
    their_client_with_our_server(CLIENT_FACTORIES[name])


def test_our_server_caps_window_and_resets_context() -> None:
    client, ours = their_client_with_our_server({}, max_window_bits=10, no_context_takeover=True)
    assert ours.deflate == DeflateParams(server_no_context_takeover=True, server_max_window_bits=10)
    exchange_both_ways(client, ours, fragment=None)


@pytest.mark.parametrize("name", SERVER_FACTORIES)
def test_handshake_our_client_their_server(name: str) -> None:
    our_client_with_their_server(DeflateOffer(), SERVER_FACTORIES[name])


def test_handshake_their_server_answers_our_offer_parameters() -> None:
    ours, _ = our_client_with_their_server(
        DeflateOffer(server_max_window_bits=10, client_max_window_bits=11), {}
    )
    assert ours.deflate is not None
    assert ours.deflate.server_max_window_bits == 10
    assert ours.deflate.client_max_window_bits == 11


# -- frames -----------------------------------------------------------------------------

TEXT = "interop ☃ " * 300
BINARY = bytes(range(256)) * 400  # > 64 KiB: 64-bit length


def exchange_both_ways(
    theirs: ClientProtocol | ServerProtocol, ours: WSConnection, fragment: int | None
) -> None:
    ours.writer.max_fragment_size = fragment
    # ours -> theirs
    sent = [
        WSMessage(WSMsgType.TEXT, TEXT, ""),
        WSMessage(WSMsgType.BINARY, BINARY, ""),
        WSMessage(WSMsgType.TEXT, "", ""),
        WSMessage(WSMsgType.PING, b"are you there", ""),
        WSMessage(WSMsgType.TEXT, TEXT[:50], ""),
    ]
    data = (
        ours.send_str(TEXT)
        + ours.send_bytes(BINARY)
        + ours.send_str("")
        + ours.ping(b"are you there")
        + ours.send_str(TEXT[:50])
    )
    assert their_messages(theirs, data) == sent
    # their automatic pong comes back
    assert ours.receive_data(wire(theirs)) == [WSMessage(WSMsgType.PONG, b"are you there", "")]
    # theirs -> ours, including a fragmented message with a ping inside
    theirs.send_text(TEXT.encode())
    theirs.send_binary(BINARY)
    theirs.send_text(b"frag", fin=False)
    theirs.send_ping(b"mid")
    theirs.send_continuation(b"mented \xe2\x98", fin=False)
    theirs.send_continuation(b"\x83", fin=True)
    theirs.send_text(TEXT.encode())
    assert ours.receive_data(wire(theirs)) == [
        WSMessage(WSMsgType.TEXT, TEXT, ""),
        WSMessage(WSMsgType.BINARY, BINARY, ""),
        WSMessage(WSMsgType.PING, b"mid", ""),
        WSMessage(WSMsgType.TEXT, "fragmented ☃", ""),
        WSMessage(WSMsgType.TEXT, TEXT, ""),
    ]
    assert their_messages(theirs, ours.data_to_send()) == [WSMessage(WSMsgType.PONG, b"mid", "")]


@pytest.mark.parametrize("fragment", [None, 1000])
@pytest.mark.parametrize("name", CLIENT_FACTORIES)
def test_frames_their_client_our_server(name: str, fragment: int | None) -> None:
    client, ours = their_client_with_our_server(CLIENT_FACTORIES[name])
    exchange_both_ways(client, ours, fragment)


@pytest.mark.parametrize("fragment", [None, 1000])
@pytest.mark.parametrize("name", SERVER_FACTORIES)
def test_frames_our_client_their_server(name: str, fragment: int | None) -> None:
    ours, server = our_client_with_their_server(DeflateOffer(), SERVER_FACTORIES[name])
    exchange_both_ways(server, ours, fragment)


def test_close_initiated_by_us() -> None:
    ours, server = our_client_with_their_server(DeflateOffer(), {})
    assert their_messages(server, ours.close(1000, "done")) == [
        WSMessage(WSMsgType.CLOSE, 1000, "done")
    ]
    writes = server.data_to_send()
    assert writes[-1] == b""  # websockets' SEND_EOF: the server half-closes TCP next
    assert ours.receive_data(b"".join(writes)) == [WSMessage(WSMsgType.CLOSE, 1000, "done")]
    assert ours.state is WSState.CLOSED


def test_close_initiated_by_them() -> None:
    client, ours = their_client_with_our_server({})
    client.send_close(3001, "bye")
    assert ours.receive_data(wire(client)) == [WSMessage(WSMsgType.CLOSE, 3001, "bye")]
    assert ours.state is WSState.CLOSED
    assert their_messages(client, ours.data_to_send()) == [WSMessage(WSMsgType.CLOSE, 3001, "")]
    assert client.state is State.CLOSING  # waits for TCP close by the server
    client.receive_eof()
    assert client.state is State.CLOSED
    assert client.close_code == 3001


def test_their_peer_fails_on_our_protocol_error_frame() -> None:
    client, _ = their_client_with_our_server(None)
    # a server frame with RSV2 set: websockets must fail with 1002
    client.receive_data(b"\xa1\x00")
    assert client.state is State.CLOSING
    sent = wire(client)
    # websockets answers with a masked close frame carrying 1002
    assert WSConnection(Role.SERVER).receive_data(sent)[0][:2] == (WSMsgType.CLOSE, 1002)


def test_we_fail_on_their_oversized_message() -> None:
    client, _ = their_client_with_our_server(None)
    ours = WSConnection(Role.SERVER, max_msg_size=1000)
    client.send_binary(b"x" * 1001)
    messages = ours.receive_data(wire(client))
    assert messages[0].type is WSMsgType.ERROR and messages[0].data.code == 1009
    assert their_messages(client, ours.data_to_send())[0][:2] == (WSMsgType.CLOSE, 1009)


# -- negotiation, property-based ---------------------------------------------------------

BITS = st.one_of(st.none(), st.integers(9, 15))


@settings(max_examples=40, deadline=None)
@given(
    server_nct=st.booleans(),
    client_nct=st.booleans(),
    server_bits=BITS,
    client_bits=st.one_of(st.none(), st.just(True), st.integers(9, 15)),
    our_bits=st.integers(9, 15),
    our_nct=st.booleans(),
)
def test_any_offer_of_theirs_gets_a_working_agreement(
    server_nct: bool,
    client_nct: bool,
    server_bits: int | None,
    client_bits: int | bool | None,
    our_bits: int,
    our_nct: bool,
) -> None:
    factory = {
        "server_no_context_takeover": server_nct,
        "client_no_context_takeover": client_nct,
        "server_max_window_bits": server_bits,
        "client_max_window_bits": client_bits,
    }
    client, ours = their_client_with_our_server(
        factory, max_window_bits=our_bits, no_context_takeover=our_nct
    )
    assert ours.deflate is not None
    assert ours.deflate.server_max_window_bits <= min(our_bits, server_bits or 15)
    exchange_both_ways(client, ours, fragment=None)


@settings(max_examples=40, deadline=None)
@given(
    offer=st.builds(
        DeflateOffer,
        server_no_context_takeover=st.booleans(),
        client_no_context_takeover=st.booleans(),
        server_max_window_bits=BITS,
        client_max_window_bits=st.one_of(st.booleans(), st.integers(9, 15)),
    ),
    server_nct=st.booleans(),
    server_bits=BITS,
    client_bits=BITS,
)
def test_any_offer_of_ours_is_answered_consistently(
    offer: DeflateOffer, server_nct: bool, server_bits: int | None, client_bits: int | None
) -> None:
    factory = {
        "server_no_context_takeover": server_nct,
        "server_max_window_bits": server_bits,
        "client_max_window_bits": client_bits,
    }
    # their server may decline an offer it cannot meet: then we talk uncompressed
    ours, server = our_client_with_their_server(offer, factory, strict=False)
    exchange_both_ways(server, ours, fragment=None)
