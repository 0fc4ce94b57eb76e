"""Running tests and async fixtures on a test's loop, with as little loop work as possible.

Every ``async def`` test and async fixture step goes through :func:`run`, so the
few loop iterations and objects each one costs add up over a suite:

* :func:`run` is ``loop.run_until_complete`` without its last iteration when that
  iteration would have nothing to do but stop the loop: the awaitable's own task stops
  the loop as it finishes if no callback is queued (otherwise one more iteration runs
  them first, as ``run_until_complete`` does).
* :func:`run_eagerly` steps a coroutine that awaits nothing to its end without the
  loop (the setup of the factory fixtures, declared with ``eager_setup=True``).
* :func:`fixture_wrapper` gives the synchronous stand-in pytest calls for an async
  fixture; stand-ins are made once per fixture function, not once per test.
* :func:`pending_tasks` is ``asyncio.all_tasks(loop)`` (the tasks a test left), skipped
  when asyncio keeps no task at all: ``all_tasks()`` iterates a ``WeakSet``, which
  raises and catches an ``IndexError`` every time, costing more than the rest of a
  sync test's teardown.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sized
from typing import Any, TypeVar

__all__ = ["fixture_wrapper", "is_async_fixture", "pending_tasks", "run", "run_eagerly"]

_T = TypeVar("_T")


async def _stop_when_done(
    loop: asyncio.AbstractEventLoop, awaitable: Awaitable[_T], armed: list[bool]
) -> _T:
    __tracebackhide__ = True
    try:
        return await awaitable
    finally:
        if armed[0]:
            ready = getattr(loop, "_ready", None)  # asyncio's queue of callbacks to run
            if ready is not None and not ready:
                loop.stop()  # nothing queued: run_forever() returns after this iteration
            else:
                # As run_until_complete: one more iteration runs what is queued (a
                # transport closed at the end of a test gets to close its socket).
                loop.call_soon(loop.stop)


def run(loop: asyncio.AbstractEventLoop, awaitable: Awaitable[_T]) -> _T:
    """Run ``awaitable`` on ``loop`` to its end and return its result (or raise).

    Behaves as ``loop.run_until_complete``; if something else stops the loop before the
    awaitable is done, it goes on with ``run_until_complete``.
    """
    armed = [True]
    task = loop.create_task(_stop_when_done(loop, awaitable, armed))
    try:
        loop.run_forever()
    except BaseException:
        armed[0] = False
        if task.done() and not task.cancelled():
            task.exception()  # raised here: do not let asyncio log it as never retrieved
        raise
    if not task.done():
        armed[0] = False  # its end must not stop the loop run_until_complete runs
        return loop.run_until_complete(task)
    return task.result()


def run_eagerly(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, _T], name: str) -> _T:
    """Run ``coro``, which awaits nothing, to its end without going through the loop.

    ``asyncio.get_running_loop()`` works meanwhile; ``asyncio.current_task()`` is None.
    Raises ``RuntimeError`` naming the fixture ``name`` if ``coro`` does await.
    """
    asyncio._set_running_loop(loop)
    try:
        coro.send(None)
    except StopIteration as stop:
        result: _T = stop.value
        return result
    finally:
        asyncio._set_running_loop(None)
    coro.close()
    raise RuntimeError(
        f"async fixture {name!r} is declared with eager_setup=True but awaited during setup"
    )


async def _finish(agen: Any) -> bool:
    """Run an async generator fixture's teardown; True if it ended (did not yield again)."""
    try:
        await agen.__anext__()
    except StopAsyncIteration:
        return True
    return False


#: Whether each fixture function seen is async (the inspect checks are not free).
_async_kinds: dict[Callable[..., Any], bool] = {}
#: The synchronous stand-in of each async fixture function (for module-level fixtures).
_wrappers: dict[tuple[Callable[..., Any], bool], Callable[..., Any]] = {}


def is_async_fixture(func: Callable[..., Any]) -> bool:
    """True if ``func`` is a coroutine or async generator function (cached)."""
    kind = _async_kinds.get(func)
    if kind is None:
        kind = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
        _async_kinds[func] = kind
    return kind


def fixture_wrapper(
    func: Callable[..., Any],
    current_loop: Callable[[], asyncio.AbstractEventLoop],
    *,
    eager: bool,
    instance: object = None,
) -> Callable[..., Any]:
    """A synchronous stand-in for the async fixture ``func`` that runs it on the loop
    ``current_loop()`` returns when pytest calls it.

    It does not copy ``func.__dict__`` (``functools.wraps(updated=())``): other async
    plugins must not mistake it for a fixture of theirs. ``instance`` is the test class
    instance of a fixture method (which is then rebound to it, and not cached).
    """
    if instance is not None and inspect.ismethod(func):
        return _make_wrapper(func.__func__.__get__(instance), current_loop, eager)
    key = (func, eager)
    wrapper = _wrappers.get(key)
    if wrapper is None:
        wrapper = _wrappers[key] = _make_wrapper(func, current_loop, eager)
    return wrapper


def _make_wrapper(
    func: Callable[..., Any], current_loop: Callable[[], asyncio.AbstractEventLoop], eager: bool
) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func, updated=())
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, None, None]:
            loop = current_loop()
            agen = func(*args, **kwargs)
            if eager:
                value = run_eagerly(loop, agen.__anext__(), func.__name__)
            else:
                value = run(loop, agen.__anext__())
            try:
                yield value
            finally:
                if not run(loop, _finish(agen)):
                    raise RuntimeError(f"async fixture {func.__name__} yielded more than once")

        return gen_wrapper

    @functools.wraps(func, updated=())
    def coro_wrapper(*args: Any, **kwargs: Any) -> Any:
        return run(current_loop(), func(*args, **kwargs))

    return coro_wrapper


def _task_registries() -> tuple[Sized, ...] | None:
    """The collections of live tasks ``asyncio.all_tasks()`` reads, on the Pythons where it
    reads nothing else (3.10 and 3.11: ``_all_tasks``; 3.12 and 3.13: the scheduled and
    the eager tasks); None elsewhere."""
    if sys.version_info >= (3, 14):
        return None  # tasks are kept per thread there
    if sys.version_info >= (3, 12):
        names = ("_scheduled_tasks", "_eager_tasks")
    else:
        names = ("_all_tasks",)
    registries = tuple(getattr(asyncio.tasks, name, None) for name in names)
    if all(isinstance(registry, (weakref.WeakSet, set)) for registry in registries):
        return registries  # type: ignore[return-value]  # (checked just above)
    return None


_TASK_REGISTRIES = _task_registries()


def pending_tasks(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    """The tasks of ``loop`` not done yet, as ``asyncio.all_tasks(loop)`` tells."""
    if _TASK_REGISTRIES is not None:
        for registry in _TASK_REGISTRIES:
            if len(registry):
                break
        else:
            return []  # no task alive at all (the common case once a test's tasks are done)
    return [task for task in asyncio.all_tasks(loop) if not task.done()]
