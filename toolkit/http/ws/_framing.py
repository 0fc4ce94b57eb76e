"""Frame reading and building in C: the optional accelerator of the reader and writer.

``toolkit/http/ws/_framing_c.c`` is compiled at install time next to
``_mask_c.c``. When it is missing, or ``TOOLKIT_NO_EXTENSIONS=1`` was set when
this module was first imported, every name below is ``None`` and the reader and
writer run their pure-Python code, which gives the same messages, errors and
bytes (the tests run both and compare them).

- ``MessageScanner(WSMessage, TEXT, BINARY, masked, max_size).scan(data, pos,
  out) -> int``: turns the run of whole, final, uncompressed TEXT/BINARY frames
  at ``data[pos:]`` into messages appended to ``out`` and returns where it
  stopped. Anything else (control frames, fragments, compressed or oversized
  messages, bad UTF-8, protocol errors, incomplete frames) is left to the
  Python state machine, which owns every protocol check and error message.
- ``encode(b0, payload, key=None) -> bytes``: a whole frame (header, key,
  masked payload; a ``str`` payload is sent as UTF-8) in one allocation.
- ``encode_masked(b0, payload) -> bytes``: ``encode`` with a key from a pool of
  ``os.urandom`` bytes; ``reset_keys()`` empties the pool (after a fork).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ._mask import _use_accelerator

__all__ = ["ACCELERATED", "MessageScanner", "encode", "encode_masked", "scanner_for"]

Scan = Callable[[bytes, int, list[Any]], int]

MessageScanner: Any = None
encode: Callable[..., bytes] | None = None
encode_masked: Callable[[int, Any], bytes] | None = None
#: Whether the C frame reader and builder are in use.
ACCELERATED = False

if _use_accelerator():
    try:
        from . import _framing_c
    except ImportError:  # not compiled: the reader and writer stay pure Python
        pass
    else:
        MessageScanner = _framing_c.MessageScanner
        encode = _framing_c.encode
        encode_masked = _framing_c.encode_masked
        ACCELERATED = True
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_framing_c.reset_keys)


def scanner_for(
    message_type: type, text: object, binary: object, masked: bool, max_size: int
) -> Scan | None:
    """The ``scan`` function for a reader, or ``None`` without the accelerator."""
    if MessageScanner is None:
        return None
    scan: Scan = MessageScanner(message_type, text, binary, masked, max_size).scan
    return scan
