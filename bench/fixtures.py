"""Time of a test suite whose every test starts a server and makes one request.

Three suites of ``--tests`` tests (default 500) are generated into a temporary
directory, identical but for the fixture they use:

* ``toolkit-tcp``: aiotoolkit's ``http_client(app)``, served over TCP on 127.0.0.1;
* ``toolkit-memory``: aiotoolkit's ``http_client(app, memory=True)``, no socket;
* ``pytest-aiohttp``: pytest-aiohttp's ``aiohttp_client(app)`` (over TCP);
* ``pytest-floor``: as many empty synchronous tests and no plugin, the floor under any
  fixture: its speed-up over pytest-aiohttp is the most a fixture could reach.

Each test builds a one-route application, gets a client for it, sends ``GET /`` and
checks the status and the body. Each suite runs in its own ``python -m pytest -q -p
no:cacheprovider`` subprocess (a fresh interpreter: imports and collection count, as
they do for a user) with the plugins isolated: autoloading is off
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``) and each run loads only the plugins it is about,
aiotoolkit's (``-p pytest_plugin.plugin``) or pytest-asyncio and pytest-aiohttp (``-p
pytest_asyncio.plugin -p pytest_aiohttp.plugin``, pytest-asyncio in auto mode with
function-scoped loops: the loop-per-test policy aiotoolkit has). Other plugins of the
environment (hypothesis, anyio, xdist ...) would add the same constant to every run.

Two figures are taken per run: the **whole run** (the subprocess, start to exit) and
**tests only**: the wall time from the end of collection to the end of the session
(``pytest_collection_finish`` to ``pytest_sessionfinish``), recorded the same way in
every suite by a small plugin the script writes next to the tests and loads with ``-p``
(it writes the timestamps, wall and CPU, to a file). Interpreter start-up, imports and
collection are a fixed cost on both sides; the second figure shows the fixtures alone.

Each suite runs once untimed first (imports get their ``.pyc`` files, pytest caches
the rewritten test module), with bytecode writing allowed whatever the environment
says. Then come ``--repeats`` timed rounds (9); a round runs every suite once, back to
back, in a rotating order (A B C D, B C D A, ...), so that a burst of load from
elsewhere does not land on one suite only. The script prints every run, then per suite
the best and the median wall time, the best CPU time (user + system of the pytest
process: on a busy machine it moves much less than the wall time), and how many times
faster than pytest-aiohttp each of aiotoolkit's suites is, for the whole run and for
the tests only: best against best, and the **median of the per-round ratios**, which is
the headline (each ratio compares two runs made seconds apart, so load that comes and
goes cancels out). The targets, memory at least 3x and TCP at least 1.5x in wall time on
an idle machine, are for the tests-only figure: the wall time of the 500 tests. The whole
run adds pytest's own start-up and collection, the same in every suite (the floor
suite's whole run less its tests, printed with the table), which no fixture can change;
it is shown next to them without a target. The load average is printed before and after.

    .venv/bin/python bench/fixtures.py
    .venv/bin/python bench/fixtures.py --tests 200 --repeats 5
    .venv/bin/python bench/fixtures.py --suite toolkit-memory --suite pytest-aiohttp
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SUITES", "Suite", "Timing", "main"]


@dataclass(frozen=True)
class Suite:
    """One generated test file and how pytest is run on it."""

    name: str
    source: str
    pytest_args: tuple[str, ...]


_TEST = """
import pytest
from {package} import web


async def hello(request):
    return web.Response(text="hello")


@pytest.mark.parametrize("i", range({tests}))
async def test_request({fixture}, i):
    app = web.Application()
    app.router.add_get("/", hello)
    client = await {fixture}(app{options})
    resp = await client.get("/")
    assert resp.status == 200
    assert await resp.text() == "hello"
"""


_FLOOR_TEST = """
import pytest


@pytest.mark.parametrize("i", range({tests}))
def test_nothing(i):
    assert i >= 0
"""


def _test_source(package: str, fixture: str, options: str = "") -> str:
    """The generated test module, ``{tests}`` left for the count."""
    return (
        _TEST.replace("{package}", package)
        .replace("{fixture}", fixture)
        .replace("{options}", options)
    )


_OURS = ("-p", "pytest_plugin.plugin")
_THEIRS = (
    "-p",
    "pytest_asyncio.plugin",
    "-p",
    "pytest_aiohttp.plugin",
    "-o",
    "asyncio_mode=auto",
    "-o",
    "asyncio_default_fixture_loop_scope=function",
)

SUITES = (
    Suite("toolkit-tcp", _test_source("toolkit", "http_client"), _OURS),
    Suite("toolkit-memory", _test_source("toolkit", "http_client", ", memory=True"), _OURS),
    Suite("pytest-aiohttp", _test_source("aiohttp", "aiohttp_client"), _THEIRS),
    # No server, no request, no async plugin: what pytest itself costs for as many tests.
    # Its speed-up over pytest-aiohttp is the most any fixture could reach.
    Suite("pytest-floor", _FLOOR_TEST, ()),
)
#: A user's repeated runs import from .pyc files: do not let the environment forbid them
#: (an editable install would otherwise compile aiotoolkit from source in every run).
_ENV_DROP = ("PYTHONDONTWRITEBYTECODE", "PYTHONDEVMODE", "PYTHONASYNCIODEBUG", "PYTHONTRACEMALLOC")
_BASELINE = "pytest-aiohttp"
_FLOOR = "pytest-floor"
_TARGETS = {"toolkit-memory": 3.0, "toolkit-tcp": 1.5}


def _write_suites(directory: Path, suites: list[Suite], tests: int) -> dict[str, Path]:
    # An empty ini makes the directory the rootdir: no configuration from elsewhere.
    (directory / "pytest.ini").write_text("[pytest]\n")
    (directory / f"{_PHASE_MODULE}.py").write_text(_PHASE_PLUGIN)
    paths = {}
    for suite in suites:
        path = directory / f"test_{suite.name.replace('-', '_')}.py"
        path.write_text(suite.source.replace("{tests}", str(tests)))
        paths[suite.name] = path
    return paths


#: The plugin that times the test phase; the same file is loaded by every suite.
_PHASE_PLUGIN = '''"""Write the wall and CPU clocks at the end of collection and of the session."""
import os
import time

import pytest

_start = (0.0, 0.0)


def pytest_collection_finish(session):
    global _start
    _start = (time.perf_counter(), time.process_time())


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["BENCH_PHASE_FILE"], "w") as out:
        out.write(f"{_start[0]!r} {time.perf_counter()!r} {_start[1]!r} {time.process_time()!r}")
'''
_PHASE_MODULE = "bench_fixtures_phase"


@dataclass(frozen=True)
class Timing:
    """One run: the whole process (wall, CPU = user + system) and its test phase."""

    wall: float
    cpu: float
    tests_wall: float
    tests_cpu: float


def _run(suite: Suite, path: Path, tests: int) -> Timing:
    """Run one suite and time it (raise if a test did not pass)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        _PHASE_MODULE,
        *suite.pytest_args,
    ]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k not in _ENV_DROP
    }
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    phase_file = path.parent / f"phase-{suite.name}.txt"
    phase_file.unlink(missing_ok=True)
    env["BENCH_PHASE_FILE"] = str(phase_file)
    # The output goes to a file, as in a CI log: a pipe would wake this process up for
    # every progress dot pytest flushes, which costs more than some tests do.
    with tempfile.TemporaryFile("w+") as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [*cmd, path.name], cwd=path.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.seek(0)
        output = out.read()
    if proc.returncode != 0 or f"{tests} passed" not in output or not phase_file.exists():
        raise RuntimeError(
            f"{suite.name}: pytest exited with {proc.returncode}; command: {' '.join(cmd)}\n"
            f"{output[-5000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    wall_start, wall_end, cpu_start, cpu_end = map(float, phase_file.read_text().split())
    return Timing(wall, cpu, wall_end - wall_start, cpu_end - cpu_start)


def _report(suites: list[Suite], timings: dict[str, list[Timing]], tests: int) -> None:
    runs = len(next(iter(timings.values())))
    print()
    print(f"{tests} tests per suite, {runs} timed rounds each, seconds")
    base = timings.get(_BASELINE)
    headline: list[str] = []
    for title, short, wall_of, cpu_of, targets in (
        (
            "whole run (python -m pytest, start to exit)",
            "whole run",
            _whole_wall,
            _whole_cpu,
            {},
        ),
        (
            "tests only (end of collection to end of session)",
            "tests only",
            _tests_wall,
            _tests_cpu,
            _TARGETS,
        ),
    ):
        print()
        print(f"{title}:")
        print(
            f"  {'suite':<15} {'wall best':>9} {'median':>7} {'cpu best':>9}"
            f"   speed-up vs {_BASELINE}: wall best / median of rounds, cpu best"
        )
        figures: list[str] = []
        for suite in suites:
            walls = [wall_of(t) for t in timings[suite.name]]
            cpus = [cpu_of(t) for t in timings[suite.name]]
            line = (
                f"  {suite.name:<15} {min(walls):9.2f} {statistics.median(walls):7.2f}"
                f" {min(cpus):9.2f}"
            )
            if base is not None and suite.name != _BASELINE:
                base_walls = [wall_of(t) for t in base]
                base_cpus = [cpu_of(t) for t in base]
                best = min(base_walls) / min(walls)
                median = _median_ratio(base_walls, walls)
                low, high = _ratio_range(base_walls, walls)
                line += f"   {best:5.2f}x / {median:5.2f}x, {min(base_cpus) / min(cpus):5.2f}x"
                if suite.name in _TARGETS:
                    target = targets.get(suite.name)
                    mark = f"target {target:.1f}x" if target is not None else "no target"
                    if target is not None:
                        line += f"   ({mark})"
                    figures.append(
                        f"{suite.name} {median:.2f}x (rounds {low:.2f}-{high:.2f}x,"
                        f" best {best:.2f}x, {mark})"
                    )
            print(line)
        startup = _pytest_startup(timings) if wall_of is _whole_wall else None
        if startup is not None:
            print(
                f"  (pytest's own start-up and collection, in every suite: {startup:.2f} s,"
                " the floor's whole run less its tests)"
            )
        if figures:
            headline.append(f"  {short + ':':<12} " + "; ".join(figures))
    if headline:
        print()
        print(
            f"headline: speed-up over {_BASELINE} in wall time, the median of the {runs} "
            "rounds' ratios (each round runs every suite back to back); the targets are "
            "for the tests:"
        )
        print("\n".join(headline))


def _pytest_startup(timings: dict[str, list[Timing]]) -> float | None:
    """What pytest itself spends outside the tests (start-up, imports, collection), from
    the floor suite's best run; None when it did not run."""
    floor = timings.get(_FLOOR)
    if not floor:
        return None
    return min(t.wall - t.tests_wall for t in floor)


def _median_ratio(base: list[float], ours: list[float]) -> float:
    """The median over rounds of ``base / ours``: each ratio compares two runs made
    next to each other, so load that comes and goes cancels out better than in the
    ratio of two medians."""
    return statistics.median(b / o for b, o in zip(base, ours, strict=True))


def _ratio_range(base: list[float], ours: list[float]) -> tuple[float, float]:
    """The lowest and highest of the rounds' ratios ``base / ours``: how far from the
    median a single round can land."""
    ratios = [b / o for b, o in zip(base, ours, strict=True)]
    return min(ratios), max(ratios)


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:  # not available on this platform
        return "unknown"
    return f"{one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _whole_wall(t: Timing) -> float:
    return t.wall


def _whole_cpu(t: Timing) -> float:
    return t.cpu


def _tests_wall(t: Timing) -> float:
    return t.tests_wall


def _tests_cpu(t: Timing) -> float:
    return t.tests_cpu


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status is 1 if a suite failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=500, help="tests per suite (500)")
    parser.add_argument(
        "--repeats", type=int, default=9, help="timed rounds (every suite once per round; 9)"
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=[s.name for s in SUITES],
        help="run only this suite (repeatable; default: all four)",
    )
    args = parser.parse_args(argv)
    suites = [s for s in SUITES if args.suite is None or s.name in args.suite]
    timings: dict[str, list[Timing]] = {s.name: [] for s in suites}
    print(f"load average before: {_load()}")
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        paths = _write_suites(Path(tmp), suites, args.tests)
        try:
            for suite in suites:  # warm-up, not timed: .pyc files, the rewritten test module
                _run(suite, paths[suite.name], args.tests)
            for repeat in range(args.repeats):
                shift = repeat % len(suites)
                for suite in suites[shift:] + suites[:shift]:
                    timing = _run(suite, paths[suite.name], args.tests)
                    timings[suite.name].append(timing)
                    print(
                        f"run {repeat + 1}  {suite.name:<15} whole run: wall {timing.wall:6.2f} s"
                        f" cpu {timing.cpu:6.2f} s;  tests only: wall {timing.tests_wall:6.2f} s"
                        f" ({timing.tests_wall / args.tests * 1000:5.2f} ms/test)"
                        f" cpu {timing.tests_cpu:6.2f} s"
                    )
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
    _report(suites, timings, args.tests)
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
