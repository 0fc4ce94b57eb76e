"""Run ``async def`` tests and fixtures on a fresh event loop per test.

Each test gets its own loop, created before its fixtures are set up and closed
after they are torn down, so async fixtures and the test share one loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Callable, Generator
from typing import Any

import pytest

_LOOP_KEY = pytest.StashKey[asyncio.AbstractEventLoop]()
_current_loop: asyncio.AbstractEventLoop | None = None


def _loop() -> asyncio.AbstractEventLoop:
    if _current_loop is None:
        raise RuntimeError("an async fixture was requested outside of a test's event loop")
    return _current_loop


def _wrap_async_fixture(func: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, None, None]:
            loop = _loop()
            agen = func(*args, **kwargs)
            value = loop.run_until_complete(agen.__anext__())
            try:
                yield value
            finally:
                with contextlib.suppress(StopAsyncIteration):
                    loop.run_until_complete(agen.__anext__())
                    raise RuntimeError(f"async fixture {func.__name__} yielded more than once")

        return gen_wrapper

    @functools.wraps(func)
    def coro_wrapper(*args: Any, **kwargs: Any) -> Any:
        return _loop().run_until_complete(func(*args, **kwargs))

    return coro_wrapper


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> None:
    func = fixturedef.func
    if (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)) and not getattr(
        func, "_toolkit_wrapped", False
    ):
        if fixturedef.scope != "function":
            raise pytest.UsageError(
                f"async fixture {fixturedef.argname!r} must be function-scoped "
                f"(it is {fixturedef.scope!r})"
            )
        wrapped = _wrap_async_fixture(func)
        wrapped._toolkit_wrapped = True  # type: ignore[attr-defined]
        fixturedef.func = wrapped  # type: ignore[misc]  # pytest marks it Final


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    global _current_loop
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    item.stash[_LOOP_KEY] = loop
    _current_loop = loop
    yield


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    global _current_loop
    yield
    loop = item.stash.get(_LOOP_KEY, None)
    if loop is None:
        return
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        _current_loop = None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        return None
    loop = pyfuncitem.stash[_LOOP_KEY]
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    loop.run_until_complete(func(**kwargs))
    return True
