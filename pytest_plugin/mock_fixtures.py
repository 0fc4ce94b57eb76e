"""The ``mock_http`` fixture: a :class:`toolkit.testing.mock.MockRouter` for one test.

While the test runs, sessions created without ``connector=`` (in the test, in its
fixtures set up later, and in the code under test) answer from the router::

    async def test_client(mock_http):
        mock_http.get("http://api.test/users/1", json={"name": "ann"})
        assert await fetch_user(1) == {"name": "ann"}
        mock_http.assert_called_once("GET", "http://api.test/users/1")

The fixture is synchronous on purpose: the default-connector switch is a context
variable, and only a value set outside the test's task is inherited by it. anyio's
plugin runs a test in a task it made before the fixtures: for its tests the fixture
also sets the switch process-wide, for the length of the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .coexist import foreign_runner

if TYPE_CHECKING:
    from toolkit.testing.mock import MockRouter

__all__ = ["mock_http"]


@pytest.fixture
def mock_http(request: pytest.FixtureRequest) -> Iterator[MockRouter]:
    """A :class:`~toolkit.testing.mock.MockRouter`, active for the whole test.

    Unmatched requests raise ``MockUnmatchedError``; set ``mock_http.passthrough``
    (``True`` or a list of hosts) to let them reach the network. Call
    ``mock_http.assert_all_called()`` to check that every route was used, and
    ``mock_http.assert_all_matched()`` that no request was refused (when the code under
    test may catch the error).
    """
    from toolkit.client._default_connector import set_process_default_connector_factory
    from toolkit.testing.mock import MockRouter

    router = MockRouter()
    router.start()
    process_wide = foreign_runner(request.node) == "anyio"
    previous = set_process_default_connector_factory(router.connector) if process_wide else None
    try:
        yield router
    finally:
        if process_wide:
            set_process_default_connector_factory(previous)
        router.stop(check=False)
