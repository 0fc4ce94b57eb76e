"""``default_connector(factory)``: the connector of every session made without one.

The public face of the switch the mocks use (:mod:`toolkit.client._default_connector`):
code under test that builds its own ``ClientSession`` can be pointed at an in-process
application, a recording connector or one that injects faults, without touching it::

    with default_connector(lambda **kw: MemoryConnector(app, **kw)):
        await code_under_test()  # its ClientSession() talks to ``app`` through memory
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from toolkit.client._default_connector import (
    ConnectorFactory,
    reset_default_connector_factory,
    set_default_connector_factory,
)

__all__ = ["ConnectorFactory", "default_connector"]


@contextlib.contextmanager
def default_connector(factory: ConnectorFactory) -> Iterator[None]:
    """Within the block, a ``ClientSession`` created without ``connector=`` (and
    ``toolkit.request()``) gets ``factory(**kwargs)``, ``kwargs`` being what it would
    have given ``TCPConnector``. It holds for the current context and the tasks started
    in it (a context variable), and nests: the innermost block wins."""
    token = set_default_connector_factory(factory)
    try:
        yield
    finally:
        reset_default_connector_factory(token)
