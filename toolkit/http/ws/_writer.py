"""The frame writer: messages in, wire bytes out (RFC 6455 §5, RFC 7692 §7.2)."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from . import _framing
from ._deflate import DeflateCompressor, DeflateParams
from ._mask import websocket_mask, websocket_mask_inplace
from ._models import MAX_CONTROL_PAYLOAD, Role, WSCloseCode, WSMsgType

__all__ = ["WebSocketWriter", "build_frame", "close_payload"]

_DATA_OPCODES = frozenset({WSMsgType.CONTINUATION, WSMsgType.TEXT, WSMsgType.BINARY})
_CONTROL_OPCODES = frozenset({WSMsgType.CLOSE, WSMsgType.PING, WSMsgType.PONG})
_HEAD7 = struct.Struct("!BB").pack
_HEAD16 = struct.Struct("!BBH").pack
_HEAD64 = struct.Struct("!BBQ").pack
Buffer = bytes | bytearray | memoryview
# From this payload size a masked frame is built in one bytearray, masked in place.
_INPLACE_AT = 1 << 16


class _KeyPool:
    """Masking keys cut from one ``os.urandom`` call per 1024 keys.

    The keys stay unpredictable (RFC 6455 §5.3); the pool only saves a system
    call per frame. A forked child starts with a fresh pool.
    """

    __slots__ = ("_data", "_pos")

    def __init__(self) -> None:
        self._data = b""
        self._pos = 0

    def reset(self) -> None:
        self._data = b""
        self._pos = 0

    def take(self, n: int) -> bytes:
        """``n`` random bytes."""
        pos = self._pos
        if pos + n > len(self._data):
            self._data = os.urandom(max(4096, n))
            pos = 0
        self._pos = pos + n
        return self._data[pos : pos + n]


_KEYS = _KeyPool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_KEYS.reset)

#: The default source of masking keys: ``random_bytes(4)``.
random_bytes = _KEYS.take


def _head(b0: int, mask_bit: int, n: int) -> bytes:
    if n < 126:
        return _HEAD7(b0, mask_bit | n)
    if n < 1 << 16:
        return _HEAD16(b0, mask_bit | 126, n)
    return _HEAD64(b0, mask_bit | 127, n)


def build_frame(
    payload: bytes | bytearray | memoryview,
    opcode: int,
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: bytes | None = None,
) -> bytes:
    """Encode one frame exactly as asked, valid or not (handy for tests).

    ``mask`` is the 4-byte masking key, or ``None`` for an unmasked frame.
    """
    if not 0 <= opcode <= 0xF:
        raise ValueError(f"an opcode is 4 bits, got {opcode!r}")
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0)
    b0 |= (0x10 if rsv3 else 0) | opcode
    n = len(payload)
    if mask is None:
        return _head(b0, 0, n) + payload
    if len(mask) != 4:
        raise ValueError(f"a WebSocket mask is 4 bytes long, got {len(mask)}")
    head = _head(b0, 0x80, n) + mask
    if n < _INPLACE_AT:
        return head + websocket_mask(mask, payload)
    # one copy of a big payload instead of two (mask, then concatenate)
    frame = bytearray().join((head, payload))
    websocket_mask_inplace(mask, memoryview(frame)[len(head) :])
    return frame  # type: ignore[return-value]


def close_payload(code: int | None = WSCloseCode.OK, message: str | bytes = b"") -> bytes:
    """The payload of a close frame: 2-byte code and UTF-8 reason, or empty."""
    if isinstance(message, str):
        reason = message.encode("utf-8")
    else:
        reason = bytes(message)
        try:
            reason.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"a close reason must be UTF-8: {exc}") from exc
    if code is None or code == 0:
        if reason:
            raise ValueError("a close reason needs a close code")
        return b""
    if not 0 < code < 1 << 16:
        raise ValueError(f"a close code is 2 bytes, got {code!r}")
    payload = code.to_bytes(2, "big") + reason
    if len(payload) > MAX_CONTROL_PAYLOAD:
        raise ValueError(
            f"close reason too long: {len(reason)} bytes, at most {MAX_CONTROL_PAYLOAD - 2}"
        )
    return payload


class WebSocketWriter:
    """Encode messages into frames for one role.

    A client masks every frame with a fresh key from ``mask_key(4)``
    (:data:`random_bytes`, backed by ``os.urandom``, unless injected).
    ``deflate`` holds the negotiated permessage-deflate parameters; data
    messages are then compressed unless ``compress=0`` is passed for one
    message. ``max_fragment_size`` splits data messages into frames with
    payloads of at most that many bytes (``None``: one frame per message).
    """

    def __init__(
        self,
        role: Role,
        *,
        deflate: DeflateParams | None = None,
        max_fragment_size: int | None = None,
        mask_key: Callable[[int], bytes] = random_bytes,
        compress_level: int = -1,
    ) -> None:
        self.role = role
        self._use_mask = role is Role.CLIENT
        self._mask_key = mask_key
        self.deflate = deflate
        self._level = compress_level
        self._compressor: DeflateCompressor | None = (
            deflate.compressor(role is Role.CLIENT, compress_level) if deflate else None
        )
        # C: ``encode(b0, payload)`` of a final, uncompressed frame (None: pure Python)
        self._c_encode: Callable[[int, str | Buffer], bytes] | None = None
        if _framing.encode is not None:
            if not self._use_mask:
                self._c_encode = _framing.encode
            elif mask_key is random_bytes:
                self._c_encode = _framing.encode_masked
        #: ``_c_encode`` while messages go out as one uncompressed frame, else None
        self.plain_encode: Callable[[int, str | Buffer], bytes] | None = None
        self.max_fragment_size = max_fragment_size

    @property
    def max_fragment_size(self) -> int | None:
        """The largest payload of one frame of a data message (None: no limit)."""
        return self._max_fragment_size

    @max_fragment_size.setter
    def max_fragment_size(self, value: int | None) -> None:
        if value is not None and value < 1:
            raise ValueError(f"max_fragment_size must be >= 1, got {value}")
        self._max_fragment_size = value
        plain = value is None and self._compressor is None
        self.plain_encode = self._c_encode if plain else None

    @property
    def compress(self) -> bool:
        """Whether data messages are compressed by default."""
        return self._compressor is not None

    def _frame(
        self, payload: bytes | bytearray | memoryview, opcode: int, fin: bool, rsv1: bool
    ) -> bytes:
        mask = self._mask_key(4) if self._use_mask else None
        return build_frame(payload, opcode, fin=fin, rsv1=rsv1, mask=mask)

    def send_frame(
        self,
        payload: bytes | bytearray | memoryview,
        opcode: int = WSMsgType.BINARY,
        compress: int | None = None,
    ) -> bytes:
        """Encode one message (or control frame) and return its bytes.

        ``compress`` is aiohttp's per-message switch: ``None`` follows the
        negotiated default, ``0`` sends this message uncompressed and 9-15
        compresses it with a fresh context and that window (capped at the
        negotiated one).
        """
        if opcode in _CONTROL_OPCODES:
            if len(payload) > MAX_CONTROL_PAYLOAD:
                raise ValueError(
                    f"control frame payload of {len(payload)} bytes, "
                    f"at most {MAX_CONTROL_PAYLOAD} allowed (opcode {opcode:#x})"
                )
            return self._frame(payload, opcode, True, False)
        if opcode not in _DATA_OPCODES or opcode == WSMsgType.CONTINUATION:
            raise ValueError(f"cannot send a message with opcode {opcode!r}")
        rsv1 = False
        if compress is None:
            if self._compressor is not None:
                payload, rsv1 = self._compressor.compress(payload), True
        elif compress:
            if self._compressor is None:
                raise ValueError("compress requested but permessage-deflate was not negotiated")
            # never exceed the window the peer agreed to decode for us
            bits = min(compress, self._compressor.window_bits)
            payload, rsv1 = DeflateCompressor(bits, True, self._level).compress(payload), True
        size = self._max_fragment_size
        if size is None or len(payload) <= size:
            return self._frame(payload, opcode, True, rsv1)
        view = memoryview(payload)
        last = len(view) - size
        frames = [self._frame(view[:size], opcode, False, rsv1)]
        pos = size
        while pos < last:
            frames.append(self._frame(view[pos : pos + size], WSMsgType.CONTINUATION, False, False))
            pos += size
        frames.append(self._frame(view[pos:], WSMsgType.CONTINUATION, True, False))
        return b"".join(frames)

    def _plain(self, payload: bytes | bytearray | memoryview, b0: int) -> bytes:
        """One final, uncompressed frame (the common case, without the checks)."""
        if not self._use_mask:
            return _head(b0, 0, len(payload)) + payload
        return build_frame(payload, b0 & 0x0F, mask=self._mask_key(4))

    def send_text(self, text: str, compress: int | None = None) -> bytes:
        """Encode a text message."""
        if compress is None:
            encode = self.plain_encode
            if encode is not None:
                return encode(0x81, text)
        if compress is None and self._compressor is None and self._max_fragment_size is None:
            payload = text.encode("utf-8")
            n = len(payload)
            if n < 126 and not self._use_mask:  # the server's short text message
                return _HEAD7(0x81, n) + payload
            return self._plain(payload, 0x81)
        return self.send_frame(text.encode("utf-8"), WSMsgType.TEXT, compress)

    def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | None = None
    ) -> bytes:
        """Encode a binary message."""
        if compress is None:
            encode = self.plain_encode
            if encode is not None:
                return encode(0x82, data)
            if self._compressor is None and self._max_fragment_size is None:
                return self._plain(data, 0x82)
        return self.send_frame(data, WSMsgType.BINARY, compress)

    def ping(self, message: str | bytes = b"") -> bytes:
        """Encode a ping (payload of at most 125 bytes)."""
        data = message.encode("utf-8") if isinstance(message, str) else message
        return self.send_frame(data, WSMsgType.PING)

    def pong(self, message: str | bytes = b"") -> bytes:
        """Encode a pong (payload of at most 125 bytes)."""
        data = message.encode("utf-8") if isinstance(message, str) else message
        return self.send_frame(data, WSMsgType.PONG)

    def close(self, code: int | None = WSCloseCode.OK, message: str | bytes = b"") -> bytes:
        """Encode a close frame; ``code=None`` sends one without a payload."""
        return self.send_frame(close_payload(code, message), WSMsgType.CLOSE)
