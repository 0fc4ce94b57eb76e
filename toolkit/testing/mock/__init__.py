"""Mocked HTTP answers for the client, at the connector seam (aioresponses/respx style).

::

    from toolkit.testing.mock import MockRouter

    async def test_profile() -> None:
        with MockRouter() as mock:
            route = mock.get("http://api.test/users/{id}", json={"name": "ann"})
            assert await fetch_name(1) == "ann"       # code that makes its own session
        assert route.call_count == 1

The mock is a ``toolkit.web`` server reached through an in-memory connector, so the
client's whole stack runs: headers, cookies, redirects, decompression, streaming and
``raise_for_status`` behave as against a real server. See ``docs/testing/mocking.md``.
"""

from __future__ import annotations

from typing import Any

from ._connector import MockConnector
from ._matching import RequestMatcher, URLPattern
from ._request import MockRequest
from ._route import MockResponse, MockRoute
from ._router import MockRouter
from .errors import MockUnmatchedError

__all__ = [
    "MockConnector",
    "MockRequest",
    "MockResponse",
    "MockRoute",
    "MockRouter",
    "MockUnmatchedError",
    "RequestMatcher",
    "URLPattern",
    "mock_http",
]


def mock_http(**kwargs: Any) -> MockRouter:
    """A new :class:`MockRouter` (``passthrough=``, ``assert_all_called=``); use it as
    ``with mock_http() as mock:`` or ``async with``."""
    return MockRouter(**kwargs)
