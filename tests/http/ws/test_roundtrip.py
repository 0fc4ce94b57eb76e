"""Our client-role and server-role engines talking to each other in memory."""

from __future__ import annotations

import itertools
import os
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.http.ws import (
    DeflateParams,
    Role,
    WebSocketReader,
    WebSocketWriter,
    WSConnection,
    WSMessage,
    WSMsgType,
)

PEER = {Role.CLIENT: Role.SERVER, Role.SERVER: Role.CLIENT}

MESSAGES = [
    WSMessage(WSMsgType.TEXT, "hello", ""),
    WSMessage(WSMsgType.TEXT, "", ""),
    WSMessage(WSMsgType.TEXT, "κόσμε ☃ 𝄞" * 50, ""),
    WSMessage(WSMsgType.BINARY, b"", ""),
    WSMessage(WSMsgType.BINARY, bytes(range(256)) * 300, ""),  # 64-bit length
    WSMessage(WSMsgType.BINARY, b"x" * 126, ""),  # 16-bit length
    WSMessage(WSMsgType.PING, b"ping!", ""),
    WSMessage(WSMsgType.PONG, b"", ""),
    WSMessage(WSMsgType.CLOSE, 1000, "bye"),
]


def encode(writer: WebSocketWriter, msg: WSMessage) -> bytes:
    if msg.type is WSMsgType.TEXT:
        return writer.send_text(msg.data)
    if msg.type is WSMsgType.BINARY:
        return writer.send_bytes(msg.data)
    if msg.type is WSMsgType.PING:
        return writer.ping(msg.data)
    if msg.type is WSMsgType.PONG:
        return writer.pong(msg.data)
    return writer.close(msg.data, msg.extra)


def feed_whole(reader: WebSocketReader, data: bytes) -> list[WSMessage]:
    return reader.feed_data(data)


def feed_bytewise(reader: WebSocketReader, data: bytes) -> list[WSMessage]:
    return [m for i in range(len(data)) for m in reader.feed_data(data[i : i + 1])]


def feed_odd_chunks(reader: WebSocketReader, data: bytes) -> list[WSMessage]:
    out: list[WSMessage] = []
    pos, size = 0, 1
    while pos < len(data):
        out += reader.feed_data(data[pos : pos + size])
        pos, size = pos + size, size * 3 % 1031 + 1
    return out


FEEDERS = [feed_whole, feed_bytewise, feed_odd_chunks]
DEFLATES = [None, DeflateParams(), DeflateParams(True, True, 9, 10)]


@pytest.mark.parametrize("sender", [Role.CLIENT, Role.SERVER])
@pytest.mark.parametrize("feeder", FEEDERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("deflate", DEFLATES, ids=["plain", "deflate", "deflate-nct"])
@pytest.mark.parametrize("fragment", [None, 7])
def test_round_trip(
    sender: Role, feeder: object, deflate: DeflateParams | None, fragment: int | None
) -> None:
    writer = WebSocketWriter(sender, deflate=deflate, max_fragment_size=fragment)
    reader = WebSocketReader(PEER[sender], deflate=deflate)
    expected = MESSAGES
    if feeder is feed_bytewise:  # keep byte-by-byte runs short
        expected = [
            m for m in MESSAGES if not isinstance(m.data, (str, bytes)) or len(m.data) < 999
        ]
    data = b"".join(encode(writer, m) for m in expected)
    assert feeder(reader, data) == expected  # type: ignore[operator]


def test_trailing_bytes_after_close_are_ignored() -> None:
    writer = WebSocketWriter(Role.SERVER)
    reader = WebSocketReader(Role.CLIENT)
    data = writer.send_text("a") + writer.close(1001, "away") + b"\x81\x01b garbage"
    assert reader.feed_data(data) == [
        WSMessage(WSMsgType.TEXT, "a", ""),
        WSMessage(WSMsgType.CLOSE, 1001, "away"),
    ]
    assert reader.close_received
    assert reader.feed_data(b"more") == []


def test_partial_frame_is_kept_until_completed() -> None:
    writer = WebSocketWriter(Role.CLIENT)
    reader = WebSocketReader(Role.SERVER)
    data = writer.send_text("one") + writer.send_text("two")
    cut = len(data) - 2
    assert reader.feed_data(data[:cut]) == [WSMessage(WSMsgType.TEXT, "one", "")]
    assert reader.feed_data(data[cut:]) == [WSMessage(WSMsgType.TEXT, "two", "")]


def test_client_frames_are_masked_with_the_injected_key() -> None:
    writer = WebSocketWriter(Role.CLIENT, mask_key=lambda n: b"\x37\xfa\x21\x3d")
    # RFC 6455 §5.7: a single-frame masked text message
    assert writer.send_text("Hello") == bytes.fromhex("818537fa213d7f9f4d5158")
    server_writer = WebSocketWriter(Role.SERVER)
    assert server_writer.send_text("Hello") == bytes.fromhex("810548656c6c6f")


def test_every_client_frame_gets_a_fresh_key() -> None:
    keys = itertools.count(1)
    writer = WebSocketWriter(Role.CLIENT, mask_key=lambda n: next(keys).to_bytes(n, "big"))
    frames = writer.send_text("ab", compress=None)
    assert frames[2:6] == b"\x00\x00\x00\x01"
    assert writer.ping(b"")[2:6] == b"\x00\x00\x00\x02"
    default = WebSocketWriter(Role.CLIENT)
    assert default.send_text("same")[2:6] != default.send_text("same")[2:6]


def test_control_frames_interleaved_in_a_fragmented_message() -> None:
    writer = WebSocketWriter(Role.SERVER, max_fragment_size=2)
    reader = WebSocketReader(Role.CLIENT)
    frames = writer.send_text("abcdef")
    # split after the first fragment (2 + 2 bytes) and insert a ping
    data = frames[:4] + writer.ping(b"p") + frames[4:]
    assert reader.feed_data(data) == [
        WSMessage(WSMsgType.PING, b"p", ""),
        WSMessage(WSMsgType.TEXT, "abcdef", ""),
    ]


def test_per_message_compress_switch() -> None:
    deflate = DeflateParams()
    writer = WebSocketWriter(Role.SERVER, deflate=deflate)
    reader = WebSocketReader(Role.CLIENT, deflate=deflate)
    plain = writer.send_bytes(b"a" * 100, compress=0)
    assert plain[0] == 0x82  # RSV1 clear
    small = writer.send_bytes(b"a" * 100, compress=9)
    assert small[0] == 0xC2 and len(small) < len(plain)
    assert reader.feed_data(plain + small + writer.send_bytes(b"b" * 100)) == [
        WSMessage(WSMsgType.BINARY, b"a" * 100, ""),
        WSMessage(WSMsgType.BINARY, b"a" * 100, ""),
        WSMessage(WSMsgType.BINARY, b"b" * 100, ""),
    ]
    with pytest.raises(ValueError, match="not negotiated"):
        WebSocketWriter(Role.SERVER).send_bytes(b"x", compress=15)


def test_writer_rejects_bad_control_frames() -> None:
    writer = WebSocketWriter(Role.SERVER)
    with pytest.raises(ValueError, match="at most 125"):
        writer.ping(b"x" * 126)
    with pytest.raises(ValueError, match="close reason too long"):
        writer.close(1000, "x" * 124)
    with pytest.raises(ValueError, match="needs a close code"):
        writer.close(None, "reason")
    with pytest.raises(ValueError, match="opcode"):
        writer.send_frame(b"", 0x3)
    assert writer.close(None) == b"\x88\x00"


message_strategy = st.one_of(
    st.builds(lambda s: WSMessage(WSMsgType.TEXT, s, ""), st.text(max_size=300)),
    st.builds(lambda b: WSMessage(WSMsgType.BINARY, b, ""), st.binary(max_size=300)),
    st.builds(lambda b: WSMessage(WSMsgType.PING, b, ""), st.binary(max_size=125)),
    st.builds(lambda b: WSMessage(WSMsgType.PONG, b, ""), st.binary(max_size=125)),
)


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(message_strategy, max_size=8),
    sender=st.sampled_from([Role.CLIENT, Role.SERVER]),
    deflate=st.sampled_from(DEFLATES),
    fragment=st.one_of(st.none(), st.integers(1, 64)),
    cuts=st.lists(st.integers(1, 50), max_size=30),
    mask=st.binary(min_size=4, max_size=4),
)
def test_round_trip_property(
    messages: list[WSMessage],
    sender: Role,
    deflate: DeflateParams | None,
    fragment: int | None,
    cuts: list[int],
    mask: bytes,
) -> None:
    writer = WebSocketWriter(
        sender, deflate=deflate, max_fragment_size=fragment, mask_key=lambda n: mask
    )
    reader = WebSocketReader(PEER[sender], deflate=deflate)
    data = b"".join(encode(writer, m) for m in messages)
    received: list[WSMessage] = []
    pos = 0
    for size in cuts:
        received += reader.feed_data(data[pos : pos + size])
        pos += size
    received += reader.feed_data(data[pos:])
    assert received == messages


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(max_size=100), min_size=1, max_size=5),
    deflate=st.sampled_from(DEFLATES),
)
def test_connection_round_trip_property(texts: list[str], deflate: DeflateParams | None) -> None:
    client = WSConnection(Role.CLIENT, deflate=deflate)
    server = WSConnection(Role.SERVER, deflate=deflate)
    wire = b"".join(client.send_str(t) for t in texts)
    assert [m.data for m in server.receive_data(wire)] == texts
    wire = b"".join(server.send_bytes(t.encode()) for t in texts)
    assert [m.data for m in client.receive_data(wire)] == [t.encode() for t in texts]


def test_per_message_window_is_capped_at_the_negotiated_one() -> None:
    writer = WebSocketWriter(Role.SERVER, deflate=DeflateParams(server_max_window_bits=9))
    chunk = bytes(range(256)) * 4  # repeats 1024 bytes apart: beyond a 512-byte window
    frame = writer.send_bytes(os.urandom(1000) * 2 + chunk, compress=15)
    payload = frame[4:]  # 2-byte header + 16-bit length
    # a peer that honours the agreement decodes with a 9-bit window
    # (in small steps, so back-references must come from the window itself)
    inflater, pending, inflated = zlib.decompressobj(-9), payload + b"\x00\x00\xff\xff", b""
    while pending:
        inflated += inflater.decompress(pending, 64)
        pending = inflater.unconsumed_tail
    assert inflated.endswith(chunk)


def test_close_reason_must_be_utf8() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        WebSocketWriter(Role.SERVER).close(1000, b"\xff")
