"""How testing tools learn of client objects left open.

A client session, connector or connection dropped without being closed warns
(``ResourceWarning``) and tells its event loop's exception handler, which only works
while that loop is open and only reaches whoever watches that loop. Two hooks serve
aiotoolkit's pytest plugin beyond that:

* :data:`listeners` hear of every such object collected while open, whatever its loop
  (the plugin listens during the tests another plugin runs, on loops it does not own);
* :data:`made`, while set, gets a weak reference to every session and connector made:
  the plugin sets it for the tests it runs and checks, and finds there the ones a test
  left open, reachable or not, without a garbage collection.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

__all__ = ["listeners", "made", "ref", "report_unclosed"]

#: Called with a kind (``"client_session"``, ``"connector"`` or ``"client_connection"``,
#: the keys of the exception handler's context) and the object.
listeners: list[Callable[[str, object], None]] = []

#: While not None, sessions and connectors add a weak reference to themselves
#: (:func:`ref`, no callback: a list of them costs nothing when its objects die).
made: list[weakref.ref[object]] | None = None
ref = weakref.ref


def report_unclosed(kind: str, obj: object) -> None:
    """Tell every listener that ``obj``, of ``kind``, is collected while open."""
    for listener in list(listeners):
        listener(kind, obj)
