"""The plugin's factory fixtures given to a test directly, past pytest's fixture machinery.

Resolving a fixture through pytest (a sub-request, two hook calls, a finalizer, the
async fixture stand-in and an event loop run to tear it down) costs about as many
instructions as a whole empty test. ``http_client``, ``http_server`` and ``raw_server``
(and their ``aiohttp_*`` names) are the fixtures nearly every test of an HTTP
application uses, and their setup does nothing but create an empty factory. So when a
test that aiotoolkit runs asks for them, the plugin puts the factories in the test's
arguments itself before pytest resolves its fixtures (pytest skips names already
there), and closes what they made as the test ends: in the test's own loop run when it
passes (``plugin._call_then_close``), when its teardown starts otherwise.

What the test sees is the same as through pytest, with one rule on order: the factory
closes its servers and clients **before** the test's other function-scoped fixtures are
torn down (as if it had been set up last), so the application's cleanup still finds
those fixtures' resources. Only when that cannot change anything does the plugin do
this; otherwise the fixture goes through pytest as usual:

* the test itself (or ``usefixtures``) asks for the name, no other fixture of the test
  does (it would get a second factory from pytest), and the fixture in force for the
  test is the plugin's own (a project may override the name);
* the test is aiotoolkit's (not pytest-asyncio's or anyio's), and pytest is not asked
  to show or plan fixture setup (``--setup-show``, ``--setup-only``, ``--setup-plan``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from . import fixtures

__all__ = ["close_factories", "direct_factories"]

#: Fixture names served by one factory (a fixture and its aiohttp alias), and its class.
_Groups = tuple[tuple[tuple[str, ...], type[fixtures._Factory]], ...]
_GROUPS: _Groups = (
    (("http_client", "aiohttp_client"), fixtures.HttpClients),
    (("http_server", "aiohttp_server"), fixtures.HttpServers),
    (("raw_server", "aiohttp_raw_server"), fixtures.RawServers),
)


def _fixture_function(name: str) -> Callable[..., Any]:
    """The function of fixture ``name`` as pytest records it (``FixtureDef.func``)."""
    definition = getattr(fixtures, name)
    # pytest >= 8.4 wraps a fixture function in a definition object (functools-wrapped).
    func: Callable[..., Any] = getattr(definition, "__wrapped__", definition)
    return func


_OWN: dict[str, Callable[..., Any]] = {
    name: _fixture_function(name) for names, _ in _GROUPS for name in names
}

#: The plan of each test function's fixture info (shared by its parametrized items):
#: keyed by id, with the info kept to tell a reused id.
_plans: dict[int, tuple[object, _Groups]] = {}


def _plan(info: Any) -> _Groups:
    """Which groups of names the plugin gives directly for tests of this fixture info."""
    closure: Sequence[str] = info.names_closure
    name2defs: dict[str, Sequence[Any]] = info.name2fixturedefs
    plan = []
    for names, factory in _GROUPS:
        present = tuple(name for name in names if name in closure)
        if not present:
            continue
        if not all(_is_own(name, name2defs.get(name)) for name in present):
            continue
        if _requested_by_other_fixtures(names, name2defs):
            continue
        plan.append((present, factory))
    return tuple(plan)


def _is_own(name: str, defs: Sequence[Any] | None) -> bool:
    return defs is not None and len(defs) == 1 and defs[0].func is _OWN[name]


def _requested_by_other_fixtures(
    names: tuple[str, ...], name2defs: dict[str, Sequence[Any]]
) -> bool:
    for defs in name2defs.values():
        for definition in defs:
            if definition.argname in names:
                continue  # the aliases request the fixture they alias
            if any(name in definition.argnames for name in names):
                return True
    return False


def direct_factories(item: pytest.Item) -> list[fixtures._Factory] | None:
    """Put the factories the plugin gives directly in ``item``'s arguments; returns them
    (to close at teardown), or None when every fixture goes through pytest."""
    info = getattr(item, "_fixtureinfo", None)
    funcargs = getattr(item, "funcargs", None)
    if info is None or not isinstance(funcargs, dict):
        return None
    cached = _plans.get(id(info))
    if cached is not None and cached[0] is info:
        plan = cached[1]
    else:
        try:
            plan = _plan(info)
        except AttributeError:  # a pytest whose fixture info is shaped otherwise
            plan = ()
        _plans[id(info)] = (info, plan)
    if not plan:
        return None
    option = item.config.option
    if getattr(option, "setupshow", False) or getattr(option, "setupplan", False):
        return None  # setuponly implies setupshow
    made = []
    for names, factory_class in plan:
        factory = factory_class()
        made.append(factory)
        for name in names:
            funcargs[name] = factory
    return made


async def close_factories(made: list[fixtures._Factory]) -> None:
    """Close what the factories made, the last factory first; every factory is closed
    even if one fails (the first error is raised)."""
    error: BaseException | None = None
    for factory in reversed(made):
        try:
            await factory.close()
        except BaseException as exc:
            if error is None:
                error = exc
    if error is not None:
        raise error
