"""The package stays sans-IO and exports exactly its public names."""

from __future__ import annotations

import ast
from pathlib import Path

import toolkit.http.ws as ws

PACKAGE = Path(ws.__file__).parent
FORBIDDEN = {"asyncio", "socket", "ssl", "selectors", "trio", "anyio"}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_no_io_imports() -> None:
    offenders = {
        path.name: sorted(imported_modules(path) & FORBIDDEN) for path in PACKAGE.glob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_exported_names() -> None:
    public = {
        name
        for name in dir(ws)
        if not name.startswith("_") and not isinstance(getattr(ws, name), type(ws))
    }
    assert public == set(ws.__all__)
    assert len(set(ws.__all__)) == len(ws.__all__)
