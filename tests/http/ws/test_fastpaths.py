"""The short paths of the frame reader and writer, with the C and the pure-Python masking."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.http.ws import (
    Role,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    _mask,
    _reader,
    _writer,
    build_frame,
)

PEER = {Role.CLIENT: Role.SERVER, Role.SERVER: Role.CLIENT}
BIG = os.urandom(3 * 65536 + 5)  # above the writer's in-place threshold, odd length

MASKERS = ["pure"] + (["c"] if _mask.ACCELERATED else [])


@pytest.fixture(params=MASKERS)
def masker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test with the pure-Python masking patched in, or with the C one."""
    if request.param == "pure":
        for module in (_reader, _writer):
            monkeypatch.setattr(module, "websocket_mask", _mask.py_websocket_mask)
        monkeypatch.setattr(_writer, "websocket_mask_inplace", _mask.py_websocket_mask_inplace)
        monkeypatch.setattr(_reader, "websocket_mask_chunks", _mask.py_websocket_mask_chunks)
    yield request.param


def naive_mask(mask: bytes, data: bytes) -> bytes:
    return bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def chunks(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos = [], 0
    for size in sizes:
        out.append(data[pos : pos + size])
        pos += size
    out.append(data[pos:])
    return out


@pytest.mark.usefixtures("masker")
def test_big_masked_frame_matches_the_rfc_layout() -> None:
    key = b"\x01\x02\x03\x04"
    frame = build_frame(BIG, WSMsgType.BINARY, mask=key)
    assert bytes(frame[:2]) == b"\x82\xff"
    assert int.from_bytes(frame[2:10], "big") == len(BIG)
    assert bytes(frame[10:14]) == key
    assert bytes(frame[14:1014]) == naive_mask(key, BIG[:1000])
    assert bytes(frame[-7:]) == bytes(
        b ^ key[(len(BIG) - 7 + i) % 4] for i, b in enumerate(BIG[-7:])
    )


def test_build_frame_checks_the_key_length() -> None:
    with pytest.raises(ValueError, match="4 bytes long, got 3"):
        build_frame(b"x", WSMsgType.BINARY, mask=b"abc")
    with pytest.raises(ValueError, match="4 bytes long, got 5"):
        build_frame(BIG, WSMsgType.BINARY, mask=b"abcde")


@pytest.mark.usefixtures("masker")
@pytest.mark.parametrize("sender", [Role.CLIENT, Role.SERVER])
@pytest.mark.parametrize(
    "sizes",
    [[], [1], [13], [14], [65536], [100, 100_000], [7, 65536, 65536, 1]],
    ids=lambda s: "-".join(map(str, s)) or "whole",
)
def test_big_binary_message_in_pieces(sender: Role, sizes: list[int]) -> None:
    writer = WebSocketWriter(sender)
    reader = WebSocketReader(PEER[sender], max_msg_size=0)
    wire = writer.send_bytes(BIG) + writer.send_text("after") + writer.send_bytes(b"tail")
    received: list[WSMessage] = []
    for piece in chunks(wire, sizes):
        received += reader.feed_data(piece)
    assert [m.type for m in received] == [WSMsgType.BINARY, WSMsgType.TEXT, WSMsgType.BINARY]
    assert type(received[0].data) is bytes
    assert received[0].data == BIG
    assert received[1:] == [
        WSMessage(WSMsgType.TEXT, "after", ""),
        WSMessage(WSMsgType.BINARY, b"tail", ""),
    ]


@pytest.mark.usefixtures("masker")
@settings(max_examples=60, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=300), min_size=1, max_size=6),
    fragment=st.one_of(st.none(), st.integers(1, 40)),
    cuts=st.lists(st.integers(1, 90), max_size=20),
    sender=st.sampled_from([Role.CLIENT, Role.SERVER]),
    kind=st.sampled_from([bytes, bytearray, memoryview]),
)
def test_any_chunking_gives_the_same_messages(
    payloads: list[bytes],
    fragment: int | None,
    cuts: list[int],
    sender: Role,
    kind: type,
) -> None:
    writer = WebSocketWriter(sender, max_fragment_size=fragment)
    reader = WebSocketReader(PEER[sender])
    wire = b"".join(bytes(writer.send_bytes(p)) for p in payloads)
    received: list[WSMessage] = []
    for piece in chunks(wire, cuts):
        received += reader.feed_data(kind(piece))
    assert [m.data for m in received] == payloads
    assert all(type(m.data) is bytes for m in received)


def test_size_limit_applies_to_a_binary_frame_in_pieces() -> None:
    wire = WebSocketWriter(Role.CLIENT).send_bytes(b"x" * 2000)
    reader = WebSocketReader(Role.SERVER, max_msg_size=1000)
    with pytest.raises(WebSocketError) as info:
        reader.feed_data(wire[:100])
    assert info.value.code == WSCloseCode.MESSAGE_TOO_BIG
    assert "2000 exceeds the limit of 1000" in info.value.message


def test_unmasked_client_frame_refused_on_the_short_path() -> None:
    reader = WebSocketReader(Role.SERVER)
    with pytest.raises(WebSocketError, match="unmasked frame from a client"):
        reader.feed_data(b"\x81\x05hello")


def test_masked_server_frame_refused_on_the_short_path() -> None:
    reader = WebSocketReader(Role.CLIENT)
    with pytest.raises(WebSocketError, match="masked frame from a server"):
        reader.feed_data(b"\x82\x81abcdX")


def test_new_message_inside_a_fragmented_one_still_refused() -> None:
    writer = WebSocketWriter(Role.SERVER)
    reader = WebSocketReader(Role.CLIENT)
    reader.feed_data(build_frame(b"part", WSMsgType.TEXT, fin=False))
    with pytest.raises(WebSocketError, match="inside a fragmented message"):
        reader.feed_data(writer.send_text("new"))


def test_default_keys_are_fresh_and_four_bytes() -> None:
    keys = {_writer.random_bytes(4) for _ in range(3000)}  # spans several pool refills
    assert all(len(k) == 4 for k in keys)
    assert len(keys) > 2990  # 32-bit random keys: collisions are very unlikely


def test_key_pool_serves_long_requests_and_resets() -> None:
    pool = _writer._KeyPool()
    assert len(pool.take(10_000)) == 10_000
    first = pool.take(4)
    pool.reset()
    assert len(pool.take(4)) == 4
    assert len(first) == 4


def test_writer_default_key_source_is_the_pool() -> None:
    frames = {WebSocketWriter(Role.CLIENT).send_text("same")[2:6] for _ in range(50)}
    assert len(frames) == 50
