"""Testing utilities: in-process servers, a bound client, mocked requests (aiohttp.test_utils).

::

    from toolkit import web
    from toolkit.testing import TestClient, TestServer

    async with TestClient(TestServer(app)) as client:            # over TCP on 127.0.0.1
        resp = await client.get("/")
    async with TestClient(TestServer(app, transport="memory")) as client:   # no socket
        resp = await client.get("/")

The pytest plugin (``pytest_plugin``) wraps these in fixtures (``http_client``,
``http_server``, ``aiohttp_client`` …).

Names are imported on first use: the plugin's fixtures need the servers and the client,
not ``unittest`` (``AioHTTPTestCase``), the mock or the built-in httpbin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit._lazy import lazy_dir, lazy_load

if TYPE_CHECKING:
    from toolkit.client._memory_pipe import MemoryTransport, create_memory_pipe
    from toolkit.client.connector_memory import MemoryConnector

    from .case import (
        AioHTTPTestCase,
        ToolkitTestCase,
        loop_context,
        setup_test_loop,
        teardown_test_loop,
        unittest_run_loop,
    )
    from .client import TestClient
    from .conformance import ConnectorConformanceError, check_connector
    from .connector_switch import default_connector
    from .httpbin import make_httpbin_app
    from .mock import MockRouter, mock_http
    from .mocking import make_mocked_coro, make_mocked_request
    from .ports import unused_port
    from .server import BaseTestServer, RawTestServer, TestServer

__all__ = [
    "AioHTTPTestCase",
    "BaseTestServer",
    "ConnectorConformanceError",
    "MemoryConnector",
    "MemoryTransport",
    "MockRouter",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "ToolkitTestCase",
    "check_connector",
    "create_memory_pipe",
    "default_connector",
    "loop_context",
    "make_httpbin_app",
    "make_mocked_coro",
    "make_mocked_request",
    "mock_http",
    "setup_test_loop",
    "teardown_test_loop",
    "unittest_run_loop",
    "unused_port",
]

#: Where each public name lives (imported on first access).
_MODULES = {
    "MemoryTransport": "toolkit.client._memory_pipe",
    "create_memory_pipe": "toolkit.client._memory_pipe",
    "MemoryConnector": "toolkit.client.connector_memory",
    "AioHTTPTestCase": ".case",
    "ToolkitTestCase": ".case",
    "loop_context": ".case",
    "setup_test_loop": ".case",
    "teardown_test_loop": ".case",
    "unittest_run_loop": ".case",
    "TestClient": ".client",
    "ConnectorConformanceError": ".conformance",
    "default_connector": ".connector_switch",
    "check_connector": ".conformance",
    "make_httpbin_app": ".httpbin",
    "MockRouter": ".mock",
    "mock_http": ".mock",
    "make_mocked_coro": ".mocking",
    "make_mocked_request": ".mocking",
    "unused_port": ".ports",
    "BaseTestServer": ".server",
    "RawTestServer": ".server",
    "TestServer": ".server",
}


def __getattr__(name: str) -> Any:
    return lazy_load(globals(), _MODULES, name)


def __dir__() -> list[str]:
    return lazy_dir(globals(), __all__)
