"""Connectors: where the client gets its connections, and the toolkit's one seam.

Every kind of connector is a :class:`BaseConnector` (the pool: keys, limits, waiters,
keep-alive) that implements ``_create_connection(req, traces, timeout)``.
"""

from __future__ import annotations

from .connector_base import BaseConnector, Connection
from .connector_tcp import TCPConnector
from .connector_unix import UnixConnector
from .tls import Fingerprint

__all__ = ("BaseConnector", "Connection", "Fingerprint", "TCPConnector", "UnixConnector")
