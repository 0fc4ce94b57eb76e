"""The public names of toolkit.testing and of the plugin are pinned here."""

from __future__ import annotations

import subprocess
import sys

import toolkit.testing
from pytest_plugin import plugin

TESTING = {
    "AioHTTPTestCase",
    "BaseTestServer",
    "MemoryConnector",
    "MemoryTransport",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "ToolkitTestCase",
    "create_memory_pipe",
    "loop_context",
    "make_httpbin_app",
    "make_mocked_coro",
    "make_mocked_request",
    "setup_test_loop",
    "teardown_test_loop",
    "unittest_run_loop",
    "unused_port",
}

FIXTURES = {
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
}


def test_testing_exports() -> None:
    assert set(toolkit.testing.__all__) >= TESTING
    for name in toolkit.testing.__all__:
        assert getattr(toolkit.testing, name) is not None


def test_plugin_fixtures() -> None:
    assert set(plugin.__all__) == FIXTURES
    assert all(callable(getattr(plugin, name)) for name in FIXTURES)


def test_memory_connector_is_a_base_connector() -> None:
    from toolkit.client.connector import BaseConnector

    assert issubclass(toolkit.testing.MemoryConnector, BaseConnector)


def test_names_are_imported_on_first_use() -> None:
    # The plugin's fixtures need the servers and the client only: no unittest, mock or
    # httpbin at startup. A fresh interpreter, since this one imported everything.
    code = (
        "import sys, toolkit.testing.server, toolkit.testing.client, pytest_plugin.plugin\n"
        "heavy = ['unittest', 'toolkit.testing.case', 'toolkit.testing.mock',\n"
        "         'toolkit.testing.httpbin', 'toolkit.testing.mocking']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert sorted(toolkit.testing._MODULES) == sorted(toolkit.testing.__all__)
    assert "TestServer" in dir(toolkit.testing)
