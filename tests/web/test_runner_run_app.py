"""run_app in a child process: serve, answer, stop gracefully on SIGINT/SIGTERM."""

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

from toolkit import web

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from toolkit import web

    async def hello(request):
        return web.Response(text="from run_app")

    async def slow(request):
        print("slow started", flush=True)
        await asyncio.sleep(0.3)
        return web.Response(text="slow done")

    async def make_app():
        app = web.Application()
        app.router.add_get("/", hello)
        app.router.add_get("/slow", slow)

        async def on_cleanup(app):
            print("cleanup ran", flush=True)

        app.on_cleanup.append(on_cleanup)
        return app

    factory = sys.argv[1] == "factory"
    web.run_app(
        make_app() if factory else asyncio.new_event_loop().run_until_complete(make_app()),
        host="127.0.0.1",
        port=0,
        shutdown_timeout=5,
        print=lambda text: print(text, flush=True),
    )
    print("run_app returned", flush=True)
    """
)


@pytest.mark.parametrize(("mode", "sig"), [("factory", signal.SIGINT), ("app", signal.SIGTERM)])
async def test_run_app_serves_until_signalled(
    tmp_path: Path, mode: str, sig: signal.Signals
) -> None:
    script = tmp_path / "serve.py"
    script.write_text(SCRIPT)
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), mode,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        match = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
        if match is None:  # the child failed to start: show why
            assert proc.stderr is not None
            err = await asyncio.wait_for(proc.stderr.read(), 30)
            pytest.fail(f"run_app printed {line!r}, not its address; stderr:\n{err.decode()}")
        port = int(match.group(1))
        assert (await asyncio.wait_for(proc.stdout.readline(), 5)) == b"(Press CTRL+C to quit)\n"
        url = f"http://127.0.0.1:{port}/"
        response = await asyncio.to_thread(requests.get, url, timeout=5)
        assert response.text == "from run_app"
        in_flight = asyncio.ensure_future(asyncio.to_thread(requests.get, url + "slow", timeout=5))
        assert (await asyncio.wait_for(proc.stdout.readline(), 10)) == b"slow started\n"
        proc.send_signal(sig)
        assert (await in_flight).text == "slow done"
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert out.decode().splitlines() == ["cleanup ran", "run_app returned"]


def test_run_app_rejects_what_is_not_an_app() -> None:
    with pytest.raises(TypeError, match="needs an Application"):
        web.run_app(object(), port=0, print=None, handle_signals=False)  # type: ignore[arg-type]


def test_run_app_on_a_unix_path_and_a_socket(tmp_path: Path) -> None:
    """In-process run_app: serve a Unix socket and a bound socket, then stop on SIGINT."""
    import socket

    path = str(tmp_path / "app.sock")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    replies: list[bytes] = []
    printed: list[str] = []

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    async def probe() -> None:
        try:
            for opener in (
                lambda: asyncio.open_unix_connection(path),
                lambda: asyncio.open_connection("127.0.0.1", port),
            ):
                for _ in range(200):  # the sites start after on_startup
                    try:
                        reader, writer = await opener()
                        break
                    except OSError:
                        await asyncio.sleep(0.01)
                writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                replies.append(await reader.read())
                writer.close()
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl+C would

    tasks: list[asyncio.Task[None]] = []

    async def start_probe(app: web.Application) -> None:
        tasks.append(asyncio.get_running_loop().create_task(probe()))

    app = web.Application()
    app.router.add_get("/", hello)
    app.on_startup.append(start_probe)
    loop = asyncio.new_event_loop()
    with sock:
        web.run_app(app, path=path, sock=sock, handle_signals=True, print=printed.append, loop=loop)
    assert loop.is_closed()
    assert len(replies) == 2 and all(r.endswith(b"\r\n\r\nhi") for r in replies)
    assert f"http://unix:{path}:" in printed[0]
    assert f"http://127.0.0.1:{port}" in printed[0]
