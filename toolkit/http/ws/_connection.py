"""A sans-IO WebSocket engine for either role: reader + writer + close handshake."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from ._deflate import DeflateParams
from ._models import Role, WebSocketError, WSCloseCode, WSMessage, WSMsgType
from ._reader import DEFAULT_MAX_MSG_SIZE, WebSocketReader
from ._writer import WebSocketWriter, random_bytes

__all__ = ["WSState", "WSStateError", "WSConnection"]


class WSState(Enum):
    """Where the close handshake stands (RFC 6455 §7)."""

    OPEN = "open"  # no close frame sent or received
    CLOSING = "closing"  # one side has sent its close frame
    CLOSED = "closed"  # both close frames exchanged, or the connection failed


_CLOSED = WSState.CLOSED


class WSStateError(RuntimeError):
    """Our own code tried something the connection state does not allow."""


def _reason_fits(message: str) -> str:
    """Cut a reason so that the close frame payload stays within 125 bytes."""
    data = message.encode("utf-8")[:123]
    return data.decode("utf-8", "ignore")


class WSConnection:
    """One WebSocket connection after the handshake, without I/O.

    Feed received bytes to :meth:`receive_data` and get messages back; every
    message is delivered, control messages included. Replies the protocol
    calls for (pong when ``autoping``, the close reply when ``autoclose``, the
    close frame after a protocol error) are queued: fetch them with
    :meth:`data_to_send` and write them out. The ``send_*`` methods return
    the bytes to write, preceded by anything still queued, so order is kept.

    A protocol error does not raise: the messages read before it are returned
    followed by ``WSMessage(WSMsgType.ERROR, exc, None)``, a close frame with
    the error's code is queued and the state becomes ``CLOSED``.
    """

    def __init__(
        self,
        role: Role,
        *,
        deflate: DeflateParams | None = None,
        max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
        autoping: bool = True,
        autoclose: bool = True,
        max_fragment_size: int | None = None,
        mask_key: Callable[[int], bytes] = random_bytes,
    ) -> None:
        self.role = role
        self.deflate = deflate
        self.autoping = autoping
        self.autoclose = autoclose
        self.reader = WebSocketReader(role, max_msg_size=max_msg_size, deflate=deflate)
        self.writer = WebSocketWriter(
            role, deflate=deflate, max_fragment_size=max_fragment_size, mask_key=mask_key
        )
        self._state = WSState.OPEN
        self._close_sent = False
        self._close_received = False
        self._close_code: int | None = None
        self._close_reason = ""
        self._exception: WebSocketError | None = None
        self._outgoing = bytearray()

    def __repr__(self) -> str:
        return f"<WSConnection {self.role.value} {self._state.value}>"

    # -- state ----------------------------------------------------------------

    @property
    def state(self) -> WSState:
        """``OPEN``, ``CLOSING`` or ``CLOSED``."""
        return self._state

    @property
    def close_sent(self) -> bool:
        """Whether our close frame has been produced."""
        return self._close_sent

    @property
    def close_received(self) -> bool:
        """Whether the peer's close frame has been read."""
        return self._close_received

    @property
    def close_code(self) -> int | None:
        """The peer's close code once received (0: none given), else the one we sent."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """The reason that came with :attr:`close_code`."""
        return self._close_reason

    def exception(self) -> WebSocketError | None:
        """The protocol error that failed the connection, if any."""
        return self._exception

    def _update_state(self) -> None:
        if self._close_sent and self._close_received:
            self._state = WSState.CLOSED
        elif self._close_sent or self._close_received:
            self._state = WSState.CLOSING

    # -- receiving ------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[WSMessage]:
        """Consume received bytes; returns the messages they complete."""
        if self._close_received or self._state is _CLOSED:
            return []
        messages: list[WSMessage] = []
        # WebSocketReader.feed_into(), inline: one call less per read
        ready = self.reader._ready
        pos = 0
        if ready is not None and type(data) is bytes:
            pos = ready(data, 0, messages)
            if pos == len(data):
                return messages
        return self.receive_rest(data, pos, messages)

    def receive_rest(
        self, data: bytes | bytearray | memoryview, pos: int, messages: list[WSMessage]
    ) -> list[WSMessage]:
        """:meth:`receive_data` of ``data[pos:]``, appending to ``messages``.

        For a caller that ran the reader's C scanner (``reader._ready``) over
        ``data[:pos]`` itself; returns ``messages``.
        """
        try:
            control = self.reader._feed(data, pos, messages)
        except WebSocketError as exc:
            self._react(messages)
            self._fail(exc)
            messages.append(WSMessage(WSMsgType.ERROR, exc, None))
            return messages
        if control:
            self._react(messages)
        return messages

    def receive_eof(self) -> None:
        """The transport closed: the connection is ``CLOSED`` from now on.

        Without a close frame from the peer this is an abnormal closure:
        :attr:`close_code` becomes 1006 (``ABNORMAL_CLOSURE``) and a message
        still being assembled is dropped.
        """
        if not self._close_received and self._exception is None:
            self._close_code, self._close_reason = WSCloseCode.ABNORMAL_CLOSURE, ""
        self._state = WSState.CLOSED

    @property
    def clean_close(self) -> bool:
        """Whether both close frames were exchanged and no error occurred."""
        return self._close_sent and self._close_received and self._exception is None

    def _react(self, messages: list[WSMessage]) -> None:
        for msg in messages:
            if msg.type is WSMsgType.PING:
                if self.autoping and not self._close_sent:
                    self._outgoing += self.writer.pong(msg.data)
            elif msg.type is WSMsgType.CLOSE:
                self._close_received = True
                if not self._close_sent:
                    self._close_code, self._close_reason = msg.data, msg.extra
                    if self.autoclose:
                        reply = self.writer.close(msg.data or None)
                        self._outgoing += reply
                        self._close_sent = True
                self._update_state()

    def _fail(self, exc: WebSocketError) -> None:
        self._exception = exc
        if not self._close_sent:
            self._outgoing += self.writer.close(exc.code, _reason_fits(exc.message))
            self._close_sent = True
        self._close_code, self._close_reason = exc.code, exc.message
        self._state = WSState.CLOSED

    def data_to_send(self) -> bytes:
        """Bytes queued by the engine itself (pongs, close replies); empties the queue."""
        if not self._outgoing:
            return b""
        out = bytes(self._outgoing)
        self._outgoing.clear()
        return out

    # -- sending --------------------------------------------------------------

    def _flush(self, frame: bytes) -> bytes:
        if not self._outgoing:
            return frame
        out = bytes(self._outgoing) + frame
        self._outgoing.clear()
        return out

    def _check_can_send(self, what: str) -> None:
        if self._close_sent:
            raise WSStateError(
                f"cannot send {what}: the {self.role.value} already sent its close frame "
                f"(state {self._state.name})"
            )

    def send_frame(
        self,
        payload: bytes | bytearray | memoryview,
        opcode: int = WSMsgType.BINARY,
        compress: int | None = None,
    ) -> bytes:
        """Encode a message or control frame (see :meth:`WebSocketWriter.send_frame`)."""
        if opcode == WSMsgType.CLOSE:
            raise WSStateError("use close() to send a close frame")
        self._check_can_send(f"a frame with opcode {opcode:#x}")
        return self._flush(self.writer.send_frame(payload, opcode, compress))

    def send_str(self, data: str, compress: int | None = None) -> bytes:
        """Encode a text message."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        if self._close_sent:
            self._check_can_send("a text message")
        if compress is None and not self._outgoing:
            encode = self.writer.plain_encode
            if encode is not None:
                return encode(0x81, data)
        frame = self.writer.send_text(data, compress)
        return self._flush(frame) if self._outgoing else frame

    def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | None = None
    ) -> bytes:
        """Encode a binary message."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        if self._close_sent:
            self._check_can_send("a binary message")
        if compress is None and not self._outgoing:
            encode = self.writer.plain_encode
            if encode is not None:
                return encode(0x82, data)
        frame = self.writer.send_bytes(data, compress)
        return self._flush(frame) if self._outgoing else frame

    def ping(self, message: str | bytes = b"") -> bytes:
        """Encode a ping."""
        self._check_can_send("a ping")
        return self._flush(self.writer.ping(message))

    def pong(self, message: str | bytes = b"") -> bytes:
        """Encode a pong."""
        self._check_can_send("a pong")
        return self._flush(self.writer.pong(message))

    def close(self, code: int | None = WSCloseCode.OK, message: str | bytes = b"") -> bytes:
        """Start (or answer) the close handshake; later calls return ``b""``.

        ``code=None`` sends a close frame without a code.
        """
        if self._close_sent:
            return self.data_to_send()
        frame = self.writer.close(code, message)
        self._close_sent = True
        if not self._close_received:
            reason = message.decode("utf-8") if isinstance(message, bytes) else message
            self._close_code, self._close_reason = code, reason
        self._update_state()
        return self._flush(frame)
