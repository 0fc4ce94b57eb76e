"""TLS fixtures: a throw-away certificate authority (trustme) and contexts that use it.

All are session-scoped (one CA per test session, or per xdist worker). A project's
``conftest.py`` may define its own ``tls_ca``; it must be a ``trustme.CA``.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

__all__ = ["tls_ca", "tls_certificate", "tls_client_context", "tls_server_context"]


@pytest.fixture(scope="session")
def tls_ca() -> Any:
    """A ``trustme.CA`` for this test session (skips the test if trustme is missing)."""
    trustme = pytest.importorskip("trustme", reason="the TLS fixtures need trustme")
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_certificate(tls_ca: Any) -> Any:
    """A ``trustme.LeafCert`` from ``tls_ca`` for ``localhost``, ``127.0.0.1`` and ``::1``."""
    return tls_ca.issue_cert("localhost", "127.0.0.1", "::1")


@pytest.fixture(scope="session")
def tls_server_context(tls_certificate: Any) -> ssl.SSLContext:
    """A server ``SSLContext`` presenting ``tls_certificate``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_certificate.configure_cert(context)
    return context


@pytest.fixture(scope="session")
def tls_client_context(tls_ca: Any) -> ssl.SSLContext:
    """A client ``SSLContext`` that trusts ``tls_ca`` (and nothing else)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    tls_ca.configure_trust(context)
    return context
