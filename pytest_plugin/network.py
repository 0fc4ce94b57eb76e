"""``--block-network`` and the ``block_network`` marker: only loopback may be reached.

While a test runs, name resolution and connections aimed outside loopback raise
:class:`NetworkBlockedError` naming the host, and the attempt is remembered so the test
fails even when the code under test swallows the error. Unix sockets stay allowed.
Blocking works at the socket module level, which asyncio's loops and threaded
resolvers go through; uvloop resolves and connects in C, so the plugin's uvloop loops
check the same rule in their own methods (:func:`check_reachable`, from
:mod:`pytest_plugin.loops`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "NetworkBlockedError",
    "block_network",
    "check_address",
    "check_reachable",
    "is_loopback_host",
]


class NetworkBlockedError(RuntimeError):
    """A test tried to reach a host outside loopback while the network was blocked."""

    def __init__(self, host: object, action: str) -> None:
        self.host = host
        self.action = action
        super().__init__(
            f"network access blocked by aiotoolkit (--block-network / block_network marker): "
            f"{action} {host!r}; only loopback (127.0.0.0/8, ::1, localhost) is allowed"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.host, self.action))


def is_loopback_host(host: object) -> bool:
    """True for loopback IPs, ``localhost`` and ``*.localhost`` names (and no host)."""
    if host is None or host in ("", b""):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _address_host(address: object) -> object:
    if isinstance(address, tuple) and address:
        return address[0]
    return None  # AF_UNIX paths and the like


#: The attempts of the block in force, None when the network is not blocked.
_attempts: list[NetworkBlockedError] | None = None


def check_reachable(host: object, action: str) -> None:
    """Raise :class:`NetworkBlockedError` (and record it for the test) if the network is
    blocked and ``host`` is not loopback; ``action`` says what was attempted
    (``"resolving"``, ``"connecting to"``)."""
    attempts = _attempts
    if attempts is not None and not is_loopback_host(host):
        error = NetworkBlockedError(host, action)
        attempts.append(error)
        raise error


def check_address(sock: socket.socket, address: object, action: str = "connecting to") -> None:
    """:func:`check_reachable` for the host of an internet ``address`` ``sock`` is
    about to reach (other families, Unix sockets say, always may)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        check_reachable(_address_host(address), action)


@contextlib.contextmanager
def block_network(attempts: list[NetworkBlockedError]) -> Iterator[None]:
    """Block non-loopback resolution and connections; record each attempt in ``attempts``."""
    global _attempts
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check_reachable(host, "resolving")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded(real: Callable[..., Any]) -> Callable[..., Any]:
        def connect(self: socket.socket, address: Any) -> Any:
            check_address(self, address)
            return real(self, address)

        return connect

    outer, _attempts = _attempts, attempts
    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = guarded(real_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded(real_connect_ex)  # type: ignore[method-assign]
    try:
        yield
    finally:
        _attempts = outer
        socket.getaddrinfo = real_getaddrinfo
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
