"""The leak check's garbage collection (pytest_plugin.leaks), outside pytest runs."""

from __future__ import annotations

import asyncio
import gc
import warnings
import weakref
from collections.abc import Iterator

import pytest

from pytest_plugin import leaks


@pytest.fixture
def fresh_checks() -> Iterator[None]:
    leaks.release_frozen()
    yield
    leaks.release_frozen()


def test_the_mark_is_the_collectors_own_count_after_each_check(fresh_checks: None) -> None:
    # The first check collects everything; the next ones only the young generations,
    # until the collector runs on its own (here: forced) and the next is full again.
    leaks._collect_since_freeze()
    assert leaks._collections_mark == leaks._collections()
    middle, old = leaks._collections()
    leaks._collect_since_freeze()
    assert leaks._collections() == (middle + 1, old)
    assert leaks._collections_mark == leaks._collections()
    gc.collect(1)  # as an automatic collection would
    middle, old = leaks._collections()
    leaks._collect_since_freeze()
    assert leaks._collections() == (middle, old + 1)
    assert leaks._collections_mark == leaks._collections()


def test_release_gives_frozen_objects_back(fresh_checks: None) -> None:
    leaks._collect_since_freeze()
    assert gc.get_freeze_count() > 0
    leaks.release_frozen()
    assert gc.get_freeze_count() == 0
    assert leaks._collections_mark is None


def test_first_recorder_freezes_the_older_objects_without_collecting(fresh_checks: None) -> None:
    loop = asyncio.new_event_loop()
    gc.disable()  # no automatic collection in between: the counts below are exact
    try:
        counts = leaks._collections()
        recorder = leaks.LeakRecorder(loop)
        assert leaks._collections() == counts
        assert gc.get_freeze_count() > 0
        assert leaks._collections_mark == counts

        class Cycle:
            me: object

        made_by_the_test = Cycle()
        made_by_the_test.me = made_by_the_test
        collected: list[bool] = []
        weakref.finalize(made_by_the_test, collected.append, True)
        del made_by_the_test
        recorder.collect()
        assert collected == [True]
        assert leaks._collections() == (counts[0] + 1, counts[1])  # the young ones only
        recorder.uninstall()
    finally:
        gc.enable()
        loop.close()


def test_leak_warning_filter_is_the_one_filterwarnings_makes() -> None:
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", leaks.LEAK_WARNING_PATTERN, ResourceWarning)
        expected = list(warnings.filters)
        warnings.resetwarnings()
        warnings.simplefilter("error")
        leaks.ignore_leak_warnings()
        assert warnings.filters == expected
        leaks.ignore_leak_warnings()  # in front already: not added twice
        assert warnings.filters == expected
        warnings.simplefilter("default")
        leaks.ignore_leak_warnings()  # moved back to the front, as filterwarnings() does
        assert warnings.filters == [expected[0], ("default", None, Warning, None, 0), *expected[1:]]
        warnings.resetwarnings()
        warnings.simplefilter("error")
        leaks.ignore_leak_warnings()
        warnings.warn("Unclosed client session <x>", ResourceWarning, stacklevel=1)  # ignored
        with pytest.raises(ResourceWarning):
            warnings.warn("Unclosed file <x>", ResourceWarning, stacklevel=1)


async def test_open_on_loop_lists_servers_serving_and_transports_not_closing() -> None:
    loop = asyncio.get_running_loop()
    assert leaks.open_on_loop(loop) == ([], [])
    served: asyncio.Future[None] = loop.create_future()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # to the client's end
        writer.close()
        await writer.wait_closed()
        served.set_result(None)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        assert leaks.open_on_loop(loop) == ([], [server])
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        transports, servers = leaks.open_on_loop(loop)
        assert servers == [server]
        assert writer.transport in transports  # and the server's end of the connection
        assert len(transports) == 2
        writer.close()
        await writer.wait_closed()
        assert writer.transport not in leaks.open_on_loop(loop)[0]
        await served  # the server's end is closed too
    finally:
        server.close()
        await server.wait_closed()
    assert leaks.open_on_loop(loop) == ([], [])


def test_open_on_loop_knows_nothing_of_other_loops() -> None:
    class ForeignLoop:  # no selector, no transport table (as uvloop)
        pass

    assert leaks.open_on_loop(ForeignLoop()) == ([], [])  # type: ignore[arg-type]


def _filters(*specs: tuple[str, str, type[Warning]]) -> bool:
    """``resource_warnings_shown()`` under the filters ``(action, message, category)``,
    the first one first (nothing else installed: Python's default action applies)."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        for action, message, category in reversed(specs):
            warnings.filterwarnings(action, message, category)  # type: ignore[arg-type]
        return leaks.resource_warnings_shown()


def test_resource_warnings_shown() -> None:
    assert _filters(("ignore", "", ResourceWarning)) is False
    assert _filters(("ignore", "", Warning)) is False
    assert _filters(("error", "", Warning), ("ignore", "", ResourceWarning)) is True
    # DeprecationWarning filters decide nothing for ResourceWarning.
    assert _filters(("always", "", DeprecationWarning), ("ignore", "", ResourceWarning)) is False
    # One that ignores some only (the leak reports): the next ones decide for the rest.
    leak_reports = ("ignore", leaks.LEAK_WARNING_PATTERN, ResourceWarning)
    assert _filters(leak_reports, ("ignore", "", ResourceWarning)) is False
    assert _filters(leak_reports, ("default", "", ResourceWarning)) is True
    assert _filters(leak_reports) is True  # then Python's default action: shown
    # One that shows some only: shown.
    assert _filters(("default", "unclosed file", ResourceWarning), ("ignore", "", Warning))
