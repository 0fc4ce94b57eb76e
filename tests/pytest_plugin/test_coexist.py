"""The plugin next to pytest-asyncio and anyio's plugin, in pytest subprocesses.

Most runs load the plugins explicitly (autoloading off), in both orders: a test
marked for pytest-asyncio or anyio runs under that plugin (proved by what only that
plugin does: a module-wide loop, a module-scoped async fixture), unmarked ``async def``
tests run under ours (their loop is the ``loop`` fixture), and our fixtures work in
all of them.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_asyncio")
pytest.importorskip("anyio")

APP = """
from toolkit import web

def make_app():
    async def hello(request):
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    return app
"""

# Our fixtures, used the same way from tests of every runner.
CHECKS = """
from toolkit import ClientSession
from app_helpers import make_app

async def use_our_fixtures(http_client, http_server, mock_http):
    for options in ({}, {"memory": True}, {"tls": True}):
        client = await http_client(make_app(), **options)
        async with client.get("/") as resp:
            assert await resp.text() == "hello", options
    server = await http_server(make_app())
    client = await http_client(server)
    assert (await client.get("/")).status == 200
    mock_http.get("http://api.test/users", json=[1, 2])
    async with ClientSession() as session, session.get("http://api.test/users") as resp:
        assert await resp.json() == [1, 2]
"""

PLAIN = """
import asyncio
import pytest
from checks import use_our_fixtures

@pytest.fixture
async def running_loop():
    yield asyncio.get_running_loop()

async def test_unmarked_runs_on_our_loop(loop, running_loop):
    assert asyncio.get_running_loop() is loop
    assert running_loop is loop

async def test_unmarked_with_our_fixtures(http_client, http_server, mock_http, tls_ca):
    await use_our_fixtures(http_client, http_server, mock_http)

def test_sync_test_with_our_async_fixture(http_client, loop):
    from app_helpers import make_app

    client = loop.run_until_complete(http_client(make_app(), memory=True))
    assert loop.run_until_complete(client.get("/")).status == 200
"""

ASYNCIO_MARKED = """
import asyncio
import pytest
import pytest_asyncio
from checks import use_our_fixtures

@pytest_asyncio.fixture
async def theirs():
    yield asyncio.get_running_loop()

@pytest.mark.asyncio
async def test_marked_runs_under_pytest_asyncio(request, theirs):
    assert pytest_asyncio.is_async_test(request.node)
    assert asyncio.get_running_loop() is theirs
    with pytest.raises(RuntimeError, match="run by pytest-asyncio"):
        request.getfixturevalue("loop")

@pytest.mark.asyncio
async def test_marked_with_our_fixtures(http_client, http_server, mock_http, theirs):
    assert asyncio.get_running_loop() is theirs
    await use_our_fixtures(http_client, http_server, mock_http)

@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop_first():
    pytest.shared_loop = asyncio.get_running_loop()

@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop_second():
    # aiotoolkit would have given this test a loop of its own.
    assert asyncio.get_running_loop() is pytest.shared_loop
"""

ANYIO_MARKED = """
import asyncio
import pytest
from checks import use_our_fixtures
from toolkit.testing.mock import MockRouter

pytestmark = pytest.mark.anyio

@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"

@pytest.fixture(scope="module")
async def module_loop():
    # aiotoolkit refuses wide-scoped async fixtures; anyio runs this one.
    yield asyncio.get_running_loop()

async def test_marked_runs_under_anyio(request, module_loop):
    assert asyncio.get_running_loop() is module_loop
    with pytest.raises(RuntimeError, match="run by anyio"):
        request.getfixturevalue("loop")

async def test_marked_with_our_fixtures(http_client, http_server, mock_http, module_loop):
    assert asyncio.get_running_loop() is module_loop
    # (anyio's runner task copied its context before the test's sync fixtures ran:
    # mock_http switches the default connector process-wide for its tests.)
    await use_our_fixtures(http_client, http_server, mock_http)

async def test_a_mock_started_inside_the_test(http_client, http_server):
    with MockRouter() as mock:
        await use_our_fixtures(http_client, http_server, mock)

async def test_no_mock_is_left_after_mock_http(request):
    from toolkit.client._default_connector import get_default_connector_factory

    assert get_default_connector_factory() is None
"""

# In its auto mode the other plugin takes every async test, ours included.
AUTO = """
import pytest
from checks import use_our_fixtures

async def test_unmarked_is_theirs(request):
    with pytest.raises(RuntimeError, match="run by {runner}"):
        request.getfixturevalue("loop")

async def test_our_fixtures_in_their_test(http_client, http_server, mock_http):
    await use_our_fixtures(http_client, http_server, mock_http)
"""

ASYNCIO_INI = ["-o", "asyncio_default_fixture_loop_scope=function"]
# pytest-asyncio's entry point is named "asyncio"; ``-p asyncio`` after our plugin (which
# imports the standard library's asyncio) warns that "asyncio" cannot be rewritten.
ASYNCIO = "pytest_asyncio.plugin"


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = --strict-markers\n")
    pytester.makepyfile(app_helpers=APP, checks=CHECKS, test_plain=PLAIN)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def both_orders(other: str) -> list[list[str]]:
    ours = ["-p", "pytest_plugin.plugin"]
    theirs = ["-p", other]
    return [ours + theirs, theirs + ours]


@pytest.mark.parametrize("order", both_orders(ASYNCIO), ids=["ours-first", "asyncio-first"])
def test_pytest_asyncio_strict_mode(suite: pytest.Pytester, order: list[str]) -> None:
    suite.makepyfile(test_asyncio_marked=ASYNCIO_MARKED)
    result = run(suite, *order, *ASYNCIO_INI)
    result.assert_outcomes(passed=7)


@pytest.mark.parametrize("order", both_orders("anyio"), ids=["ours-first", "anyio-first"])
def test_anyio(suite: pytest.Pytester, order: list[str]) -> None:
    suite.makepyfile(test_anyio_marked=ANYIO_MARKED)
    result = run(suite, *order, "-v")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(["*test_marked_runs_under_anyio*PASSED*"])


def test_all_three_plugins(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_asyncio_marked=ASYNCIO_MARKED, test_anyio_marked=ANYIO_MARKED)
    result = run(suite, "-p", ASYNCIO, "-p", "pytest_plugin.plugin", "-p", "anyio", *ASYNCIO_INI)
    result.assert_outcomes(passed=11)


def test_all_three_plugins_autoloaded(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    suite.makepyfile(test_asyncio_marked=ASYNCIO_MARKED, test_anyio_marked=ANYIO_MARKED)
    result = run(suite, "-p", "no:aiohttp", *ASYNCIO_INI)
    result.assert_outcomes(passed=11)


@pytest.mark.parametrize(
    ("plugin", "options", "runner"),
    [
        (ASYNCIO, ["-o", "asyncio_mode=auto", *ASYNCIO_INI], "pytest-asyncio"),
        ("anyio", ["-o", "anyio_mode=auto"], "anyio"),
    ],
    ids=["pytest-asyncio", "anyio"],
)
def test_auto_mode_of_the_other_plugin_takes_every_async_test(
    suite: pytest.Pytester, plugin: str, options: list[str], runner: str
) -> None:
    (suite.path / "test_plain.py").unlink()
    suite.makepyfile(test_auto=AUTO.replace("{runner}", runner))
    result = run(suite, "-p", "pytest_plugin.plugin", "-p", plugin, *options)
    result.assert_outcomes(passed=2)


def test_other_plugins_installed_but_disabled(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    result = run(suite, "-p", "no:asyncio", "-p", "no:anyio", "-p", "no:aiohttp")
    result.assert_outcomes(passed=3)


# Leaks in tests the other plugin runs: reported by the client to the recorder directly.
LEAKY = """
import gc
import pytest
from toolkit import ClientSession
from toolkit.testing import TestServer
from app_helpers import make_app

{marks}

async def test_leaks_a_session(http_client):
    assert (await (await http_client(make_app(), memory=True)).get("/")).status == 200
    ClientSession()

async def test_leaks_a_session_in_a_cycle(http_client):
    holder = {{"session": ClientSession()}}
    holder["self"] = holder

@pytest.mark.toolkit_leaks
async def test_leaves_a_test_server_running():
    pytest.kept_server = TestServer(make_app())
    await pytest.kept_server.start_server()

async def test_closes_everything(http_client):
    async with ClientSession() as session:
        client = await http_client(make_app())
        async with session.get(client.make_url("/")) as resp:
            assert resp.status == 200

@pytest.mark.toolkit_leaks(False)
async def test_unchecked_leaves_a_session_in_a_cycle():
    gc.disable()  # (kept for the next test's check to find, if it looked at it)
    holder = {{"session": ClientSession()}}
    holder["self"] = holder

async def test_after_the_unchecked_one(http_client):
    gc.enable()
    await http_client(make_app(), memory=True)
"""


@pytest.mark.parametrize(
    ("plugin", "options", "marks"),
    [
        (ASYNCIO, ["-o", "asyncio_mode=auto", *ASYNCIO_INI], ""),
        (ASYNCIO, ASYNCIO_INI, "pytestmark = pytest.mark.asyncio"),
        (
            "anyio",
            [],
            "pytestmark = pytest.mark.anyio\n\n"
            "@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'",
        ),
    ],
    ids=["pytest-asyncio-auto", "pytest-asyncio-strict", "anyio"],
)
def test_leaks_in_the_other_plugins_tests_fail_them(
    suite: pytest.Pytester, plugin: str, options: list[str], marks: str
) -> None:
    (suite.path / "test_plain.py").unlink()
    suite.makepyfile(test_leaky=LEAKY.format(marks=marks))
    result = run(suite, "-p", "pytest_plugin.plugin", "-p", plugin, *options, "-v")
    result.assert_outcomes(passed=6, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks_a_session*",
            "*aiotoolkit: the test left 1 client session open:",
            "*client session: <toolkit.client.session.ClientSession*",
            "*ERROR at teardown of test_leaks_a_session_in_a_cycle*",
            "*aiotoolkit: the test left 1 client session open:",
            "*ERROR at teardown of test_leaves_a_test_server_running*",
            "*aiotoolkit: the test left 1 test server open:",
        ],
        consecutive=False,
    )
