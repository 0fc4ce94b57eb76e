"""The frame reader: wire bytes in, whole WebSocket messages out (RFC 6455 §5)."""

from __future__ import annotations

import zlib

from ._deflate import DeflateDecompressor, DeflateParams
from ._framing import scanner_for
from ._mask import websocket_mask, websocket_mask_chunks
from ._models import (
    MAX_CONTROL_PAYLOAD,
    Role,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    is_valid_close_code,
)
from ._utf8 import Utf8Decoder

__all__ = ["WebSocketReader", "DEFAULT_MAX_MSG_SIZE"]

#: aiohttp's default bound on an assembled message: 4 MiB.
DEFAULT_MAX_MSG_SIZE = 4 * 1024 * 1024

_CONTINUATION, _TEXT, _BINARY = 0x0, 0x1, 0x2
_CLOSE, _PING, _PONG = 0x8, 0x9, 0xA
_KNOWN_OPCODES = frozenset({_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG})
_PROTOCOL_ERROR = WSCloseCode.PROTOCOL_ERROR
_TEXT_TYPE, _BINARY_TYPE = WSMsgType.TEXT, WSMsgType.BINARY
# A message is a NamedTuple; building it through tuple.__new__ skips a Python frame.
_new_message = tuple.__new__
# Above this size a payload is unmasked from a view instead of a sliced copy.
_VIEW_AT = 4096


def _protocol_error(message: str) -> WebSocketError:
    return WebSocketError(_PROTOCOL_ERROR, message)


def _invalid_text(exc: UnicodeDecodeError) -> WebSocketError:
    reason = f"invalid UTF-8 in a text message: {exc.reason}"
    return WebSocketError(WSCloseCode.INVALID_TEXT, reason)


class WebSocketReader:
    """Parse frames for one role and reassemble them into :class:`WSMessage`.

    ``role`` is the side this reader belongs to: a server requires masked
    frames, a client refuses them. ``deflate`` holds the negotiated
    permessage-deflate parameters, or ``None`` when the extension is off (then
    RSV1 is a protocol error like RSV2 and RSV3). ``max_msg_size`` bounds the
    assembled, decompressed message (0: no bound).

    Control frames are delivered as soon as they are complete, also in the
    middle of a fragmented message. Data frames are unmasked, inflated and
    UTF-8 checked as their bytes arrive, so a bad message fails early. Any
    violation raises :class:`WebSocketError` carrying the close code to send;
    the reader then stays failed. Bytes after a close frame are ignored.
    """

    def __init__(
        self,
        role: Role,
        *,
        max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
        deflate: DeflateParams | None = None,
    ) -> None:
        if max_msg_size < 0:
            raise ValueError(f"max_msg_size must be >= 0, got {max_msg_size}")
        self.role = role
        self._max_msg_size = max_msg_size
        self._is_server = role is Role.SERVER
        self._mask_bit = 0x80 if self._is_server else 0
        self._inflater: DeflateDecompressor | None = (
            deflate.decompressor(role is Role.CLIENT) if deflate is not None else None
        )
        self._buf = bytearray()
        self._error: WebSocketError | None = None
        self._close_received = False
        # the frame being read
        self._in_frame = False
        self._fin = False
        self._opcode = 0
        self._mask: bytes | None = None
        self._remaining = 0
        self._offset = 0
        # the pieces of a binary frame's (still masked) payload, when it spans reads
        self._raw: list[bytes | memoryview] | None = None
        self._control = bytearray()
        # the data message being assembled
        self._msg_opcode = 0  # 0: no message in progress
        self._msg_compressed = False
        self._msg_size = 0
        self._parts: list[bytes] = []
        self._text_parts: list[str] = []
        self._utf8: Utf8Decoder | None = None
        self._got_control = False  # a control message was read by this feed
        # the C reader of whole simple messages (None: pure Python); ``_ready``
        # is it too while no frame or message is in progress, else None
        self._scan = scanner_for(WSMessage, _TEXT_TYPE, _BINARY_TYPE, self._is_server, max_msg_size)
        self._ready = self._scan

    @property
    def max_msg_size(self) -> int:
        """The bound on an assembled, decompressed message (0: no bound)."""
        return self._max_msg_size

    @max_msg_size.setter
    def max_msg_size(self, value: int) -> None:
        if value < 0:
            raise ValueError(f"max_msg_size must be >= 0, got {value}")
        self._max_msg_size = value
        if self._scan is not None:
            idle = self._ready is not None
            self._scan = scanner_for(WSMessage, _TEXT_TYPE, _BINARY_TYPE, self._is_server, value)
            self._ready = self._scan if idle else None

    @property
    def close_received(self) -> bool:
        """Whether a close frame has been read (later bytes are ignored)."""
        return self._close_received

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[WSMessage]:
        """Consume ``data`` and return the messages it completes."""
        out: list[WSMessage] = []
        self.feed_into(data, out)
        return out

    def feed_into(self, data: bytes | bytearray | memoryview, out: list[WSMessage]) -> bool:
        """Like :meth:`feed_data` but append to ``out``; True if a control message was.

        Messages completed before an error stay in ``out`` when the error is
        raised.
        """
        ready = self._ready
        if ready is not None and type(data) is bytes:
            # between messages with nothing buffered: C reads every whole simple
            # message; the state machine below takes over where it stops
            pos = ready(data, 0, out)
            if pos == len(data):
                return False
            return self._feed(data, pos, out)
        return self._feed(data, 0, out)

    def _feed(self, data: bytes | bytearray | memoryview, pos: int, out: list[WSMessage]) -> bool:
        if self._error is not None:
            raise self._error
        if self._close_received:
            return False
        self._got_control = False
        buf = self._buf
        if buf:  # the start of a frame header was left over (then pos is 0)
            buf += data
            data = bytes(buf)
            buf.clear()
        elif type(data) is not bytes:
            data = bytes(data)
        # The parser reads straight from the received bytes; only an incomplete
        # header (at most 13 bytes) is kept in ``_buf`` for the next call.
        end = len(data)
        scan = self._scan
        try:
            while not self._close_received:
                if self._in_frame:
                    if pos >= end and self._remaining:
                        break
                    pos = self._payload(data, pos, end, out)
                elif end - pos < 2:
                    break
                else:
                    if scan is not None and not self._msg_opcode:
                        pos = scan(data, pos, out)  # C, as in feed_into()
                        if end - pos < 2:
                            break
                    new_pos = self._read_frame(data, pos, end, out)
                    if new_pos < 0:
                        break
                    pos = new_pos
        except WebSocketError as exc:
            self._error = exc
            self._ready = None
            raise
        if pos < end and not self._close_received:
            buf += memoryview(data)[pos:]
        idle = not (buf or self._in_frame or self._msg_opcode or self._close_received)
        self._ready = scan if idle else None
        return self._got_control

    # -- frames -------------------------------------------------------------

    def _payload(self, data: bytes, pos: int, end: int, out: list[WSMessage]) -> int:
        """Take the next piece of the current frame's payload; returns the new position."""
        n = min(end - pos, self._remaining)
        mask = self._mask
        if self._raw is not None:
            # binary, uncompressed: keep the pieces as they are, unmask once at the end
            if n:
                self._raw.append(data if n == len(data) else memoryview(data)[pos : pos + n])
        elif n:
            chunk = data[pos : pos + n]
            if mask is not None:
                chunk = websocket_mask(mask, chunk, self._offset)
            self._offset += n
            if self._opcode >= _CLOSE:
                self._control += chunk
            else:
                self._data(chunk)
        self._remaining -= n
        if not self._remaining:
            self._in_frame = False
            raw = self._raw
            if raw is not None:
                self._raw = None
                if mask is not None:
                    # one allocation for the message: a second big one can cost
                    # more (fresh pages) than the copy itself
                    payload = websocket_mask_chunks(mask, raw)
                elif len(raw) == 1:
                    payload = bytes(raw[0])  # no copy when it is bytes already
                else:
                    payload = b"".join(raw)
                self._data(payload)
            self._end_frame(out)
        return pos + n

    def _read_frame(self, data: bytes, pos: int, end: int, out: list[WSMessage]) -> int:
        """Read the header at ``pos``; returns the position after it, -1 if incomplete.

        A whole unfragmented message or a whole control frame already in the
        buffer is delivered at once, skipping the streaming path.
        """
        b0 = data[pos]
        b1 = data[pos + 1]
        length = b1 & 0x7F
        if (b0 == 0x81 or b0 == 0x82) and (b1 & 0x80) == self._mask_bit and not self._msg_opcode:
            # the common case: a final TEXT/BINARY frame, masked as the role requires
            if length < 126:
                start = pos + 6 if b1 & 0x80 else pos + 2
                stop = start + length
                if stop <= end:  # a whole small message: deliver it right here
                    if b1 & 0x80:
                        payload = websocket_mask(data[pos + 2 : start], data[start:stop])
                    else:
                        payload = data[start:stop]
                    if self._max_msg_size and length > self._max_msg_size:
                        self._msg_size = 0
                        self._check_size(length)
                    if b0 == 0x82:
                        out.append(_new_message(WSMessage, (_BINARY_TYPE, payload, "")))
                        return stop
                    try:
                        text = payload.decode()  # UTF-8; the fastest spelling of the call
                    except UnicodeDecodeError as exc:
                        raise _invalid_text(exc) from exc
                    out.append(_new_message(WSMessage, (_TEXT_TYPE, text, "")))
                    return stop
            opcode = b0 & 0x0F
        else:
            opcode = b0 & 0x0F
            self._check_header(b0 & 0x80, b0 & 0x40, b0 & 0x30, opcode, b1 & 0x80, length)
        hend = pos + (2 if length < 126 else 4 if length == 126 else 10)
        masked = b1 & 0x80
        if masked:
            hend += 4
        if hend > end:
            return -1
        if length == 126:
            length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        elif length == 127:
            length = int.from_bytes(data[pos + 2 : pos + 10], "big")
            if length >> 63:
                raise _protocol_error("the most significant bit of a 64-bit frame length is set")
        mask = data[hend - 4 : hend] if masked else None
        if end - hend >= length and (opcode >= _CLOSE or (b0 & 0x80 and opcode)):
            stop = hend + length
            if mask is None:
                payload = data[hend:stop]
            elif length > _VIEW_AT:
                payload = websocket_mask(mask, memoryview(data)[hend:stop])
            else:
                payload = websocket_mask(mask, data[hend:stop])
            if opcode >= _CLOSE:
                out.append(self._control_message(opcode, payload))
            elif b0 & 0x40:
                self._msg_size = 0
                payload = self._inflate(payload, False) + self._inflate(b"", True)
                out.append(self._whole_message(opcode, payload))
            else:
                if self._max_msg_size and length > self._max_msg_size:
                    self._msg_size = 0
                    self._check_size(length)
                out.append(self._whole_message(opcode, payload))
            return stop
        if opcode < _CLOSE:
            self._start_data_frame(bool(b0 & 0x40), opcode, length)
            if not self._msg_compressed and self._utf8 is None:
                self._raw = []
        else:
            self._control.clear()
        self._mask = mask
        self._in_frame = True
        self._fin = bool(b0 & 0x80)
        self._opcode = opcode
        self._remaining = length
        self._offset = 0
        return hend

    def _whole_message(self, opcode: int, payload: bytes) -> WSMessage:
        if opcode == _BINARY:
            return _new_message(WSMessage, (_BINARY_TYPE, payload, ""))
        try:
            text = payload.decode()
        except UnicodeDecodeError as exc:
            raise _invalid_text(exc) from exc
        return _new_message(WSMessage, (_TEXT_TYPE, text, ""))

    def _check_header(
        self, fin: int, rsv1: int, rsv23: int, opcode: int, masked: int, length: int
    ) -> None:
        if opcode not in _KNOWN_OPCODES:
            raise _protocol_error(f"unknown opcode {opcode:#x}")
        if rsv23:
            raise _protocol_error(f"reserved bits RSV2/RSV3 set ({rsv23 >> 4:#04b}) in a frame")
        if rsv1 and (self._inflater is None or opcode not in (_TEXT, _BINARY)):
            if self._inflater is None:
                raise _protocol_error("RSV1 set without a negotiated extension")
            raise _protocol_error(f"RSV1 set on a frame with opcode {opcode:#x}")
        if opcode >= _CLOSE:
            if not fin:
                raise _protocol_error(f"fragmented control frame (opcode {opcode:#x})")
            if length > MAX_CONTROL_PAYLOAD:
                raise _protocol_error(
                    f"control frame payload longer than {MAX_CONTROL_PAYLOAD} bytes "
                    f"(opcode {opcode:#x})"
                )
        elif opcode == _CONTINUATION:
            if not self._msg_opcode:
                raise _protocol_error("continuation frame without a message to continue")
        elif self._msg_opcode:
            raise _protocol_error(
                f"new data frame (opcode {opcode:#x}) inside a fragmented message"
            )
        if self._is_server and not masked:
            raise _protocol_error("unmasked frame from a client")
        if not self._is_server and masked:
            raise _protocol_error("masked frame from a server")

    def _start_data_frame(self, rsv1: bool, opcode: int, length: int) -> None:
        if opcode != _CONTINUATION:
            self._msg_opcode = opcode
            self._msg_compressed = rsv1
            self._msg_size = 0
            self._utf8 = Utf8Decoder() if opcode == _TEXT else None
        if not self._msg_compressed:
            self._check_size(length)

    def _check_size(self, length: int) -> None:
        if self._max_msg_size and self._msg_size + length > self._max_msg_size:
            raise WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"message size {self._msg_size + length} exceeds the limit "
                f"of {self._max_msg_size} bytes",
            )

    # -- message assembly ---------------------------------------------------

    def _data(self, chunk: bytes) -> None:
        if self._msg_compressed:
            chunk = self._inflate(chunk, final=False)
        else:
            self._msg_size += len(chunk)
        self._append(chunk, final=False)

    def _inflate(self, chunk: bytes, final: bool) -> bytes:
        assert self._inflater is not None
        limit = self._max_msg_size - self._msg_size if self._max_msg_size else None
        try:
            if final:
                out, exceeded = self._inflater.finish(limit)
            else:
                out, exceeded = self._inflater.decompress(chunk, limit)
        except zlib.error as exc:
            raise _protocol_error(f"invalid compressed data: {exc}") from exc
        if exceeded:
            raise WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"decompressed message exceeds the limit of {self._max_msg_size} bytes",
            )
        self._msg_size += len(out)
        return out

    def _append(self, chunk: bytes, final: bool) -> None:
        if self._utf8 is None:
            if chunk:
                self._parts.append(chunk)
            return
        try:
            text = self._utf8.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise _invalid_text(exc) from exc
        if text:
            self._text_parts.append(text)

    def _end_frame(self, out: list[WSMessage]) -> None:
        opcode = self._opcode
        if opcode >= _CLOSE:
            out.append(self._control_message(opcode, bytes(self._control)))
            return
        if not self._fin:
            return
        if self._msg_compressed:
            self._append(self._inflate(b"", final=True), final=True)
        elif self._utf8 is not None:
            self._append(b"", final=True)
        if self._msg_opcode == _TEXT:
            out.append(WSMessage(WSMsgType.TEXT, "".join(self._text_parts), ""))
            self._text_parts = []
        else:
            parts = self._parts
            data = parts[0] if len(parts) == 1 else b"".join(parts)
            out.append(WSMessage(WSMsgType.BINARY, data, ""))
            self._parts = []
        self._msg_opcode = 0
        self._utf8 = None

    def _control_message(self, opcode: int, payload: bytes) -> WSMessage:
        self._got_control = True
        if opcode == _PING:
            return WSMessage(WSMsgType.PING, payload, "")
        if opcode == _PONG:
            return WSMessage(WSMsgType.PONG, payload, "")
        self._close_received = True
        self._buf.clear()
        if not payload:
            return WSMessage(WSMsgType.CLOSE, 0, "")
        if len(payload) == 1:
            raise _protocol_error("close frame payload of 1 byte (a code needs 2)")
        code = int.from_bytes(payload[:2], "big")
        if not is_valid_close_code(code):
            raise _protocol_error(f"invalid close code {code} in a close frame")
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebSocketError(
                WSCloseCode.INVALID_TEXT, f"invalid UTF-8 in a close reason: {exc.reason}"
            ) from exc
        return WSMessage(WSMsgType.CLOSE, code, reason)
