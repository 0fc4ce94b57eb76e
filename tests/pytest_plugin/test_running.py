"""Running coroutines on a test's loop: ``run``, ``run_eagerly`` and the fixture stand-ins."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

from pytest_plugin.running import (
    fixture_wrapper,
    is_async_fixture,
    pending_tasks,
    run,
    run_eagerly,
)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def count_iterations(loop: asyncio.AbstractEventLoop) -> list[int]:
    """Count the loop's iterations from now on (asyncio's ``_run_once``)."""
    counter = [0]
    original = loop._run_once  # type: ignore[attr-defined]

    def run_once() -> None:
        counter[0] += 1
        original()

    loop._run_once = run_once  # type: ignore[attr-defined]
    return counter


def test_run_returns_the_result_in_one_iteration(loop: asyncio.AbstractEventLoop) -> None:
    async def answer() -> int:
        return 42

    iterations = count_iterations(loop)
    assert run(loop, answer()) == 42
    assert iterations == [1]  # run_until_complete takes 2: the second only stops the loop
    assert loop.run_until_complete(answer()) == 42
    assert iterations == [3]


def test_run_raises_the_exception(loop: asyncio.AbstractEventLoop) -> None:
    async def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run(loop, fail())
    assert run(loop, asyncio.sleep(0, "again")) == "again"  # the loop is still usable


def test_callbacks_queued_at_the_end_still_run(loop: asyncio.AbstractEventLoop) -> None:
    # As with run_until_complete, what the last step schedules runs before run()
    # returns: a transport closed by the test's last line closes its socket.
    ran: list[str] = []

    async def schedule_and_return() -> str:
        loop.call_soon(ran.append, "callback")
        return "done"

    assert run(loop, schedule_and_return()) == "done"
    assert ran == ["callback"]


def test_transport_closed_on_the_last_line_closes_its_socket(
    loop: asyncio.AbstractEventLoop,
) -> None:
    server_sock, client_sock = socket.socketpair()
    server_sock.close()  # nobody reads: the client only connects and closes

    async def open_and_close() -> asyncio.BaseTransport:
        transport, _ = await loop.create_connection(asyncio.Protocol, sock=client_sock)
        transport.close()  # the socket is closed by a callback the loop runs later
        return transport

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        transport = run(loop, open_and_close())
        assert transport.is_closing()
        assert client_sock.fileno() == -1  # closed before run() returned
        del transport
        gc.collect()


def test_run_goes_on_when_something_else_stops_the_loop(loop: asyncio.AbstractEventLoop) -> None:
    async def stops_the_loop_then_finishes() -> str:
        loop.stop()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return "finished"

    assert run(loop, stops_the_loop_then_finishes()) == "finished"
    # Nothing left over stops the next run early.
    assert run(loop, asyncio.sleep(0.001, "next")) == "next"


def test_run_eagerly_steps_a_coroutine_that_awaits_nothing(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def quick() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    assert run_eagerly(loop, quick(), "quick") is loop

    async def slow() -> None:
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="'slow' is declared with eager_setup=True"):
        run_eagerly(loop, slow(), "slow")


def test_fixture_wrappers_are_made_once_per_function(loop: asyncio.AbstractEventLoop) -> None:
    async def value() -> int:
        return 1

    async def resource() -> AsyncIterator[str]:
        yield "resource"

    def plain() -> int:
        return 0

    assert is_async_fixture(value) and is_async_fixture(resource)
    assert not is_async_fixture(plain)
    wrapper = fixture_wrapper(value, lambda: loop, eager=False)
    assert fixture_wrapper(value, lambda: loop, eager=False) is wrapper
    assert wrapper() == 1
    assert wrapper.__name__ == "value" and not hasattr(wrapper, "_pytestfixturefunction")
    gen = fixture_wrapper(resource, lambda: loop, eager=True)()
    assert next(gen) == "resource"
    with pytest.raises(StopIteration):
        next(gen)


def test_async_generator_fixture_that_yields_twice_is_an_error(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def twice() -> AsyncIterator[int]:
        yield 1
        yield 2

    gen = fixture_wrapper(twice, lambda: loop, eager=False)()
    assert next(gen) == 1
    with pytest.raises(RuntimeError, match="twice yielded more than once"):
        next(gen)


def test_pending_tasks_are_those_of_the_loop_not_done(loop: asyncio.AbstractEventLoop) -> None:
    assert pending_tasks(loop) == []
    other = asyncio.new_event_loop()
    try:

        async def forever() -> None:
            await asyncio.Event().wait()

        done = loop.create_task(asyncio.sleep(0))
        run(loop, done)
        waiting = loop.create_task(forever())
        never_started = loop.create_task(forever())
        run(loop, asyncio.sleep(0))
        elsewhere = other.create_task(forever())
        assert set(pending_tasks(loop)) == {waiting, never_started}
        assert pending_tasks(other) == [elsewhere]
        for task in (waiting, never_started, elsewhere):
            task.cancel()
        run(loop, asyncio.gather(waiting, never_started, return_exceptions=True))
        run(other, asyncio.gather(elsewhere, return_exceptions=True))
        assert pending_tasks(loop) == pending_tasks(other) == []
    finally:
        other.close()
