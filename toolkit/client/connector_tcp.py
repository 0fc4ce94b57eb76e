"""``TCPConnector``: TCP connections with DNS caching, happy eyeballs, TLS and proxies."""

from __future__ import annotations

import asyncio
import socket
import ssl as _ssl
from collections.abc import Mapping
from typing import Any

from .._checks import check_number
from .connector_base import BaseConnector, _trace
from .connector_dns import DNSCache
from .exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientProxyConnectionError,
    ConnectionTimeoutError,
)
from .protocol import ResponseHandler
from .resolver import AbstractResolver, DefaultResolver, ResolveResult
from .timeouts import ClientTimeout, ceil_timeout
from .tls import Fingerprint, fingerprint_for, merge_ssl_params, resolve_ssl_context
from .tunnel import open_tunnel

__all__ = ("TCPConnector",)


class TCPConnector(BaseConnector):
    """Connections over TCP (HTTP and HTTPS), optionally through an HTTP proxy."""

    def __init__(
        self,
        *,
        ssl: Any = True,
        verify_ssl: bool = True,
        fingerprint: bytes | None = None,
        use_dns_cache: bool = True,
        ttl_dns_cache: float | None = 10,
        family: int = 0,
        ssl_context: _ssl.SSLContext | None = None,
        local_addr: tuple[str, int] | None = None,
        resolver: AbstractResolver | None = None,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        check_number(owner, "ttl_dns_cache", ttl_dns_cache, none=True)
        check_number(owner, "happy_eyeballs_delay", happy_eyeballs_delay, none=True)
        check_number(owner, "interleave", interleave, unit="addresses", none=True)
        super().__init__(**kwargs)
        self._ssl = merge_ssl_params(ssl, verify_ssl, ssl_context, fingerprint)
        # the default resolver holds nothing that needs closing; a given one is the caller's
        self._resolver: AbstractResolver = resolver if resolver is not None else DefaultResolver()
        self._use_dns_cache = use_dns_cache
        self._cached = DNSCache(ttl=ttl_dns_cache)
        self._family = family
        self._local_addr = local_addr
        self._happy_eyeballs_delay = happy_eyeballs_delay
        if interleave is None and happy_eyeballs_delay is not None:
            interleave = 1  # RFC 8305: alternate the families when racing
        self._interleave = interleave

    # ------------------------------------------------------------------ properties

    @property
    def family(self) -> int:
        """The socket family allowed (0: both IPv4 and IPv6)."""
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        """True when resolved addresses are cached."""
        return self._use_dns_cache

    @property
    def dns_cache(self) -> bool:
        """The 2.x name of :attr:`use_dns_cache`."""
        return self._use_dns_cache

    @property
    def cached_hosts(self) -> Mapping[tuple[str, int], list[ResolveResult]]:
        """A read-only view of the DNS cache, keyed by ``(host, port)``."""
        return self._cached.hosts

    @property
    def verify_ssl(self) -> bool:
        """True when certificates are verified (2.x property)."""
        return self._ssl is not False and not isinstance(self._ssl, Fingerprint)

    @property
    def ssl_context(self) -> _ssl.SSLContext | None:
        """The ``SSLContext`` given to the connector, if any (2.x property)."""
        return self._ssl if isinstance(self._ssl, _ssl.SSLContext) else None

    @property
    def fingerprint(self) -> bytes | None:
        """The pinned certificate digest, if any (2.x property)."""
        return self._ssl.fingerprint if isinstance(self._ssl, Fingerprint) else None

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget one cached ``(host, port)``, or everything when neither is given."""
        if host is not None and port is not None:
            self._cached.remove((host, port))
        elif host is not None or port is not None:
            raise ValueError("clear_dns_cache() needs both host and port, or neither")
        else:
            self._cached.clear()

    # ------------------------------------------------------------------ resolving

    async def _resolve_host(self, host: str, port: int, traces: list[Any]) -> list[ResolveResult]:
        if _is_ip_address(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return [
                ResolveResult(
                    hostname=host,
                    host=host,
                    port=port,
                    family=family,
                    proto=0,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            ]

        async def resolve() -> list[ResolveResult]:
            await _trace(traces, "send_dns_resolvehost_start", host)
            addrs = await self._resolver.resolve(host, port, family=self._family)  # type: ignore[arg-type]
            await _trace(traces, "send_dns_resolvehost_end", host)
            return addrs

        if not self._use_dns_cache:
            return await resolve()

        async def on_hit() -> None:
            await _trace(traces, "send_dns_cache_hit", host)

        async def on_miss() -> None:
            await _trace(traces, "send_dns_cache_miss", host)

        return await self._cached.lookup((host, port), resolve, on_hit=on_hit, on_miss=on_miss)

    # ------------------------------------------------------------------ connecting

    async def _create_connection(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        if getattr(req, "proxy", None) is not None:
            return await self._create_proxy_connection(req, traces, timeout)
        return await self._create_direct_connection(req, traces, timeout)

    def _ssl_context_for(self, req: Any) -> _ssl.SSLContext | None:
        if not req.is_ssl():
            return None
        return resolve_ssl_context(req.ssl, self._ssl)

    async def _create_direct_connection(
        self,
        req: Any,
        traces: list[Any],
        timeout: ClientTimeout,
        *,
        client_error: type[ClientConnectorError] = ClientConnectorError,
    ) -> ResponseHandler:
        key = req.connection_key
        host = str(req.host)
        port = int(req.port) if req.port is not None else (443 if req.is_ssl() else 80)
        try:
            addrs = await self._resolve_host(host.rstrip("."), port, traces)
        except OSError as exc:
            if exc.errno is None and isinstance(exc, asyncio.TimeoutError):
                raise
            raise ClientConnectorDNSError(key, exc) from exc

        sslcontext = self._ssl_context_for(req)
        server_hostname = getattr(req, "server_hostname", None) or host.rstrip(".")
        protocol = await self._open(
            addrs,
            key,
            req,
            timeout,
            sslcontext=sslcontext,
            server_hostname=server_hostname if sslcontext is not None else None,
            client_error=client_error,
        )
        if sslcontext is not None:
            self._check_fingerprint(req, protocol)
        return protocol

    def _check_fingerprint(self, req: Any, protocol: ResponseHandler) -> None:
        pin = fingerprint_for(req.ssl, self._ssl)
        if pin is not None and protocol.transport is not None:
            pin.check(protocol.transport)

    async def _open(
        self,
        addrs: list[ResolveResult],
        key: Any,
        req: Any,
        timeout: ClientTimeout,
        *,
        sslcontext: _ssl.SSLContext | None,
        server_hostname: str | None,
        client_error: type[ClientConnectorError],
    ) -> ResponseHandler:
        """Connect to the first address that answers, then start TLS if asked."""
        loop = self._get_loop()
        url = getattr(req, "url", None)

        def error() -> BaseException:
            return ConnectionTimeoutError(
                f"Connection timeout to host {url} (sock_connect={timeout.sock_connect})"
            )

        async with ceil_timeout(timeout.sock_connect, timeout.ceil_threshold, error=error):
            try:
                sock = await _staggered_connect(
                    loop,
                    _interleave(addrs, self._interleave),
                    self._happy_eyeballs_delay,
                    self._local_addr,
                )
            except OSError as exc:
                raise client_error(key, exc) from exc
            try:
                _, protocol = await loop.create_connection(
                    lambda: ResponseHandler(loop),
                    sock=sock,
                    ssl=sslcontext,
                    server_hostname=server_hostname,
                )
            except _ssl.SSLCertVerificationError as exc:
                raise ClientConnectorCertificateError(key, exc) from exc
            except _ssl.SSLError as exc:
                raise ClientConnectorSSLError(key, exc) from exc
            except OSError as exc:
                raise client_error(key, exc) from exc
            except BaseException:
                sock.close()
                raise
        return protocol

    async def _create_proxy_connection(
        self, req: Any, traces: list[Any], timeout: ClientTimeout
    ) -> ResponseHandler:
        proxy_req = _ProxyTarget(req)
        protocol = await self._create_direct_connection(
            proxy_req, traces, timeout, client_error=ClientProxyConnectionError
        )
        if not req.is_ssl():
            return protocol  # plain HTTP: the request is sent in absolute form to the proxy
        try:
            return await self._tunnel(protocol, req, timeout)
        except BaseException:
            protocol.close()
            raise

    async def _tunnel(
        self, protocol: ResponseHandler, req: Any, timeout: ClientTimeout
    ) -> ResponseHandler:
        loop = self._get_loop()
        key = req.connection_key
        await open_tunnel(
            protocol,
            req,
            read_timeout=timeout.sock_read,
            ceil_threshold=timeout.ceil_threshold,
        )
        raw_transport = protocol.transport
        if raw_transport is None:
            raise ClientProxyConnectionError(
                key, ConnectionResetError("the proxy closed the tunnel after CONNECT")
            )
        sslcontext = resolve_ssl_context(req.ssl, self._ssl)
        host = str(req.host).rstrip(".")
        server_hostname = getattr(req, "server_hostname", None) or host
        tls_protocol = ResponseHandler(loop)
        url = getattr(req, "url", None)

        def error() -> BaseException:
            return ConnectionTimeoutError(
                f"Connection timeout to host {url} (TLS through proxy, "
                f"sock_connect={timeout.sock_connect})"
            )

        async with ceil_timeout(timeout.sock_connect, timeout.ceil_threshold, error=error):
            try:
                tls_transport = await loop.start_tls(
                    raw_transport, tls_protocol, sslcontext, server_hostname=server_hostname
                )
            except _ssl.SSLCertVerificationError as exc:
                raise ClientConnectorCertificateError(key, exc) from exc
            except _ssl.SSLError as exc:
                raise ClientConnectorSSLError(key, exc) from exc
            except OSError as exc:
                raise ClientConnectorError(key, exc) from exc
        if tls_transport is None:
            raise ClientConnectorError(key, ConnectionResetError("TLS through the proxy failed"))
        tls_protocol.connection_made(tls_transport)
        self._check_fingerprint(req, tls_protocol)
        return tls_protocol


class _ProxyTarget:
    """A view of a request that points the direct-connection code at its proxy."""

    def __init__(self, req: Any) -> None:
        proxy = req.proxy
        self.url = proxy
        self.host = proxy.raw_host
        self.port = proxy.port
        self.ssl = True
        self.server_hostname = None
        self.connection_key = req.connection_key
        self._is_ssl: bool = proxy.scheme == "https"

    def is_ssl(self) -> bool:
        return self._is_ssl


def _is_ip_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host.split("%")[0])
    except OSError:
        return False
    return True


def _interleave(addrs: list[ResolveResult], interleave: int | None) -> list[ResolveResult]:
    """Alternate address families (RFC 8305): ``interleave`` of the first family, then one."""
    if not interleave or len(addrs) < 2:
        return addrs
    first_family = addrs[0]["family"]
    first = [a for a in addrs if a["family"] == first_family]
    other = [a for a in addrs if a["family"] != first_family]
    result: list[ResolveResult] = []
    while first or other:
        result.extend(first[:interleave])
        del first[:interleave]
        if other:
            result.append(other.pop(0))
    return result


async def _connect_one(
    loop: asyncio.AbstractEventLoop, addr: ResolveResult, local_addr: tuple[str, int] | None
) -> socket.socket:
    sock = socket.socket(addr["family"], socket.SOCK_STREAM, addr["proto"])
    try:
        sock.setblocking(False)
        if local_addr is not None:
            sock.bind(local_addr)
        host = addr["host"]
        sockaddr: tuple[Any, ...] = (host, addr["port"])
        if addr["family"] == socket.AF_INET6:
            infos = await loop.getaddrinfo(
                host, addr["port"], family=socket.AF_INET6, flags=socket.AI_NUMERICHOST
            )
            sockaddr = infos[0][4]
        await loop.sock_connect(sock, sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def _close_socket_of(task: asyncio.Task[socket.socket]) -> None:
    """Close the socket of an attempt that lost the race (or was cancelled)."""
    if not task.cancelled() and task.exception() is None:
        task.result().close()


async def _staggered_connect(
    loop: asyncio.AbstractEventLoop,
    addrs: list[ResolveResult],
    delay: float | None,
    local_addr: tuple[str, int] | None,
) -> socket.socket:
    """Happy eyeballs: start an attempt every ``delay`` s (or on failure); first one wins."""
    if not addrs:
        raise OSError(None, "no address to connect to")
    if len(addrs) == 1:
        # Nothing to race (a literal IP, a single DNS answer): connect in this task,
        # without a task per attempt and asyncio.wait() around it.
        return await _connect_one(loop, addrs[0], local_addr)
    errors: list[OSError] = []
    pending: set[asyncio.Task[socket.socket]] = set()
    remaining = list(addrs)

    def start_next() -> bool:
        if not remaining:
            return False
        pending.add(loop.create_task(_connect_one(loop, remaining.pop(0), local_addr)))
        return True

    start_next()
    winner: socket.socket | None = None
    try:
        while pending:
            wait_for = delay if (remaining and delay is not None) else None
            done, _ = await asyncio.wait(
                pending, timeout=wait_for, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                start_next()  # the attempt is slow: race it against the next address
                continue
            failed = False
            for task in done:
                pending.discard(task)
                exc = task.exception()
                if exc is None:
                    if winner is None:
                        winner = task.result()
                    else:
                        task.result().close()
                elif isinstance(exc, OSError):
                    errors.append(exc)
                    failed = True
                else:
                    raise exc
            if winner is not None:
                return winner
            if failed:
                start_next()  # a failure starts the next attempt at once
    finally:
        for task in pending:
            task.add_done_callback(_close_socket_of)
            task.cancel()
    if len(errors) == 1 or len({str(e) for e in errors}) == 1:
        raise errors[0]
    raise OSError(
        errors[0].errno if all(e.errno == errors[0].errno for e in errors) else None,
        "Multiple exceptions: " + ", ".join(str(e) for e in errors),
    )
