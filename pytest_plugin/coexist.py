"""Sharing a session with other async test plugins: pytest-asyncio and anyio's plugin.

A test is run by exactly one plugin. aiotoolkit runs every test (and its async
fixtures) that no other plugin claimed; it leaves alone:

* tests pytest-asyncio runs: those marked ``@pytest.mark.asyncio``, and in its
  ``auto`` mode every ``async def`` test (pytest-asyncio turns them into its own item
  class, which :func:`pytest_asyncio.is_async_test` recognises);
* tests anyio's plugin runs: those that use the ``anyio_backend`` fixture, which
  anyio adds to tests marked ``@pytest.mark.anyio`` (and, in its ``auto`` mode, to
  every ``async def`` test).

The other plugin then runs the test's async fixtures too, aiotoolkit's included, on
its own loop. In pytest-asyncio's ``strict`` mode it only runs fixtures declared
with ``pytest_asyncio.fixture``: aiotoolkit's async fixtures are declared with
:func:`async_fixture`, which hands them to ``pytest_asyncio.fixture`` once the
session turns out to have pytest-asyncio (:func:`declare_async_fixtures`). Importing
pytest-asyncio earlier would warn when ``-p pytest_asyncio.plugin`` comes after ours.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

__all__ = [
    "async_fixture",
    "asyncio_plugin_active",
    "declare_async_fixtures",
    "eager_setup_fixtures",
    "foreign_runner",
]

_ASYNCIO_ACTIVE_KEY = pytest.StashKey[bool]()
#: The functions of the async fixtures declared with :func:`async_fixture`.
_async_fixtures: list[Callable[..., Any]] = []
#: Those of them whose setup (the part before ``yield``) awaits nothing.
eager_setup_fixtures: set[Callable[..., Any]] = set()


def async_fixture(func: Callable[..., Any], *, eager_setup: bool = False) -> Any:
    """``@pytest.fixture`` for aiotoolkit's async fixtures (see :func:`declare_async_fixtures`).

    ``eager_setup=True`` declares that the fixture's setup awaits nothing: aiotoolkit's
    runner then steps it to its ``yield`` at once instead of running the loop for it
    (and fails the test if it does await).
    """
    _async_fixtures.append(func)
    if eager_setup:
        eager_setup_fixtures.add(func)
    return pytest.fixture(func)


def declare_async_fixtures(config: pytest.Config) -> None:
    """Declare the :func:`async_fixture` fixtures to pytest-asyncio, if it is active.

    ``pytest_asyncio.fixture`` marks the function it is given as one of its fixtures;
    the fixture definition it returns is not needed (pytest already has ours).
    """
    if not asyncio_plugin_active(config):
        return
    import pytest_asyncio

    for func in _async_fixtures:
        pytest_asyncio.fixture(func)


def asyncio_plugin_active(config: pytest.Config) -> bool:
    """True when pytest-asyncio's plugin is registered in this session (not ``-p no:asyncio``)."""
    active = config.stash.get(_ASYNCIO_ACTIVE_KEY, None)
    if active is None:
        active = any(
            getattr(plugin, "__name__", None) == "pytest_asyncio.plugin"
            for plugin in config.pluginmanager.get_plugins()
        )
        config.stash[_ASYNCIO_ACTIVE_KEY] = active
    return active


def foreign_runner(item: pytest.Item) -> str | None:
    """The name of the other plugin that runs ``item``, or None if aiotoolkit runs it."""
    if "anyio_backend" in getattr(item, "fixturenames", ()):
        return "anyio"
    pytest_asyncio = sys.modules.get("pytest_asyncio")
    if pytest_asyncio is not None and pytest_asyncio.is_async_test(item):
        return "pytest-asyncio"
    return None
