from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.http.ws import (
    DeflateCompressor,
    DeflateDecompressor,
    DeflateOffer,
    DeflateParams,
    WSHandshakeError,
    negotiate_deflate,
    parse_extensions,
)


def test_parse_extensions() -> None:
    value = 'permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo'
    assert parse_extensions(value) == [
        (
            "permessage-deflate",
            [("client_max_window_bits", None), ("server_max_window_bits", "10")],
        ),
        ("x-foo", []),
    ]
    assert parse_extensions("") == []
    assert parse_extensions("A ;B=c,, d") == [("a", [("b", "c")]), ("d", [])]


@pytest.mark.parametrize(
    "value",
    [
        "permessage-deflate; =1",
        "a b",
        "x; y=1 2",
        'ext; p="un',
        # Only spaces and tabs are optional whitespace (\s and str.strip() took these):
        "permessage-deflate\x1f",
        "permessage-deflate; client_max_window_bits\x1c",
        "permessage-deflate;\u3000server_no_context_takeover",
    ],
)
def test_parse_extensions_rejects_bad_syntax(value: str) -> None:
    with pytest.raises(ValueError, match="invalid extension"):
        parse_extensions(value)


def test_offer_headers() -> None:
    assert DeflateOffer().to_header() == "permessage-deflate; client_max_window_bits"
    assert (
        DeflateOffer.from_compress(15).to_header() == "permessage-deflate; client_max_window_bits"
    )
    assert DeflateOffer.from_compress(10, notakeover=True).to_header() == (
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits"
    )
    offer = DeflateOffer(True, True, 12, 11)
    assert offer.to_header() == (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=12; client_max_window_bits=11"
    )
    assert DeflateOffer(client_max_window_bits=False).to_header() == "permessage-deflate"
    with pytest.raises(ValueError, match="from 9 to 15"):
        DeflateOffer.from_compress(8)
    with pytest.raises(ValueError, match="from 9 to 15"):
        DeflateParams(server_max_window_bits=16)


@pytest.mark.parametrize(
    ("request_value", "expected"),
    [
        (None, None),
        ("", None),
        ("x-webkit-deflate-frame", None),
        ("permessage-deflate", DeflateParams()),
        ("permessage-deflate; client_max_window_bits", DeflateParams()),
        ("permessage-deflate; client_max_window_bits=10", DeflateParams(client_max_window_bits=10)),
        ("permessage-deflate; server_max_window_bits=9", DeflateParams(server_max_window_bits=9)),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            DeflateParams(True, True),
        ),
        # invalid offers are declined, the next one is taken
        ("permessage-deflate; foo, permessage-deflate", DeflateParams()),
        ("permessage-deflate; server_max_window_bits=8", None),
        ("permessage-deflate; server_max_window_bits", None),
        ("permessage-deflate; server_max_window_bits=010", None),
        ("permessage-deflate; client_no_context_takeover=1", None),
        ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", None),
    ],
)
def test_server_negotiation(request_value: str | None, expected: DeflateParams | None) -> None:
    result = negotiate_deflate(request_value)
    assert (result and result[0]) == expected
    if result is not None:
        # our answer is one our own client accepts
        assert DeflateOffer().accept_response(result[1]) == result[0]


def test_offered_server_window_is_always_answered() -> None:
    result = negotiate_deflate("permessage-deflate; server_max_window_bits=15")
    assert result == (DeflateParams(), "permessage-deflate; server_max_window_bits=15")
    offer = DeflateOffer(server_max_window_bits=15)
    assert offer.accept_response(result[1]) == DeflateParams()


def test_server_negotiation_with_our_limits() -> None:
    result = negotiate_deflate(
        "permessage-deflate; server_max_window_bits=12",
        max_window_bits=10,
        no_context_takeover=True,
    )
    assert result == (
        DeflateParams(server_no_context_takeover=True, server_max_window_bits=10),
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
    )


@pytest.mark.parametrize(
    ("offer", "response", "expected"),
    [
        (DeflateOffer(), "permessage-deflate", DeflateParams()),
        (
            DeflateOffer(),
            "permessage-deflate; client_max_window_bits=9; server_max_window_bits=11",
            DeflateParams(client_max_window_bits=9, server_max_window_bits=11),
        ),
        (
            DeflateOffer(client_no_context_takeover=True, client_max_window_bits=12),
            "permessage-deflate",
            DeflateParams(client_no_context_takeover=True, client_max_window_bits=12),
        ),
        (
            DeflateOffer(server_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            DeflateParams(True, True),
        ),
    ],
)
def test_client_accepts_response(
    offer: DeflateOffer, response: str, expected: DeflateParams
) -> None:
    assert offer.accept_response(response) == expected


@pytest.mark.parametrize(
    ("offer", "response", "reason"),
    [
        (DeflateOffer(), "x-other", "expected one permessage-deflate"),
        (DeflateOffer(), "permessage-deflate, permessage-deflate", "expected one"),
        (DeflateOffer(), "permessage-deflate; bogus", "unknown permessage-deflate parameter"),
        (DeflateOffer(), "permessage-deflate; client_max_window_bits=16", "9 to 15"),
        # "²" passes str.isdigit() but not int().
        (DeflateOffer(), 'permessage-deflate; client_max_window_bits="\u00b2"', "9 to 15"),
        (
            DeflateOffer(client_max_window_bits=False),
            "permessage-deflate; client_max_window_bits=10",
            "not offered",
        ),
        (
            DeflateOffer(client_max_window_bits=10),
            "permessage-deflate; client_max_window_bits=11",
            "exceeds",
        ),
        (
            DeflateOffer(server_max_window_bits=10),
            "permessage-deflate; server_max_window_bits=12",
            "exceeds",
        ),
        (DeflateOffer(server_max_window_bits=10), "permessage-deflate", "offered but not answered"),
        (
            DeflateOffer(server_no_context_takeover=True),
            "permessage-deflate",
            "offered but not answered",
        ),
    ],
)
def test_client_rejects_response(offer: DeflateOffer, response: str, reason: str) -> None:
    with pytest.raises(WSHandshakeError, match=reason) as info:
        offer.accept_response(response)
    assert "Sec-WebSocket-Extensions" in str(info.value)


def test_compressor_strips_the_tail_and_decompressor_restores_it() -> None:
    comp = DeflateCompressor()
    payload = comp.compress(b"Hello")
    assert payload == bytes.fromhex("f248cdc9c90700")  # RFC 7692 §7.2.3.1
    assert comp.compress(b"Hello") == bytes.fromhex("f200110000")  # §7.2.3.2, shared window
    dec = DeflateDecompressor()
    out, _ = dec.decompress(bytes.fromhex("f248cdc9c90700"))
    assert out + dec.finish()[0] == b"Hello"
    assert DeflateCompressor().compress(b"") == b"\x00"


def test_decompressor_limit() -> None:
    data = DeflateCompressor().compress(b"a" * 1000)
    out, exceeded = DeflateDecompressor().decompress(data, 999)
    assert exceeded and len(out) == 999
    out, exceeded = DeflateDecompressor().decompress(data, 1000)
    assert not exceeded and out == b"a" * 1000
    out, exceeded = DeflateDecompressor().decompress(data, 0)
    assert exceeded and out == b""


@settings(max_examples=50, deadline=None)
@given(
    messages=st.lists(st.binary(max_size=500), max_size=6),
    bits=st.integers(9, 15),
    no_takeover=st.booleans(),
)
def test_codec_round_trip(messages: list[bytes], bits: int, no_takeover: bool) -> None:
    comp = DeflateCompressor(bits, no_takeover)
    dec = DeflateDecompressor(no_takeover)
    for msg in messages:
        out, _ = dec.decompress(comp.compress(msg))
        assert out + dec.finish()[0] == msg


def test_each_side_compresses_with_its_own_agreed_window() -> None:
    params = DeflateParams(
        server_no_context_takeover=True, client_max_window_bits=9, server_max_window_bits=12
    )
    assert params.compressor(is_client=True).window_bits == 9
    assert params.compressor(is_client=False).window_bits == 12
    # the server resets its context after each message, the client does not
    server, client = params.compressor(is_client=False), params.compressor(is_client=True)
    text = b"context takeover " * 10
    assert len(server.compress(text)) == len(server.compress(text))
    assert len(client.compress(text)) > len(client.compress(text))
