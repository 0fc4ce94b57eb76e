"""``toolkit.connector``: the module path aiohttp 2.x documents for connectors.

The connectors live in :mod:`toolkit.client.connector`; this module keeps the old
import path (``aiohttp.connector.BaseConnector`` in the reference) working.
"""

from toolkit.client.connector import (
    BaseConnector,
    Connection,
    Fingerprint,
    TCPConnector,
    UnixConnector,
)

__all__ = ("BaseConnector", "Connection", "Fingerprint", "TCPConnector", "UnixConnector")
