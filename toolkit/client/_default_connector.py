"""The connector a ``ClientSession`` uses when it is given none.

Normally a session without ``connector=`` makes a :class:`TCPConnector`. Testing tools
(``toolkit.testing.mock``) can swap in another factory for the current context, so that
code under test which builds its own sessions talks to a mock instead of the network::

    token = set_default_connector_factory(lambda **kw: MyConnector(**kw))
    try:
        ...  # ClientSession() here uses MyConnector
    finally:
        reset_default_connector_factory(token)

The factory lives in a :class:`contextvars.ContextVar`, so it follows tasks created
inside the block and never leaks into unrelated contexts.

Where a context variable cannot reach, a testing tool may also set a process-wide
factory for the length of one test, used where the context sets none
(:func:`set_process_default_connector_factory`): anyio's pytest plugin runs each test
in a task it made before the test's fixtures ran, so a fixture's context is not the
test's.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connector_base import BaseConnector

__all__ = (
    "ConnectorFactory",
    "create_default_connector",
    "get_default_connector_factory",
    "reset_default_connector_factory",
    "set_default_connector_factory",
    "set_process_default_connector_factory",
)

#: ``factory(**connector_kwargs) -> BaseConnector``; the kwargs are those the caller
#: would have given ``TCPConnector`` (e.g. ``force_close=True`` for ``toolkit.request``).
ConnectorFactory = Callable[..., "BaseConnector"]

_factory: contextvars.ContextVar[ConnectorFactory | None] = contextvars.ContextVar(
    "toolkit_default_connector_factory", default=None
)


#: The factory where the context sets none (see the module's docstring).
_process_factory: ConnectorFactory | None = None


def get_default_connector_factory() -> ConnectorFactory | None:
    """The factory active in the current context (else the process-wide one), or None
    (use ``TCPConnector``)."""
    factory = _factory.get()
    return _process_factory if factory is None else factory


def set_process_default_connector_factory(
    factory: ConnectorFactory | None,
) -> ConnectorFactory | None:
    """Make sessions created without a connector where the context sets no factory use
    ``factory`` (None: ``TCPConnector``), in every context and thread; returns the
    previous one, for the caller to restore."""
    global _process_factory
    previous, _process_factory = _process_factory, factory
    return previous


def set_default_connector_factory(
    factory: ConnectorFactory | None,
) -> contextvars.Token[ConnectorFactory | None]:
    """Make sessions created without a connector in this context use ``factory``."""
    return _factory.set(factory)


def reset_default_connector_factory(token: contextvars.Token[ConnectorFactory | None]) -> None:
    """Undo :func:`set_default_connector_factory`."""
    _factory.reset(token)


def create_default_connector(**kwargs: Any) -> BaseConnector:
    """A connector for a session that was given none: the active factory's, else TCP."""
    factory = _factory.get()
    if factory is None:
        factory = _process_factory
    if factory is not None:
        return factory(**kwargs)
    from .connector_tcp import TCPConnector

    return TCPConnector(**kwargs)
