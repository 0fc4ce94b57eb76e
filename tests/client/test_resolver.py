"""Resolvers: the threaded (default) and the aiodns one; result shape and failures."""

from __future__ import annotations

import socket

import pytest

from toolkit.client.resolver import AsyncResolver, DefaultResolver, ThreadedResolver

KEYS = {"hostname", "host", "port", "family", "proto", "flags"}


def test_default_is_threaded() -> None:
    assert DefaultResolver is ThreadedResolver


async def test_threaded_resolves_localhost() -> None:
    resolver = ThreadedResolver()
    results = await resolver.resolve("localhost", 8080, family=socket.AF_INET)
    assert results
    for result in results:
        assert set(result) == KEYS
        assert result["hostname"] == "localhost" and result["port"] == 8080
        assert result["family"] == socket.AF_INET and result["host"] == "127.0.0.1"
        assert result["flags"] & socket.AI_NUMERICHOST
    await resolver.close()


async def test_threaded_failure_is_oserror() -> None:
    with pytest.raises(OSError):
        await ThreadedResolver().resolve("does-not-exist.invalid", 80)


async def test_async_resolver_resolves_ip_and_fails_cleanly() -> None:
    pytest.importorskip("aiodns")
    resolver = AsyncResolver()
    try:
        results = await resolver.resolve("127.0.0.1", 81, family=socket.AF_INET)
        assert [(r["host"], r["port"], r["family"]) for r in results] == [
            ("127.0.0.1", 81, socket.AF_INET)
        ]
        assert set(results[0]) == KEYS
        with pytest.raises(OSError, match=r"does-not-exist\.invalid"):
            await resolver.resolve("does-not-exist.invalid", 80)
    finally:
        await resolver.close()
