"""TCPConnector: DNS and its cache, happy eyeballs, refused and timed-out connects, TLS."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import trustme

from toolkit.client.connector import TCPConnector
from toolkit.client.exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientSSLError,
    ConnectionTimeoutError,
    ServerFingerprintMismatch,
)
from toolkit.client.resolver import AbstractResolver, ResolveResult
from toolkit.client.timeouts import ClientTimeout
from toolkit.client.tls import Fingerprint

MakeRequest = Callable[..., Any]
StartPeer = Callable[..., Awaitable[Any]]


def _result(host: str, port: int, family: int = socket.AF_INET) -> ResolveResult:
    return ResolveResult(hostname="svc.test", host=host, port=port, family=family, proto=0, flags=0)


class ScriptedResolver(AbstractResolver):
    """Answers every lookup with ``addrs(port)`` (or raises ``error``); counts calls."""

    def __init__(
        self,
        addrs: Callable[[int], list[ResolveResult]] | None = None,
        error: OSError | None = None,
        hang: bool = False,
    ) -> None:
        self.addrs = addrs or (lambda port: [_result("127.0.0.1", port)])
        self.error = error
        self.hang = hang
        self.calls: list[tuple[str, int]] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append((host, port))
        if self.hang:
            await asyncio.Event().wait()
        await asyncio.sleep(0)
        if self.error is not None:
            raise self.error
        return self.addrs(port)

    async def close(self) -> None:
        pass


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port whose connects hang: a listener with a full backlog that never accepts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):  # fill the accept queue; later SYNs are dropped
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    probe = socket.socket()
    probe.settimeout(0.2)
    try:
        probe.connect(("127.0.0.1", port))
    except (TimeoutError, OSError):
        pass
    else:
        pytest.skip("this kernel accepts connections beyond the listen backlog")
    finally:
        probe.close()
    yield port
    for s in fillers:
        s.close()
    listener.close()


async def test_dns_cache_hit_and_clear(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    resolver = ScriptedResolver()
    async with TCPConnector(resolver=resolver, force_close=True) as connector:
        assert connector.use_dns_cache and connector.dns_cache
        req = make_request(f"http://svc.test:{peer.port}/")
        for _ in range(2):
            (await connector.connect(req, [], ClientTimeout())).release()
        assert resolver.calls == [("svc.test", peer.port)]
        assert [a["host"] for a in connector.cached_hosts[("svc.test", peer.port)]] == ["127.0.0.1"]
        with pytest.raises(TypeError):
            connector.cached_hosts[("x", 1)] = []  # type: ignore[index]
        connector.clear_dns_cache("svc.test", peer.port)
        assert not connector.cached_hosts
        (await connector.connect(req, [], ClientTimeout())).release()
        connector.clear_dns_cache()
        (await connector.connect(req, [], ClientTimeout())).release()
        with pytest.raises(ValueError, match="both host and port"):
            connector.clear_dns_cache("svc.test")
    assert len(resolver.calls) == 3
    assert await peer.count(4) == 4


async def test_dns_cache_ttl_and_disabled(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    req = make_request(f"http://svc.test:{peer.port}/")
    resolver = ScriptedResolver()
    async with TCPConnector(resolver=resolver, force_close=True, ttl_dns_cache=0) as connector:
        (await connector.connect(req, [], ClientTimeout())).release()
        await asyncio.sleep(0.001)
        (await connector.connect(req, [], ClientTimeout())).release()
    assert len(resolver.calls) == 2
    resolver = ScriptedResolver()
    async with TCPConnector(resolver=resolver, force_close=True, use_dns_cache=False) as conn2:
        for _ in range(2):
            (await conn2.connect(req, [], ClientTimeout())).release()
        assert not conn2.cached_hosts
    assert len(resolver.calls) == 2


async def test_concurrent_lookups_share_one_query(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    resolver = ScriptedResolver()
    async with TCPConnector(resolver=resolver) as connector:
        req = make_request(f"http://svc.test:{peer.port}/")
        conns = await asyncio.gather(
            *(connector.connect(req, [], ClientTimeout()) for _ in range(3))
        )
        for conn in conns:
            conn.release()
    assert len(resolver.calls) == 1


async def test_dns_failure(make_request: MakeRequest) -> None:
    resolver = ScriptedResolver(error=socket.gaierror(-2, "Name or service not known"))
    async with TCPConnector(resolver=resolver) as connector:
        with pytest.raises(ClientConnectorDNSError) as info:
            await connector.connect(make_request("http://nowhere.test/"), [], ClientTimeout())
    assert (info.value.host, info.value.port) == ("nowhere.test", 80)
    assert "Name or service not known" in str(info.value)


async def test_ip_literals_skip_the_resolver(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    resolver = ScriptedResolver(error=OSError("must not be called"))
    async with TCPConnector(resolver=resolver) as connector:
        (await connector.connect(make_request(peer.url()), [], ClientTimeout())).release()
    assert resolver.calls == []


async def test_connection_refused(make_request: MakeRequest) -> None:
    port = _closed_port()
    async with TCPConnector() as connector:
        req = make_request(f"http://127.0.0.1:{port}/")
        with pytest.raises(ClientConnectorError) as info:
            await connector.connect(req, [], ClientTimeout())
    err = info.value
    assert type(err) is ClientConnectorError
    assert err.errno == errno.ECONNREFUSED
    assert (err.host, err.port) == ("127.0.0.1", port)
    assert isinstance(err.os_error, ConnectionRefusedError)
    assert not connector._acquired


async def test_happy_eyeballs_skips_a_refusing_address(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    peer = await start_peer()
    dead = _closed_port()
    resolver = ScriptedResolver(
        lambda port: [_result("127.0.0.1", dead), _result("127.0.0.1", port)]
    )
    async with TCPConnector(resolver=resolver) as connector:
        req = make_request(f"http://svc.test:{peer.port}/")
        (await connector.connect(req, [], ClientTimeout())).release()
    assert await peer.count(1) == 1


async def test_happy_eyeballs_races_past_a_silent_address(
    make_request: MakeRequest, start_peer: StartPeer, blackhole: int
) -> None:
    peer = await start_peer()
    resolver = ScriptedResolver(
        lambda port: [_result("127.0.0.1", blackhole), _result("127.0.0.1", port)]
    )
    connector = TCPConnector(resolver=resolver, happy_eyeballs_delay=0.01)
    async with connector:
        req = make_request(f"http://svc.test:{peer.port}/")
        conn = await connector.connect(req, [], ClientTimeout(sock_connect=10))
        assert conn.transport is not None
        assert conn.transport.get_extra_info("peername")[1] == peer.port
        conn.release()


async def test_all_addresses_fail(make_request: MakeRequest) -> None:
    ports = [_closed_port(), _closed_port()]
    resolver = ScriptedResolver(lambda port: [_result("127.0.0.1", p) for p in ports])
    async with TCPConnector(resolver=resolver) as connector:
        with pytest.raises(ClientConnectorError) as info:
            await connector.connect(make_request("http://svc.test/"), [], ClientTimeout())
    assert info.value.errno == errno.ECONNREFUSED


async def test_sock_connect_timeout(make_request: MakeRequest, blackhole: int) -> None:
    async with TCPConnector() as connector:
        req = make_request(f"http://127.0.0.1:{blackhole}/")
        with pytest.raises(ConnectionTimeoutError, match="sock_connect"):
            await connector.connect(req, [], ClientTimeout(sock_connect=0.05))
        assert not connector._acquired


async def test_connect_timeout_covers_dns(make_request: MakeRequest) -> None:
    async with TCPConnector(resolver=ScriptedResolver(hang=True)) as connector:
        with pytest.raises(ConnectionTimeoutError) as info:
            await connector.connect(
                make_request("http://svc.test/"), [], ClientTimeout(connect=0.05)
            )
    assert isinstance(info.value, asyncio.TimeoutError)


async def test_outer_cancellation_is_not_a_timeout(make_request: MakeRequest) -> None:
    async with TCPConnector(resolver=ScriptedResolver(hang=True)) as connector:
        task = asyncio.create_task(
            connector.connect(make_request("http://svc.test/"), [], ClientTimeout(connect=30))
        )
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not connector._acquired


# --------------------------------------------------------------------------- TLS


@pytest.fixture
def server_ssl(tls_server_cert: trustme.LeafCert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_server_cert.configure_cert(ctx)
    return ctx


def _der_sha256(cert: trustme.LeafCert) -> bytes:
    pem = cert.cert_chain_pems[0].bytes().decode()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).digest()


async def test_tls_with_trusted_context(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
) -> None:
    peer = await start_peer(ssl=server_ssl)
    async with TCPConnector(ssl=tls_client_context) as connector:
        assert connector.ssl_context is tls_client_context and connector.verify_ssl
        req = make_request(peer.url(scheme="https").with_host("localhost"))
        conn = await connector.connect(req, [], ClientTimeout())
        assert conn.transport is not None
        sslobj = conn.transport.get_extra_info("ssl_object")
        assert sslobj is not None and sslobj.server_hostname == "localhost"
        conn.release()


async def test_tls_untrusted_certificate(
    make_request: MakeRequest, start_peer: StartPeer, server_ssl: ssl.SSLContext
) -> None:
    peer = await start_peer(ssl=server_ssl)
    async with TCPConnector() as connector:
        req = make_request(peer.url(scheme="https"))
        with pytest.raises(ClientConnectorCertificateError) as info:
            await connector.connect(req, [], ClientTimeout())
    err = info.value
    assert isinstance(err, ClientSSLError) and isinstance(err, ssl.CertificateError)
    assert isinstance(err.certificate_error, ssl.SSLCertVerificationError)
    assert (err.host, err.port, err.ssl) == ("127.0.0.1", peer.port, True)


async def test_tls_ssl_false_and_per_request_override(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
) -> None:
    peer = await start_peer(ssl=server_ssl)
    async with TCPConnector(ssl=False) as connector:
        assert not connector.verify_ssl
        (
            await connector.connect(make_request(peer.url(scheme="https")), [], ClientTimeout())
        ).release()
    async with TCPConnector() as connector:
        req = make_request(peer.url(scheme="https"), ssl=tls_client_context)
        (await connector.connect(req, [], ClientTimeout())).release()


async def test_tls_error_that_is_not_about_the_certificate(
    make_request: MakeRequest, start_peer: StartPeer
) -> None:
    async def speak_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)
        await writer.drain()

    peer = await start_peer(speak_http)
    async with TCPConnector(ssl=False) as connector:
        with pytest.raises(ClientConnectorSSLError) as info:
            await connector.connect(make_request(peer.url(scheme="https")), [], ClientTimeout())
    assert isinstance(info.value, ssl.SSLError)


async def test_fingerprint_match_and_mismatch(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_server_cert: trustme.LeafCert,
) -> None:
    peer = await start_peer(ssl=server_ssl)
    good = _der_sha256(tls_server_cert)
    async with TCPConnector(ssl=Fingerprint(good)) as connector:
        assert connector.fingerprint == good and not connector.verify_ssl
        (
            await connector.connect(make_request(peer.url(scheme="https")), [], ClientTimeout())
        ).release()
    bad = b"\x00" * 32
    async with TCPConnector() as connector:
        req = make_request(peer.url(scheme="https"), ssl=Fingerprint(bad))
        with pytest.raises(ServerFingerprintMismatch) as info:
            await connector.connect(req, [], ClientTimeout())
        assert not connector._acquired
    err = info.value
    assert (err.expected, err.got) == (bad, good)
    assert (err.host, err.port) == ("127.0.0.1", peer.port)


async def test_deprecated_tls_arguments(tls_client_context: ssl.SSLContext) -> None:
    with pytest.warns(DeprecationWarning, match="verify_ssl"):
        connector = TCPConnector(verify_ssl=False)
    assert not connector.verify_ssl
    await connector.close()
    with pytest.warns(DeprecationWarning, match="ssl_context"):
        connector = TCPConnector(ssl_context=tls_client_context)
    assert connector.ssl_context is tls_client_context
    await connector.close()
    with pytest.warns(DeprecationWarning, match="fingerprint"):
        connector = TCPConnector(fingerprint=b"\x01" * 32)
    assert connector.fingerprint == b"\x01" * 32
    await connector.close()
    with pytest.raises(ValueError, match="mutually exclusive"), pytest.warns(DeprecationWarning):
        TCPConnector(ssl=False, ssl_context=tls_client_context)


def test_interleave_alternates_families() -> None:
    from toolkit.client.connector_tcp import _interleave

    v6 = [_result(f"::{i}", 80, socket.AF_INET6) for i in range(1, 4)]
    v4 = [_result(f"10.0.0.{i}", 80) for i in range(1, 3)]
    hosts = [a["host"] for a in _interleave(v6 + v4, 1)]
    assert hosts == ["::1", "10.0.0.1", "::2", "10.0.0.2", "::3"]
    hosts = [a["host"] for a in _interleave(v6 + v4, 2)]
    assert hosts == ["::1", "::2", "10.0.0.1", "::3", "10.0.0.2"]
    assert _interleave(v6 + v4, None) == v6 + v4


async def test_awaited_close_waits_for_tls_connections(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
) -> None:
    peer = await start_peer(ssl=server_ssl)
    connector = TCPConnector(ssl=tls_client_context)
    req = make_request(peer.url(scheme="https").with_host("localhost"))
    idle = await connector.connect(req, [], ClientTimeout())
    busy = await connector.connect(req, [], ClientTimeout())
    protocols = [idle.protocol, busy.protocol]
    idle.release()
    await connector.close()
    assert all(p is not None and p.closed.done() for p in protocols)
    busy.release()


async def test_local_addr(make_request: MakeRequest, start_peer: StartPeer) -> None:
    peer = await start_peer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    async with TCPConnector(local_addr=("127.0.0.1", local_port)) as connector:
        conn = await connector.connect(make_request(peer.url()), [], ClientTimeout())
        assert conn.transport is not None
        assert conn.transport.get_extra_info("sockname") == ("127.0.0.1", local_port)
        conn.close()


async def test_cleanup_closed_aborts_tls_transports(
    make_request: MakeRequest,
    start_peer: StartPeer,
    server_ssl: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
) -> None:
    peer = await start_peer(ssl=server_ssl)
    async with TCPConnector(ssl=tls_client_context, enable_cleanup_closed=True) as connector:
        conn = await connector.connect(
            make_request(peer.url(scheme="https").with_host("localhost")), [], ClientTimeout()
        )
        transport = conn.transport
        conn.close()
        assert connector._cleanup_closed_transports == [transport]
        assert connector._cleanup_closed_handle is not None
        connector._cleanup_closed()
        assert not connector._cleanup_closed_transports


async def test_aiodns_resolver_end_to_end(make_request: MakeRequest, start_peer: StartPeer) -> None:
    """aiodns answers ``localhost`` with ::1 first; nobody listens there, so happy
    eyeballs must fall back to 127.0.0.1."""
    pytest.importorskip("aiodns")
    from toolkit.client.resolver import AsyncResolver

    peer = await start_peer()
    resolver = AsyncResolver()
    try:
        async with TCPConnector(resolver=resolver) as connector:
            req = make_request(peer.url().with_host("localhost"))
            conn = await connector.connect(req, [], ClientTimeout(sock_connect=10))
            assert conn.transport is not None
            assert conn.transport.get_extra_info("peername")[:2] == ("127.0.0.1", peer.port)
            conn.release()
    finally:
        await resolver.close()


async def test_dns_cache_survives_a_cancelled_lookup() -> None:
    from toolkit.client.connector_dns import DNSCache

    cache = DNSCache(ttl=None)
    gate = asyncio.Event()
    calls: list[str] = []

    async def slow() -> list[ResolveResult]:
        calls.append("slow")
        await gate.wait()
        return [_result("127.0.0.1", 80)]

    async def fast() -> list[ResolveResult]:
        calls.append("fast")
        return [_result("127.0.0.2", 80)]

    first = asyncio.create_task(cache.lookup(("h", 80), slow))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.lookup(("h", 80), fast))
    await asyncio.sleep(0)
    first.cancel()
    assert [a["host"] for a in await second] == ["127.0.0.2"]  # not a stray CancelledError
    assert first.cancelled() and calls == ["slow", "fast"]
    assert ("h", 80) in cache


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("ttl_dns_cache", float("nan"), ValueError),
        ("ttl_dns_cache", "10", TypeError),
        ("ttl_dns_cache", -1, ValueError),
        ("happy_eyeballs_delay", float("nan"), ValueError),
        ("happy_eyeballs_delay", -0.25, ValueError),
        ("interleave", -1, ValueError),
        ("interleave", "1", TypeError),
        ("keepalive_timeout", float("nan"), ValueError),
    ],
)
async def test_bad_numbers_fail_at_construction(
    name: str, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=rf"TCPConnector\.{name} must be a number"):
        TCPConnector(**{name: value})


async def test_none_and_zero_still_accepted() -> None:
    with pytest.raises(ValueError, match="ttl_dns_cache"):
        TCPConnector(ttl_dns_cache=float("nan"))  # (cached entries never expired)
    connector = TCPConnector(ttl_dns_cache=None, happy_eyeballs_delay=None, interleave=None)
    await connector.close()
    connector = TCPConnector(ttl_dns_cache=0, happy_eyeballs_delay=0, interleave=0)
    await connector.close()
