"""The pytest plugin, run in inner pytest sessions with pytester."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider", *args)


def test_async_tests_and_fixtures_run_without_other_plugins(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import asyncio
        import pytest

        @pytest.fixture
        async def value():
            await asyncio.sleep(0)
            return 41

        @pytest.fixture
        async def resource():
            loop = asyncio.get_running_loop()
            yield loop
            assert not loop.is_closed()

        async def test_uses_them(value, resource):
            assert value + 1 == 42
            assert asyncio.get_running_loop() is resource

        def test_sync_still_works():
            pass
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=2)


def test_sync_tests_have_a_current_loop_too(isolated: pytest.Pytester) -> None:
    # A common pattern in hypothesis tests (which cannot be async): after an async test
    # set and cleared the thread's loop, asyncio.get_event_loop() must still work.
    isolated.makepyfile(
        """
        import asyncio

        async def test_first():
            await asyncio.sleep(0)

        seen = []

        def test_then_sync():
            loop = asyncio.get_event_loop()
            assert not loop.is_closed()
            assert loop.run_until_complete(asyncio.sleep(0, result=7)) == 7
            seen.append(loop)

        def test_each_its_own():
            loop = asyncio.get_event_loop()
            assert loop is not seen[0] and seen[0].is_closed()
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=3)


def test_async_test_that_fails_is_reported(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        async def test_fails():
            assert 1 == 2
        """
    )
    result = run(isolated)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])


def test_client_and_server_fixtures(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import socket
        import pytest
        from toolkit import ClientSession, web
        from toolkit.testing import RawTestServer, TestClient, TestServer
        from app_helpers import make_app

        SEEN = []

        @pytest.mark.parametrize("memory", [False, True])
        async def test_http_client(http_client, memory):
            client = await http_client(make_app(), memory=memory)
            assert isinstance(client, TestClient)
            assert client.server.transport == ("memory" if memory else "tcp")
            resp = await client.get("/")
            assert await resp.text() == "hello 127.0.0.1"
            SEEN.append(client)

        def test_clients_were_closed():
            assert len(SEEN) == 2
            assert all(c.closed and c.server.closed for c in SEEN)

        async def test_http_server_then_client(http_server, http_client):
            server = await http_server(make_app())
            assert isinstance(server, TestServer) and server.started
            client = await http_client(server)
            assert (await client.get("/")).status == 200
            with pytest.raises(TypeError, match="already built"):
                await http_client(server, memory=True)

        async def test_tls(http_server, http_client, tls_ca, tls_certificate):
            server = await http_server(make_app(), tls=True)
            assert server.scheme == "https"
            client = await http_client(server)
            assert (await client.get("/")).status == 200
            direct = await http_client(make_app(), tls=True)
            assert direct.make_url("/").scheme == "https"
            assert (await direct.get("/")).status == 200
            with pytest.raises(ValueError, match="memory"):
                await http_server(make_app(), tls=True, memory=True)

        async def test_raw_server(raw_server, http_client):
            async def handler(request):
                return web.Response(text="raw")
            server = await raw_server(handler, memory=True)
            assert isinstance(server, RawTestServer)
            client = await http_client(server)
            assert await (await client.get("/")).text() == "raw"

        def test_ports(unused_port, unused_port_factory, aiohttp_unused_port):
            assert isinstance(unused_port, int)
            ports = {unused_port_factory() for _ in range(5)}
            assert len(ports) == 5
            assert isinstance(aiohttp_unused_port(), int)
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", unused_port))

        async def test_aiohttp_aliases(aiohttp_client, aiohttp_server, aiohttp_raw_server, loop):
            import asyncio
            assert loop is asyncio.get_running_loop()
            server = await aiohttp_server(make_app())
            client = await aiohttp_client(server)
            assert (await client.get("/")).status == 200
            async def handler(request):
                return web.Response(text="r")
            raw = await aiohttp_raw_server(handler)
            assert (await (await aiohttp_client(raw)).get("/")).status == 200
        """
    )
    result = run(isolated, "-v")
    result.assert_outcomes(passed=8)


def test_leaked_session_fails_the_test(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import pytest
        from toolkit import ClientSession
        from app_helpers import make_app

        async def test_leaks_a_session(http_client):
            client = await http_client(make_app())
            session = ClientSession()
            resp = await session.get(client.make_url("/"))
            assert resp.status == 200

        async def test_closes_it(http_client):
            client = await http_client(make_app())
            async with ClientSession() as session:
                async with session.get(client.make_url("/")) as resp:
                    assert resp.status == 200

        @pytest.mark.filterwarnings("ignore::ResourceWarning")
        async def test_unchecked_without_fixtures():
            ClientSession()

        @pytest.mark.toolkit_leaks
        async def test_checked_by_marker():
            ClientSession()

        @pytest.mark.filterwarnings("ignore::ResourceWarning")
        @pytest.mark.toolkit_leaks(False)
        async def test_unchecked_by_marker(http_client):
            ClientSession()
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks_a_session*",
            "*aiotoolkit: the test left 1 client session*open*",
            "*client session: <toolkit.client.session.ClientSession*",
            "*ERROR at teardown of test_checked_by_marker*",
        ]
    )


def test_leak_in_a_reference_cycle_after_other_checked_tests(isolated: pytest.Pytester) -> None:
    # Each check freezes the survivors (gc.freeze) and the next one scans only new
    # objects: a session only the garbage collector can reach is still found, in the
    # test that dropped it, and the session ends with nothing left frozen.
    isolated.makepyfile(
        """
        import gc
        import pytest
        from toolkit import ClientSession
        from app_helpers import make_app

        @pytest.mark.parametrize("i", range(3))
        async def test_clean(http_client, i):
            client = await http_client(make_app(), memory=i % 2 == 1)
            assert (await client.get("/")).status == 200

        async def test_drops_a_session_in_a_cycle(http_client):
            await http_client(make_app())
            holder = {"session": ClientSession()}
            holder["self"] = holder  # freed by the garbage collector only

        async def test_clean_after(http_client):
            await http_client(make_app())

        def test_unfrozen_at_the_end(request):
            request.config.add_cleanup(lambda: print("frozen:", gc.get_freeze_count()))
        """
    )
    result = run(isolated, "-s")
    result.assert_outcomes(passed=6, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_drops_a_session_in_a_cycle*",
            "*1 client session open*",
            "frozen: 0",
        ]
    )


def test_leak_promoted_to_the_old_generation_is_found(isolated: pytest.Pytester) -> None:
    # A check collects only the young generations while the collector has not run on
    # its own since the previous check; here it did, and moved the leaked session to
    # the old generation before the test dropped it.
    isolated.makepyfile(
        """
        import gc
        from toolkit import ClientSession
        from app_helpers import make_app

        async def test_clean(http_client):
            await http_client(make_app(), memory=True)

        async def test_promotes_then_drops_a_session(http_client):
            await http_client(make_app(), memory=True)
            holder = {"session": ClientSession()}
            holder["self"] = holder
            gc.collect(1)  # as an automatic collection would: survivors grow old
            del holder
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_promotes_then_drops_a_session*", "*1 client session open*"]
    )


LEFT_OPEN = """
import gc
import pytest
from toolkit import ClientSession, TCPConnector
from app_helpers import make_app

KEPT = []

async def test_keeps_a_session_open(http_client):
    client = await http_client(make_app())
    session = ClientSession()
    assert (await session.get(client.make_url("/"))).status == 200
    KEPT.append(session)  # still reachable: no garbage collection would find it

async def test_drops_a_session_in_a_cycle(http_client):
    await http_client(make_app(), memory=True)
    holder = {"session": ClientSession()}
    holder["self"] = holder

async def test_keeps_a_connector_of_its_own(http_client):
    client = await http_client(make_app())
    connector = TCPConnector()
    session = ClientSession(connector=connector, connector_owner=False)
    async with session.get(client.make_url("/")) as resp:
        assert resp.status == 200
    await session.close()
    KEPT.append(connector)

def test_they_were_closed():
    assert KEPT[0].closed and KEPT[1].closed

async def test_clean(http_client):
    client = await http_client(make_app(), memory=True)
    assert (await client.get("/")).status == 200
"""


@pytest.mark.parametrize(
    ("warnings_ini", "loop_kind"),
    [("", "asyncio"), ("filterwarnings = error\n", "asyncio"), ("", "uvloop")],
    ids=["default", "error", "uvloop"],
)
def test_sessions_and_connectors_left_open_are_leaks_and_get_closed(
    isolated: pytest.Pytester, warnings_ini: str, loop_kind: str
) -> None:
    """Found among the objects the test made (the client keeps them weakly while a
    test is checked), reachable or not, on any loop: with the default warning filters
    the check collects no garbage at all."""
    if loop_kind == "uvloop":
        pytest.importorskip("uvloop")
    isolated.makeini(f"[pytest]\n{warnings_ini}")
    isolated.makepyfile(LEFT_OPEN)
    # A subprocess: in this one the outer suite's filters (errors) are in force.
    result = isolated.runpytest_subprocess(
        "-p", "pytest_plugin.plugin", "-p", "no:cacheprovider", f"--toolkit-loop={loop_kind}"
    )
    result.assert_outcomes(passed=5, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_keeps_a_session_open*",
            "*the test left 1 client session open:",
            "*ERROR at teardown of test_drops_a_session_in_a_cycle*",
            "*the test left 1 client session open:",
            "*ERROR at teardown of test_keeps_a_connector_of_its_own*",
            "*the test left 1 connector open:",
            "*connector: <TCPConnector*",
        ]
    )


def test_no_garbage_collection_when_resource_warnings_are_ignored(
    isolated: pytest.Pytester,
) -> None:
    isolated.makeini("[pytest]\n")
    isolated.makeconftest(
        """
        import gc

        gc.disable()  # no automatic collection: only the checks' are counted
        COUNTS = []

        def pytest_runtest_logfinish(nodeid):  # (after the teardown and its check)
            COUNTS.append((nodeid.split("::")[-1], sum(s["collections"] for s in gc.get_stats())))

        def pytest_sessionfinish():
            print("collections:", [(t, n - m) for (_, m), (t, n) in zip(COUNTS, COUNTS[1:])])
        """
    )
    isolated.makepyfile(
        """
        import pytest
        from app_helpers import make_app

        async def test_first(http_client):
            await http_client(make_app(), memory=True)

        async def test_checked(http_client):
            await http_client(make_app(), memory=True)

        @pytest.mark.filterwarnings("default::ResourceWarning")
        async def test_showing_resource_warnings(http_client):
            await http_client(make_app(), memory=True)
        """
    )
    # A subprocess: in this one the outer suite's filters (errors) are in force.
    result = isolated.runpytest_subprocess("-p", "pytest_plugin.plugin", "-s")
    result.assert_outcomes(passed=3)
    expected = "collections: [('test_checked', 0), ('test_showing_resource_warnings', 1)]"
    assert any(line.endswith(expected) for line in result.outlines), result.outlines


def test_unclosed_connector_is_a_leak(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        from toolkit import ClientSession, TCPConnector
        from app_helpers import make_app

        async def test_leaks_a_connector(http_client):
            client = await http_client(make_app())
            connector = TCPConnector()  # keeps the idle keep-alive connection
            async with ClientSession(connector=connector, connector_owner=False) as session:
                async with session.get(client.make_url("/")) as resp:
                    await resp.read()
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the test left 1 connector open*", "*connector: <TCPConnector*"])


def test_unclosed_test_server_is_a_leak_and_gets_closed(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import pytest
        from toolkit.testing import TestClient, TestServer
        from app_helpers import make_app

        KEPT = []

        @pytest.mark.toolkit_leaks
        async def test_forgets_the_client():
            client = TestClient(TestServer(make_app()))
            await client.start_server()
            assert (await client.get("/")).status == 200
            KEPT.append(client.server)

        def test_it_was_closed():
            assert KEPT[0].closed
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*the test left*1 client session*1 test server open:", "*test server: <TestServer tcp*"]
    )


def test_only_servers_started_by_the_test_are_its_leaks(isolated: pytest.Pytester) -> None:
    # A server left running by an unchecked test is not blamed on the checked tests
    # that follow; one the checked test starts is.
    isolated.makepyfile(
        """
        import pytest
        from toolkit.testing import TestServer
        from app_helpers import make_app

        KEPT = []

        @pytest.mark.toolkit_leaks(False)
        async def test_keeps_a_server_unchecked():
            KEPT.append(TestServer(make_app(), transport="memory"))
            await KEPT[0].start_server()

        async def test_checked_but_clean(http_client):
            client = await http_client(make_app(), memory=True)
            assert (await client.get("/")).status == 200

        @pytest.mark.toolkit_leaks
        async def test_starts_its_own():
            KEPT.append(TestServer(make_app(), transport="memory"))
            await KEPT[-1].start_server()

        @pytest.mark.toolkit_leaks(False)
        async def test_the_first_one_is_still_running():
            assert KEPT[0].started and not KEPT[0].closed
            assert KEPT[1].closed  # the leak check closed the one it reported
            await KEPT[0].close()  # (the run is over: not left to the outer session)
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_starts_its_own*", "*the test left 1 test server open:*"]
    )


def test_a_server_left_serving_is_a_leak_and_gets_closed(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import asyncio
        import pytest

        KEPT = []

        @pytest.mark.toolkit_leaks
        async def test_serves_and_forgets():
            KEPT.append(await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0))

        @pytest.mark.toolkit_leaks
        async def test_serves_and_closes():
            server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
            server.close()
            await server.wait_closed()

        def test_it_was_closed():
            assert not KEPT[0].is_serving()
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_serves_and_forgets*",
            "*the test left 1 server open:",
            "*server: <Server sockets=*127.0.0.1*",
        ]
    )


def test_a_transport_left_open_is_a_leak_and_gets_closed(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import asyncio
        from app_helpers import make_app

        KEPT = []

        async def test_opens_and_keeps(http_client):
            client = await http_client(make_app())
            reader, writer = await asyncio.open_connection(client.host, client.port)
            KEPT.append(writer)

        async def test_opens_and_closes(http_client):
            client = await http_client(make_app())
            reader, writer = await asyncio.open_connection(client.host, client.port)
            writer.close()
            await writer.wait_closed()

        def test_it_was_closed():
            assert KEPT[0].transport.is_closing()
            assert KEPT[0].transport.get_extra_info("socket").fileno() == -1  # closed
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_opens_and_keeps*",
            "*the test left 1 transport open:",
            "*transport: <_SelectorSocketTransport fd=*",
        ]
    )


def test_leak_modes(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        from toolkit import ClientSession

        async def test_leaks():
            ClientSession()
        """
    )
    run(isolated, "--toolkit-leaks=all").assert_outcomes(passed=1, errors=1)
    run(isolated, "--toolkit-leaks=off", "-W", "ignore::ResourceWarning").assert_outcomes(passed=1)


def test_tests_using_mock_http_are_checked_by_default(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        from toolkit import ClientSession

        async def test_leaks_a_mocked_session(mock_http):
            mock_http.get("http://api.test/", body="ok")
            session = ClientSession()
            assert await (await session.get("http://api.test/")).text() == "ok"
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the test left 1 client session open*"])


def test_uvloop_option(isolated: pytest.Pytester) -> None:
    pytest.importorskip("uvloop")
    isolated.makepyfile(
        """
        import asyncio
        from app_helpers import make_app

        import uvloop

        async def test_loop_kind(http_client, http_server):
            loop = asyncio.get_running_loop()
            assert isinstance(loop, uvloop.Loop), type(loop)
            server = await http_server(make_app())
            for client in (
                await http_client(server),  # TCP: uvloop's transports
                await http_client(make_app(), tls=True),
                await http_client(make_app(), memory=True),
            ):
                assert (await client.get("/")).status == 200
        """
    )
    run(isolated, "--toolkit-loop=uvloop").assert_outcomes(passed=1)
    result = run(isolated, "--toolkit-loop=nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_loop_from_ini(isolated: pytest.Pytester) -> None:
    pytest.importorskip("uvloop")
    isolated.makeini("[pytest]\nfilterwarnings = error\ntoolkit_loop = uvloop\n")
    isolated.makepyfile(
        """
        import asyncio

        import uvloop

        async def test_loop_kind():
            assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        """
    )
    run(isolated).assert_outcomes(passed=1)


def test_wide_scoped_async_fixture_is_a_usage_error(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import pytest

        @pytest.fixture(scope="module")
        async def shared():
            return 1

        async def test_it(shared):
            pass
        """
    )
    result = run(isolated)
    result.stdout.fnmatch_lines(["*must be function-scoped*"])


def test_xdist_runs_a_small_suite(
    isolated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    pytester = isolated
    # Autoloading stays on (xdist workers load the plugin through its entry point).
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    pytester.makepyfile(
        test_suite="""
        import pytest
        from app_helpers import make_app

        @pytest.mark.parametrize("i", range(4))
        @pytest.mark.parametrize("memory", [False, True])
        async def test_request(http_client, i, memory):
            client = await http_client(make_app(), memory=memory)
            assert (await client.get("/")).status == 200
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "2", "-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:aiohttp"
    )
    result.assert_outcomes(passed=8)


def test_xdist_runs_the_example_project() -> None:
    # examples/weather: fixtures over TCP, TLS and memory, mocks, --block-network marks.
    pytest.importorskip("xdist")
    root = Path(__file__).resolve().parents[2]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist", "-n", "2", "-p", "no:cacheprovider",
         "examples/weather/tests"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 workers [" in result.stdout, result.stdout
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed is not None and int(passed.group(1)) >= 30, result.stdout


def test_eager_fixture_setup_runs_without_the_loop(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import asyncio
        import pytest
        from pytest_plugin.coexist import async_fixture

        SEEN = []
        LOOPS = []

        @async_fixture
        async def normal():
            SEEN.append(("normal", asyncio.current_task() is not None))
            yield
            SEEN.append(("normal teardown", asyncio.current_task() is not None))

        def eager(func):
            return async_fixture(func, eager_setup=True)

        @eager
        async def quick():
            # Eager: no task, but the test's loop is the running loop.
            SEEN.append(("quick", asyncio.current_task() is not None))
            LOOPS.append(asyncio.get_running_loop())
            yield "value"
            await asyncio.sleep(0)  # teardown runs on the loop
            SEEN.append(("quick teardown", asyncio.current_task() is not None))

        @eager
        async def wrongly_declared():
            await asyncio.sleep(0)
            yield

        async def test_quick(quick, normal, http_client):
            assert quick == "value"
            assert LOOPS == [asyncio.get_running_loop()]

        def test_order():
            assert SEEN == [
                ("quick", False),
                ("normal", True),
                ("normal teardown", True),
                ("quick teardown", True),
            ]

        async def test_wrong(wrongly_declared):
            pass
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*'wrongly_declared' is declared with eager_setup=True but awaited during setup*"]
    )


def test_bad_leak_mode_in_ini_is_a_usage_error(isolated: pytest.Pytester) -> None:
    isolated.makeini("[pytest]\nfilterwarnings = error\ntoolkit_leaks = sometimes\n")
    isolated.makepyfile("def test_nothing(): pass")
    result = run(isolated)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*toolkit_leaks must be fixtures, all or off, got 'sometimes'*"])


def test_startup_imports_stay_light(pytester: pytest.Pytester) -> None:
    """Loading the plugin and ``toolkit.web`` imports neither gunicorn nor the WebSocket
    engine (a suite serving plain HTTP never needs them), nor the client (its package
    facade is lazy: only the session and connector modules are the client proper)."""
    code = (
        "import sys, pytest_plugin.plugin, toolkit.web\n"
        "heavy = ('gunicorn', 'toolkit.http.ws', 'toolkit.web.websocket', 'toolkit.web.worker',"
        " 'toolkit.client.session', 'toolkit.client.connector', 'toolkit.testing.server')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'gunicorn' or m in heavy))\n"
        "from toolkit.web import GunicornWebWorker, WebSocketResponse, WSMsgType\n"
        "import toolkit.web.worker\n"
        "assert toolkit.web.worker.GunicornWebWorker is GunicornWebWorker\n"
        "assert WSMsgType.TEXT and WebSocketResponse.__name__ == 'WebSocketResponse'\n"
    )
    result = pytester.run(sys.executable, "-c", code)
    assert result.ret == 0, result.stderr.str()
    assert result.outlines == ["[]"]


_IMPORTED_AT_COLLECTION = """
import sys

def pytest_collection_finish(session):
    wanted = ("toolkit.testing.client", "toolkit.testing.server", "toolkit.testing.mock",
              "toolkit.client.connector")
    print("imported at collection:", [m for m in wanted if m in sys.modules])
"""


@pytest.mark.parametrize(
    ("test", "args", "imported"),
    [
        (
            "async def test_it(http_client): pass",
            (),
            ["toolkit.testing.client", "toolkit.testing.server"],
        ),
        ("async def test_it(raw_server): pass", (), ["toolkit.testing.server"]),
        ("def test_it(mock_http): pass", (), ["toolkit.testing.mock"]),
        ("def test_it(): pass", (), []),
        ("async def test_it(http_client): pass", ("--collect-only",), []),
        ("async def test_it(http_client): pass", ("-k", "not test_it"), []),
    ],
)
def test_collection_imports_what_the_fixtures_will_use(
    isolated: pytest.Pytester, test: str, args: tuple[str, ...], imported: list[str]
) -> None:
    """The library modules the collected tests' fixtures use are imported at the end of
    collection, not in the first test (whose duration they would add to); only those
    of the tests selected to run, and none when only collecting."""
    isolated.makeconftest(_IMPORTED_AT_COLLECTION)
    isolated.makepyfile(test)
    # A subprocess: this process has imported the library already.
    result = isolated.runpytest_subprocess(
        "-p", "pytest_plugin.plugin", "-p", "no:cacheprovider", "-s", *args
    )
    result.stdout.fnmatch_lines([f"imported at collection: {imported}"])


def test_leak_check_keeps_other_resource_warnings(isolated: pytest.Pytester) -> None:
    # Only the client's own "Unclosed ..." warnings become leak reports; an unclosed
    # file found by the check's garbage collection is still the user's warning.
    isolated.makepyfile(
        """
        from app_helpers import make_app

        async def test_drops_a_file_in_a_cycle(http_client, tmp_path):
            await http_client(make_app(), memory=True)
            holder = {"file": open(tmp_path / "data", "w")}
            holder["self"] = holder
        """
    )
    result = run(isolated, "-W", "always::ResourceWarning")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ResourceWarning: unclosed file*"])
