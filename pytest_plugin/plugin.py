"""Run ``async def`` tests and fixtures on a fresh event loop per test.

Each test gets its own loop, created before its fixtures are set up and closed
after they are torn down, so async fixtures and the test share one loop (made by
:mod:`pytest_plugin.loops`, which reuses the wake-up socket pair and, when nothing was
left in it, the selector of the previous test's closed loop). The test and its fixture
steps run through :mod:`pytest_plugin.running`. Tests that pytest-asyncio or anyio's
plugin runs (see :mod:`pytest_plugin.coexist`) are left to them: no loop and no
async fixtures from aiotoolkit there; the leak check still applies (it listens to the
client's reports instead of a loop of its own).

Options (command line, or the same name without ``--`` and with ``_`` in the ini file):

* ``--toolkit-loop=asyncio|uvloop`` — the event loop implementation (default asyncio).
* ``--toolkit-leaks=fixtures|all|off`` — fail tests that leave client sessions,
  connectors, connections, servers or transports open: only tests that use the
  plugin's server, client or mock fixtures (default), every test, or none.
  ``@pytest.mark.toolkit_leaks`` turns the check on for one test,
  ``@pytest.mark.toolkit_leaks(False)`` off.

The fixtures (``http_client``, ``http_server``, ``raw_server``, ``unused_port``,
``tls_*`` and the ``aiohttp_*`` aliases) live in :mod:`pytest_plugin.fixtures` and
:mod:`pytest_plugin.tls`; ``mock_http`` in :mod:`pytest_plugin.mock_fixtures`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import pytest

from .coexist import (
    asyncio_plugin_active,
    declare_async_fixtures,
    eager_setup_fixtures,
    foreign_runner,
)
from .direct import close_factories, direct_factories
from .fixtures import (
    _Factory,
    aiohttp_client,
    aiohttp_raw_server,
    aiohttp_server,
    aiohttp_unused_port,
    http_client,
    http_server,
    loop,
    preload,
    raw_server,
    unused_port,
    unused_port_factory,
)
from .leaks import LeakRecorder, ignore_leak_warnings, release_frozen
from .loops import SelfPipePool, loop_factory
from .mock_fixtures import mock_http
from .network import NetworkBlockedError, block_network
from .running import fixture_wrapper, is_async_fixture, pending_tasks, run
from .tls import (
    tls_ca,
    tls_certificate,
    tls_client_certificate,
    tls_client_context,
    tls_mutual_client_context,
    tls_mutual_server_context,
    tls_server_context,
)

__all__ = [
    "aiohttp_client",
    "aiohttp_raw_server",
    "aiohttp_server",
    "aiohttp_unused_port",
    "http_client",
    "http_server",
    "loop",
    "mock_http",
    "raw_server",
    "tls_ca",
    "tls_certificate",
    "tls_client_certificate",
    "tls_client_context",
    "tls_mutual_client_context",
    "tls_mutual_server_context",
    "tls_server_context",
    "unused_port",
    "unused_port_factory",
]

#: Tests that use one of these fixtures are checked for leaks by default.
_CHECKED_FIXTURES = frozenset(
    {
        "http_client",
        "http_server",
        "raw_server",
        "aiohttp_client",
        "aiohttp_server",
        "aiohttp_raw_server",
        "mock_http",
    }
)

_LOOP_FACTORY_KEY = pytest.StashKey[Callable[[], asyncio.AbstractEventLoop]]()
_PIPE_POOL_KEY = pytest.StashKey[SelfPipePool]()


class _TestState:
    """What the plugin keeps for one test from its setup to its teardown.

    One stash entry per test: reading a missing stash key raises and catches a
    ``KeyError``, which costs more than all the plugin's other lookups of a test.
    """

    __slots__ = ("close_error", "direct", "leaks", "loop", "network", "outer")

    def __init__(
        self,
        outer: tuple[asyncio.AbstractEventLoop | None, str | None, pytest.Item | None],
    ) -> None:
        #: The plugin's current loop, foreign runner and item before this test's setup.
        self.outer = outer
        self.loop: asyncio.AbstractEventLoop | None = None
        self.leaks: LeakRecorder | None = None
        #: The factories given directly (pytest_plugin.direct), until they are closed.
        self.direct: list[_Factory] | None = None
        #: The error closing them after the test passed, raised at teardown.
        self.close_error: BaseException | None = None
        self.network: tuple[contextlib.ExitStack, list[NetworkBlockedError]] | None = None


_STATE_KEY = pytest.StashKey[_TestState]()
#: The session's settings, read once: (leak mode, --block-network).
_SETTINGS_KEY = pytest.StashKey[tuple[str, bool]]()
_current_loop: asyncio.AbstractEventLoop | None = None
#: The test being run (its fixture request serves fixtures looked up on demand).
_current_item: pytest.Item | None = None
#: The other plugin running the current test ("pytest-asyncio", "anyio"), if any.
_current_foreign: str | None = None


def _loop() -> asyncio.AbstractEventLoop:
    if _current_loop is None:
        if _current_foreign is not None:
            raise RuntimeError(
                f"this test is run by {_current_foreign}, not aiotoolkit: its event loop is "
                "asyncio.get_running_loop() inside the test (the `loop` fixture is aiotoolkit's)"
            )
        raise RuntimeError("the `loop` fixture was requested outside of a test's event loop")
    return _current_loop


def current_request() -> pytest.FixtureRequest:
    """The fixture request of the test being run, to look fixtures up on demand.

    The plugin's factory fixtures use it instead of depending on ``request``: pytest
    builds a new definition of the ``request`` fixture every time one is resolved.
    """
    request: pytest.FixtureRequest | None = getattr(_current_item, "_request", None)
    if request is None:
        raise RuntimeError(
            "aiotoolkit: no test is being set up or run, or this pytest gives its test "
            "items no fixture request (item._request)"
        )
    return request


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """Run the async fixtures of aiotoolkit's tests on the test's loop.

    The outermost wrapper: it swaps in a synchronous stand-in for this one setup only,
    so other async plugins' hooks see a plain function and leave it alone, and the
    fixture stays untouched for the tests they run.
    """
    func = fixturedef.func
    if _current_loop is None or not is_async_fixture(func):
        return (yield)
    if fixturedef.scope != "function":
        if asyncio_plugin_active(request.config):
            return (yield)  # pytest-asyncio runs wide-scoped async fixtures on its own loops
        raise pytest.UsageError(
            f"async fixture {fixturedef.argname!r} must be function-scoped "
            f"(it is {fixturedef.scope!r}): aiotoolkit gives every test its own loop"
        )
    wrapper = fixture_wrapper(
        func, _loop, eager=func in eager_setup_fixtures, instance=request.instance
    )
    fixturedef.func = wrapper  # type: ignore[misc]  # Final
    try:
        return (yield)
    finally:
        fixturedef.func = func  # type: ignore[misc]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aiotoolkit", "aiotoolkit: async tests and HTTP fixtures")
    group.addoption(
        "--toolkit-loop",
        dest="toolkit_loop",
        choices=("asyncio", "uvloop"),
        default=None,
        help="event loop for async tests and fixtures (default: asyncio)",
    )
    group.addoption(
        "--toolkit-leaks",
        dest="toolkit_leaks",
        choices=("fixtures", "all", "off"),
        default=None,
        help="fail tests that leave client sessions, connections, servers or transports open: "
        "tests using the plugin's client, server or mock fixtures (default), all tests, or none",
    )
    parser.addini(
        "toolkit_loop", "event loop for async tests: asyncio or uvloop", default="asyncio"
    )
    parser.addini("toolkit_leaks", "leak check: fixtures, all or off", default="fixtures")
    group.addoption(
        "--block-network",
        dest="toolkit_block_network",
        action="store_true",
        default=False,
        help="fail any test that resolves or connects to a host outside loopback",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "toolkit_leaks(enabled=True): check (or with False, do not check) that the test "
        "leaves no client session, connector or connection open",
    )
    config.addinivalue_line(
        "markers",
        "block_network: fail the test if it resolves or connects to a host outside loopback "
        "(the --block-network option does this for every test)",
    )
    # A bad --toolkit-loop fails at startup, not in every test.
    pool = config.stash[_PIPE_POOL_KEY] = SelfPipePool()
    config.stash[_LOOP_FACTORY_KEY] = _loop_factory(config, pool)
    leaks = _option(config, "toolkit_leaks")
    if leaks not in ("fixtures", "all", "off"):
        raise pytest.UsageError(f"toolkit_leaks must be fixtures, all or off, got {leaks!r}")
    config.stash[_SETTINGS_KEY] = (leaks, bool(config.getoption("toolkit_block_network")))
    declare_async_fixtures(config)


@pytest.hookimpl(trylast=True)  # after deselection: only the tests that will run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.option.collectonly:
        preload(items)


@pytest.hookimpl(trylast=True)  # after pytest's own last garbage collections
def pytest_unconfigure(config: pytest.Config) -> None:
    release_frozen()
    pool = config.stash.get(_PIPE_POOL_KEY, None)
    if pool is not None:
        pool.close()


def _option(config: pytest.Config, name: str) -> str:
    value = config.getoption(name)
    if value is None:
        value = config.getini(name)
    return str(value)


def _loop_factory(
    config: pytest.Config, pool: SelfPipePool
) -> Callable[[], asyncio.AbstractEventLoop]:
    kind = _option(config, "toolkit_loop")
    try:
        return loop_factory(kind, pool)
    except ImportError:
        raise pytest.UsageError(
            "--toolkit-loop=uvloop needs uvloop installed (pip install uvloop)"
        ) from None
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _our_markers(item: pytest.Item) -> tuple[pytest.Mark | None, bool]:
    """The closest ``toolkit_leaks`` marker and whether ``block_network`` is set, in one
    walk over the markers of the item and its parents (``item.iter_markers()``'s order,
    without its generators and node list)."""
    leaks: pytest.Mark | None = None
    block = False
    node: pytest.Item | pytest.Collector | None = item
    while node is not None:
        for mark in node.own_markers:
            name = mark.name
            if name == "toolkit_leaks":
                if leaks is None:
                    leaks = mark
            elif name == "block_network":
                block = True
        node = node.parent
    return leaks, block


def _checks_leaks(item: pytest.Item, mode: str, marker: pytest.Mark | None) -> bool:
    if marker is not None:
        return bool(marker.args[0] if marker.args else marker.kwargs.get("enabled", True))
    if mode == "all":
        return True
    if mode == "off":
        return False
    return not _CHECKED_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    global _current_loop, _current_foreign, _current_item
    config = item.config
    leaks_mode, block_all = config.stash[_SETTINGS_KEY]
    leaks_marker, block_marked = _our_markers(item)
    # Restored at teardown: pytester may run an inner session inside a test.
    state = item.stash[_STATE_KEY] = _TestState((_current_loop, _current_foreign, _current_item))
    _current_item = item
    _current_foreign = foreign_runner(item)
    if _current_foreign is None:
        loop = config.stash[_LOOP_FACTORY_KEY]()
        asyncio.set_event_loop(loop)
        state.loop = _current_loop = loop
        state.direct = direct_factories(item)
    if _checks_leaks(item, leaks_mode, leaks_marker):
        # Reported by the recorder instead (pytest restores the filters after the test);
        # first: for another plugin's test, the recorder collects earlier tests' garbage.
        ignore_leak_warnings()
        # (For another plugin's test the loop is not ours: the recorder listens to the
        # client itself.)
        state.leaks = LeakRecorder(state.loop)
    if block_all or block_marked:
        attempts: list[NetworkBlockedError] = []
        guard = contextlib.ExitStack()
        guard.enter_context(block_network(attempts))
        state.network = (guard, attempts)
    return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    global _current_loop, _current_foreign, _current_item
    # (None when this plugin's setup did not run for the item.)
    state = item.stash.get(_STATE_KEY, None)
    # The factories given directly (pytest_plugin.direct) close before the other fixtures.
    closing_error = _close_direct_factories(state) if state is not None else None
    try:
        yield
    finally:
        report: str | None = None
        if state is None:
            _current_loop = _current_foreign = _current_item = None
        else:
            # Items live for the whole session; what the plugin kept for the test need not.
            del item.stash[_STATE_KEY]
            loop, recorder = state.loop, state.leaks
            if loop is not None:
                state.loop = state.leaks = None
                try:
                    pending = pending_tasks(loop)
                    for task in pending:
                        task.cancel()
                    if pending:
                        run(loop, asyncio.gather(*pending, return_exceptions=True))
                    if recorder is not None:
                        try:
                            recorder.collect()
                            report = recorder.report()
                        finally:
                            recorder.uninstall()
                    _shutdown(loop)
                finally:
                    asyncio.set_event_loop(None)
                    loop.close()
            elif recorder is not None:  # another plugin's test
                state.leaks = None
                try:
                    recorder.collect()
                    report = recorder.report()
                finally:
                    recorder.uninstall()
            _current_loop, _current_foreign, _current_item = state.outer
            if _current_loop is not None:
                asyncio.set_event_loop(_current_loop)
            if state.network is not None:
                guard, attempts = state.network
                guard.close()
                if attempts and report is None:
                    report = "\n".join(dict.fromkeys(str(error) for error in attempts))
        if closing_error is not None:
            raise closing_error
        if report is not None:
            pytest.fail(report, pytrace=False)


def _close_direct_factories(state: _TestState) -> BaseException | None:
    """Close what the factories given directly to the test made; returns the error."""
    error = state.close_error
    if error is not None:  # closed after the test passed (_call_then_close)
        state.close_error = None
        return error
    made = state.direct
    if made is None:
        return None
    state.direct = None
    loop = state.loop
    if loop is None or not any(factory.pending for factory in made):
        return None
    try:
        run(loop, close_factories(made))
    except BaseException as exc:
        return exc
    return None


def _shutdown(loop: asyncio.AbstractEventLoop) -> None:
    """Finalize async generators and the default executor, skipping what was never used
    (each step costs a few loop iterations; asyncio's loop tells, others always run it)."""
    if getattr(loop, "_asyncgens", True):
        run(loop, loop.shutdown_asyncgens())
    if getattr(loop, "_default_executor", True) is not None:
        run(loop, loop.shutdown_default_executor())


#: Whether each test function seen is a coroutine function (the inspect check is not free).
_coroutine_tests: dict[Callable[..., Any], bool] = {}


def _is_coroutine_test(func: Callable[..., Any]) -> bool:
    """``inspect.iscoroutinefunction(func)``, cached per function."""
    function = getattr(func, "__func__", func)  # a test method: its function
    kind = _coroutine_tests.get(function)
    if kind is None:
        kind = _coroutine_tests[function] = inspect.iscoroutinefunction(func)
    return kind


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    state = pyfuncitem.stash.get(_STATE_KEY, None)
    loop = state.loop if state is not None else None
    if state is None or loop is None or not _is_coroutine_test(pyfuncitem.obj):
        return None  # a sync test, or one another plugin runs
    func = pyfuncitem.obj
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    made = state.direct
    if made is None:
        run(loop, func(**kwargs))
    else:
        run(loop, _call_then_close(func(**kwargs), state, made))
    return True


async def _call_then_close(
    test: Coroutine[Any, Any, object], state: _TestState, made: list[_Factory]
) -> None:
    """Run the test; when it passes, close what its direct factories made in the same
    loop run (one run fewer than at teardown). An error closing them is kept for the
    teardown to raise, as if they had closed there; a failed test leaves them open until
    its teardown (``--pdb`` sees them as the test left them)."""
    __tracebackhide__ = True
    await test
    state.direct = None
    try:
        await close_factories(made)
    except (Exception, asyncio.CancelledError) as exc:  # (not an interrupt: that goes on)
        state.close_error = exc
