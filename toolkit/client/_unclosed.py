"""Who hears of client objects garbage-collected while still open.

A client session, connector or connection dropped without being closed warns
(``ResourceWarning``) and tells its event loop's exception handler, which only works
while that loop is open and only reaches whoever watches that loop. A listener added
to :data:`listeners` hears of every such object, whatever its loop: aiotoolkit's pytest
plugin listens while a test that another plugin runs (on a loop it does not own) is
checked for leaks.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["listeners", "report_unclosed"]

#: Called with a kind (``"client_session"``, ``"connector"`` or ``"client_connection"``,
#: the keys of the exception handler's context) and the object.
listeners: list[Callable[[str, object], None]] = []


def report_unclosed(kind: str, obj: object) -> None:
    """Tell every listener that ``obj``, of ``kind``, is collected while open."""
    for listener in list(listeners):
        listener(kind, obj)
