"""ClientTimeout and the timers: TimerContext, TimeoutHandle, ceil_timeout, ReadTimer."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from toolkit.client.exceptions import ConnectionTimeoutError
from toolkit.client.timeouts import (
    DEFAULT_TIMEOUT,
    ClientTimeout,
    ReadTimer,
    TimeoutHandle,
    TimerContext,
    TimerNoop,
    calculate_deadline,
    ceil_timeout,
)


def test_client_timeout_value() -> None:
    assert ClientTimeout() == ClientTimeout(None, None, None, None, 5)
    assert ClientTimeout(total=300, sock_connect=30) == DEFAULT_TIMEOUT
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_TIMEOUT.total = 1  # type: ignore[misc]
    assert dataclasses.replace(DEFAULT_TIMEOUT, total=1).total == 1


async def test_calculate_deadline_ceils_long_timeouts() -> None:
    loop = asyncio.get_running_loop()
    assert calculate_deadline(loop, None) is None
    assert calculate_deadline(loop, 0) is None
    before = loop.time()
    short = calculate_deadline(loop, 1)
    assert short is not None and before + 1 <= short <= loop.time() + 1
    long = calculate_deadline(loop, 10)
    assert long is not None and long == int(long)


async def test_ceil_timeout_expires_into_timeout_error() -> None:
    with pytest.raises(asyncio.TimeoutError):
        async with ceil_timeout(0.01):
            await asyncio.Event().wait()


async def test_ceil_timeout_custom_error() -> None:
    with pytest.raises(ConnectionTimeoutError, match="too slow"):
        async with ceil_timeout(0.01, error=lambda: ConnectionTimeoutError("too slow")):
            await asyncio.Event().wait()


async def test_ceil_timeout_disabled_and_not_reached() -> None:
    async with ceil_timeout(None):
        await asyncio.sleep(0)
    async with ceil_timeout(30):
        await asyncio.sleep(0)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_outer_cancel_is_not_converted() -> None:
    async def body() -> None:
        async with ceil_timeout(30):
            await asyncio.Event().wait()

    task = asyncio.create_task(body())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_timer_context_cancels_tasks_inside() -> None:
    loop = asyncio.get_running_loop()
    timer = TimerContext(loop)

    async def wait_inside() -> None:
        with timer:
            await asyncio.Event().wait()

    task = asyncio.create_task(wait_inside())
    await asyncio.sleep(0)
    timer.timeout()
    with pytest.raises(asyncio.TimeoutError):
        await task
    assert timer.expired
    with pytest.raises(asyncio.TimeoutError):
        timer.assert_timeout()
    with pytest.raises(asyncio.TimeoutError), timer:
        pass


def test_timer_context_needs_a_task() -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(RuntimeError, match="inside a task"), TimerContext(loop):
            pass
    finally:
        loop.close()


async def test_timeout_handle() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(TimeoutHandle(loop, None).timer(), TimerNoop)
    assert TimeoutHandle(loop, None).start() is None
    handle = TimeoutHandle(loop, 0.01)
    fired: list[str] = []
    handle.register(lambda: fired.append("x"))
    timer = handle.timer()
    assert isinstance(timer, TimerContext)
    assert handle.start() is not None
    with pytest.raises(asyncio.TimeoutError), timer:
        await asyncio.Event().wait()
    assert fired == ["x"]


async def test_read_timer_reset_and_fire() -> None:
    loop = asyncio.get_running_loop()
    fired = asyncio.Event()
    timer = ReadTimer(loop, 0.02, fired.set)
    timer.reset()
    assert timer.active
    timer.reset()  # rescheduling keeps a single timer
    await asyncio.wait_for(fired.wait(), 5)
    assert not timer.active
    timer.cancel()
    disabled = ReadTimer(loop, None, fired.set)
    disabled.reset()
    assert not disabled.active
    disabled.timeout = 5
    disabled.reset()
    assert disabled.active and disabled.timeout == 5
    disabled.cancel()
    assert not disabled.active


async def test_rounded_deadlines_share_one_loop_timer() -> None:
    from toolkit.client.timeouts import DeadlineClock

    loop = asyncio.get_running_loop()
    clock = DeadlineClock(loop)
    fired: list[str] = []
    handles = [TimeoutHandle(loop, 60, 5, clock) for _ in range(3)]
    for name, handle in zip("abc", handles, strict=True):
        handle.register(lambda name=name: fired.append(name))
    scheduled = len(loop._scheduled)  # type: ignore[attr-defined]
    started = [handle.start() for handle in handles]
    assert clock.armed
    assert len(loop._scheduled) == scheduled + 1  # type: ignore[attr-defined]
    cancelled = started[1]
    assert cancelled is not None
    cancelled.cancel()
    while clock.armed:  # (a second boundary may fall between the three: two groups)
        clock._fire()  # what its loop timer runs when due
    assert sorted(fired) == ["a", "c"]


async def test_short_deadlines_are_not_on_the_clock() -> None:
    from toolkit.client.timeouts import DeadlineClock

    loop = asyncio.get_running_loop()
    clock = DeadlineClock(loop)
    handle = TimeoutHandle(loop, 0.01, 5, clock)
    timer = handle.timer()
    assert isinstance(handle.start(), asyncio.TimerHandle)
    assert not clock.armed
    with pytest.raises(asyncio.TimeoutError), timer:
        await asyncio.Event().wait()


async def test_request_timer_with_a_short_timeout_fires_on_time() -> None:
    from toolkit.client.timeouts import DeadlineClock, RequestTimer

    loop = asyncio.get_running_loop()
    clock = DeadlineClock(loop)
    timer = RequestTimer(loop, 0.01, 5, clock)
    assert clock.armed
    with pytest.raises(asyncio.TimeoutError), timer:
        await asyncio.sleep(10)
    assert timer.expired
    assert not clock.armed


async def test_request_timer_cancelled_does_not_fire() -> None:
    from toolkit.client.timeouts import DeadlineClock, RequestTimer

    loop = asyncio.get_running_loop()
    clock = DeadlineClock(loop)
    timer = RequestTimer(loop, 0.01, 5, clock)
    timer.cancel()
    assert not clock.armed  # (nothing left to wait for: the loop timer is gone)
    timer.cancel()  # twice is harmless
    with timer:
        await asyncio.sleep(0.03)
    assert not timer.expired


async def test_request_timers_with_long_timeouts_share_one_loop_timer() -> None:
    from toolkit.client.timeouts import DeadlineClock, RequestTimer

    loop = asyncio.get_running_loop()
    clock = DeadlineClock(loop)
    scheduled = len(loop._scheduled)  # type: ignore[attr-defined]
    timers = [RequestTimer(loop, 60, 5, clock) for _ in range(3)]
    assert len(loop._scheduled) == scheduled + 1  # type: ignore[attr-defined]
    assert 1 <= len(clock._groups) <= 2  # (a second boundary may fall in between)
    timers[1].cancel()
    while clock.armed:
        clock._fire()
    assert [timer.expired for timer in timers] == [True, False, True]
    timers[0].cancel()  # (after it fired: nothing)
    assert clock._live == 0


async def test_deadline_clock_fires_in_order_and_moves_its_timer_earlier() -> None:
    from toolkit.client.timeouts import ClockHandle, DeadlineClock

    loop = asyncio.get_running_loop()
    clock = DeadlineClock(loop)
    fired: list[str] = []
    now = loop.time()
    ClockHandle(clock, now + 0.05, fired.append, "late")
    first = clock._handle
    ClockHandle(clock, now + 0.02, fired.append, "early")
    assert first is not None and first.cancelled() and clock._armed_at == now + 0.02
    dropped = ClockHandle(clock, now + 0.03, fired.append, "dropped")
    dropped.cancel()
    while clock.armed:
        await asyncio.sleep(0.01)
    assert fired == ["early", "late"]


async def test_deadline_clock_horizon_wakes_early_and_rearms() -> None:
    from toolkit.client.timeouts import ClockHandle, DeadlineClock

    loop = asyncio.get_running_loop()
    clock = DeadlineClock(loop, horizon=10)
    fired: list[str] = []
    now = loop.time()
    far = ClockHandle(clock, now + 60, fired.append, "far")
    wake = clock._armed_at
    assert wake == int(wake) and now + 10 <= wake <= now + 12  # (rounded up: > 5 s)
    # A deadline added later that is due by then keeps the timer where it is.
    handle = clock._handle
    assert handle is not None
    ClockHandle(clock, wake, fired.append, "near")
    assert clock._handle is handle
    handle.cancel()
    clock._fire()  # (what the loop does at ``wake``)
    assert fired == ["near"] and clock.armed and clock._armed_at < now + 60
    far.cancel()
    assert not clock.armed and clock._live == 0


async def test_deadline_clock_reports_a_failing_callback_and_goes_on() -> None:
    from toolkit.client.timeouts import ClockHandle, DeadlineClock

    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        clock = DeadlineClock(loop)
        fired: list[str] = []
        when = loop.time()

        def broken() -> None:
            raise ValueError("broken")

        ClockHandle(clock, when, broken)
        ClockHandle(clock, when, fired.append, "other")
        await asyncio.sleep(0.01)
    finally:
        loop.set_exception_handler(None)
    assert fired == ["other"]
    assert [type(context["exception"]) for context in errors] == [ValueError]
    assert not clock.armed


async def test_a_session_and_its_connector_share_one_loop_timer() -> None:
    from toolkit import ClientSession, web
    from toolkit.client.connector_memory import MemoryConnector

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application()
    app.router.add_get("/", hello)
    connector = MemoryConnector(app)
    async with ClientSession(connector=connector) as session:
        clock = session._deadlines
        assert clock is connector._clock and not clock.armed
        async with session.get("http://test/") as resp:
            assert clock.armed and clock._live == 1  # the request's total timeout
            assert await resp.text() == "hi"
        # Released: the idle connection's cleanup waits on the same loop timer, which
        # is early enough for it (the horizon is the keep-alive timeout).
        assert clock._live == 1 and connector._cleanup_handle is not None
        handle = clock._handle
        async with session.get("http://test/") as resp:
            assert await resp.text() == "hi"
        assert clock._handle is handle  # neither moved nor added
    assert not clock.armed


async def test_a_session_without_a_pool_clock_has_its_own() -> None:
    from toolkit import ClientSession
    from toolkit.client.timeouts import DeadlineClock

    class Foreign:
        closed = False

        async def close(self) -> None:
            self.closed = True

    async with ClientSession(connector=Foreign()) as session:  # type: ignore[arg-type]
        assert isinstance(session._deadlines, DeadlineClock)
        assert session._deadlines._horizon is None


async def test_only_a_rounded_keepalive_is_the_pool_clock_horizon() -> None:
    from toolkit.client.connector_base import BaseConnector

    # (a short keep-alive would wake a long request's clock that often)
    assert BaseConnector()._deadline_clock()._horizon == 15.0
    assert BaseConnector(keepalive_timeout=0.5)._deadline_clock()._horizon is None
    assert BaseConnector(force_close=True)._deadline_clock()._horizon is None


@pytest.mark.parametrize("field", ["total", "connect", "sock_read", "sock_connect"])
@pytest.mark.parametrize(
    ("value", "error"),
    [(float("nan"), ValueError), (float("inf"), ValueError), ("5", TypeError), (True, TypeError)],
)
def test_client_timeout_rejects_what_is_not_seconds(
    field: str, value: Any, error: type[Exception]
) -> None:
    # A NaN deadline given to loop.call_at() left the loop's timer heap unordered.
    with pytest.raises(error, match=rf"ClientTimeout\.{field} must be a number of seconds"):
        ClientTimeout(**{field: value})
    with pytest.raises(error):
        dataclasses.replace(DEFAULT_TIMEOUT, **{field: value})


@pytest.mark.parametrize("value", [float("nan"), None, "5"])
def test_client_timeout_rejects_a_bad_ceil_threshold(value: Any) -> None:
    with pytest.raises((TypeError, ValueError), match=r"ClientTimeout\.ceil_threshold"):
        ClientTimeout(ceil_threshold=value)


@pytest.mark.parametrize("value", [None, 0, 0.0, -1, 2.5])
def test_client_timeout_keeps_what_aiohttp_accepts(value: Any) -> None:
    # None, 0 and (as in aiohttp) a negative number disable a timeout; NaN does not.
    timeout = ClientTimeout(total=value, connect=value, sock_read=value, sock_connect=value)
    assert timeout.total == value
    assert ClientTimeout(ceil_threshold=0).ceil_threshold == 0
    with pytest.raises(ValueError):
        dataclasses.replace(timeout, total=float("nan"))
