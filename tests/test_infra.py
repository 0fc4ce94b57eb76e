"""The peers in ``tests/conftest.py`` work, proven with ``requests`` and ``curl`` only.

Nothing here imports ``toolkit``: if these pass and a client test fails, the bug is ours.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from yarl import URL

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A requests session that ignores proxy settings from the environment."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    """Run curl with proxy variables removed; return the finished process."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "20", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


# --------------------------------------------------------------------------- httpbin


def test_httpbin_answers_get(httpbin: Any, http: requests.Session) -> None:
    assert isinstance(httpbin.url, URL)
    assert httpbin.url.port == httpbin.port
    assert httpbin.host == "127.0.0.1"
    resp = http.get(str(httpbin.url_for("/get")), params={"a": "1"}, timeout=20)
    assert resp.status_code == 200
    body = resp.json()
    assert body["args"] == {"a": "1"}
    assert body["url"] == f"http://127.0.0.1:{httpbin.port}/get?a=1"


def test_httpbin_url_for_accepts_relative_paths(httpbin: Any) -> None:
    assert httpbin.url_for("status/418") == httpbin.url_for("/status/418")
    assert str(httpbin.url_for("/status/418")).endswith(f":{httpbin.port}/status/418")


def test_httpbin_status_and_keep_alive(httpbin: Any, http: requests.Session) -> None:
    first = http.get(str(httpbin.url_for("/status/418")), timeout=20)
    second = http.post(str(httpbin.url_for("/post")), json={"x": [1, 2]}, timeout=20)
    assert first.status_code == 418
    assert second.status_code == 200
    assert second.json()["json"] == {"x": [1, 2]}


def test_httpbin_serves_concurrent_requests(httpbin: Any) -> None:
    def fetch(i: int) -> Any:
        with urllib.request.urlopen(str(httpbin.url_for(f"/anything/{i}")), timeout=20) as r:
            return json.loads(r.read())["url"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        urls = list(pool.map(fetch, range(16)))
    assert urls == [str(httpbin.url_for(f"/anything/{i}")) for i in range(16)]


# --------------------------------------------------------------------------- TLS


def test_tls_server_cert_names(tls_server_cert: Any) -> None:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(tls_server_cert.cert_chain_pems[0].bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    assert names == {"127.0.0.1", "::1"}
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]


def test_httpbin_secure_verifies_with_ca(httpbin_secure: Any, http: requests.Session) -> None:
    assert httpbin_secure.url.scheme == "https"
    resp = http.get(str(httpbin_secure.url_for("/get")), verify=str(httpbin_secure.ca_path))
    assert resp.status_code == 200
    assert resp.json()["url"].startswith("https://127.0.0.1:")


def test_httpbin_secure_rejected_without_ca(httpbin_secure: Any, http: requests.Session) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        http.get(str(httpbin_secure.url_for("/get")), verify=True, timeout=20)


def test_httpbin_secure_ssl_context(httpbin_secure: Any) -> None:
    ctx = httpbin_secure.ssl_context
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    url = str(httpbin_secure.url_for("/headers"))
    with urllib.request.urlopen(url, context=ctx, timeout=20) as resp:
        assert resp.status == 200


@needs_curl
def test_httpbin_secure_with_curl_by_name(httpbin_secure: Any) -> None:
    # The certificate also names "localhost"; pin it to 127.0.0.1 so ::1 is not tried.
    url = f"https://localhost:{httpbin_secure.port}/get"
    res = curl(
        "--cacert",
        str(httpbin_secure.ca_path),
        "--resolve",
        f"localhost:{httpbin_secure.port}:127.0.0.1",
        url,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["url"] == url


# --------------------------------------------------------------------------- Unix socket


@needs_curl
def test_httpbin_unix_with_curl(httpbin_unix: Any) -> None:
    assert httpbin_unix.path.is_socket()
    res = curl("--unix-socket", str(httpbin_unix.path), str(httpbin_unix.url_for("/get")))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["url"] == "http://localhost/get"


# --------------------------------------------------------------------------- tinyproxy


@pytest.mark.needs_tinyproxy
def test_tinyproxy_forwards_plain_http(
    tinyproxy: Any, httpbin: Any, http: requests.Session
) -> None:
    proxies = {"http": str(tinyproxy.url)}
    url = httpbin.url_for("/headers").with_query(show_env="1")  # httpbin hides Via otherwise
    resp = http.get(str(url), proxies=proxies, timeout=20)
    assert resp.status_code == 200
    # tinyproxy adds a Via header: proof the request really went through it.
    assert "tinyproxy" in resp.json()["headers"].get("Via", "")


@pytest.mark.needs_tinyproxy
@needs_curl
def test_tinyproxy_tunnels_https_to_any_port(tinyproxy: Any, httpbin_secure: Any) -> None:
    res = curl(
        "--proxy",
        str(tinyproxy.url),
        "--cacert",
        str(httpbin_secure.ca_path),
        "--write-out",
        "\n%{http_connect}",
        str(httpbin_secure.url_for("/get")),
    )
    assert res.returncode == 0, res.stderr
    body, connect_status = res.stdout.rsplit("\n", 1)
    assert connect_status == "200"
    assert json.loads(body)["url"].startswith("https://127.0.0.1:")


@pytest.mark.needs_tinyproxy
def test_tinyproxy_auth_demands_credentials(
    tinyproxy_auth: Any, httpbin: Any, http: requests.Session
) -> None:
    url = str(httpbin.url_for("/get"))
    denied = http.get(url, proxies={"http": str(tinyproxy_auth.url)}, timeout=20)
    assert denied.status_code == 407
    assert tinyproxy_auth.url_with_auth.user == tinyproxy_auth.login == "user"
    allowed = http.get(url, proxies={"http": str(tinyproxy_auth.url_with_auth)}, timeout=20)
    assert allowed.status_code == 200


@pytest.mark.needs_tinyproxy
def test_tinyproxy_auth_rejects_wrong_password(
    tinyproxy_auth: Any, httpbin: Any, http: requests.Session
) -> None:
    bad = tinyproxy_auth.url.with_user("user").with_password("wrong")
    resp = http.get(str(httpbin.url_for("/get")), proxies={"http": str(bad)}, timeout=20)
    # tinyproxy answers a wrong password with 401 (a missing one gets 407).
    assert resp.status_code in (401, 407)


# --------------------------------------------------------------------------- hypothesis


def test_hypothesis_examples_have_no_deadline() -> None:
    """conftest.py's profile: an explicit ``@settings`` keeps ``deadline=None`` too."""
    from hypothesis import settings

    assert settings().deadline is None
    assert settings(max_examples=5).deadline is None
