"""The factory fixtures the plugin gives tests directly (pytest_plugin.direct), and
when it leaves them to pytest."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

ORDER_TESTS = """
import pytest
from app_helpers import make_app

ORDER = []

@pytest.fixture
def resource():
    ORDER.append("resource set up")
    yield
    ORDER.append("resource torn down")

def app_with_cleanup():
    app = make_app()
    async def cleanup(app):
        ORDER.append("app cleaned up")
    app.on_cleanup.append(cleanup)
    return app

async def test_factory_first(http_client, resource):
    assert (await (await http_client(app_with_cleanup(), memory=True)).get("/")).status == 200

async def test_factory_last(resource, http_client):
    assert (await (await http_client(app_with_cleanup())).get("/")).status == 200

def test_order():
    # Whatever the order of the arguments, the servers close while `resource` is up.
    assert ORDER == ["resource set up", "app cleaned up", "resource torn down"] * 2
"""


def test_factories_close_before_the_other_function_fixtures(
    isolated: pytest.Pytester, run_plugin: Callable[..., pytest.RunResult]
) -> None:
    isolated.makepyfile(ORDER_TESTS)
    run_plugin(isolated).assert_outcomes(passed=3)


def test_a_fixture_that_uses_the_factory_shares_it_with_the_test(
    isolated: pytest.Pytester, run_plugin: Callable[..., pytest.RunResult]
) -> None:
    isolated.makepyfile(
        """
        import pytest
        from app_helpers import make_app

        @pytest.fixture
        async def client(http_client):
            return await http_client(make_app(), memory=True)

        @pytest.fixture
        def factory(http_client):
            return http_client

        async def test_shared(http_client, factory, client):
            assert factory is http_client
            assert (await client.get("/")).status == 200

        async def test_aliases_share_too(http_client, aiohttp_client, http_server, aiohttp_server):
            assert aiohttp_client is http_client and aiohttp_server is http_server
            client = await aiohttp_client(await http_server(make_app()))
            assert (await client.get("/")).status == 200
        """
    )
    run_plugin(isolated).assert_outcomes(passed=2)


def test_a_project_fixture_of_the_same_name_wins(
    isolated: pytest.Pytester, run_plugin: Callable[..., pytest.RunResult]
) -> None:
    isolated.makeconftest(
        """
        import pytest

        @pytest.fixture
        def http_client():
            return "the project's"

        @pytest.fixture
        def http_server(http_server):
            return ("wrapped", http_server)
        """
    )
    isolated.makepyfile(
        """
        from app_helpers import make_app

        async def test_override(http_client, http_server):
            assert http_client == "the project's"
            label, factory = http_server
            assert label == "wrapped"
            assert (await factory(make_app())).started
        """
    )
    run_plugin(isolated).assert_outcomes(passed=1)


def test_setup_show_lists_the_factories(
    isolated: pytest.Pytester, run_plugin: Callable[..., pytest.RunResult]
) -> None:
    isolated.makepyfile(
        """
        async def test_listed(http_client, raw_server):
            assert callable(http_client) and callable(raw_server)
        """
    )
    result = run_plugin(isolated, "--setup-show")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SETUP    F http_client*", "*TEARDOWN F raw_server*"])


def test_an_error_while_closing_is_a_teardown_error(
    isolated: pytest.Pytester, run_plugin: Callable[..., pytest.RunResult]
) -> None:
    isolated.makepyfile(
        """
        from app_helpers import make_app

        def failing_app():
            app = make_app()
            async def cleanup(app):
                raise RuntimeError("cleanup failed")
            app.on_cleanup.append(cleanup)
            return app

        async def test_cleanup_fails(http_client, http_server):
            await http_server(make_app())
            await http_client(failing_app(), memory=True)
        """
    )
    result = run_plugin(isolated)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_cleanup_fails*", "*cleanup failed*"])


def test_a_passing_test_closes_its_factories_before_its_call_ends(
    isolated: pytest.Pytester, run_plugin: Callable[..., pytest.RunResult]
) -> None:
    # In the loop run of the test itself when it passes; at teardown when it fails, so
    # that what the test left is still there for --pdb and the failure report.
    isolated.makeconftest(
        """
        PHASES = []

        def pytest_runtest_logreport(report):
            PHASES.append(report.when)
        """
    )
    isolated.makepyfile(
        """
        from conftest import PHASES
        from app_helpers import make_app

        def app_with_cleanup():
            app = make_app()
            async def cleanup(app):
                PHASES.append("app cleaned up")
            app.on_cleanup.append(cleanup)
            return app

        async def test_passes(http_client):
            client = await http_client(app_with_cleanup(), memory=True)
            assert (await client.get("/")).status == 200

        async def test_fails(http_client):
            await http_client(app_with_cleanup())
            assert False

        def test_phases():
            assert PHASES == [
                "setup", "app cleaned up", "call", "teardown",
                "setup", "call", "app cleaned up", "teardown",
                "setup",
            ]
        """
    )
    run_plugin(isolated).assert_outcomes(passed=2, failed=1)
