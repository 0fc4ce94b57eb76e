"""Leak detection: client sessions, connectors, connections, test servers, asyncio
servers and transports a test left open.

The client reports such objects when they are garbage-collected, through the event
loop's exception handler (contexts with a ``client_session``, ``connector`` or
``client_connection`` key) and a ``ResourceWarning``. While a test is checked, the
plugin installs a recording exception handler on the test's loop and silences those
``ResourceWarning`` (they would otherwise surface as an unraisable exception from
``__del__``), and has the client keep (weakly) the sessions and connectors the test
makes (``toolkit.client._unclosed.made``). After the fixtures are torn down it closes
the test servers the test started and did not close, closes the sessions and
connectors still open on the test's loop (reachable or not: no garbage collection is
needed to find them), collects garbage when some ``ResourceWarning`` would be shown
(for the warnings of objects only the collector frees, an unclosed file in a cycle
say; by default they are ignored and nothing is collected), closes the asyncio servers
and socket transports still open on the test's loop (:func:`open_on_loop`), and fails
the test, naming every leaked object.

A full garbage collection scans every object of the process (tens of milliseconds
once a test suite is imported), so after each check the survivors are moved to the
collector's permanent generation (``gc.freeze()``) and the next check only scans the
objects created since. The objects alive before the first checked test are frozen the
same way when it starts, uncollected: the first check does not scan the whole imported
test suite either. :func:`release_frozen` gives them back at the end of the session.
A check collects only the young generations when the collector has not run on its own
since the previous check (nothing can have reached the old generation then): a full
collection also empties the interpreter's free lists, which costs more than the scan
and makes the next test's allocations slower.
What a check then costs is mostly freeing the test's own cyclic garbage (the
application, server and protocol objects refer to each other), which the automatic
collections would otherwise do later: measured over a suite of requests, the
collector's total time is about the same with the check as without it.

Test servers are numbered as they start (``toolkit.testing.server.started_count``): a
check knows the test's servers from the number at its start, without listing the
servers alive before, and without importing the testing module when no server exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import sys
import warnings
import weakref
from typing import Any

from .loops import transport_table

__all__ = [
    "LeakRecorder",
    "ignore_leak_warnings",
    "open_on_loop",
    "release_frozen",
    "resource_warnings_shown",
]

_LEAK_KEYS = {
    "client_session": "client session",
    "connector": "connector",
    "client_connection": "connection",
}  # and "test server": a TestServer/RawTestServer started and not closed

#: Where the test servers are counted (looked up, not imported: see LeakRecorder).
_SERVERS_MODULE = "toolkit.testing.server"

#: The messages of the ResourceWarning the client emits for the objects above.
LEAK_WARNING_PATTERN = r"Unclosed (client session|connector|connection)"
#: The filter ``warnings.filterwarnings("ignore", LEAK_WARNING_PATTERN, ResourceWarning)``
#: puts in ``warnings.filters``.
_LEAK_FILTER = ("ignore", re.compile(LEAK_WARNING_PATTERN, re.I), ResourceWarning, None, 0)


def ignore_leak_warnings() -> None:
    """``warnings.filterwarnings("ignore", LEAK_WARNING_PATTERN, ResourceWarning)``, which
    costs a test more than the rest of its leak check's setup: its regex cache look-up,
    and the ``ValueError`` its search for a duplicate raises (pytest restores the filters
    after each test, so there is none). The filter goes in front of ``warnings.filters``
    directly where that list and ``warnings._filters_mutated()`` (which tells the
    interpreter's caches that it changed) exist as in Pythons 3.10 to 3.13."""
    filters = warnings.filters
    mutated = getattr(warnings, "_filters_mutated", None)
    if type(filters) is not list or mutated is None or sys.version_info >= (3, 14):
        warnings.filterwarnings("ignore", LEAK_WARNING_PATTERN, ResourceWarning)
        return
    if filters and filters[0] == _LEAK_FILTER:
        return  # in front already (the filters were not restored since the last test)
    if _LEAK_FILTER in filters:
        filters.remove(_LEAK_FILTER)
    filters.insert(0, _LEAK_FILTER)
    mutated()


class LeakRecorder:
    """Records the leaks of one test.

    On the test's own loop (``loop``, a loop of aiotoolkit's) it records the reports of
    that loop's exception handler (other contexts go to the previous handler), and has
    the client keep (weakly) the sessions and connectors the test makes, to find those
    left open on that loop at the end. For a test that another plugin runs
    (``loop=None``: its loop is not aiotoolkit's) it listens to the client's reports
    directly (:mod:`toolkit.client._unclosed`), after collecting the garbage left by
    earlier tests, whose leaks are not this test's.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop
        self.leaks: list[tuple[str, str]] = []  # (kind, repr)
        # Servers numbered from here on are the test's (no import: none started yet
        # if the module is not loaded).
        servers = sys.modules.get(_SERVERS_MODULE)
        self._first_server: int = servers.started_count if servers is not None else 0
        if _collections_mark is None:
            _freeze_before_first_check()
        self._previous = None
        self._made: list[weakref.ref[Any]] | None = None
        self._outer_made: list[weakref.ref[Any]] | None = None  # (an inner pytester session's test)
        unclosed = _client_unclosed()
        if loop is None:
            _collect_since_freeze()
            unclosed.listeners.append(self._heard)
        else:
            self._previous = loop.get_exception_handler()
            loop.set_exception_handler(self._handle)
            self._outer_made = unclosed.made
            self._made = unclosed.made = []

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        for key, kind in _LEAK_KEYS.items():
            if key in context:
                self.leaks.append((kind, _safe_repr(context[key])))
                return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)

    def _heard(self, key: str, obj: object) -> None:
        self.leaks.append((_LEAK_KEYS.get(key, key), _safe_repr(obj)))

    def collect(self) -> None:
        """Report test servers the test left running (and close them on the test's own
        loop), then the client sessions and connectors left open on that loop (and
        close them), run the garbage collector so that unreachable leaked objects
        report, then close (and report) the transports and asyncio servers still open
        on the test's own loop.

        On the test's own loop the garbage collection is needed only for warnings that
        collected objects emit (an unclosed file, say): it is skipped when
        ``ResourceWarning`` is ignored, as by default.
        """
        loop = self._loop
        servers = sys.modules.get(_SERVERS_MODULE)
        if servers is not None and servers.live_servers:  # usually empty: nothing to list
            for server in list(servers.live_servers):
                if server._serial < self._first_server:
                    continue  # started before the test
                self.leaks.append(("test server", _safe_repr(server)))
                if loop is not None and not loop.is_closed():
                    loop.run_until_complete(server.close())
        if self._made is not None and loop is not None and not loop.is_closed():
            self._close_open_clients(loop, self._made)
        # The ResourceWarnings of the objects above are filtered out for the whole test
        # (LEAK_WARNING_PATTERN, by the plugin); others (an unclosed file) surface as usual.
        if loop is None or resource_warnings_shown():
            _collect_since_freeze()
        if loop is not None and not loop.is_closed():
            self._close_open_on_loop(loop)

    def _close_open_clients(
        self, loop: asyncio.AbstractEventLoop, made: list[weakref.ref[Any]]
    ) -> None:
        """Report and close the sessions (and the connectors no session of those owns)
        made during the test and still open on its loop."""
        sessions = []
        connectors = []
        for reference in made:
            obj = reference()
            if obj is None or getattr(obj, "_loop", None) is not loop:
                continue  # made on another loop (a thread's): not this test's to close
            if hasattr(obj, "_connector_owner"):  # a session
                if not obj.closed:
                    sessions.append(obj)
            elif not obj._closed and (obj._conns or obj._acquired):  # a connector in use
                connectors.append(obj)
        owned = {id(session._connector) for session in sessions if session._connector_owner}
        for session in sessions:
            self.leaks.append(("client session", _safe_repr(session)))
            with contextlib.suppress(Exception):  # (best effort: the report names it)
                loop.run_until_complete(session.close())
        for connector in connectors:
            if id(connector) not in owned:
                self.leaks.append(("connector", _safe_repr(connector)))
                connector._close_all()

    def _close_open_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Report and close the transports and servers the test left open on its loop
        (after the collection: a leaked session's connections are closed by then)."""
        transports, servers = open_on_loop(loop)
        if not transports and not servers:
            return
        for server in servers:
            self.leaks.append(("server", _safe_repr(server)))
            server.close()
        for transport in transports:
            self.leaks.append(("transport", _safe_repr(transport)))
            transport.abort()
        # One pass of the loop runs the connection_lost callbacks, which close the sockets.
        loop.run_until_complete(asyncio.sleep(0))

    def report(self) -> str | None:
        """A message naming the leaked objects, or None when there were none."""
        if not self.leaks:
            return None
        counts: dict[str, int] = {}
        for kind, _ in self.leaks:
            counts[kind] = counts.get(kind, 0) + 1
        summary = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items())
        lines = [
            f"aiotoolkit: the test left {summary} open:",
            *(f"  - {kind}: {text}" for kind, text in self.leaks),
            "Close sessions (`async with ClientSession() as s:` or `await s.close()`), "
            "test servers and clients (`async with` or `await x.close()`), the "
            "transports and servers the test opened (`writer.close()`, "
            "`transport.close()`, `server.close()`) and release responses "
            "(`async with s.get(...)` or `resp.release()`); "
            "disable this check with `--toolkit-leaks=off`.",
        ]
        return "\n".join(lines)

    def uninstall(self) -> None:
        """Stop recording: give the loop its previous exception handler back, or stop
        listening to the client."""
        loop = self._loop
        unclosed = _client_unclosed()
        if loop is None:
            if self._heard in unclosed.listeners:
                unclosed.listeners.remove(self._heard)
            return
        if self._made is not None:
            unclosed.made, self._made = self._outer_made, None
        if not loop.is_closed():
            loop.set_exception_handler(self._previous)


_unclosed_module: Any = None


def _client_unclosed() -> Any:
    """The client's :mod:`toolkit.client._unclosed` (imported on first use, not with the
    plugin; looked up once: an import statement costs a checked test every time)."""
    global _unclosed_module
    if _unclosed_module is None:
        from toolkit.client import _unclosed

        _unclosed_module = _unclosed
    return _unclosed_module


def resource_warnings_shown() -> bool:
    """Whether the warning filters in force let some ``ResourceWarning`` through
    (not ignored), the plugin's own filter for leak reports aside."""
    for action, message, category, module, lineno in warnings.filters:
        if not issubclass(ResourceWarning, category):
            continue
        if message is None and module is None and not lineno:
            return action != "ignore"  # decides for every ResourceWarning
        if action != "ignore":
            return True  # lets some through
        # (ignores some, the leak reports say: the next filters decide for the others)
    return bool(getattr(warnings, "defaultaction", "default") != "ignore")


def open_on_loop(
    loop: asyncio.AbstractEventLoop,
) -> tuple[list[asyncio.Transport], list[asyncio.AbstractServer]]:
    """The transports not closing and the servers still serving on ``loop``.

    Known for asyncio's selector loops, which keep their socket transports in a weak
    table by file descriptor and serve through a reader registered for each listening
    socket (whose arguments hold the server); on other loops (uvloop, Windows'
    proactor) both lists are empty.
    """
    selector = getattr(loop, "_selector", None)
    if selector is None:
        return [], []
    table = transport_table(loop)
    if not table and len(selector.get_map()) <= 1:
        return [], []  # (the one registration left is the loop's wake-up socket)
    transports = [t for t in list(table.values()) if not t.is_closing()] if table else []
    servers: list[asyncio.AbstractServer] = []
    for key in list(selector.get_map().values()):
        reader = key.data[0] if isinstance(key.data, tuple) else None
        callback = getattr(reader, "_callback", None)
        if getattr(callback, "__self__", None) is not loop:
            continue  # a transport's or the user's own reader, or the wake-up socket
        if getattr(callback, "__name__", "") != "_accept_connection":
            continue
        for arg in reader._args:  # type: ignore[union-attr]
            if isinstance(arg, asyncio.AbstractServer) and arg not in servers:
                servers.append(arg)
    return transports, servers


_froze = False
#: How many middle and old generation collections had run right after the last check
#: (``None``: no check yet, or released since).
_collections_mark: tuple[int, int] | None = None


def _collections() -> tuple[int, int]:
    stats = gc.get_stats()
    return stats[1]["collections"], stats[2]["collections"]


def _freeze_before_first_check() -> None:
    """Move every object alive before the first checked test (modules, the collected
    items, pytest's own state) to the permanent generation, uncollected: the first check
    then scans only what came after, as every later one does. (Collecting first would
    scan them all for the few cycles that import and collection leave behind.)"""
    global _froze, _collections_mark
    gc.freeze()
    _froze = True
    _collections_mark = _collections()


def _collect_since_freeze() -> None:
    """Collect the garbage among the objects created since the last freeze, then freeze
    the survivors."""
    global _froze, _collections_mark
    middle, old = _collections()
    if (middle, old) == _collections_mark:
        # No automatic collection promoted anything to the old generation since the
        # last freeze emptied it: the young ones hold every object to check.
        gc.collect(1)
        middle += 1
    else:
        gc.collect()
        old += 1
    gc.freeze()
    _froze = True
    # (No automatic collection runs during one: the counts are known without asking.)
    _collections_mark = middle, old


def release_frozen() -> None:
    """Undo the ``gc.freeze()`` of the checks (when there was one)."""
    global _froze, _collections_mark
    _collections_mark = None
    if _froze:
        gc.unfreeze()
        _froze = False


def _safe_repr(obj: Any) -> str:
    try:
        return repr(obj)
    except Exception as exc:  # a half-initialised object
        return f"<{type(obj).__name__} (repr failed: {exc})>"
