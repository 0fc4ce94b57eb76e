"""What the plugin does around each test: its markers, the tasks a test leaves, the
per-test state it keeps (inner pytest sessions with pytester)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider", *args)


def test_tasks_a_test_leaves_are_cancelled_at_teardown(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import asyncio

        left = []

        async def sleep_forever(name):
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                left.append(name)
                raise

        async def test_leaves_a_running_task():
            asyncio.get_running_loop().create_task(sleep_forever("running"))
            await asyncio.sleep(0)

        def test_leaves_a_task_never_started():
            asyncio.get_event_loop().create_task(sleep_forever("never started"))

        async def test_leaves_a_done_task():
            await asyncio.get_running_loop().create_task(asyncio.sleep(0))

        def test_they_were_cancelled():
            assert left == ["running"]  # a task cancelled before its start runs nothing
        """
    )
    run(isolated).assert_outcomes(passed=4)


def test_closest_leak_marker_wins_over_class_and_module_ones(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import pytest
        from toolkit import ClientSession

        pytestmark = pytest.mark.toolkit_leaks

        async def test_module_marker_checks():
            ClientSession()

        @pytest.mark.toolkit_leaks(False)
        class TestUnchecked:
            async def test_class_marker_wins(self):
                ClientSession()

            @pytest.mark.toolkit_leaks(True)
            async def test_own_marker_wins(self):
                ClientSession()
        """
    )
    result = run(isolated, "-W", "ignore::ResourceWarning")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_module_marker_checks*",
            "*ERROR at teardown of TestUnchecked.test_own_marker_wins*",
        ],
        consecutive=False,
    )


def test_block_network_marker_on_a_class(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import socket
        import pytest

        @pytest.mark.block_network
        class TestBlocked:
            def test_connects_out(self):
                with socket.socket() as sock:
                    sock.settimeout(0.01)
                    try:
                        sock.connect(("192.0.2.1", 80))
                    except Exception:
                        pass  # the plugin fails the test anyway

        def test_not_blocked():
            pass
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of TestBlocked.test_connects_out*"])


def test_the_plugin_keeps_nothing_on_items_after_their_teardown(
    isolated: pytest.Pytester,
) -> None:
    isolated.makeconftest(
        """
        from pytest_plugin.plugin import _STATE_KEY

        items = []

        def pytest_collection_modifyitems(items):
            globals()["items"] = list(items)

        def pytest_sessionfinish(session):
            kept = [item.name for item in items if _STATE_KEY in item.stash]
            assert not kept, kept
        """
    )
    isolated.makepyfile(
        """
        async def test_async():
            pass

        def test_sync():
            pass

        async def test_client(http_client):
            from app_helpers import make_app
            client = await http_client(make_app(), memory=True)
            assert (await client.get("/")).status == 200
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=3)
    assert "AssertionError" not in result.stdout.str()
