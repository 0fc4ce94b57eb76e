import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.http.ws import _mask, websocket_mask

try:
    from toolkit.http.ws import _mask_c
except ImportError:  # not compiled: only the pure-Python path runs
    _mask_c = None

CHUNKERS: list[Callable[..., bytes]] = [_mask.py_websocket_mask_chunks]
if _mask_c is not None:
    CHUNKERS.append(_mask_c.mask_chunks)

MaskFn = Callable[..., bytes]
InplaceFn = Callable[..., None]

IMPLS: list[tuple[MaskFn, InplaceFn]] = [
    (_mask.py_websocket_mask, _mask.py_websocket_mask_inplace),
]
IDS = ["pure"]
if _mask_c is not None:
    IMPLS.append((_mask_c.mask, _mask_c.mask_inplace))
    IDS.append("c")


@pytest.fixture(params=IMPLS, ids=IDS)
def impl(request: pytest.FixtureRequest) -> tuple[MaskFn, InplaceFn]:
    pair: tuple[MaskFn, InplaceFn] = request.param
    return pair


def naive_mask(mask: bytes, data: bytes, offset: int = 0) -> bytes:
    return bytes(b ^ mask[(i + offset) % 4] for i, b in enumerate(data))


def test_rfc_example() -> None:
    # RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d
    assert websocket_mask(b"\x37\xfa\x21\x3d", b"Hello") == bytes.fromhex("7f9f4d5158")


def test_empty_payload(impl: tuple[MaskFn, InplaceFn]) -> None:
    mask, inplace = impl
    assert mask(b"abcd", b"") == b""
    buf = bytearray()
    inplace(b"abcd", buf)
    assert buf == b""


def test_mask_length_checked(impl: tuple[MaskFn, InplaceFn]) -> None:
    mask, inplace = impl
    with pytest.raises(ValueError, match="4 bytes long, got 3"):
        mask(b"abc", b"data")
    with pytest.raises(ValueError, match="4 bytes long, got 5"):
        inplace(b"abcde", bytearray(b"data"))


def test_negative_offset_refused(impl: tuple[MaskFn, InplaceFn]) -> None:
    mask, _ = impl
    with pytest.raises(ValueError, match="offset must be >= 0, got -1"):
        mask(b"abcd", b"data", -1)


def test_inplace_needs_a_writable_buffer(impl: tuple[MaskFn, InplaceFn]) -> None:
    _, inplace = impl
    with pytest.raises((TypeError, BufferError)):
        inplace(b"abcd", memoryview(b"read-only data"))


@settings(max_examples=200)
@given(st.binary(min_size=4, max_size=4), st.binary(max_size=600), st.integers(0, 11))
def test_matches_naive(mask: bytes, data: bytes, offset: int) -> None:
    expected = naive_mask(mask, data, offset)
    for masker, inplace in IMPLS:
        assert masker(mask, data, offset) == expected
        assert masker(mask, memoryview(data), offset) == expected
        assert masker(bytearray(mask), bytearray(data), offset) == expected
        buf = bytearray(data)
        inplace(mask, buf, offset)
        assert buf == expected
        # a window into a larger buffer: the bytes around it stay untouched
        framed = bytearray(b"<<<" + data + b">>")
        inplace(mask, memoryview(framed)[3 : 3 + len(data)], offset)
        assert framed == b"<<<" + expected + b">>"


@settings(max_examples=100)
@given(st.binary(min_size=4, max_size=4), st.binary(max_size=400), st.data())
def test_piecewise_equals_whole(mask: bytes, data: bytes, draw: st.DataObject) -> None:
    cut = draw.draw(st.integers(0, len(data)))
    for masker, _ in IMPLS:
        pieces = masker(mask, data[:cut]) + masker(mask, data[cut:], cut)
        assert pieces == masker(mask, data)


def test_one_mebibyte_round_trip(impl: tuple[MaskFn, InplaceFn]) -> None:
    masker, inplace = impl
    data = os.urandom(1 << 20)
    mask = os.urandom(4)
    masked = masker(mask, data)
    assert len(masked) == len(data)
    assert masked[:64] == naive_mask(mask, data[:64])
    assert masked[-63:] == naive_mask(mask, data[-63:], (len(data) - 63) % 4)
    assert masker(mask, masked) == data
    buf = bytearray(masked)
    inplace(mask, buf)
    assert buf == data


@pytest.mark.parametrize("size", [7, 8, 31, 32, 33, 127, 128, 129, 16385, 65535, 65536, 65541])
@pytest.mark.parametrize("offset", [0, 1, 3])
def test_size_boundaries(impl: tuple[MaskFn, InplaceFn], size: int, offset: int) -> None:
    masker, inplace = impl
    data = os.urandom(size)
    mask = os.urandom(4)
    expected = naive_mask(mask, data, offset)
    assert masker(mask, data, offset) == expected
    assert masker(mask, memoryview(data), offset) == expected
    buf = bytearray(data)
    inplace(mask, buf, offset)
    assert buf == expected


def test_default_is_the_accelerator_when_built() -> None:
    if _mask_c is None or os.environ.get("TOOLKIT_NO_EXTENSIONS", "") not in ("", "0"):
        assert not _mask.ACCELERATED
        assert websocket_mask is _mask.py_websocket_mask
    else:
        assert _mask.ACCELERATED
        assert websocket_mask is _mask_c.mask


@pytest.mark.parametrize(("value", "accelerated"), [("1", False), ("0", True), ("", True)])
def test_env_var_forces_the_fallback(value: str, accelerated: bool) -> None:
    if _mask_c is None and accelerated:
        pytest.skip("the C accelerator is not built")
    env = {**os.environ, "TOOLKIT_NO_EXTENSIONS": value}
    code = "from toolkit.http.ws import _mask; print(_mask.ACCELERATED, _mask.websocket_mask)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith(str(accelerated))
    assert ("py_websocket_mask" in out) is not accelerated


@settings(max_examples=100)
@given(
    st.binary(min_size=4, max_size=4),
    st.lists(st.binary(max_size=70), max_size=6),
    st.sampled_from([bytes, bytearray, memoryview]),
)
def test_chunks_match_the_joined_payload(mask: bytes, chunks: list[bytes], kind: type) -> None:
    expected = naive_mask(mask, b"".join(chunks))
    for chunker in CHUNKERS:
        assert chunker(mask, [kind(c) for c in chunks]) == expected
        assert chunker(mask, tuple(chunks)) == expected


@pytest.mark.parametrize("chunker", CHUNKERS, ids=IDS)
def test_chunks_errors(chunker: Callable[..., bytes]) -> None:
    with pytest.raises(ValueError, match="4 bytes long, got 2"):
        chunker(b"ab", [b"data"])
    with pytest.raises(TypeError):
        chunker(b"abcd", [b"data", 5])


@pytest.mark.parametrize("chunker", CHUNKERS, ids=IDS)
def test_big_chunks(chunker: Callable[..., bytes]) -> None:
    data = os.urandom(3 * 65536 + 3)
    mask = os.urandom(4)
    chunks = [data[:5], memoryview(data)[5:70001], data[70001:]]
    assert chunker(mask, chunks) == _mask.py_websocket_mask(mask, data)
