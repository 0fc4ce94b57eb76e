"""The complete test examples of the testing docs run, as written, in an inner pytest
session with the plugin (a change that breaks what the docs show fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: The examples that are whole test modules (the others are fragments): the page, and
#: the tests its block defines.
EXAMPLES = [
    ("testing.md", ["test_hello"]),
    ("testing/mocking.md", ["test_profile"]),
    ("testing/pytest-plugin.md", ["test_hello", "test_https", "test_client_certificates"]),
]


def python_block(page: str, tests: list[str]) -> str:
    """The page's python block that defines exactly ``tests``."""
    text = (DOCS / page).read_text()
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        if re.findall(r"def (test_\w+)", block) == tests:
            return str(block)
    raise AssertionError(f"{page} has no python block defining {tests}")


@pytest.mark.parametrize(("page", "tests"), EXAMPLES, ids=[page for page, _ in EXAMPLES])
def test_example_runs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, page: str, tests: list[str]
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_example=python_block(page, tests))
    result = pytester.runpytest("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(tests))
