"""pytester runs the plugin in inner sessions, in this process.

The library is imported here so that it stays in ``sys.modules`` across inner runs
(pytester drops modules first imported during a run, which would leave two copies
of the classes around). ``pytester`` itself is enabled in ``tests/conftest.py``.
``toolkit.testing`` imports its modules on first use: those the plugin's fixtures and
leak check use are imported here too (else the first inner run that imports them would
leave ``toolkit.testing`` holding classes from a copy of the module the next run no
longer sees, and its test servers would escape the leak check).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import toolkit.testing
import toolkit.testing.client
import toolkit.testing.server
import toolkit.web  # noqa: F401

STRICT_INI = """
[pytest]
filterwarnings = error
"""

APP = """
from toolkit import web

def make_app():
    async def hello(request):
        return web.Response(text="hello " + request.remote)

    app = web.Application()
    app.router.add_get("/", hello)
    return app
"""


@pytest.fixture
def isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An inner session with no plugin but ours (autoload off, ``-p`` it explicitly)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(app_helpers=APP)
    pytester.syspathinsert()
    return pytester


@pytest.fixture
def run_plugin() -> Callable[..., pytest.RunResult]:
    """``run_plugin(pytester, *args)``: an inner run with aiotoolkit's plugin (and no cache)."""

    def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
        return pytester.runpytest("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider", *args)

    return run
