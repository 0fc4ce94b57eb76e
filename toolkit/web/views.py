"""Class-based views: one method per HTTP method."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from toolkit import hdrs
from toolkit.web.exceptions import HTTPMethodNotAllowed
from toolkit.web.response import StreamResponse
from toolkit.web.routing.abc import AbstractView

__all__ = ["View"]


class View(AbstractView):
    """Dispatch to ``async def get(self)``, ``post`` ... by the request method.

    A method the class does not define gives 405 with the defined ones in Allow.
    """

    async def _iter(self) -> StreamResponse:
        method = self.request.method
        handler = getattr(self, method.lower(), None) if method in hdrs.METH_ALL else None
        if handler is None:
            allowed = {m for m in hdrs.METH_ALL if hasattr(self, m.lower())}
            raise HTTPMethodNotAllowed(method, allowed)
        response: StreamResponse = await handler()
        return response

    def __await__(self) -> Generator[Any, None, StreamResponse]:
        return self._iter().__await__()
