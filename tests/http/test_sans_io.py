"""The protocol core stays sans-IO: no module under toolkit/http/ imports asyncio, socket or ssl."""

from __future__ import annotations

import ast
from pathlib import Path

import toolkit.http

FORBIDDEN = {"asyncio", "socket", "ssl", "selectors"}
PACKAGE = Path(toolkit.http.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found


def test_package_has_modules() -> None:
    assert len(list(PACKAGE.rglob("*.py"))) > 5


def test_no_io_imports() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(imported_modules(path) & FORBIDDEN)
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_scanner_catches_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os, asyncio.events\nfrom ssl import SSLContext\n"
        "import importlib\nimportlib.import_module('socket')\n"
    )
    assert imported_modules(bad) & FORBIDDEN == {"asyncio", "ssl", "socket"}
