"""``toolkit serve`` in a real subprocess, queried by curl over HTTP and HTTPS."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit.cli import main


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "serve",
            "--port",
            "0",
            "--tls",
            "--tls-port",
            "0",
            "--cert-dir",
            str(tmp_path),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline().strip() for _ in range(3)]
    return proc, lines


@contextlib.contextmanager
def _serving(tmp_path: Path, *extra: str) -> Iterator[list[str]]:
    """``toolkit serve`` running (its first three lines of output), stopped by SIGTERM."""
    proc, lines = _start(tmp_path, *extra)
    try:
        yield lines
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)  # also closes the pipes
        assert proc.returncode == 0, err


def _curl_json(url: str, *options: str) -> Any:
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "20", *options, url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_serve_answers_curl_over_http_and_https(tmp_path: Path) -> None:
    with _serving(tmp_path) as lines:
        assert lines[0].startswith("serving http://127.0.0.1:"), lines
        assert lines[1].startswith("serving https://127.0.0.1:"), lines
        ca_path = tmp_path / "toolkit-ca.pem"
        assert lines[2] == f"CA certificate: {ca_path}"
        http_url = lines[0].removeprefix("serving ")
        https_url = lines[1].removeprefix("serving ")
        assert _curl_json(f"{http_url}/get?x=1")["args"] == {"x": "1"}
        secure = _curl_json(f"{https_url}/get", "--cacert", str(ca_path))
        assert secure["url"] == f"{https_url}/get"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is loopback on Linux only")
def test_serve_on_another_host_with_a_certificate_for_it(tmp_path: Path) -> None:
    # 127.0.0.2 is loopback too on Linux; the certificate names the host served.
    with _serving(tmp_path, "--host", "127.0.0.2") as lines:
        assert lines[0].startswith("serving http://127.0.0.2:"), lines
        assert lines[1].startswith("serving https://127.0.0.2:"), lines
        https_url = lines[1].removeprefix("serving ")
        secure = _curl_json(f"{https_url}/get", "--cacert", str(tmp_path / "toolkit-ca.pem"))
        assert secure["url"] == f"{https_url}/get"


def test_serve_requires_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "serve" in capsys.readouterr().err


def test_serve_on_a_port_in_use_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot serve on http://127.0.0.1:{port}" in err
    assert "Traceback" not in err
