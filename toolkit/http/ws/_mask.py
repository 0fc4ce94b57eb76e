"""Payload masking (RFC 6455 §5.3): a C accelerator with a pure-Python fallback.

``toolkit/http/ws/_mask_c.c`` is compiled at install time when a C compiler is
available. Without it, or with ``TOOLKIT_NO_EXTENSIONS=1`` in the environment when
this module is first imported, the pure-Python functions below are used. Both
give the same bytes (the tests compare them with a per-byte reference).

- ``websocket_mask(key, data, offset=0) -> bytes``: a masked copy; ``offset`` is
  the position of ``data[0]`` in the frame payload (for payloads in pieces);
- ``websocket_mask_inplace(key, buffer, offset=0)``: masks a writable buffer;
- ``websocket_mask_chunks(key, chunks) -> bytes``: ``websocket_mask(key,
  b"".join(chunks))`` without the joined copy (one allocation, one pass).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = ["websocket_mask", "websocket_mask_inplace", "websocket_mask_chunks", "ACCELERATED"]

Buffer = bytes | bytearray | memoryview

# One XOR table per key byte, built when first needed:
# ``data.translate(_table(k))`` XORs every byte with k.
_TABLES: dict[int, bytes] = {}
_IDENTITY = int.from_bytes(bytes(range(256)), "big")


def _table(k: int) -> bytes:
    table = _TABLES.get(k)
    if table is None:
        table = _TABLES[k] = (_IDENTITY ^ int.from_bytes(bytes((k,)) * 256, "big")).to_bytes(
            256, "big"
        )
    return table


# Below this size one big-integer XOR beats four strided ``translate`` passes.
_SMALL = 128


def _check(mask: bytes | bytearray | memoryview, offset: int) -> bytes:
    """The key rotated so that it starts at payload position ``offset``."""
    if len(mask) != 4:
        raise ValueError(f"a WebSocket mask is 4 bytes long, got {len(mask)}")
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    mask = bytes(mask)
    shift = offset & 3
    return mask[shift:] + mask[:shift] if shift else mask


def _mask_small(mask: bytes, data: Buffer) -> bytes:
    n = len(data)
    key = mask * (n >> 2) + mask[: n & 3]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def _strided_inplace(mask: bytes, buf: bytearray | memoryview) -> None:
    # Every 4th byte shares a key byte: four strided passes, each one C-level
    # table lookup (``translate``) instead of a Python loop over the bytes.
    if isinstance(buf, bytearray):
        for i in range(4):
            buf[i::4] = buf[i::4].translate(_table(mask[i]))
    else:
        for i in range(4):
            buf[i::4] = buf[i::4].tobytes().translate(_table(mask[i]))


def py_websocket_mask(mask: Buffer, data: Buffer, offset: int = 0, /) -> bytes:
    """Pure-Python :func:`websocket_mask` (always available, used as the fallback)."""
    key = _check(mask, offset)
    n = len(data)
    if n < _SMALL:
        return _mask_small(key, data) if n else b""
    out = bytearray(data)
    _strided_inplace(key, out)
    return bytes(out)


def py_websocket_mask_inplace(
    mask: bytes | bytearray | memoryview, buf: bytearray | memoryview, offset: int = 0, /
) -> None:
    """Pure-Python :func:`websocket_mask_inplace`."""
    key = _check(mask, offset)
    if isinstance(buf, memoryview):
        if buf.readonly:
            raise TypeError("cannot mask a read-only buffer in place")
        buf = buf.cast("B")
    n = len(buf)
    if n < _SMALL:
        if n:
            buf[:] = _mask_small(key, buf)
        return
    _strided_inplace(key, buf)


def py_websocket_mask_chunks(mask: Buffer, chunks: Sequence[Buffer], /) -> bytes:
    """Pure-Python :func:`websocket_mask_chunks`."""
    return py_websocket_mask(mask, b"".join(chunks))


def _use_accelerator() -> bool:
    return os.environ.get("TOOLKIT_NO_EXTENSIONS", "") in ("", "0")


websocket_mask = py_websocket_mask
websocket_mask_inplace = py_websocket_mask_inplace
websocket_mask_chunks = py_websocket_mask_chunks
#: Whether the C accelerator is in use.
ACCELERATED = False

if _use_accelerator():
    try:
        from ._mask_c import (
            mask as websocket_mask,
            mask_chunks as websocket_mask_chunks,
            mask_inplace as websocket_mask_inplace,
        )
    except ImportError:  # not compiled: keep the pure-Python functions
        pass
    else:
        ACCELERATED = True
