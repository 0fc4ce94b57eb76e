"""Work deferred to first use: re-exported names (PEP 562) and regular expressions."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, AnyStr, cast

__all__ = ["LazyPattern", "exported_names", "lazy_dir", "lazy_load", "lazy_pattern", "name_table"]


def lazy_load(namespace: dict[str, Any], table: Mapping[str, str], name: str) -> Any:
    """Import ``name`` from the module ``table[name]`` and cache it in ``namespace``.

    ``namespace`` is the package's ``globals()``; relative module names in ``table`` are
    resolved against the package. A name whose module's last part is the name itself
    (``"toolkit.client.tracing"`` for ``"tracing"``) is the module.
    """
    package = namespace["__name__"]
    target = table.get(name)
    if target is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    module = importlib.import_module(target, package)
    value = module if target.rpartition(".")[2] == name else getattr(module, name)
    namespace[name] = value
    return value


def lazy_dir(namespace: Mapping[str, Any], exported: Iterable[str]) -> list[str]:
    """``dir()`` of a package: what it holds now plus what it exports lazily."""
    return sorted({*namespace, *exported})


def name_table(names_by_module: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Invert ``{module: names}`` into the ``{name: module}`` table ``lazy_load`` reads."""
    return {name: module for module, names in names_by_module.items() for name in names}


def exported_names(names_by_module: Mapping[str, Iterable[str]]) -> list[str]:
    """Every name in ``{module: names}``, sorted: a package's ``__all__``."""
    return sorted(name_table(names_by_module))


#: The methods a :class:`LazyPattern` copies from its compiled pattern.
_PATTERN_METHODS = ("findall", "finditer", "fullmatch", "match", "search", "split", "sub", "subn")


class LazyPattern:
    """A regular expression compiled on first use; see :func:`lazy_pattern`.

    The first use compiles the pattern and stores the compiled pattern's matching
    methods on the instance, so later calls cost what they cost on a compiled pattern
    (``re.match(string_pattern, s)`` pays two Python calls and a cache lookup each
    time). Other attributes (``groups``, ``pattern``...) come from the compiled pattern.
    """

    __slots__ = ("_compiled", "_flags", "_source", *_PATTERN_METHODS)
    _compiled: re.Pattern[Any]
    _flags: int
    _source: str | bytes

    def __init__(self, source: str | bytes, flags: int = 0) -> None:
        self._source = source
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: a method before the first use, or
        # an attribute of re.Pattern that is not one of the copied methods.
        if name.startswith("_"):
            raise AttributeError(name)  # copy/pickle probes, the unset _compiled slot
        try:
            compiled = self._compiled
        except AttributeError:
            compiled = self._compiled = re.compile(self._source, self._flags)
            for method in _PATTERN_METHODS:
                setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._source!r}, {self._flags!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyPattern, (self._source, self._flags))


def lazy_pattern(source: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(source, flags)``, done when the pattern is first used.

    For module-level patterns that only some code paths need: importing the module no
    longer pays for the compile, and each use is as cheap as on a compiled pattern. The
    result has a compiled pattern's methods and attributes but is not an instance of
    :class:`re.Pattern`.
    """
    return cast("re.Pattern[AnyStr]", LazyPattern(source, flags))
