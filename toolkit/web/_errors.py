"""The server's exceptions that are not responses.

They live apart from :mod:`toolkit.web.exceptions` (which re-exports them) because
the modules every server loads raise them, while the ~60 HTTP exception classes
(costly to create) are imported only when a handler or the router first uses one.
"""

from __future__ import annotations

__all__ = ["NotAppKeyWarning", "PayloadAccessError", "RequestPayloadError"]


class NotAppKeyWarning(UserWarning):
    """A plain ``str`` was used as an application state key instead of an ``AppKey``."""


class RequestPayloadError(Exception):
    """The request body could not be read: bad framing, or the client went away."""


class PayloadAccessError(Exception):
    """The request body was accessed after the response had been sent."""
