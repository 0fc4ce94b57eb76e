"""Content-coding decoders and encoders: round trips, auto-detection, limits, corruption."""

from __future__ import annotations

import gzip
import os
import zlib

import pytest

from toolkit.http import SUPPORTED_ENCODINGS, get_decoder, get_encoder
from toolkit.http.errors import ContentEncodingError, DecompressionLimitError

PAYLOAD = b"The quick brown fox jumps over the lazy dog. " * 500 + os.urandom(300)


def encode(encoding: str, data: bytes) -> bytes:
    encoder = get_encoder(encoding)
    return encoder.compress(data) + encoder.flush()


def decode_in_pieces(encoding: str, data: bytes, size: int, **kwargs: int) -> bytes:
    decoder = get_decoder(encoding, **kwargs)
    out = [decoder.decompress(data[i : i + size]) for i in range(0, len(data), size)]
    out.append(decoder.flush())
    assert decoder.eof
    return b"".join(out)


def test_supported_encodings_reflect_installed_modules() -> None:
    assert SUPPORTED_ENCODINGS[:2] == ("gzip", "deflate")
    try:
        import brotli  # noqa: F401
    except ImportError:  # pragma: no cover
        assert "br" not in SUPPORTED_ENCODINGS
    else:
        assert "br" in SUPPORTED_ENCODINGS
    try:
        import zstandard  # noqa: F401
    except ImportError:  # pragma: no cover
        assert "zstd" not in SUPPORTED_ENCODINGS
    else:
        assert "zstd" in SUPPORTED_ENCODINGS


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
@pytest.mark.parametrize("piece", [1, 7, 4096, 10**9])
def test_round_trip(encoding: str, piece: int) -> None:
    coded = encode(encoding, PAYLOAD)
    if piece == 1:
        coded_piece = coded[:3000]  # keep byte-by-byte decoding quick: a prefix only
        decoder = get_decoder(encoding)
        out = b"".join(decoder.decompress(coded_piece[i : i + 1]) for i in range(len(coded_piece)))
        assert PAYLOAD.startswith(out)
        return
    assert decode_in_pieces(encoding, coded, piece) == PAYLOAD


def test_deflate_accepts_zlib_and_raw() -> None:
    wrapped = zlib.compress(PAYLOAD)
    raw_obj = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = raw_obj.compress(PAYLOAD) + raw_obj.flush()
    assert decode_in_pieces("deflate", wrapped, 1000) == PAYLOAD
    assert decode_in_pieces("deflate", raw, 1000) == PAYLOAD
    assert decode_in_pieces("deflate", raw, 1) == PAYLOAD[: len(PAYLOAD)]


def test_gzip_multiple_members_and_x_gzip() -> None:
    coded = gzip.compress(b"first ") + gzip.compress(b"second")
    assert decode_in_pieces("gzip", coded, 5) == b"first second"
    assert decode_in_pieces("X-GZIP", gzip.compress(b"z"), 100) == b"z"


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_decompression_bomb_is_stopped(encoding: str) -> None:
    bomb = encode(encoding, b"\0" * 5_000_000)
    decoder = get_decoder(encoding, max_decompressed_size=100_000)
    produced = 0
    with pytest.raises(DecompressionLimitError, match="max_decompressed_size=100000") as info:
        for i in range(0, len(bomb), 512):
            produced += len(decoder.decompress(bomb[i : i + 512]))
    assert produced <= 100_000
    assert info.value.code == 413


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_limit_allows_exact_size(encoding: str) -> None:
    coded = encode(encoding, b"a" * 1000)
    assert decode_in_pieces(encoding, coded, 100, max_decompressed_size=1000) == b"a" * 1000


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_corrupt_input(encoding: str) -> None:
    coded = bytearray(encode(encoding, PAYLOAD))
    for i in range(10, len(coded) - 10, 7):
        coded[i] ^= 0x5A
    decoder = get_decoder(encoding)
    with pytest.raises(ContentEncodingError, match=encoding):
        decoder.decompress(bytes(coded))
        decoder.flush()


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_truncated_stream(encoding: str) -> None:
    coded = encode(encoding, PAYLOAD)
    decoder = get_decoder(encoding)
    decoder.decompress(coded[: len(coded) // 2])
    assert not decoder.eof
    with pytest.raises(ContentEncodingError, match="ended before"):
        decoder.flush()


def test_empty_body_is_fine() -> None:
    for encoding in SUPPORTED_ENCODINGS:
        decoder = get_decoder(encoding)
        assert decoder.flush() == b""


def test_unknown_encodings() -> None:
    with pytest.raises(ContentEncodingError, match="compress"):
        get_decoder("compress")
    with pytest.raises(ValueError, match="snappy"):
        get_encoder("snappy")


def test_encoder_levels() -> None:
    fast = get_encoder("gzip", level=1)
    assert gzip.decompress(fast.compress(PAYLOAD) + fast.flush()) == PAYLOAD
    assert zlib.decompress(encode("deflate", PAYLOAD)) == PAYLOAD
