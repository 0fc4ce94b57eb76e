"""Helpers for the parser tests: feed input in different ways and normalise events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from toolkit.http import EndOfMessage, RequestHead, ResponseHead

FEED_MODES = ("whole", "bytewise", "halves")


def chunks(data: bytes, mode: str) -> Iterator[bytes]:
    """Cut ``data`` as one piece, one byte at a time, or in two halves."""
    if mode == "whole":
        yield data
    elif mode == "bytewise":
        for i in range(len(data)):
            yield data[i : i + 1]
    else:
        mid = len(data) // 2
        yield data[:mid]
        yield data[mid:]


def feed(parser: Any, data: bytes, mode: str = "whole", eof: bool = False) -> list[Any]:
    """Feed ``data`` to ``parser`` cut per ``mode``; return the merged events."""
    events: list[Any] = []
    for piece in chunks(data, mode):
        events.extend(parser.feed_data(piece))
    if eof:
        events.extend(parser.feed_eof())
    return merge_body(events)


def merge_body(events: list[Any]) -> list[Any]:
    """Join consecutive body ``bytes`` events so results do not depend on cutting."""
    out: list[Any] = []
    for event in events:
        if isinstance(event, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += event
        elif isinstance(event, bytes) and not event:
            continue
        else:
            out.append(event)
    return out


def summary(events: list[Any]) -> list[Any]:
    """A comparable digest of events (heads reduced to their main fields)."""
    out: list[Any] = []
    for event in events:
        if isinstance(event, RequestHead):
            out.append(
                (
                    "req",
                    event.method,
                    event.target,
                    tuple(event.version),
                    list(event.headers.items()),
                )
            )
        elif isinstance(event, ResponseHead):
            out.append(("resp", event.status, event.reason, list(event.headers.items())))
        elif isinstance(event, EndOfMessage):
            out.append(("eom", None if event.trailers is None else list(event.trailers.items())))
        else:
            out.append(event)
    return out
