"""Tests for toolkit.proxy_env: proxy variables and NO_PROXY matching."""

from __future__ import annotations

from pathlib import Path

import pytest
from yarl import URL

from toolkit.helpers import BasicAuth
from toolkit.proxy_env import (
    ProxyInfo,
    get_env_proxy_for_url,
    proxies_from_env,
    should_bypass_proxy,
)

_PROXY_VARS = (
    "http_proxy",
    "https_proxy",
    "ws_proxy",
    "wss_proxy",
    "all_proxy",
    "no_proxy",
    "REQUEST_METHOD",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


def test_no_proxies() -> None:
    assert proxies_from_env() == {}
    with pytest.raises(LookupError, match="No proxies found"):
        get_env_proxy_for_url(URL("http://example.com"))


def test_scheme_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTPS_PROXY", "https://secure-proxy.example")
    monkeypatch.setenv("WS_PROXY", "ws-proxy.example:8080")
    proxies = proxies_from_env()
    assert proxies["http"] == ProxyInfo(URL("http://proxy.example:3128"), None)
    assert proxies["https"].proxy == URL("https://secure-proxy.example")
    assert proxies["ws"].proxy == URL("http://ws-proxy.example:8080")
    assert "wss" not in proxies
    assert get_env_proxy_for_url(URL("https://example.com/x")) == (
        URL("https://secure-proxy.example"),
        None,
    )


def test_lowercase_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://upper.example")
    monkeypatch.setenv("http_proxy", "http://lower.example")
    assert proxies_from_env()["http"].proxy == URL("http://lower.example")


def test_all_proxy_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://all.example")
    monkeypatch.setenv("https_proxy", "http://https.example")
    proxies = proxies_from_env()
    assert proxies["http"].proxy == URL("http://all.example")
    assert proxies["wss"].proxy == URL("http://all.example")
    assert proxies["https"].proxy == URL("http://https.example")


def test_httpoxy_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUEST_METHOD", "GET")
    monkeypatch.setenv("HTTP_PROXY", "http://attacker.example")
    assert "http" not in proxies_from_env()


def test_proxy_credentials_from_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://user:pa%20ss@proxy.example:3128")
    info = proxies_from_env()["http"]
    assert info.proxy == URL("http://proxy.example:3128")
    assert info.proxy_auth == BasicAuth("user", "pa ss")


def test_proxy_credentials_from_netrc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine proxy.example login bob password hunter2\n")
    netrc_file.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc_file))
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("https_proxy", "http://other.example:3128")
    proxies = proxies_from_env()
    assert proxies["http"].proxy_auth == BasicAuth("bob", "hunter2")
    assert proxies["https"].proxy_auth is None


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypass"),
    [
        ("*", "http://anything.example", True),
        ("example.com", "http://example.com/", True),
        ("example.com", "http://api.example.com/", True),
        ("example.com", "http://notexample.com/", False),
        (".example.com", "http://example.com/", True),
        (".example.com", "http://a.b.example.com/", True),
        ("*.example.com", "http://a.example.com/", True),
        ("EXAMPLE.com", "http://Example.COM/", True),
        ("example.com.", "http://example.com/", True),
        ("example.com:8080", "http://example.com:8080/", True),
        ("example.com:8080", "http://example.com/", False),
        ("other.org, example.com", "http://example.com/", True),
        ("other.org example.com", "http://example.com/", True),
        ("10.0.0.0/8", "http://10.1.2.3/", True),
        ("10.0.0.0/8", "http://11.1.2.3/", False),
        ("10.0.0.0/8", "http://example.com/", False),
        ("192.168.1.1", "http://192.168.1.1:81/", True),
        ("::1", "http://[::1]:8080/", True),
        ("[::1]:8080", "http://[::1]:8080/", True),
        ("[::1]:8080", "http://[::1]:9090/", False),
        ("fd00::/8", "http://[fd12::1]/", True),
        ("fd00::/8", "http://10.0.0.1/", False),
        ("localhost", "http://127.0.0.1/", False),
        ("", "http://example.com/", False),
        ("not a cidr/99", "http://10.0.0.1/", False),
        # A port that is not ASCII digits ("²" passes str.isdigit, not int) names no port.
        ("example.com:\u00b2", "http://example.com:8080/", True),
        ("[::1]:\u00b2", "http://[::1]:8080/", True),
    ],
)
def test_no_proxy(monkeypatch: pytest.MonkeyPatch, no_proxy: str, url: str, bypass: bool) -> None:
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert should_bypass_proxy(URL(url)) is bypass


def test_no_proxy_blocks_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy.example")
    monkeypatch.setenv("no_proxy", "internal.example")
    with pytest.raises(LookupError, match=r"internal\.example"):
        get_env_proxy_for_url(URL("http://internal.example/"))
    assert get_env_proxy_for_url(URL("http://public.example/"))[0] == URL("http://proxy.example")


def test_explicit_environ_mapping() -> None:
    env = {"https_proxy": "http://p.example", "no_proxy": "skip.example"}
    assert proxies_from_env(env)["https"].proxy == URL("http://p.example")
    assert should_bypass_proxy(URL("https://skip.example"), env)
