"""The C frame reader and builder (``_framing_c``) against the pure-Python code."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.http.ws import (
    Role,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSConnection,
    WSMessage,
    WSMsgType,
    _framing,
    build_frame,
)
from toolkit.http.ws._mask import py_websocket_mask

try:
    from toolkit.http.ws import _framing_c
except ImportError:  # not compiled: only the pure-Python path exists
    _framing_c = None  # type: ignore[assignment]

needs_c = pytest.mark.skipif(
    not _framing.ACCELERATED, reason="the C framing accelerator is not in use"
)
TEXT, BINARY = WSMsgType.TEXT, WSMsgType.BINARY
KEY = b"\x11\x22\x33\x44"


def raw_frame(b0: int, payload: bytes, key: bytes | None, form: int = 0) -> bytes:
    """A frame with any first byte; ``form`` forces a 16-bit (2) or 64-bit (8) length."""
    n = len(payload)
    bit = 0x80 if key is not None else 0
    if form == 8 or n >= 1 << 16:
        head = bytes((b0, bit | 127)) + n.to_bytes(8, "big")
    elif form == 2 or n >= 126:
        head = bytes((b0, bit | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((b0, bit | n))
    if key is None:
        return head + payload
    return head + key + py_websocket_mask(key, payload)


def ref_scan(data: bytes, pos: int, out: list[WSMessage], masked: bool, max_size: int) -> int:
    """What ``MessageScanner.scan`` must do, written plainly."""
    end = len(data)
    while end - pos >= 2:
        b0, b1 = data[pos], data[pos + 1]
        if b0 not in (0x81, 0x82) or bool(b1 & 0x80) != masked:
            break
        n = b1 & 0x7F
        head = 4 if n == 126 else 10 if n == 127 else 2
        head += 4 if masked else 0
        if end - pos < head:
            break
        if n == 126:
            n = int.from_bytes(data[pos + 2 : pos + 4], "big")
        elif n == 127:
            n = int.from_bytes(data[pos + 2 : pos + 10], "big")
            if n >> 63:
                break
        if n > end - pos - head or (max_size and n > max_size):
            break
        payload = data[pos + head : pos + head + n]
        if masked:
            payload = py_websocket_mask(data[pos + head - 4 : pos + head], payload)
        if b0 == 0x81:
            try:
                out.append(WSMessage(TEXT, payload.decode("utf-8"), ""))
            except UnicodeDecodeError:
                break
        else:
            out.append(WSMessage(BINARY, payload, ""))
        pos += head + n
    return pos


payloads = st.one_of(
    st.binary(max_size=140),
    st.text(max_size=60).map(lambda t: t.encode("utf-8")),
    st.sampled_from([b"\xff", b"ok\xc3", b"\xed\xa0\x80", b"x" * 600, "é".encode() * 300]),
)
frames = st.tuples(
    st.sampled_from([0x81, 0x82, 0x01, 0x02, 0x80, 0xC1, 0xA2, 0x91, 0x83, 0x89, 0x8A, 0x88]),
    payloads,
    st.booleans(),  # masked
    st.sampled_from([0, 0, 2, 8]),  # length form
)


def wire_of(parts: list[tuple[int, bytes, bool, int]]) -> bytes:
    out = b""
    for b0, payload, masked, form in parts:
        if b0 == 0x88:
            payload = b"\x03\xe8" + payload[:20]  # a close frame with a valid code
        elif b0 in (0x89, 0x8A):
            payload = payload[:125]
        out += raw_frame(b0, payload, KEY if masked else None, form)
    return out


@needs_c
@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(frames, max_size=6),
    masked=st.booleans(),
    max_size=st.sampled_from([0, 5, 200]),
    cut=st.integers(0, 40),
    start=st.integers(0, 3),
)
def test_scan_matches_the_reference(
    parts: list[tuple[int, bytes, bool, int]], masked: bool, max_size: int, cut: int, start: int
) -> None:
    wire = wire_of(parts)
    wire = wire[: max(len(wire) - cut, 0)]
    start = min(start, len(wire))
    scanner = _framing_c.MessageScanner(WSMessage, TEXT, BINARY, masked, max_size)
    got: list[WSMessage] = []
    expected: list[WSMessage] = []
    assert scanner.scan(wire, start, got) == ref_scan(wire, start, expected, masked, max_size)
    assert got == expected
    assert all(type(m) is WSMessage and type(m.data) in (str, bytes) for m in got)


@needs_c
def test_scan_big_and_long_forms() -> None:
    big = os.urandom(70_000)
    wire = raw_frame(0x82, big, KEY) + raw_frame(0x81, b"hi", KEY, form=8) + b"\x81"
    out: list[WSMessage] = []
    scanner = _framing_c.MessageScanner(WSMessage, TEXT, BINARY, True, 0)
    assert scanner.scan(wire, 0, out) == len(wire) - 1
    assert out == [WSMessage(BINARY, big, ""), WSMessage(TEXT, "hi", "")]
    # the most significant bit of a 64-bit length is left to the reader (protocol error)
    plain = _framing_c.MessageScanner(WSMessage, TEXT, BINARY, False, 0)
    bad = b"\x82\x7f" + (1 << 63).to_bytes(8, "big") + b"rest"
    assert plain.scan(b"\x82\x7f" + bytes(8), 0, out) == 10  # an empty, 64-bit form frame
    assert plain.scan(bad, 0, out) == 0


@needs_c
def test_scanner_arguments_checked() -> None:
    scanner = _framing_c.MessageScanner(WSMessage, TEXT, BINARY, False, 0)
    assert scanner.masked is False and scanner.max_size == 0
    with pytest.raises(TypeError, match="needs bytes, got bytearray"):
        scanner.scan(bytearray(b"\x81\x00"), 0, [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="appends to a list"):
        scanner.scan(b"\x81\x00", 0, ())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"pos must be within the data \(0..2\), got 3"):
        scanner.scan(b"\x81\x00", 3, [])
    with pytest.raises(TypeError, match="takes 3 positional arguments"):
        scanner.scan(b"")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="max_size must be >= 0, got -1"):
        _framing_c.MessageScanner(WSMessage, TEXT, BINARY, False, -1)
    with pytest.raises(TypeError, match="tuple subclass"):
        _framing_c.MessageScanner(dict, TEXT, BINARY, False, 0)


def pure(reader: WebSocketReader) -> WebSocketReader:
    """The same reader without the C scanner."""
    reader._scan = reader._ready = None
    return reader


def run(reader: WebSocketReader, pieces: list[bytes]) -> list[Any]:
    """Per piece: the messages, or the error (code, text) that ended the feed."""
    log: list[Any] = []
    for piece in pieces:
        out: list[WSMessage] = []
        try:
            reader.feed_into(piece, out)
        except WebSocketError as exc:
            log.append((out, exc.code, exc.message))
        else:
            log.append(out)
    return log


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(frames, max_size=7),
    role=st.sampled_from([Role.CLIENT, Role.SERVER]),
    max_size=st.sampled_from([0, 5, 300]),
    cuts=st.lists(st.integers(1, 30), max_size=6),
)
def test_reader_gives_the_same_with_and_without_c(
    parts: list[tuple[int, bytes, bool, int]], role: Role, max_size: int, cuts: list[int]
) -> None:
    wire = wire_of(parts)
    pieces, pos = [], 0
    for size in cuts:
        pieces.append(wire[pos : pos + size])
        pos += size
    pieces.append(wire[pos:])
    fast = run(WebSocketReader(role, max_msg_size=max_size), pieces)
    slow = run(pure(WebSocketReader(role, max_msg_size=max_size)), pieces)
    assert fast == slow


@pytest.mark.parametrize(
    ("wire", "code", "text"),
    [
        (raw_frame(0x81, b"\xff", KEY), 1007, "invalid UTF-8"),
        (raw_frame(0x82, b"x" * 20, KEY), 1009, "message size 20 exceeds the limit of 10"),
        (raw_frame(0x82, b"abc", None), 1002, "unmasked frame from a client"),
        (raw_frame(0xC2, b"abc", KEY), 1002, "RSV1 set without a negotiated extension"),
        (raw_frame(0x89, b"x" * 126, KEY), 1002, "control frame payload longer than 125"),
        (raw_frame(0x09, b"", KEY), 1002, "fragmented control frame"),
        (raw_frame(0x83, b"", KEY), 1002, "unknown opcode 0x3"),
    ],
)
def test_protocol_checks_stay_after_good_messages(wire: bytes, code: int, text: str) -> None:
    good = raw_frame(0x81, b"first", KEY) + raw_frame(0x82, b"second", KEY)
    reader = WebSocketReader(Role.SERVER, max_msg_size=10)
    out: list[WSMessage] = []
    with pytest.raises(WebSocketError) as info:
        reader.feed_into(good + wire, out)
    assert (info.value.code, text in info.value.message) == (code, True)
    assert out == [WSMessage(TEXT, "first", ""), WSMessage(BINARY, b"second", "")]
    with pytest.raises(WebSocketError):  # the reader stays failed
        reader.feed_into(good, [])


def test_max_msg_size_can_change_later() -> None:
    reader = WebSocketReader(Role.SERVER, max_msg_size=0)
    assert reader.feed_data(raw_frame(0x82, b"x" * 50, KEY))[0].data == b"x" * 50
    reader.max_msg_size = 10
    assert reader.max_msg_size == 10
    with pytest.raises(WebSocketError, match="exceeds the limit of 10"):
        reader.feed_data(raw_frame(0x82, b"x" * 50, KEY))
    with pytest.raises(ValueError, match="max_msg_size must be >= 0"):
        reader.max_msg_size = -1


def test_connection_answers_control_frames_among_data() -> None:
    conn = WSConnection(Role.CLIENT)
    wire = raw_frame(0x81, b"a", None) + raw_frame(0x89, b"p", None) + raw_frame(0x82, b"b", None)
    msgs = conn.receive_data(wire)
    assert [m.type for m in msgs] == [TEXT, WSMsgType.PING, BINARY]
    pong = conn.data_to_send()
    assert pong[0] == 0x8A and pong[1] == 0x81  # a masked pong from the client
    assert py_websocket_mask(pong[2:6], pong[6:]) == b"p"


# -- building -----------------------------------------------------------------------


@needs_c
@settings(max_examples=150, deadline=None)
@given(
    payload=st.one_of(st.binary(max_size=300), st.text(max_size=100)),
    b0=st.integers(0, 255),
    key=st.one_of(st.none(), st.binary(min_size=4, max_size=4)),
    kind=st.sampled_from([bytes, bytearray, memoryview]),
)
def test_encode_matches_build_frame(
    payload: bytes | str, b0: int, key: bytes | None, kind: type
) -> None:
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    expected = build_frame(
        data,
        b0 & 0x0F,
        fin=bool(b0 & 0x80),
        rsv1=bool(b0 & 0x40),
        rsv2=bool(b0 & 0x20),
        rsv3=bool(b0 & 0x10),
        mask=key,
    )
    arg = payload if isinstance(payload, str) else kind(payload)
    assert _framing_c.encode(b0, arg, key) == bytes(expected)
    if key is None:
        assert _framing_c.encode(b0, arg) == bytes(expected)


@needs_c
@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70_001])
def test_encode_length_forms(size: int) -> None:
    data = os.urandom(size)
    assert _framing_c.encode(0x82, data, KEY) == bytes(build_frame(data, 2, mask=KEY))
    assert _framing_c.encode(0x82, data) == bytes(build_frame(data, 2))


@needs_c
def test_encode_errors() -> None:
    with pytest.raises(ValueError, match="4 bytes long, got 3"):
        _framing_c.encode(0x81, b"x", b"abc")
    with pytest.raises(ValueError, match=r"0\.\.255, got 256"):
        _framing_c.encode(256, b"x")
    with pytest.raises(UnicodeEncodeError):
        _framing_c.encode(0x81, "bad \ud800")
    with pytest.raises(TypeError):
        _framing_c.encode(0x82, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes 2 positional arguments"):
        _framing_c.encode_masked(0x81)  # type: ignore[call-arg]


@needs_c
def test_pooled_keys_are_fresh_and_survive_a_reset() -> None:
    reader = WebSocketReader(Role.SERVER, max_msg_size=0)
    keys = set()
    for i in range(1100):  # more than one pool of 1024 keys
        frame = _framing_c.encode_masked(0x81, f"msg {i}")
        keys.add(frame[2:6])
        assert reader.feed_data(frame) == [WSMessage(TEXT, f"msg {i}", "")]
        if i == 500:
            _framing_c.reset_keys()
    assert len(keys) > 1090


def test_text_with_surrogates_refused_on_both_paths() -> None:
    for writer in (WebSocketWriter(Role.CLIENT), WebSocketWriter(Role.SERVER)):
        with pytest.raises(UnicodeEncodeError):
            writer.send_text("bad \udc80")
        writer.plain_encode = None
        with pytest.raises(UnicodeEncodeError):
            writer.send_text("bad \udc80")


@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
@pytest.mark.parametrize("payload", ["", "hello", "héllo wörld" * 30, b"", b"\x00" * 70_000])
def test_writer_paths_agree(role: Role, payload: str | bytes) -> None:
    fast = WebSocketWriter(role)
    slow = WebSocketWriter(role, mask_key=lambda n: KEY)
    if _framing.ACCELERATED:  # an injected key keeps the client on the Python path
        assert (slow.plain_encode is None) is (role is Role.CLIENT)
    slow.plain_encode = None
    if isinstance(payload, str):
        a, b = fast.send_text(payload), slow.send_text(payload)
        data = payload.encode("utf-8")
    else:
        a, b = fast.send_bytes(payload), slow.send_bytes(payload)
        data = payload
    if role is Role.SERVER:
        assert a == b
    else:
        head = len(b) - len(data)
        assert b[head - 4 : head] == KEY
        assert len(a) == len(b) and a[: head - 4] == b[: head - 4]
    peer = Role.SERVER if role is Role.CLIENT else Role.CLIENT
    expected = [WSMessage(TEXT if isinstance(payload, str) else BINARY, payload, "")]
    assert WebSocketReader(peer, max_msg_size=0).feed_data(a) == expected
    assert WebSocketReader(peer, max_msg_size=0).feed_data(b) == expected


def test_fragmenting_and_compression_keep_the_python_path() -> None:
    writer = WebSocketWriter(Role.SERVER)
    assert writer.plain_encode is _framing.encode
    writer.max_fragment_size = 2
    assert writer.plain_encode is None
    assert writer.send_text("abcd") == b"\x01\x02ab\x80\x02cd"
    writer.max_fragment_size = None
    assert writer.plain_encode is _framing.encode
    assert writer.send_text("abcd") == b"\x81\x04abcd"


@pytest.mark.parametrize(("value", "accelerated"), [("1", False), ("0", True)])
def test_env_var_forces_the_pure_python_framing(value: str, accelerated: bool) -> None:
    if _framing_c is None and accelerated:
        pytest.skip("the C accelerator is not built")
    code = (
        "from toolkit.http.ws import _framing, WebSocketReader, WebSocketWriter, Role\n"
        "print(_framing.ACCELERATED, WebSocketReader(Role.SERVER)._scan is None,"
        " WebSocketWriter(Role.CLIENT).plain_encode is None)"
    )
    env = {**os.environ, "TOOLKIT_NO_EXTENSIONS": value}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(accelerated), str(not accelerated), str(not accelerated)]
