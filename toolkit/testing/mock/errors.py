"""Errors the mock raises in the code under test."""

from __future__ import annotations

from typing import Any

from toolkit.client.exceptions import ClientConnectionError

__all__ = ("MockUnmatchedError",)


class MockUnmatchedError(ClientConnectionError):
    """No mocked route matches the request (and it may not pass through).

    A :class:`toolkit.ClientConnectionError`, as a refused connection would be, so code
    under test handles it the way it handles a network failure. The message lists the
    closest registered routes and why each did not match; ``method`` and ``url`` name
    the request.
    """

    def __init__(self, message: str, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.method, self.url))
