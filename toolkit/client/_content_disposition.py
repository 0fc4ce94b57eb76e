"""``ContentDisposition``: what ``ClientResponse.content_disposition`` returns.

Kept apart from :mod:`toolkit.client.response` (which re-exports it on first use):
creating a NamedTuple class is not cheap, and most programs never read the header.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

__all__ = ["ContentDisposition"]


class ContentDisposition(NamedTuple):
    """A parsed ``Content-Disposition`` header."""

    type: str | None
    parameters: MappingProxyType[str, str]
    filename: str | None
