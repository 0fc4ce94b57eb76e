"""Incremental UTF-8 validation that fails on the first impossible byte."""

from __future__ import annotations

import codecs

__all__ = ["Utf8Decoder"]

_Decoder = codecs.getincrementaldecoder("utf-8")


class Utf8Decoder:
    """Decode UTF-8 piece by piece, raising as soon as a prefix cannot be valid.

    CPython's incremental decoder already rejects most bad prefixes at once; it
    waits for the third byte of an encoded surrogate (``ED A0..BF``), which is
    checked here so that a message is failed as early as possible.
    """

    __slots__ = ("_decoder",)

    def __init__(self) -> None:
        self._decoder = _Decoder("strict")

    def decode(self, data: bytes, final: bool = False) -> str:
        """Decode ``data``; raises ``UnicodeDecodeError`` on invalid input."""
        text = self._decoder.decode(data, final)
        if not final:
            pending = self._decoder.getstate()[0]
            if len(pending) >= 2 and pending[0] == 0xED and pending[1] >= 0xA0:
                raise UnicodeDecodeError(
                    "utf-8", bytes(pending), 0, 2, "encoded surrogate code point"
                )
        return text

    def reset(self) -> None:
        """Forget any buffered partial character."""
        self._decoder.reset()
