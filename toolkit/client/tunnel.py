"""The HTTP CONNECT tunnel through a proxy, for HTTPS (and WSS) requests.

:func:`open_tunnel` sends ``CONNECT host:port`` on a connection to the proxy and reads
the answer with the normal response parser; after a 2xx the connection is a raw pipe to
the origin, on which the connector starts TLS.
"""

from __future__ import annotations

from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from .exceptions import ClientHttpProxyError, RequestInfo
from .protocol import ResponseHandler

__all__ = ("build_connect_request", "open_tunnel")


def _authority(host: str, port: int | None) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}" if port is not None else host


def build_connect_request(req: Any) -> tuple[bytes, CIMultiDict[str]]:
    """The bytes of the CONNECT request for ``req`` and the header fields it carries."""
    target = _authority(str(req.host), req.port)
    headers: CIMultiDict[str] = CIMultiDict()
    headers["Host"] = target
    proxy_headers = getattr(req, "proxy_headers", None)
    if proxy_headers:
        for name, value in proxy_headers.items():
            if name.lower() != "host":
                headers.add(name, value)
    proxy_auth = getattr(req, "proxy_auth", None)
    if proxy_auth is not None:
        headers["Proxy-Authorization"] = proxy_auth.encode()
    for name, value in headers.items():
        if any(c in name + value for c in "\r\n\0"):
            raise ValueError(f"invalid proxy header field {name!r}: CR, LF or NUL in it")
    lines = [f"CONNECT {target} HTTP/1.1"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), headers


async def open_tunnel(
    protocol: ResponseHandler,
    req: Any,
    *,
    read_timeout: float | None = None,
    ceil_threshold: float = 5,
) -> bytes:
    """Ask the proxy behind ``protocol`` for a tunnel to ``req``'s origin.

    Returns the bytes that already arrived through the tunnel (normally none). Raises
    :class:`ClientHttpProxyError` (with the proxy's status) for a non-2xx answer, after
    closing the connection.
    """
    data, headers = build_connect_request(req)
    protocol.set_response_params(
        method="CONNECT",
        read_until_eof=False,
        auto_decompress=False,
        read_timeout=read_timeout,
        timeout_ceil_threshold=ceil_threshold,
    )
    transport = protocol.transport
    if transport is None:
        raise ConnectionResetError("the proxy closed the connection before CONNECT was sent")
    transport.write(data)
    await protocol.drain()
    head, _ = await protocol.read_response()
    if not 200 <= head.status < 300:
        protocol.close()
        info = RequestInfo(req.url, "CONNECT", CIMultiDictProxy(headers), req.url)
        raise ClientHttpProxyError(
            info,
            (),
            status=head.status,
            message=head.reason,
            headers=head.headers,
        )
    return protocol.trailing_data
