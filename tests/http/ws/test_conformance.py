"""Hand-built frames, organised like the Autobahn test suite's categories.

Each bad input must fail the connection with the close code Autobahn expects;
each good one must come out as the right messages. Frames are built with
``build_frame`` so that every invalid bit is spelled out here.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from toolkit.http.ws import (
    DeflateParams,
    Role,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSConnection,
    WSMessage,
    WSMsgType,
    WSState,
    build_frame,
)

FIXTURES = Path(__file__).parents[3] / "fixtures" / "ws"
MASK = b"\x01\x02\x03\x04"
TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def cframe(payload: bytes, opcode: int, **kw: object) -> bytes:
    """A frame as a client sends it (masked) to our server."""
    return build_frame(payload, opcode, mask=MASK, **kw)  # type: ignore[arg-type]


def server_receives(
    data: bytes, *, deflate: DeflateParams | None = None, max_msg_size: int = 0
) -> tuple[list[WSMessage], int | None]:
    """Feed ``data`` to a server engine; return messages and the close code it sent."""
    conn = WSConnection(Role.SERVER, deflate=deflate, max_msg_size=max_msg_size)
    messages = conn.receive_data(data)
    sent = WebSocketReader(Role.CLIENT).feed_data(conn.data_to_send())
    codes = [m.data for m in sent if m.type is WSMsgType.CLOSE]
    return messages, codes[0] if codes else None


def assert_fails(data: bytes, code: int, **kw: object) -> list[WSMessage]:
    messages, sent = server_receives(data, **kw)  # type: ignore[arg-type]
    assert messages, "expected at least the ERROR message"
    assert messages[-1].type is WSMsgType.ERROR
    assert isinstance(messages[-1].data, WebSocketError)
    assert messages[-1].data.code == code
    assert sent == code
    # the failure is the same whatever the chunking
    reader = WebSocketReader(Role.SERVER, **kw)  # type: ignore[arg-type]
    with pytest.raises(WebSocketError) as info:
        for i in range(len(data)):
            reader.feed_data(data[i : i + 1])
    assert info.value.code == code
    return messages[:-1]


# -- RFC examples (fixtures/ws/rfc_examples.json) ---------------------------------

EXAMPLES = json.loads((FIXTURES / "rfc_examples.json").read_text())["cases"]


@pytest.mark.parametrize("case", EXAMPLES, ids=[c["id"] for c in EXAMPLES])
def test_rfc_examples(case: dict[str, object]) -> None:
    deflate = DeflateParams() if case["deflate"] else None
    expected = [
        WSMessage(WSMsgType[t], d if t == "TEXT" else bytes.fromhex(d), "")
        for t, d in case["messages"]  # type: ignore[attr-defined]
    ]
    data = bytes.fromhex("".join(case["hex"]))  # type: ignore[arg-type]
    for chunk in (len(data), 1):
        reader = WebSocketReader(Role(case["reader"]), deflate=deflate)
        got = [m for i in range(0, len(data), chunk) for m in reader.feed_data(data[i : i + chunk])]
        assert got == expected


# -- 1. framing ------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 125, 126, 127, 128, 65535, 65536, 70000])
@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_1_payload_lengths(size: int, opcode: int) -> None:
    payload = b"*" * size
    messages, sent = server_receives(cframe(payload, opcode))
    expected = payload.decode() if opcode == TEXT else payload
    assert messages == [WSMessage(WSMsgType(opcode), expected, "")]
    assert sent is None


def test_1_client_must_mask() -> None:
    assert_fails(build_frame(b"hi", TEXT), 1002)


def test_1_server_must_not_mask() -> None:
    reader = WebSocketReader(Role.CLIENT)
    with pytest.raises(WebSocketError, match="masked frame from a server") as info:
        reader.feed_data(cframe(b"hi", TEXT))
    assert info.value.code == 1002


def test_1_64bit_length_with_msb_set() -> None:
    data = bytes((0x82, 0xFF)) + (1 << 63).to_bytes(8, "big") + MASK
    assert_fails(data, 1002)


# -- 2. pings and pongs ------------------------------------------------------------


def test_2_ping_gets_a_pong_with_the_same_payload() -> None:
    conn = WSConnection(Role.SERVER)
    payload = bytes(range(125))
    assert conn.receive_data(cframe(payload, PING)) == [WSMessage(WSMsgType.PING, payload, "")]
    assert WebSocketReader(Role.CLIENT).feed_data(conn.data_to_send()) == [
        WSMessage(WSMsgType.PONG, payload, "")
    ]


def test_2_ten_pings_ten_pongs() -> None:
    conn = WSConnection(Role.SERVER)
    conn.receive_data(b"".join(cframe(b"%d" % i, PING) for i in range(10)))
    pongs = WebSocketReader(Role.CLIENT).feed_data(conn.data_to_send())
    assert [p.data for p in pongs] == [b"%d" % i for i in range(10)]


def test_2_unsolicited_pong_is_fine() -> None:
    messages, sent = server_receives(cframe(b"x", PONG) + cframe(b"ok", TEXT))
    assert messages == [WSMessage(WSMsgType.PONG, b"x", ""), WSMessage(WSMsgType.TEXT, "ok", "")]
    assert sent is None


def test_2_no_autoping() -> None:
    conn = WSConnection(Role.SERVER, autoping=False)
    assert conn.receive_data(cframe(b"x", PING))[0].type is WSMsgType.PING
    assert conn.data_to_send() == b""


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE])
def test_2_control_payload_over_125(opcode: int) -> None:
    assert_fails(cframe(b"\x03\xe8" + b"x" * 124, opcode), 1002)


# -- 3. reserved bits ---------------------------------------------------------------


@pytest.mark.parametrize("bits", [{"rsv1": True}, {"rsv2": True}, {"rsv3": True}])
@pytest.mark.parametrize("opcode", [TEXT, BINARY, PING, CLOSE])
def test_3_reserved_bits_without_extension(bits: dict[str, bool], opcode: int) -> None:
    assert_fails(cframe(b"", opcode, **bits), 1002)


def test_3_messages_before_the_bad_frame_are_delivered() -> None:
    data = cframe(b"small", TEXT) + cframe(b"bad", TEXT, rsv2=True) + cframe(b"", PING)
    assert assert_fails(data, 1002) == [WSMessage(WSMsgType.TEXT, "small", "")]


# -- 4. opcodes -------------------------------------------------------------------------


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
def test_4_reserved_opcodes(opcode: int) -> None:
    assert_fails(cframe(b"reserved", opcode), 1002)


# -- 5. fragmentation ---------------------------------------------------------------------


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE])
def test_5_fragmented_control_frame(opcode: int) -> None:
    assert_fails(cframe(b"frag", opcode, fin=False) + cframe(b"ment", CONT), 1002)


def test_5_fragments_with_interleaved_pings() -> None:
    data = (
        cframe(b"frag", TEXT, fin=False)
        + cframe(b"1", PING)
        + cframe(b"men", CONT, fin=False)
        + cframe(b"2", PONG)
        + cframe(b"t", CONT)
    )
    messages, sent = server_receives(data)
    assert messages == [
        WSMessage(WSMsgType.PING, b"1", ""),
        WSMessage(WSMsgType.PONG, b"2", ""),
        WSMessage(WSMsgType.TEXT, "fragment", ""),
    ]
    assert sent is None


def test_5_empty_fragments() -> None:
    data = cframe(b"", BINARY, fin=False) + cframe(b"", CONT, fin=False) + cframe(b"", CONT)
    assert server_receives(data) == ([WSMessage(WSMsgType.BINARY, b"", "")], None)


@pytest.mark.parametrize("fin", [True, False])
def test_5_continuation_without_start(fin: bool) -> None:
    assert_fails(cframe(b"orphan", CONT, fin=fin), 1002)


@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_5_new_message_inside_a_fragmented_one(opcode: int) -> None:
    assert_fails(cframe(b"a", TEXT, fin=False) + cframe(b"b", opcode), 1002)


# -- 6. UTF-8 -------------------------------------------------------------------------------

INVALID_UTF8 = [
    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",  # surrogate
    b"\xf4\x90\x80\x80",  # > U+10FFFF
    b"\xc0\xaf",  # overlong
    b"\x80",  # lone continuation
    b"\xfe",
    b"\xce",  # truncated at the end
    b"\xef\xbf",
]


@pytest.mark.parametrize("payload", INVALID_UTF8)
def test_6_invalid_text(payload: bytes) -> None:
    assert_fails(cframe(payload, TEXT), 1007)


@pytest.mark.parametrize("payload", INVALID_UTF8)
def test_6_invalid_text_fragmented_per_byte(payload: bytes) -> None:
    frames = [cframe(payload[i : i + 1], CONT, fin=False) for i in range(len(payload))]
    frames[0] = cframe(payload[:1], TEXT, fin=False)
    assert_fails(b"".join(frames) + cframe(b"", CONT), 1007)


@pytest.mark.parametrize(
    ("prefix", "rest"),
    [
        (b"\xce\xba\xf4\x90", b"\x80\x80"),  # 6.4.1-2: invalid code point
        (b"hello\xed\xa0", b"\x80world"),  # surrogate, caught one byte early
        (b"\xc0", b"\xaf"),
    ],
)
def test_6_fail_fast_before_the_message_ends(prefix: bytes, rest: bytes) -> None:
    conn = WSConnection(Role.SERVER)
    # first fragment complete, message not finished: must already fail
    messages = conn.receive_data(cframe(prefix, TEXT, fin=False))
    assert [m.type for m in messages] == [WSMsgType.ERROR]
    assert messages[0].data.code == 1007
    # and within a single frame whose payload has only partly arrived
    conn = WSConnection(Role.SERVER)
    frame = cframe(prefix + rest, TEXT)
    messages = conn.receive_data(frame[: 6 + len(prefix)])
    assert [m.type for m in messages] == [WSMsgType.ERROR]


def test_6_valid_text_split_inside_characters() -> None:
    text = "κόσμε 𝄞 ☃ \U0010ffff"
    raw = text.encode()
    frames = [cframe(raw[:1], TEXT, fin=False)]
    frames += [cframe(raw[i : i + 1], CONT, fin=False) for i in range(1, len(raw))]
    messages, sent = server_receives(b"".join(frames) + cframe(b"", CONT))
    assert messages == [WSMessage(WSMsgType.TEXT, text, "")] and sent is None


# -- 7. close handling ----------------------------------------------------------------------


def test_7_close_is_answered_with_the_same_code() -> None:
    conn = WSConnection(Role.SERVER)
    assert conn.receive_data(cframe(b"\x0b\xb8custom", CLOSE)) == [
        WSMessage(WSMsgType.CLOSE, 3000, "custom")
    ]
    assert conn.state is WSState.CLOSED
    assert WebSocketReader(Role.CLIENT).feed_data(conn.data_to_send()) == [
        WSMessage(WSMsgType.CLOSE, 3000, "")
    ]


def test_7_empty_close_is_answered_with_an_empty_close() -> None:
    conn = WSConnection(Role.SERVER)
    assert conn.receive_data(cframe(b"", CLOSE)) == [WSMessage(WSMsgType.CLOSE, 0, "")]
    assert conn.data_to_send() == b"\x88\x00"


def test_7_close_reason_of_123_bytes() -> None:
    reason = "r" * 123
    messages, sent = server_receives(cframe(b"\x03\xe8" + reason.encode(), CLOSE))
    assert messages == [WSMessage(WSMsgType.CLOSE, 1000, reason)]
    assert sent == 1000


def test_7_frames_after_close_are_ignored() -> None:
    data = cframe(b"\x03\xe8", CLOSE) + cframe(b"late", TEXT) + cframe(b"", PING)
    messages, sent = server_receives(data)
    assert messages == [WSMessage(WSMsgType.CLOSE, 1000, "")]
    assert sent == 1000


def test_7_close_payload_of_one_byte() -> None:
    assert_fails(cframe(b"\x03", CLOSE), 1002)


@pytest.mark.parametrize(
    "code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
)
def test_7_invalid_close_codes(code: int) -> None:
    assert_fails(cframe(code.to_bytes(2, "big"), CLOSE), 1002)


@pytest.mark.parametrize(
    "code",
    [
        1000,
        1001,
        1002,
        1003,
        1007,
        1008,
        1009,
        1010,
        1011,
        1012,
        1013,
        1014,
        3000,
        3999,
        4000,
        4999,
    ],
)
def test_7_valid_close_codes(code: int) -> None:
    assert server_receives(cframe(code.to_bytes(2, "big"), CLOSE)) == (
        [WSMessage(WSMsgType.CLOSE, code, "")],
        code,
    )


def test_7_invalid_utf8_in_close_reason() -> None:
    assert_fails(cframe(b"\x03\xe8\xce\xba\xe1\xbd\xb9\xed\xa0\x80", CLOSE), 1007)


# -- 9. limits ----------------------------------------------------------------------------------


def test_9_message_too_big_fails_at_the_header() -> None:
    header = cframe(b"x" * 2000, BINARY)[:8]  # header and mask only, no payload yet
    messages, sent = server_receives(header, max_msg_size=1000)
    assert messages[-1].data.code == 1009 and sent == 1009


def test_9_fragmented_message_too_big() -> None:
    data = b"".join(cframe(b"x" * 400, BINARY if i == 0 else CONT, fin=False) for i in range(3))
    assert_fails(data, 1009, max_msg_size=1000)


def test_9_message_exactly_at_the_limit() -> None:
    assert server_receives(cframe(b"x" * 1000, BINARY), max_msg_size=1000)[1] is None


# -- 12/13. compression --------------------------------------------------------------------


def compressed(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


def test_12_decompression_bomb_is_bounded() -> None:
    bomb = compressed(b"\0" * 10_000_000)
    assert len(bomb) < 20_000
    assert_fails(cframe(bomb, BINARY, rsv1=True), 1009, deflate=DeflateParams(), max_msg_size=4096)


def test_12_compressed_message_at_the_limit() -> None:
    data = cframe(compressed(b"a" * 4096), BINARY, rsv1=True)
    messages, sent = server_receives(data, deflate=DeflateParams(), max_msg_size=4096)
    assert messages == [WSMessage(WSMsgType.BINARY, b"a" * 4096, "")] and sent is None


def test_12_rsv1_on_a_continuation_frame() -> None:
    data = cframe(compressed(b"ab")[:1], TEXT, fin=False, rsv1=True)
    data += cframe(compressed(b"ab")[1:], CONT, rsv1=True)
    assert_fails(data, 1002, deflate=DeflateParams())


def test_12_rsv1_on_a_control_frame() -> None:
    assert_fails(cframe(b"", PING, rsv1=True), 1002, deflate=DeflateParams())


def test_12_corrupt_compressed_data() -> None:
    assert_fails(cframe(b"\xff\xff\xff\xff", BINARY, rsv1=True), 1002, deflate=DeflateParams())


def test_12_invalid_utf8_after_decompression() -> None:
    data = cframe(compressed(b"ok \xed\xa0\x80"), TEXT, rsv1=True)
    assert_fails(data, 1007, deflate=DeflateParams())


def test_12_uncompressed_message_with_deflate_on() -> None:
    messages, _ = server_receives(cframe(b"plain", TEXT), deflate=DeflateParams())
    assert messages == [WSMessage(WSMsgType.TEXT, "plain", "")]


@pytest.mark.parametrize("bits", [9, 10, 12, 15])
@pytest.mark.parametrize("takeover", [True, False])
def test_13_window_bits_and_context_takeover(bits: int, takeover: bool) -> None:
    params = DeflateParams(not takeover, not takeover, bits, bits)
    writer = WebSocketWriter(Role.CLIENT, deflate=params)
    text = "The quick brown fox jumps over the lazy dog. " * 40
    data = b"".join(writer.send_text(text) for _ in range(5))
    messages, sent = server_receives(data, deflate=params)
    assert messages == [WSMessage(WSMsgType.TEXT, text, "")] * 5 and sent is None
    # with context takeover a repeated message costs less than a fresh one
    fresh = len(WebSocketWriter(Role.CLIENT, deflate=params).send_text(text))
    assert (len(writer.send_text(text)) < fresh) is takeover


# -- the shared corpus of bad input (fixtures/ws/bad_frames.json) ----------------------

BAD = json.loads((FIXTURES / "bad_frames.json").read_text())["cases"]


@pytest.mark.parametrize("case", BAD, ids=[c["id"] for c in BAD])
def test_bad_frames_corpus(case: dict[str, object]) -> None:
    data = bytes.fromhex(case["hex"])  # type: ignore[arg-type]
    deflate = DeflateParams() if case["deflate"] else None
    role = Role(case["reader"])
    for chunk in (len(data), 1):
        reader = WebSocketReader(role, deflate=deflate, max_msg_size=case["max_msg_size"])  # type: ignore[arg-type]
        with pytest.raises(WebSocketError) as info:
            for i in range(0, len(data), chunk):
                reader.feed_data(data[i : i + chunk])
        assert info.value.code == case["close_code"], info.value


@pytest.mark.parametrize("deflate", [None, DeflateParams()], ids=["plain", "deflate"])
def test_9_large_messages_streamed_in_socket_sized_chunks(deflate: DeflateParams | None) -> None:
    text = "κόσμε ☃ " * (1 << 18)  # 3.5 MiB of UTF-8, split inside characters below
    binary = bytes(range(256)) * (1 << 15)  # 8 MiB
    writer = WebSocketWriter(Role.CLIENT, deflate=deflate, max_fragment_size=3 << 20)
    wire = writer.send_text(text) + writer.send_bytes(binary)
    reader = WebSocketReader(Role.SERVER, deflate=deflate, max_msg_size=0)
    got: list[WSMessage] = []
    for i in range(0, len(wire), 65537):
        got += reader.feed_data(wire[i : i + 65537])
    assert [m.type for m in got] == [WSMsgType.TEXT, WSMsgType.BINARY]
    assert got[0].data == text
    assert got[1].data == binary
