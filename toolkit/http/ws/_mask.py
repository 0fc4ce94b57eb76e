"""Payload masking (RFC 6455 §5.3) without a per-byte Python loop."""

from __future__ import annotations

__all__ = ["websocket_mask"]

# XOR works on big integers; blocks of this size stay in the CPU cache and share
# one key integer, which is about twice as fast as one huge integer for 1 MiB.
_BLOCK = 1 << 14


def _xor(mask: bytes, data: bytes | bytearray | memoryview) -> bytes:
    n = len(data)
    key = mask * (n >> 2) + mask[: n & 3]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def websocket_mask(mask: bytes, data: bytes | bytearray | memoryview, offset: int = 0) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` and return the result.

    ``offset`` is the position of ``data[0]`` inside the frame payload, so a
    payload that arrives in pieces can be unmasked piece by piece. Masking is
    its own inverse.
    """
    if len(mask) != 4:
        raise ValueError(f"a WebSocket mask is 4 bytes long, got {len(mask)}")
    shift = offset & 3
    if shift:
        mask = mask[shift:] + mask[:shift]
    n = len(data)
    if n <= _BLOCK:
        return _xor(mask, data) if n else b""
    view = memoryview(data)
    key = int.from_bytes(mask * (_BLOCK >> 2), "big")
    end = n - n % _BLOCK
    from_bytes = int.from_bytes
    parts = [
        (from_bytes(view[i : i + _BLOCK], "big") ^ key).to_bytes(_BLOCK, "big")
        for i in range(0, end, _BLOCK)
    ]
    if end < n:
        parts.append(_xor(mask, view[end:]))
    return b"".join(parts)
