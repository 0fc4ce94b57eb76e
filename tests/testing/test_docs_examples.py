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


def test_examples_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # In a subprocess: an in-process inner run would drop the toolkit modules it imported
    # first, leaving two copies of their classes around for the next tests.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    for number, (page, tests) in enumerate(EXAMPLES):
        pytester.makepyfile(**{f"test_example_{number}": python_block(page, tests)})
    result = pytester.runpytest_subprocess("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=sum(len(tests) for _, tests in EXAMPLES))
