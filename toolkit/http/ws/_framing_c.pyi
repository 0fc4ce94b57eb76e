# The C accelerator (_framing_c.c); _framing.py explains it, _reader.py and
# _writer.py hold the pure-Python equivalents.

from typing import Any

_Buffer = bytes | bytearray | memoryview

class MessageScanner:
    masked: bool
    max_size: int
    def __init__(
        self,
        message_type: type,
        text_type: object,
        binary_type: object,
        masked: bool,
        max_size: int,
    ) -> None: ...
    def scan(self, data: bytes, pos: int, out: list[Any], /) -> int: ...

def encode(b0: int, payload: str | _Buffer, key: _Buffer | None = None, /) -> bytes: ...
def encode_masked(b0: int, payload: str | _Buffer, /) -> bytes: ...
def reset_keys() -> None: ...
