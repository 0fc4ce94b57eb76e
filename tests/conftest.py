"""Session fixtures that run real peers: httpbin under gunicorn, tinyproxy, trustme TLS.

Every fixture here is session-scoped and safe under pytest-xdist: each worker gets its
own processes, its own temporary directory and its own certificates. TCP servers are
bound without a race: the test process binds a listening socket on port 0 and hands the
file descriptor to gunicorn (``--bind fd://N``). tinyproxy cannot take a descriptor, so it
is started on a free port and retried on another one if it fails to bind.

Client- and server-specific fixtures live in ``tests/client/conftest.py`` and
``tests/web/conftest.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import hypothesis
import pytest
import trustme
from yarl import URL

# pytest only honours ``pytest_plugins`` in the top-level conftest: the plugin's own
# tests (tests/pytest_plugin/) need pytester.
pytest_plugins = ["pytester"]

# No per-example deadline: it measures the machine, not the code, and on a busy machine
# (parallel workers, other jobs) it fails at random with "Unreliable test timings".
# Tests set their own ``max_examples``; an explicit ``@settings`` inherits this profile.
hypothesis.settings.register_profile("aiotoolkit", deadline=None)
hypothesis.settings.load_profile("aiotoolkit")

__all__ = [
    "HttpbinServer",
    "HttpbinUnixServer",
    "SecureHttpbinServer",
    "TinyProxy",
]

#: How long a peer may take to start answering before the fixture gives up (generous:
#: the machine may be busy with other test workers).
STARTUP_TIMEOUT = 60.0
#: Debugging switches of the test process that would only slow the peers down.
_PEER_ENV_DROP = ("PYTHONTRACEMALLOC", "PYTHONDEVMODE", "PYTHONASYNCIODEBUG", "PYTHONWARNINGS")
#: How long a peer may take to exit after SIGTERM before it is killed.
SHUTDOWN_TIMEOUT = 10.0
#: Credentials ``tinyproxy_auth`` demands (``BasicAuth`` in its configuration).
PROXY_LOGIN = "user"
PROXY_PASSWORD = "pass"


# --------------------------------------------------------------------------- values


@dataclasses.dataclass(frozen=True)
class HttpbinServer:
    """A running httpbin reachable over TCP."""

    url: URL
    """Base URL, e.g. ``http://127.0.0.1:41234``."""
    host: str
    port: int

    def url_for(self, path: str = "/") -> URL:
        """Return the absolute URL of ``path`` (``"/get"``, ``"status/404"``...) on this server."""
        return self.url.join(URL("/" + path.lstrip("/")))


@dataclasses.dataclass(frozen=True)
class SecureHttpbinServer(HttpbinServer):
    """A running httpbin over HTTPS, with a certificate signed by the session's test CA."""

    ssl_context: ssl.SSLContext
    """A client context that trusts the test CA (and nothing else)."""
    ca_path: Path
    """PEM file of the test CA, for ``curl --cacert`` or ``requests(verify=...)``."""


@dataclasses.dataclass(frozen=True)
class HttpbinUnixServer:
    """A running httpbin bound to a Unix domain socket."""

    path: Path
    """Filesystem path of the socket."""

    @property
    def url(self) -> URL:
        """A URL to send through a Unix connector; only its path and Host header matter."""
        return URL("http://localhost")

    def url_for(self, path: str = "/") -> URL:
        """Return ``http://localhost/<path>``, the URL to request through the socket."""
        return self.url.join(URL("/" + path.lstrip("/")))


@dataclasses.dataclass(frozen=True)
class TinyProxy:
    """A running tinyproxy forward proxy (plain HTTP and CONNECT to any port)."""

    url: URL
    """Proxy URL without credentials, e.g. ``http://127.0.0.1:40123``."""
    host: str
    port: int
    login: str | None = None
    password: str | None = None
    log_path: Path | None = None

    @property
    def url_with_auth(self) -> URL:
        """The proxy URL with the credentials in its userinfo (or the plain URL)."""
        if self.login is None:
            return self.url
        return self.url.with_user(self.login).with_password(self.password)


# --------------------------------------------------------------------------- helpers


class PeerStartError(RuntimeError):
    """A peer process did not come up; the message carries its command and log."""


def _log_tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<no log at {path}: {exc}>"
    return text[-limit:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` and reap it, killing it if it ignores SIGTERM."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(SHUTDOWN_TIMEOUT)


def _answers_http(connect: Callable[[], socket.socket]) -> bool:
    """Send ``GET /get`` over a fresh connection and tell if an HTTP response comes back."""
    try:
        with connect() as sock:
            sock.settimeout(5.0)
            sock.sendall(b"GET /get HTTP/1.0\r\nHost: localhost\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.")
    except (OSError, ssl.SSLError):
        return False


def _wait_until(
    ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    delay = 0.02
    while True:
        if proc.poll() is not None:
            raise PeerStartError(
                f"{what} exited with status {proc.returncode} before it answered; "
                f"command: {proc.args!r}\n--- log ---\n{_log_tail(log)}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            _stop(proc)
            raise PeerStartError(
                f"{what} did not answer within {STARTUP_TIMEOUT}s; "
                f"command: {proc.args!r}\n--- log ---\n{_log_tail(log)}"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _connect_unix(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(5.0)
        sock.connect(str(path))
    except OSError:
        sock.close()
        raise
    return sock


def _gunicorn_command(*extra: str) -> list[str]:
    """gunicorn serving httpbin; ``extra`` holds the ``--bind`` options and any others."""
    import gunicorn

    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "--workers",
        "1",
        "--threads",
        "8",
        "--graceful-timeout",
        "2",
        # Longer than the client's idle timeout (15 s), so the client drops idle
        # connections first and never reuses one the server is closing.
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
    ]
    if tuple(gunicorn.version_info) >= (25, 1):
        # Otherwise every instance shares ~/.gunicorn/gunicorn.ctl (xdist workers collide).
        cmd.append("--no-control-socket")
    return [*cmd, *extra, "httpbin:app"]


def _spawn(cmd: list[str], log: Path, pass_fds: tuple[int, ...] = ()) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with its output in ``log`` and its working directory next to it."""
    env = {k: v for k, v in os.environ.items() if k not in _PEER_ENV_DROP}
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
            cwd=log.parent,
            env=env,
        )


@contextlib.contextmanager
def _gunicorn_on_tcp(
    workdir: Path,
    *extra: str,
    ssl_context: ssl.SSLContext | None = None,
    unix_path: Path | None = None,
) -> Iterator[tuple[str, int]]:
    """Run httpbin under gunicorn on a socket pre-bound here; yield ``(host, port)``.

    With ``unix_path`` the same server also listens on that Unix socket, pre-bound here
    too (gunicorn takes either descriptors or addresses, not both). One process instead
    of two: gunicorn's start-up is most of what a peer costs.
    """
    listeners = [socket.socket(socket.AF_INET, socket.SOCK_STREAM)]
    try:
        listeners[0].bind(("127.0.0.1", 0))
        host, port = listeners[0].getsockname()[:2]
        if unix_path is not None:
            listeners.append(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            listeners[1].bind(str(unix_path))
        binds: list[str] = []
        for listener in listeners:
            listener.listen(128)
            binds += ["--bind", f"fd://{listener.fileno()}"]
        log = workdir / "gunicorn.log"
        proc = _spawn(
            _gunicorn_command(*binds, *extra),
            log,
            pass_fds=tuple(listener.fileno() for listener in listeners),
        )
    finally:
        for listener in listeners:
            listener.close()  # gunicorn holds its own copies of the descriptors

    def connect() -> socket.socket:
        sock = socket.create_connection((host, port), timeout=5.0)
        if ssl_context is None:
            return sock
        try:
            return ssl_context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise

    def ready() -> bool:
        if not _answers_http(connect):
            return False
        return unix_path is None or _answers_http(functools.partial(_connect_unix, unix_path))

    try:
        _wait_until(ready, proc, "gunicorn/httpbin", log)
        yield host, port
    finally:
        _stop(proc)


@contextlib.contextmanager
def _short_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """A worker-private directory whose paths fit in ``sun_path`` (108 bytes)."""
    path = tmp_path_factory.mktemp(name)
    if len(str(path / "httpbin.sock")) < 100:
        yield path
        return
    short = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    try:
        yield short
    finally:
        shutil.rmtree(short, ignore_errors=True)


# --------------------------------------------------------------------------- TLS


# ``tls_ca`` and ``tls_client_context`` come from the plugin (pytest_plugin/tls.py). Do not
# override them here: session-scoped fixtures are cached by name, so an override would let
# the plugin's ``tls_server_context`` be built from one CA and a client context from another,
# depending on which test asked first.


@pytest.fixture(scope="session")
def tls_server_cert(tls_ca: trustme.CA) -> trustme.LeafCert:
    """A server certificate signed by ``tls_ca`` for 127.0.0.1, localhost and ::1."""
    return tls_ca.issue_cert("127.0.0.1", "localhost", "::1")


@pytest.fixture(scope="session")
def tls_ca_path(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PEM file of ``tls_ca``."""
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


# --------------------------------------------------------------------------- httpbin


@pytest.fixture(scope="session")
def _httpbin_plain(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[HttpbinServer, HttpbinUnixServer]]:
    """One gunicorn (gthread, 8 threads) serving httpbin over TCP and a Unix socket."""
    with _short_dir(tmp_path_factory, "httpbin") as workdir:
        path = workdir / "httpbin.sock"
        with _gunicorn_on_tcp(workdir, unix_path=path) as (host, port):
            url = URL.build(scheme="http", host=host, port=port)
            yield HttpbinServer(url=url, host=host, port=port), HttpbinUnixServer(path=path)


@pytest.fixture(scope="session")
def httpbin(_httpbin_plain: tuple[HttpbinServer, HttpbinUnixServer]) -> HttpbinServer:
    """The real httpbin app under gunicorn over plain HTTP."""
    return _httpbin_plain[0]


@pytest.fixture(scope="session")
def httpbin_secure(
    tmp_path_factory: pytest.TempPathFactory,
    tls_server_cert: trustme.LeafCert,
    tls_ca_path: Path,
    tls_client_context: ssl.SSLContext,
) -> Iterator[SecureHttpbinServer]:
    """httpbin over HTTPS with a ``tls_server_cert`` certificate; trust it via ``.ssl_context``."""
    workdir = tmp_path_factory.mktemp("httpbin-tls")
    certfile, keyfile = workdir / "server.pem", workdir / "server.key"
    with certfile.open("wb") as out:
        for blob in tls_server_cert.cert_chain_pems:
            out.write(blob.bytes())
    tls_server_cert.private_key_pem.write_to_path(str(keyfile))
    extra = ("--certfile", str(certfile), "--keyfile", str(keyfile))
    with _gunicorn_on_tcp(workdir, *extra, ssl_context=tls_client_context) as (host, port):
        yield SecureHttpbinServer(
            url=URL.build(scheme="https", host=host, port=port),
            host=host,
            port=port,
            ssl_context=tls_client_context,
            ca_path=tls_ca_path,
        )


@pytest.fixture(scope="session")
def httpbin_unix(_httpbin_plain: tuple[HttpbinServer, HttpbinUnixServer]) -> HttpbinUnixServer:
    """The same httpbin as ``httpbin``, also bound to a Unix socket (``--bind unix:PATH``)."""
    return _httpbin_plain[1]


# --------------------------------------------------------------------------- tinyproxy


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tinyproxy_config(port: int, auth: tuple[str, str] | None) -> str:
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 60",
        "MaxClients 100",
        "Allow 127.0.0.1",
        "LogLevel Info",
        # No ConnectPort lines: CONNECT is allowed to every port (our test servers use
        # random high ports). No PidFile: ``-d`` keeps it in the foreground, we own it.
    ]
    if auth is not None:
        lines.append(f"BasicAuth {auth[0]} {auth[1]}")
    return "\n".join(lines) + "\n"


def _tinyproxy_is_listening(log: Path, port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            pass
    except OSError:
        return False
    # The port answers; make sure it is *our* tinyproxy that bound it.
    return "Accepting connections" in _log_tail(log, limit=100_000)


@contextlib.contextmanager
def _run_tinyproxy(workdir: Path, auth: tuple[str, str] | None) -> Iterator[TinyProxy]:
    binary = shutil.which("tinyproxy") or next(
        (p for p in ("/usr/bin/tinyproxy", "/usr/sbin/tinyproxy") if os.path.exists(p)), None
    )
    if binary is None:
        pytest.skip("tinyproxy is not installed (Debian package 'tinyproxy'; `make debian`)")
    last_error: PeerStartError | None = None
    for attempt in range(5):
        # The port is free now but not reserved: if someone takes it before tinyproxy
        # binds, tinyproxy exits and we try another one.
        port = _free_port()
        conf = workdir / f"tinyproxy-{attempt}.conf"
        conf.write_text(_tinyproxy_config(port, auth))
        log = workdir / f"tinyproxy-{attempt}.log"
        proc = _spawn([binary, "-d", "-c", str(conf)], log)
        try:
            ready = functools.partial(_tinyproxy_is_listening, log, port)
            _wait_until(ready, proc, "tinyproxy", log)
        except PeerStartError as exc:
            _stop(proc)
            last_error = exc
            continue
        try:
            yield TinyProxy(
                url=URL.build(scheme="http", host="127.0.0.1", port=port),
                host="127.0.0.1",
                port=port,
                login=auth[0] if auth else None,
                password=auth[1] if auth else None,
                log_path=log,
            )
        finally:
            _stop(proc)
        return
    raise PeerStartError(f"tinyproxy did not start after 5 attempts: {last_error}")


@pytest.fixture(scope="session")
def tinyproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyProxy]:
    """A real tinyproxy on 127.0.0.1 without authentication; skips if it is not installed."""
    with _run_tinyproxy(tmp_path_factory.mktemp("tinyproxy"), auth=None) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def tinyproxy_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyProxy]:
    """A real tinyproxy that demands ``BasicAuth user pass`` (see ``.login``/``.password``)."""
    auth = (PROXY_LOGIN, PROXY_PASSWORD)
    with _run_tinyproxy(tmp_path_factory.mktemp("tinyproxy-auth"), auth=auth) as proxy:
        yield proxy
