import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.http.ws import websocket_mask


def naive_mask(mask: bytes, data: bytes, offset: int = 0) -> bytes:
    return bytes(b ^ mask[(i + offset) % 4] for i, b in enumerate(data))


def test_rfc_example() -> None:
    # RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d
    assert websocket_mask(b"\x37\xfa\x21\x3d", b"Hello") == bytes.fromhex("7f9f4d5158")


def test_empty_payload() -> None:
    assert websocket_mask(b"abcd", b"") == b""


def test_mask_length_checked() -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        websocket_mask(b"abc", b"data")


@settings(max_examples=200)
@given(st.binary(min_size=4, max_size=4), st.binary(max_size=300), st.integers(0, 7))
def test_matches_naive(mask: bytes, data: bytes, offset: int) -> None:
    assert websocket_mask(mask, data, offset) == naive_mask(mask, data, offset)


@settings(max_examples=100)
@given(st.binary(min_size=4, max_size=4), st.binary(max_size=200), st.data())
def test_piecewise_equals_whole(mask: bytes, data: bytes, draw: st.DataObject) -> None:
    cut = draw.draw(st.integers(0, len(data)))
    pieces = websocket_mask(mask, data[:cut]) + websocket_mask(mask, data[cut:], cut)
    assert pieces == websocket_mask(mask, data)


def test_one_mebibyte_round_trip() -> None:
    data = os.urandom(1 << 20)
    mask = os.urandom(4)
    masked = websocket_mask(mask, data)
    assert len(masked) == len(data)
    assert masked[:64] == naive_mask(mask, data[:64])
    assert masked[-63:] == naive_mask(mask, data[-63:], (len(data) - 63) % 4)
    assert websocket_mask(mask, masked) == data


@pytest.mark.parametrize("size", [16383, 16384, 16385, 16387, 32768, 32771, 50001])
@pytest.mark.parametrize("offset", [0, 1, 3])
def test_block_boundaries(size: int, offset: int) -> None:
    data = os.urandom(size)
    mask = os.urandom(4)
    assert websocket_mask(mask, data, offset) == naive_mask(mask, data, offset)
    assert websocket_mask(mask, memoryview(data), offset) == naive_mask(mask, data, offset)
