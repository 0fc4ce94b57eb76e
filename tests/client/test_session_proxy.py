"""Requests through a real tinyproxy: plain HTTP (absolute-form) and HTTPS (CONNECT)."""

from __future__ import annotations

import pytest

import toolkit
from toolkit.client.exceptions import ClientHttpProxyError

pytestmark = pytest.mark.needs_tinyproxy


def proxied(proxy, request_line: str) -> bool:
    """Whether tinyproxy logged ``request_line`` (e.g. ``GET http://host/path``)."""
    return proxy.log_path is not None and request_line in proxy.log_path.read_text()


async def test_plain_http_through_proxy(tinyproxy, httpbin) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(httpbin.url_for("/get"), proxy=tinyproxy.url, params={"a": "1"}) as resp,
    ):
        body = await resp.json()
    assert resp.status == 200
    assert body["args"] == {"a": "1"}
    assert proxied(tinyproxy, f"GET {httpbin.url_for('/get')}?a=1 HTTP/1.1")


async def test_https_through_proxy_tunnel(tinyproxy, httpbin_secure) -> None:
    async with (
        toolkit.ClientSession() as session,
        session.get(
            httpbin_secure.url_for("/get"), proxy=tinyproxy.url, ssl=httpbin_secure.ssl_context
        ) as resp,
    ):
        body = await resp.json()
    assert body["url"] == str(httpbin_secure.url_for("/get"))
    assert proxied(tinyproxy, f"CONNECT {httpbin_secure.host}:{httpbin_secure.port}")


async def test_proxy_auth(tinyproxy_auth, httpbin) -> None:
    auth = toolkit.BasicAuth(tinyproxy_auth.login, tinyproxy_auth.password)
    async with toolkit.ClientSession() as session:
        async with session.get(
            httpbin.url_for("/get"), proxy=tinyproxy_auth.url, proxy_auth=auth
        ) as resp:
            assert resp.status == 200
        # Credentials in the proxy URL work as well.
        async with session.get(httpbin.url_for("/get"), proxy=tinyproxy_auth.url_with_auth) as r:
            assert r.status == 200
        async with session.get(httpbin.url_for("/get"), proxy=tinyproxy_auth.url) as resp:
            assert resp.status == 407


async def test_proxy_auth_refused_for_tunnel(tinyproxy_auth, httpbin_secure) -> None:
    async with toolkit.ClientSession() as session:
        with pytest.raises(ClientHttpProxyError) as info:
            await session.get(
                httpbin_secure.url_for("/get"),
                proxy=tinyproxy_auth.url,
                ssl=httpbin_secure.ssl_context,
            )
    assert info.value.status == 407


async def test_session_default_proxy(tinyproxy, httpbin) -> None:
    async with (
        toolkit.ClientSession(proxy=tinyproxy.url) as session,
        session.get(httpbin.url_for("/headers?default")) as resp,
    ):
        assert resp.status == 200
    assert proxied(tinyproxy, f"GET {httpbin.url_for('/headers')}?default")


async def test_trust_env_proxy(tinyproxy, httpbin, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", str(tinyproxy.url))
    async with (
        toolkit.ClientSession(trust_env=True) as session,
        session.get(httpbin.url_for("/headers?env")) as resp,
    ):
        assert resp.status == 200
    assert proxied(tinyproxy, f"GET {httpbin.url_for('/headers')}?env")


async def test_reference_proxies_mapping(tinyproxy_auth, httpbin) -> None:
    """The reference's ``ClientSession(proxies=...)``: a default proxy per scheme."""
    async with (
        toolkit.ClientSession(proxies={"http": tinyproxy_auth.url_with_auth}) as session,
        session.get(httpbin.url_for("/get?mapped")) as resp,
    ):
        assert resp.status == 200
    assert proxied(tinyproxy_auth, f"GET {httpbin.url_for('/get')}?mapped")
