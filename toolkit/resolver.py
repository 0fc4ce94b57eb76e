"""``toolkit.resolver``: the module path aiohttp documents for DNS resolvers.

The resolvers live in :mod:`toolkit.client.resolver`; this keeps
``from toolkit.resolver import AsyncResolver`` (the reference's spelling) working.
"""

from toolkit.client.resolver import (
    AbstractResolver,
    AsyncResolver,
    DefaultResolver,
    ThreadedResolver,
)

__all__ = ("AbstractResolver", "AsyncResolver", "DefaultResolver", "ThreadedResolver")
