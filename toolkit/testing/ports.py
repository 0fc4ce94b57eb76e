"""Free TCP ports for tests."""

from __future__ import annotations

import socket

__all__ = ["unused_port"]


def unused_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now.

    The port is not reserved: another process may take it before you bind it. Prefer
    binding port 0 (what :class:`~toolkit.testing.TestServer` does) when you can.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
