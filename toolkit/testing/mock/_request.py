"""``MockRequest``: one request as the mock saw it, kept in the call history."""

from __future__ import annotations

import json as _json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

if TYPE_CHECKING:
    from ._route import MockRoute

__all__ = ("MockRequest",)


class MockRequest:
    """A request the mock received: what the client really sent.

    ``body`` is the request body as bytes (after the client's chunking); for a request
    that was answered before its body was sent (an ``exception=`` answer, an unmatched
    request) it is the in-memory body the session was given, or ``b""`` for a streamed
    one (``body_known`` is then false).
    """

    __slots__ = (
        "_body",
        "headers",
        "method",
        "passed_through",
        "path_params",
        "route",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: URL,
        headers: CIMultiDictProxy[str] | CIMultiDict[str],
        body: bytes | None,
    ) -> None:
        self.method = method
        self.url = url
        self.headers: CIMultiDictProxy[str] = (
            headers if isinstance(headers, CIMultiDictProxy) else CIMultiDictProxy(headers)
        )
        self._body = body
        self.route: MockRoute | None = None
        self.path_params: dict[str, str] = {}
        self.passed_through = False

    @classmethod
    def from_client_request(cls, req: Any) -> MockRequest:
        """Build from the session's ``ClientRequest`` (before anything is written)."""
        from toolkit.payload import BytesPayload

        body: bytes | None
        payload = getattr(req, "body", None)
        if payload is None:
            body = b""
        elif isinstance(payload, BytesPayload):
            body = bytes(payload.value)
        else:
            body = None  # streamed: only the wire will tell
        headers = CIMultiDict(getattr(req, "headers", None) or {})
        return cls(req.method, req.url, headers, body)

    @property
    def body(self) -> bytes:
        """The body bytes (``b""`` when none, or not known)."""
        return self._body or b""

    @property
    def body_known(self) -> bool:
        """False while the body is a stream that was not read."""
        return self._body is not None

    def _set_wire(self, headers: CIMultiDictProxy[str], body: bytes) -> None:
        self.headers = headers
        self._body = body

    @property
    def params(self) -> MultiDictProxy[str]:
        """The query parameters."""
        return self.url.query

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query parameters (same as :attr:`params`)."""
        return self.url.query

    def text(self, encoding: str = "utf-8") -> str:
        """The body decoded as text."""
        return self.body.decode(encoding)

    def json(self, *, loads: Callable[[str], Any] = _json.loads) -> Any:
        """The body parsed as JSON (None for an empty body)."""
        text = self.text()
        return loads(text) if text else None

    def __repr__(self) -> str:
        return f"<MockRequest {self.method} {self.url}>"
