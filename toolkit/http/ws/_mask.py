"""Payload masking (RFC 6455 §5.3) without a per-byte Python loop."""

from __future__ import annotations

__all__ = ["websocket_mask"]


def websocket_mask(mask: bytes, data: bytes | bytearray | memoryview, offset: int = 0) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` and return the result.

    ``offset`` is the position of ``data[0]`` inside the frame payload, so a
    payload that arrives in pieces can be unmasked piece by piece. Masking is
    its own inverse. The whole payload is XORed as one big integer, which
    keeps a 1 MiB payload in the millisecond range.
    """
    if len(mask) != 4:
        raise ValueError(f"a WebSocket mask is 4 bytes long, got {len(mask)}")
    n = len(data)
    if n == 0:
        return b""
    shift = offset & 3
    if shift:
        mask = mask[shift:] + mask[:shift]
    key = mask * (n >> 2) + mask[: n & 3]
    value = int.from_bytes(data, "big") ^ int.from_bytes(key, "big")
    return value.to_bytes(n, "big")
