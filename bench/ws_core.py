"""WebSocket framing throughput: aiotoolkit's sans-IO core next to ``websockets``.

Usage::

    .venv/bin/python bench/ws_core.py [--repeats 5] [--small 5000]

Measures, for each side, the best of ``--repeats`` runs of:

- ``mask 1 MiB``: XOR-masking a 1 MiB payload (ours: the C accelerator when
  built, else the pure-Python fallback, which also gets a row of its own; theirs:
  ``websockets.utils.apply_mask``, the pure-Python fallback, and
  ``websockets.speedups.apply_mask``, their C extension, when built);
- ``encode 1 MiB``: one masked binary frame as a client sends it;
- ``decode 1 MiB``: that frame read by a server (unmask + parse);
- ``encode small`` / ``decode small``: ``--small`` masked 20-byte text messages;
- ``... deflate``: the same with permessage-deflate on (default parameters).

Ours: ``WebSocketWriter`` / ``WebSocketReader``. Theirs: ``Frame.serialize`` and
``ServerProtocol(state=OPEN).receive_data`` + ``events_received`` (their
sans-IO API, which uses their C masking when available). The ratio is
``theirs time / our time``: above 1 means ours is faster.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN
from websockets.server import ServerProtocol
from websockets.utils import apply_mask as ws_apply_mask_py

from toolkit.http.ws import (
    DeflateParams,
    Role,
    WebSocketReader,
    WebSocketWriter,
    _framing,
    websocket_mask,
)
from toolkit.http.ws._mask import ACCELERATED, py_websocket_mask

ws_apply_mask_c: Callable[[Any, Any], bytes] | None
try:
    from websockets.speedups import apply_mask as ws_apply_mask_c
except ImportError:  # pragma: no cover - depends on the wheel
    ws_apply_mask_c = None

MIB = 1 << 20


def best(func: Callable[[], object], repeats: int, number: int = 1) -> float:
    """Best time of one call, in seconds."""
    return min(timeit.repeat(func, number=number, repeat=repeats)) / number


def their_server(deflate: bool) -> ServerProtocol:
    proto = ServerProtocol(state=OPEN, max_size=None)
    if deflate:
        proto.extensions = [PerMessageDeflate(False, False, 15, 15)]
    return proto


def their_client_extensions(deflate: bool) -> list[PerMessageDeflate]:
    return [PerMessageDeflate(False, False, 15, 15)] if deflate else []


def run(repeats: int, small: int) -> list[tuple[str, float, float]]:
    payload = os.urandom(MIB)
    mask = os.urandom(4)
    rows: list[tuple[str, float, float]] = []

    ours = best(lambda: websocket_mask(mask, payload), repeats, 3)
    theirs_py = best(lambda: ws_apply_mask_py(payload, mask), repeats, 3)
    rows.append(("mask 1 MiB (theirs: pure Python)", ours, theirs_py))
    if ACCELERATED:
        ours_py = best(lambda: py_websocket_mask(mask, payload), repeats, 3)
        rows.append(("mask 1 MiB, both pure Python", ours_py, theirs_py))
    if ws_apply_mask_c is not None:
        c_mask = ws_apply_mask_c
        rows.append(
            (
                "mask 1 MiB (theirs: C speedup)",
                ours,
                best(lambda: c_mask(payload, mask), repeats, 3),
            )
        )

    for deflate in (False, True):
        rows += _framing_rows(payload, deflate, repeats, small)
    return rows


def _framing_rows(
    payload: bytes, deflate: bool, repeats: int, small: int
) -> list[tuple[str, float, float]]:
    suffix = " deflate" if deflate else ""
    params = DeflateParams() if deflate else None
    data = payload if not deflate else (b"compressible payload " * (MIB // 21 + 1))[:MIB]
    exts = their_client_extensions(deflate)
    rows: list[tuple[str, float, float]] = []

    writer = WebSocketWriter(Role.CLIENT, deflate=params)
    ours = best(lambda: writer.send_bytes(data), repeats)
    theirs = best(lambda: Frame(Opcode.BINARY, data).serialize(mask=True, extensions=exts), repeats)
    rows.append((f"encode 1 MiB{suffix}", ours, theirs))

    # a fresh reader per run: a compressed frame depends on the context
    our_wire = WebSocketWriter(Role.CLIENT, deflate=params).send_bytes(data)
    their_wire = Frame(Opcode.BINARY, data).serialize(
        mask=True, extensions=their_client_extensions(deflate)
    )

    def our_decode(wire: bytes) -> None:
        WebSocketReader(Role.SERVER, max_msg_size=0, deflate=params).feed_data(wire)

    def their_decode(wire: bytes) -> None:
        proto = their_server(deflate)
        proto.receive_data(wire)
        proto.events_received()

    rows.append(
        (
            f"decode 1 MiB{suffix}",
            best(lambda: our_decode(our_wire), repeats),
            best(lambda: their_decode(their_wire), repeats),
        )
    )

    text = "small message #12345"
    writer = WebSocketWriter(Role.CLIENT, deflate=params)
    ours = best(lambda: [writer.send_text(text) for _ in range(small)], repeats)
    theirs = best(
        lambda: [
            Frame(Opcode.TEXT, text.encode()).serialize(mask=True, extensions=exts)
            for _ in range(small)
        ],
        repeats,
    )
    rows.append((f"encode {small} small text{suffix}", ours, theirs))

    w = WebSocketWriter(Role.CLIENT, deflate=params)
    our_small = b"".join(w.send_text(text) for _ in range(small))
    their_exts = their_client_extensions(deflate)
    their_small = b"".join(
        Frame(Opcode.TEXT, text.encode()).serialize(mask=True, extensions=their_exts)
        for _ in range(small)
    )
    rows.append(
        (
            f"decode {small} small text{suffix}",
            best(lambda: our_decode(our_small), repeats),
            best(lambda: their_decode(their_small), repeats),
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--small", type=int, default=5000, help="number of small messages")
    args = parser.parse_args(argv)
    rows = run(args.repeats, args.small)
    print(f"aiotoolkit masking: {'C accelerator' if ACCELERATED else 'pure Python'}")
    print(f"aiotoolkit framing: {'C accelerator' if _framing.ACCELERATED else 'pure Python'}")
    print(f"{'case':<40} {'ours ms':>10} {'theirs ms':>10} {'ratio':>7}")
    for name, ours, theirs in rows:
        print(f"{name:<40} {ours * 1e3:>10.2f} {theirs * 1e3:>10.2f} {theirs / ours:>7.2f}")
    print("ratio = websockets time / aiotoolkit time (above 1: aiotoolkit is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
