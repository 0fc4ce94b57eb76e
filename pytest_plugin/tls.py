"""TLS fixtures: a throw-away certificate authority (trustme) and contexts that use it.

All are session-scoped (one CA per test session, or per xdist worker). A project's
``conftest.py`` may define its own ``tls_ca``; it must be a ``trustme.CA``.

Mutual TLS: ``tls_client_certificate`` is a client certificate from the same CA;
``tls_mutual_server_context`` requires one, ``tls_mutual_client_context`` presents it.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

__all__ = [
    "tls_ca",
    "tls_certificate",
    "tls_client_certificate",
    "tls_client_context",
    "tls_mutual_client_context",
    "tls_mutual_server_context",
    "tls_server_context",
]

#: The identity of ``tls_client_certificate`` (an e-mail address: a person, not a host).
CLIENT_IDENTITY = "client@localhost"


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
def tls_client_certificate(tls_ca: Any) -> Any:
    """A ``trustme.LeafCert`` from ``tls_ca`` for a client, ``client@localhost``."""
    return tls_ca.issue_cert(CLIENT_IDENTITY, common_name="aiotoolkit test client")


@pytest.fixture(scope="session")
def tls_server_context(tls_certificate: Any) -> ssl.SSLContext:
    """A server ``SSLContext`` presenting ``tls_certificate``."""
    return _server_context(tls_certificate)


@pytest.fixture(scope="session")
def tls_client_context(tls_ca: Any) -> ssl.SSLContext:
    """A client ``SSLContext`` that trusts ``tls_ca`` (and nothing else)."""
    return _client_context(tls_ca)


@pytest.fixture(scope="session")
def tls_mutual_server_context(tls_ca: Any, tls_certificate: Any) -> ssl.SSLContext:
    """A server ``SSLContext`` presenting ``tls_certificate`` that requires a client
    certificate issued by ``tls_ca``."""
    context = _server_context(tls_certificate)
    tls_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


@pytest.fixture(scope="session")
def tls_mutual_client_context(tls_ca: Any, tls_client_certificate: Any) -> ssl.SSLContext:
    """A client ``SSLContext`` that trusts ``tls_ca`` and presents
    ``tls_client_certificate``."""
    context = _client_context(tls_ca)
    tls_client_certificate.configure_cert(context)
    return context


def _server_context(certificate: Any) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    return context


def _client_context(ca: Any) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    return context
