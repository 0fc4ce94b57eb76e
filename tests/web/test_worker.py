"""The gunicorn workers, run by a real gunicorn master with 2 workers."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import textwrap
from pathlib import Path

import pytest
import requests

GUNICORN = Path(sys.executable).with_name("gunicorn")


def _no_control_socket() -> list[str]:
    """gunicorn >= 24 opens a control socket in $HOME; parallel runs would share it."""
    try:
        from gunicorn.config import Config

        return ["--no-control-socket"] if "control_socket_disable" in Config().settings else []
    except Exception:
        return []


NO_CONTROL_SOCKET = _no_control_socket()

APP_MODULE = textwrap.dedent(
    """
    import os
    from toolkit import web

    async def pid(request):
        return web.Response(text=str(os.getpid()))

    async def echo(request):
        return web.Response(body=await request.read())

    def build():
        app = web.Application()
        app.router.add_get("/", pid)
        app.router.add_post("/echo", echo)
        return app

    app = build()

    async def factory():
        return build()
    """
)


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")
@pytest.mark.parametrize(
    ("worker", "target"),
    [
        ("toolkit.web.worker.GunicornWebWorker", "app_module:app"),
        ("toolkit.web.worker.GunicornUVLoopWebWorker", "app_module:factory"),
    ],
)
async def test_gunicorn_serves_with_two_workers(tmp_path: Path, worker: str, target: str) -> None:
    (tmp_path / "app_module.py").write_text(APP_MODULE)
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{tmp_path}"}
    proc = await asyncio.create_subprocess_exec(
        str(GUNICORN), target, "--bind", "127.0.0.1:0", "--workers", "2",
        "--worker-class", worker, "--graceful-timeout", "5", "--access-logfile", "-",
        *NO_CONTROL_SOCKET,
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        port = None
        booted = 0
        log = b""
        while booted < 2:
            line = await asyncio.wait_for(proc.stderr.readline(), 30)
            assert line, log
            log += line
            if match := re.search(rb"Listening at: http://127\.0\.0\.1:(\d+)", line):
                port = int(match.group(1))
            if b"Booting worker" in line:
                booted += 1
        assert port is not None

        def hammer() -> set[str]:
            pids = set()
            for _ in range(10):
                # new connection each time, so that both workers can take some
                response = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
                assert response.status_code == 200
                pids.add(response.text)
            echoed = requests.post(f"http://127.0.0.1:{port}/echo", data=b"e" * 10000, timeout=10)
            assert echoed.content == b"e" * 10000
            return pids

        # the workers start serving right after "Booting worker"; retry briefly
        for _ in range(50):
            try:
                pids = await asyncio.to_thread(hammer)
                break
            except requests.ConnectionError:
                await asyncio.sleep(0.1)
        assert pids and all(p.isdigit() for p in pids)
        assert str(proc.pid) not in pids
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, (log + err).decode()
    assert b"Exception in the gunicorn worker" not in err
    assert b'"GET / HTTP/1.1" 200' in out  # access log in the toolkit format
