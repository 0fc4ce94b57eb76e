"""The per-test loops: asyncio loops whose wake-up socket pair comes from a pool."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Iterator

import pytest

from pytest_plugin.loops import SelfPipePool, loop_factory

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the pool is for Unix loops")


@pytest.fixture
def pool() -> Iterator[SelfPipePool]:
    pool = SelfPipePool()
    yield pool
    pool.close()


def _pipe(loop: asyncio.AbstractEventLoop) -> tuple[socket.socket, socket.socket]:
    return loop._ssock, loop._csock  # type: ignore[attr-defined]


def test_consecutive_loops_share_one_socket_pair(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    first = new_loop()
    pair = _pipe(first)
    assert isinstance(first, asyncio.SelectorEventLoop)
    first.close()
    assert _pipe(first) == (None, None)  # the closed loop lets go of it
    assert len(pool) == 1
    second = new_loop()
    try:
        assert second is not first
        assert _pipe(second) == pair
        assert len(pool) == 0
        assert second.run_until_complete(asyncio.sleep(0, "ok")) == "ok"
    finally:
        second.close()


def test_pooled_loop_is_woken_up_from_another_thread(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    new_loop().close()  # fills the pool
    loop = new_loop()
    try:

        async def wait_for_thread() -> str:
            future: asyncio.Future[str] = loop.create_future()
            # The loop sleeps in select() with nothing scheduled: only the wake-up
            # socket can get it to run the callback.
            thread = threading.Thread(
                target=lambda: loop.call_soon_threadsafe(future.set_result, "woken")
            )
            thread.start()
            try:
                return await asyncio.wait_for(future, 30)
            finally:
                thread.join()

        assert loop.run_until_complete(wait_for_thread()) == "woken"
    finally:
        loop.close()
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_soon_threadsafe(lambda: None)


def test_wake_up_bytes_left_by_a_loop_are_drained(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    loop = new_loop()
    ssock, csock = _pipe(loop)
    loop.call_soon_threadsafe(lambda: None)  # writes a wake-up byte nobody reads
    loop.close()
    csock.send(b"\0\0")  # as a thread racing with close() could
    loop = new_loop()
    try:
        assert _pipe(loop)[0] is ssock
        with pytest.raises(BlockingIOError):
            ssock.recv(1)
    finally:
        loop.close()


def test_pair_no_one_wrote_to_is_not_drained(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    loop = new_loop()
    ssock, csock = _pipe(loop)
    loop.close()
    csock.send(b"\0")  # cannot happen without call_soon_threadsafe(): no recv() is paid
    loop = new_loop()
    try:
        assert ssock.recv(1) == b"\0"
        loop.run_until_complete(asyncio.sleep(0))  # a stray byte would only wake it once
    finally:
        loop.close()


def test_pool_keeps_one_pair_and_closes_the_others(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    loops = [new_loop(), new_loop()]
    pairs = [_pipe(loop) for loop in loops]
    assert pairs[0] != pairs[1]
    for loop in loops:
        loop.close()
    assert len(pool) == 1
    assert pairs[1][0].fileno() == -1  # the second could not be kept
    pool.close()
    assert len(pool) == 0
    assert pairs[0][0].fileno() == -1
    assert pairs[0][1].fileno() == -1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the policy API, from 3.14
def test_other_policies_get_their_own_loops(pool: SelfPipePool) -> None:
    made: list[asyncio.AbstractEventLoop] = []

    class Policy(asyncio.DefaultEventLoopPolicy):  # a user's policy, outside asyncio
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            loop = super().new_event_loop()
            made.append(loop)
            return loop

    new_loop = loop_factory("asyncio", pool)
    asyncio.set_event_loop_policy(Policy())
    try:
        loop = new_loop()
    finally:
        asyncio.set_event_loop_policy(None)
    loop.close()
    assert made == [loop]
    assert len(pool) == 0  # its socket pair was not the pool's


def test_loop_kinds() -> None:
    pool = SelfPipePool()
    with pytest.raises(ValueError, match="'asyncio' or 'uvloop', got 'trio'"):
        loop_factory("trio", pool)
    uvloop = pytest.importorskip("uvloop")
    assert loop_factory("uvloop", pool) is uvloop.new_event_loop


def test_clean_selector_goes_to_the_next_loop(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    first = new_loop()
    selector = first._selector  # type: ignore[attr-defined]
    first.close()
    second = new_loop()
    try:
        assert second._selector is selector  # type: ignore[attr-defined]
        # Only the wake-up socket is registered, with the new loop's callback.
        (key,) = selector.get_map().values()
        assert key.fd == _pipe(second)[0].fileno()
        assert key.data[0]._callback == second._read_from_self  # type: ignore[attr-defined]
        assert second.run_until_complete(asyncio.sleep(0.001, "ok")) == "ok"
    finally:
        second.close()


def test_selector_with_something_left_registered_is_not_kept(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    first = new_loop()
    selector = first._selector  # type: ignore[attr-defined]
    left, right = socket.socketpair()
    try:
        first.add_reader(left.fileno(), lambda: None)  # never removed: a leaked transport
        first.close()
        assert selector.get_map() is None  # closed, as asyncio does
        second = new_loop()
        try:
            assert second._selector is not selector  # type: ignore[attr-defined]
            assert len(second._selector.get_map()) == 1  # type: ignore[attr-defined]
        finally:
            second.close()
    finally:
        left.close()
        right.close()
