"""Proxy settings from the environment (used when a session has ``trust_env=True``).

Honours ``HTTP_PROXY``, ``HTTPS_PROXY``, ``WS_PROXY``, ``WSS_PROXY`` and ``ALL_PROXY``
(lowercase names win over uppercase ones, as curl does) and ``NO_PROXY``, whose entries
may be ``*``, host names (matching the host and its subdomains), ``.suffix`` domains,
``host:port``, IP addresses and CIDR networks.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from yarl import URL

from .auth import BasicAuth, basicauth_from_netrc, netrc_from_env, strip_auth_from_url

__all__ = (
    "ProxyInfo",
    "get_env_proxy_for_url",
    "proxies_from_env",
    "should_bypass_proxy",
)

_PROXY_SCHEMES = ("http", "https", "ws", "wss")


@dataclass(frozen=True)
class ProxyInfo:
    """A proxy URL (without credentials) and the credentials to send to it."""

    proxy: URL
    proxy_auth: BasicAuth | None


def _env_value(env: Mapping[str, str], name: str) -> str | None:
    lower = env.get(name.lower())
    if lower is not None and lower.strip():
        return lower.strip()
    upper = name.upper()
    # httpoxy: in a CGI context HTTP_PROXY may come from a request header.
    if upper == "HTTP_PROXY" and "REQUEST_METHOD" in env:
        return None
    value = env.get(upper)
    if value is not None and value.strip():
        return value.strip()
    return None


def _parse_proxy_url(value: str) -> URL:
    if "://" not in value:
        value = "http://" + value
    return URL(value)


def proxies_from_env(environ: Mapping[str, str] | None = None) -> dict[str, ProxyInfo]:
    """Return ``{scheme: ProxyInfo}`` for the schemes that have a proxy configured.

    Credentials come from the proxy URL, or else from ``.netrc`` for the proxy host.
    """
    env = os.environ if environ is None else environ
    all_proxy = _env_value(env, "all_proxy")
    result: dict[str, ProxyInfo] = {}
    netrc_obj = None
    netrc_loaded = False
    for scheme in _PROXY_SCHEMES:
        value = _env_value(env, f"{scheme}_proxy") or all_proxy
        if value is None:
            continue
        proxy, auth = strip_auth_from_url(_parse_proxy_url(value))
        if auth is None and proxy.host is not None:
            if not netrc_loaded:
                netrc_obj = netrc_from_env()
                netrc_loaded = True
            try:
                auth = basicauth_from_netrc(netrc_obj, proxy.host)
            except LookupError:
                auth = None
        result[scheme] = ProxyInfo(proxy, auth)
    return result


def _no_proxy_entries(env: Mapping[str, str]) -> list[str]:
    raw = _env_value(env, "no_proxy") or ""
    return [item for item in raw.replace(" ", ",").split(",") if item]


def _split_host_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [v6]:port or [v6]
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        return entry, None
    return host, int(port) if port.isascii() and port.isdigit() else None


def _host_matches(host: str, pattern: str) -> bool:
    host = host.lower().rstrip(".")
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        pattern = pattern[1:]
    if pattern.startswith("."):
        return host == pattern[1:] or host.endswith(pattern)
    return host == pattern or host.endswith("." + pattern)


def should_bypass_proxy(url: URL, environ: Mapping[str, str] | None = None) -> bool:
    """Return True when ``NO_PROXY`` says that ``url`` must be reached directly."""
    env = os.environ if environ is None else environ
    host = url.raw_host
    if not host:
        return False
    host = host.strip("[]")
    try:
        host_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        host_ip = None
    port = url.port
    for entry in _no_proxy_entries(env):
        if entry == "*":
            return True
        pattern, entry_port = _split_host_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        if "/" in pattern:
            if host_ip is None:
                continue
            try:
                network = ipaddress.ip_network(pattern, strict=False)
            except ValueError:
                continue
            if host_ip.version == network.version and host_ip in network:
                return True
            continue
        if host_ip is not None:
            try:
                if ipaddress.ip_address(pattern) == host_ip:
                    return True
            except ValueError:
                pass
            continue
        if _host_matches(host, pattern):
            return True
    return False


def get_env_proxy_for_url(url: URL) -> tuple[URL, BasicAuth | None]:
    """Return the proxy and its credentials for ``url`` from the environment.

    Raises :class:`LookupError` when ``NO_PROXY`` excludes the host or no proxy is set
    for the URL's scheme.
    """
    if should_bypass_proxy(url):
        raise LookupError(f"Proxying is disallowed for {url.host!r} by NO_PROXY")
    proxies = proxies_from_env()
    try:
        info = proxies[url.scheme]
    except KeyError:
        raise LookupError(f"No proxies found for {str(url)!r} in the environment") from None
    return info.proxy, info.proxy_auth
