"""``--block-network`` / ``block_network``: only loopback is reachable, and a test that
tries anything else fails with the host named, even if it swallows the error."""

from __future__ import annotations

import re
import socket

import pytest

from pytest_plugin.network import NetworkBlockedError, block_network, is_loopback_host


@pytest.fixture
def isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider", *args)


SWALLOWING_TEST = """
import re
import socket
import pytest

{marker}
def test_resolves_outside():
    try:
        socket.getaddrinfo("blocked.example.invalid", 443)
    except Exception:
        pass  # the code under test hides the error; the plugin must not
"""


def test_marker_fails_a_test_that_swallows_the_error(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(SWALLOWING_TEST.format(marker="@pytest.mark.block_network"))
    result = run(isolated)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*network access blocked*resolving 'blocked.example.invalid'*"])


def test_option_blocks_every_test(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(SWALLOWING_TEST.format(marker=""))
    run(isolated, "--block-network").assert_outcomes(passed=1, errors=1)


def test_without_option_or_marker_nothing_is_patched(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import socket

        def test_untouched():
            assert socket.getaddrinfo.__module__ == "socket"
        """
    )
    run(isolated).assert_outcomes(passed=1)


def test_loopback_stays_reachable_for_the_client(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        """
        import pytest
        import toolkit
        from toolkit import web

        @pytest.mark.block_network
        async def test_local_server():
            app = web.Application()

            async def hello(request):
                return web.Response(text="hi")

            app.router.add_get("/", hello)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            try:
                async with toolkit.ClientSession() as session:
                    for host in ("127.0.0.1", "localhost"):
                        async with session.get(f"http://{host}:{port}/") as resp:
                            assert await resp.text() == "hi"
            finally:
                await runner.cleanup()

        @pytest.mark.block_network
        async def test_remote_host_fails():
            async with toolkit.ClientSession() as session:
                with pytest.raises(Exception):
                    await session.get("http://blocked.example.invalid/")
        """
    )
    result = run(isolated)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_remote_host_fails*"])


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("api.localhost", True),
        (b"127.0.0.1", True),
        (None, True),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("example.com", False),
        ("localhost.example.com", False),
        (8080, False),
    ],
)
def test_is_loopback_host(host: object, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_guard_refuses_before_any_packet_and_restores_the_socket_module() -> None:
    original = (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex)
    attempts: list[NetworkBlockedError] = []
    with block_network(attempts):
        assert socket.getaddrinfo("127.0.0.1", 80)
        with pytest.raises(NetworkBlockedError, match=re.escape("'blocked.example.invalid'")):
            socket.getaddrinfo("blocked.example.invalid", 80)
        with (
            socket.socket() as sock,
            pytest.raises(NetworkBlockedError, match=re.escape("192.0.2.1")),
        ):
            # refused by the guard before the real connect is called: nothing is sent
            sock.connect(("192.0.2.1", 9))
        with socket.socket(socket.AF_UNIX) as unix, pytest.raises(FileNotFoundError):
            unix.connect("/nonexistent/aiotoolkit.sock")  # Unix sockets are not blocked
    assert [a.host for a in attempts] == ["blocked.example.invalid", "192.0.2.1"]
    assert (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex) == original


def test_error_pickles() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(NetworkBlockedError("h", "resolving")))
    assert (error.host, error.action) == ("h", "resolving")
    assert "resolving 'h'" in str(error)


ASYNCIO_CALLS_TEST = """
import asyncio
import pytest
from toolkit import ClientSession

@pytest.mark.block_network
@pytest.mark.parametrize(
    "attempt",
    [
        lambda loop: loop.getaddrinfo("name.example.invalid", 80),
        lambda loop: asyncio.open_connection("open.example.invalid", 80),
        lambda loop: asyncio.open_connection("192.0.2.10", 80),
        lambda loop: loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=("192.0.2.11", 53)
        ),
        lambda loop: ClientSession().get("http://client.example.invalid/"),
    ],
    ids=["getaddrinfo", "open-name", "open-ip", "datagram", "client"],
)
async def test_attempt(attempt):
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(attempt(loop), 5)
    except Exception:
        pass  # swallowed by the code under test
"""


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_event_loop_calls_are_blocked(isolated: pytest.Pytester, loop_kind: str) -> None:
    """What asyncio's loop does through the socket module, uvloop does in C: the
    plugin's uvloop loops check the same rule in their own methods."""
    if loop_kind == "uvloop":
        pytest.importorskip("uvloop")
    isolated.makepyfile(ASYNCIO_CALLS_TEST)
    result = run(isolated, f"--toolkit-loop={loop_kind}", "-W", "ignore::ResourceWarning")
    result.assert_outcomes(passed=5, errors=5)
    for host in (
        "resolving 'name.example.invalid'",
        "*'open.example.invalid'",
        "connecting to '192.0.2.10'",
        "connecting to '192.0.2.11'",
        "resolving 'client.example.invalid'",
    ):
        result.stdout.fnmatch_lines([f"*network access blocked*{host}*"])
