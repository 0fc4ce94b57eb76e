"""The reader's invariant: any bytes give messages or a WebSocketError, nothing else."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from toolkit.http.ws import (
    DeflateParams,
    Role,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSConnection,
    WSMsgType,
    is_valid_close_code,
)

ROLES = st.sampled_from([Role.CLIENT, Role.SERVER])
DEFLATE = st.sampled_from([None, DeflateParams(), DeflateParams(True, True, 9, 9)])


def check_stream(reader: WebSocketReader, chunks: list[bytes]) -> None:
    try:
        for chunk in chunks:
            for msg in reader.feed_data(chunk):
                assert msg.type in {
                    WSMsgType.TEXT,
                    WSMsgType.BINARY,
                    WSMsgType.PING,
                    WSMsgType.PONG,
                    WSMsgType.CLOSE,
                }
                if msg.type is WSMsgType.CLOSE:
                    assert msg.data == 0 or is_valid_close_code(msg.data)
    except WebSocketError as exc:
        assert exc.code in (1002, 1007, 1009)
        # the reader stays failed with the same error
        try:
            reader.feed_data(b"\x81\x00")
        except WebSocketError as again:
            assert again is exc
        else:  # pragma: no cover - the assertion below reports it
            raise AssertionError("a failed reader accepted more data") from None


@settings(max_examples=300, deadline=None)
@given(role=ROLES, deflate=DEFLATE, chunks=st.lists(st.binary(max_size=64), max_size=10))
def test_random_bytes(role: Role, deflate: DeflateParams | None, chunks: list[bytes]) -> None:
    check_stream(WebSocketReader(role, deflate=deflate, max_msg_size=1000), chunks)


@settings(max_examples=200, deadline=None)
@given(
    role=ROLES,
    deflate=DEFLATE,
    texts=st.lists(st.text(max_size=40), min_size=1, max_size=4),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), max_size=3),
)
def test_mutated_valid_streams(
    role: Role, deflate: DeflateParams | None, texts: list[str], flips: list[tuple[int, int]]
) -> None:
    writer = WebSocketWriter(
        Role.SERVER if role is Role.CLIENT else Role.CLIENT, deflate=deflate, max_fragment_size=5
    )
    data = bytearray(b"".join(writer.send_text(t) for t in texts) + writer.ping(b"x"))
    for pos, bits in flips:
        data[pos % len(data)] ^= bits
    check_stream(WebSocketReader(role, deflate=deflate, max_msg_size=1000), [bytes(data)])


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_engine_never_raises(data: bytes) -> None:
    conn = WSConnection(Role.SERVER, max_msg_size=100)
    messages = conn.receive_data(data)
    assert all(m.type is not WSMsgType.ERROR for m in messages[:-1])
    conn.data_to_send()
