"""The per-test loops: asyncio loops whose wake-up socket pair comes from a pool."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from asyncio import coroutines
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_plugin import loops
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


def _woken_up_from_a_thread(loop: asyncio.AbstractEventLoop) -> str:
    async def wait_for_thread() -> str:
        future: asyncio.Future[str] = loop.create_future()
        # Called once the loop sleeps in select() with nothing scheduled: only the
        # wake-up socket can get it to run the callback.
        timer = threading.Timer(0.05, loop.call_soon_threadsafe, (future.set_result, "woken"))
        timer.start()
        try:
            return await asyncio.wait_for(future, 30)
        finally:
            timer.join()

    return loop.run_until_complete(wait_for_thread())


def test_pooled_loop_is_woken_up_from_another_thread(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    new_loop().close()  # fills the pool
    loop = new_loop()
    try:
        # Made without asyncio's __init__, in a kept selector: the wake-up socket's
        # registration is the previous loop's, taken over.
        assert type(loop) is loops._FastLoop
        assert _woken_up_from_a_thread(loop) == "woken"
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
    loop = loop_factory("uvloop", pool)()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


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


# The loops made without asyncio's own __init__ (_FastLoop) must be indistinguishable
# from asyncio's; loops._fast_loops_match() checks that on the Python running.


def test_fast_loops_have_the_attributes_of_asyncio_loops(pool: SelfPipePool) -> None:
    reference = asyncio.SelectorEventLoop()
    new_loop = loop_factory("asyncio", pool)
    for _ in range(2):  # with a new selector, then with the kept one
        loop = new_loop()
        assert type(loop) is loops._FastLoop
        assert loop._transports is loop._transports  # made once
        # Same names; same values, or types and sizes for the objects.
        assert loops._loop_state(loop) == loops._loop_state(reference)
        loop.close()
        assert (loop.is_closed(), loop._selector) == (True, None)
    reference.close()


def test_every_loop_is_a_new_object(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    first = new_loop()
    asyncio.set_event_loop(first)
    future = first.create_future()
    first.call_soon(print)
    first.call_later(60, print)
    first.close()
    assert not first._ready and not first._scheduled  # type: ignore[attr-defined]  # cleared
    second = new_loop()
    try:
        asyncio.set_event_loop(second)
        assert second is not first
        assert first.is_closed() and not second.is_closed()
        assert asyncio.get_event_loop() is second
        with pytest.raises(RuntimeError, match="Event loop is closed"):
            first.call_soon(print)
        coroutine = asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="Event loop is closed"):
            first.run_until_complete(coroutine)
        coroutine.close()

        async def await_the_first_loops_future() -> None:
            await future

        with pytest.raises(RuntimeError, match="attached to a different loop"):
            second.run_until_complete(await_the_first_loops_future())
        assert second.run_until_complete(asyncio.sleep(0, "ok")) == "ok"
    finally:
        asyncio.set_event_loop(None)
        second.close()


def test_signal_handler_wakes_up_a_pooled_loop(pool: SelfPipePool) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set from the main thread")
    new_loop = loop_factory("asyncio", pool)
    new_loop().close()
    loop = new_loop()
    ssock = loop._ssock  # type: ignore[attr-defined]
    assert type(loop) is loops._FastLoop

    async def wait_for_signal() -> str:
        future: asyncio.Future[str] = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, future.set_result, "signalled")
        # Sent while the loop sleeps in select(): only the wake-up socket can wake it.
        timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1))
        timer.start()
        try:
            return await asyncio.wait_for(future, 30)
        finally:
            timer.join()

    try:
        assert loop.run_until_complete(wait_for_signal()) == "signalled"
    finally:
        loop.close()  # removes the handler, as asyncio's close() does
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL
    assert signal.set_wakeup_fd(-1) == -1
    loop = new_loop()
    try:
        assert loop._ssock is ssock  # type: ignore[attr-defined]
        assert loop.run_until_complete(asyncio.sleep(0.001, "ok")) == "ok"
    finally:
        loop.close()


def test_close_shuts_the_default_executor_down(pool: SelfPipePool) -> None:
    loop = loop_factory("asyncio", pool)()
    assert loop.run_until_complete(loop.run_in_executor(None, sum, [1, 2])) == 3
    executor = loop._default_executor  # type: ignore[attr-defined]
    loop.close()
    assert executor._shutdown
    assert len(pool) == 1


@pytest.mark.parametrize("value", [None, "", "1"])
def test_debug_mode_is_read_as_asyncio_reads_it(
    pool: SelfPipePool, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("PYTHONASYNCIODEBUG", raising=False)
    else:
        monkeypatch.setenv("PYTHONASYNCIODEBUG", value)
    assert loops._debug_mode() is coroutines._is_debug_mode()  # type: ignore[attr-defined]
    for _ in range(2):  # a new and a pooled selector
        loop = loop_factory("asyncio", pool)()
        try:
            assert loop.get_debug() is coroutines._is_debug_mode()  # type: ignore[attr-defined]
            # Debug mode takes asyncio's own __init__.
            assert (type(loop) is loops._FastLoop) is not loop.get_debug()
        finally:
            loop.close()


def test_dev_mode_makes_debug_loops() -> None:
    code = (
        "from pytest_plugin.loops import SelfPipePool, loop_factory\n"
        "loop = loop_factory('asyncio', SelfPipePool())()\n"
        "print(loop.get_debug(), type(loop).__name__)\n"
        "loop.close()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("PYTHONASYNCIODEBUG", None)
    out = subprocess.run(
        [sys.executable, "-X", "dev", "-c", code], env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == ["True", "_PooledLoop"], out.stderr


def test_asyncio_debug_log_takes_asyncio_init(
    pool: SelfPipePool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        loop = loop_factory("asyncio", pool)()
        loop.close()
    assert type(loop) is loops._PooledLoop
    assert "Using selector" in caplog.text


class _Later(asyncio.SelectorEventLoop):
    """A loop as a later Python's asyncio could make it."""

    change: Callable[[Any], None] = staticmethod(lambda loop: None)

    def __init__(self) -> None:
        super().__init__()
        type(self).change(self)


class _Reader(asyncio.Handle):
    pass


def _reregister(loop: Any) -> None:
    reader = _Reader(loop._read_from_self, (), loop)
    loop._selector.modify(loop._ssock.fileno(), 1, (reader, None))


@pytest.mark.parametrize(
    "change",
    [
        lambda loop: setattr(loop, "_new_in_a_later_python", object()),  # an unknown attribute
        lambda loop: setattr(loop, "slow_callback_duration", 1),  # another initial value
        lambda loop: loop._ready.append(None),  # a container not made empty
        lambda loop: setattr(loop, "_scheduled", {}),  # of another type
        lambda loop: delattr(loop, "_task_factory"),
        _reregister,  # the wake-up socket's reader is not an events.Handle
    ],
)
def test_loops_made_otherwise_by_asyncio_are_not_made_fast(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[Any], None]
) -> None:
    check = loops._fast_loops_match.__wrapped__  # not its cached answer
    monkeypatch.setattr(asyncio, "SelectorEventLoop", _Later)
    assert check()
    monkeypatch.setattr(_Later, "change", staticmethod(change))
    assert not check()


def test_handles_made_otherwise_by_asyncio_are_not_made_fast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A later Python's Handle.__init__ setting a slot otherwise: _FastLoop.call_soon,
    which makes handles without it, is not used."""
    check = loops._fast_loops_match.__wrapped__
    assert check()
    init = asyncio.Handle.__init__

    def later_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._repr = "set by a later Python"

    monkeypatch.setattr(asyncio.Handle, "__init__", later_init)
    assert not check()


def test_call_soon_makes_the_handles_asyncio_makes(pool: SelfPipePool) -> None:
    reference = asyncio.SelectorEventLoop()
    loop = loop_factory("asyncio", pool)()
    try:
        assert type(loop) is loops._FastLoop
        ours, theirs = loop.call_soon(print, 1), reference.call_soon(print, 1)
        assert loops._handle_state(ours, loop) == loops._handle_state(theirs, reference)
        # The context: a copy of the caller's, or the one given; the callback runs in it.
        variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable")
        variable.set("caller's")
        context = contextvars.Context()
        context.run(variable.set, "given")
        seen: list[str] = []
        loop.call_soon(lambda: seen.append(variable.get()))
        loop.call_soon(lambda: seen.append(variable.get()), context=context)
        cancelled = loop.call_soon(seen.append, "cancelled")
        cancelled.cancel()
        variable.set("changed after")
        loop.run_until_complete(asyncio.sleep(0))
        assert seen == ["caller's", "given"]
        # Debug mode: asyncio's own call_soon (it checks the thread and keeps a traceback).
        loop.set_debug(True)
        assert loop.call_soon(print)._source_traceback  # type: ignore[attr-defined]
    finally:
        loop.close()
        reference.close()
    with pytest.raises(RuntimeError, match="Event loop is closed"):
        loop.call_soon(print)


def test_fallback_to_asyncio_init(pool: SelfPipePool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loops, "_fast_loops_match", lambda: False)
    new_loop = loop_factory("asyncio", pool)
    first = new_loop()
    first.close()
    loop = new_loop()
    try:
        assert type(loop) is loops._PooledLoop
        assert len(pool) == 0  # it took the first loop's pair and selector
        assert _woken_up_from_a_thread(loop) == "woken"
    finally:
        loop.close()
    assert len(pool) == 1


def test_async_generators_are_finalized_at_shutdown(pool: SelfPipePool) -> None:
    new_loop = loop_factory("asyncio", pool)
    finalized = []

    async def numbers() -> Any:
        try:
            yield 1
            yield 2
        finally:
            finalized.append(True)

    async def take_one() -> Any:
        agen = numbers()
        value = await agen.__anext__()
        return agen, value

    loop = new_loop()
    try:
        assert not loop._asyncgens  # type: ignore[attr-defined]  # none ran
        loop.run_until_complete(asyncio.sleep(0))
        assert not loop._asyncgens  # type: ignore[attr-defined]
        agen, value = loop.run_until_complete(take_one())  # (agen kept alive)
        assert value == 1 and loop._asyncgens  # type: ignore[attr-defined]
        loop.run_until_complete(loop.shutdown_asyncgens())
        assert finalized == [True]
        del agen
    finally:
        loop.close()


def test_transport_table_is_not_made_by_asking(pool: SelfPipePool) -> None:
    loop = loop_factory("asyncio", pool)()
    try:
        assert loops.transport_table(loop) is None
        assert "_transports" not in vars(loop)  # still to be made on first use
        first, second = socket.socketpair()
        with first, second:
            transport, _ = loop.run_until_complete(
                loop.create_connection(asyncio.Protocol, sock=first)
            )
            table = loops.transport_table(loop)
            assert table is not None and list(table.values()) == [transport]
            transport.close()
            loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    stock = asyncio.new_event_loop()
    try:
        assert loops.transport_table(stock) is stock._transports  # type: ignore[attr-defined]
    finally:
        stock.close()
