"""Import-on-first-use for the public names a package re-exports (PEP 562)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["exported_names", "lazy_dir", "lazy_load", "name_table"]


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
