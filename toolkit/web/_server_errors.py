"""The error responses the server protocol sends by itself (400, 408, 431, 500 …).

Malformed requests never reach a handler, so their answer is plain bytes written
straight to the transport; a failing handler gets a :class:`~toolkit.web.Response`
that goes through the normal ``prepare`` path (``on_response_prepare`` included).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from toolkit.http._reasons import REASONS
from toolkit.http.errors import HttpProcessingError

if TYPE_CHECKING:
    from .request import BaseRequest
    from .response import Response

__all__ = ["error_response", "error_text", "plain_response"]


def reason_of(status: int) -> str:
    """The standard reason phrase of ``status`` (``"Error"`` when unknown)."""
    return REASONS.get(status, "Error")


def plain_response(status: int, text: str, headers: str = "") -> bytes:
    """A complete ``Connection: close`` response with a text/plain body.

    ``headers`` are extra header lines, each ending with CRLF.
    """
    body = text.encode("utf-8", "backslashreplace")
    return (
        f"HTTP/1.1 {status} {reason_of(status)}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: close\r\n{headers}\r\n"
    ).encode("latin-1") + body


def error_text(status: int, exc: BaseException | None, debug: bool) -> str:
    """The body of an error response: what went wrong, a traceback only in debug mode."""
    text = f"{status} {reason_of(status)}"
    if status == 500:
        text += "\n\nServer got itself in trouble"
    elif isinstance(exc, HttpProcessingError):
        text += f"\n\n{exc.message}"
    if debug and exc is not None:
        text += "\n\n" + "".join(traceback.format_exception(exc))
    return text


def error_response(
    request: BaseRequest, status: int, exc: BaseException | None, debug: bool
) -> Response:
    """A ``Connection: close`` response for a failed handler, HTML when the client wants it."""
    from .response import Response

    text = error_text(status, exc, debug)
    if "text/html" in request.headers.get("Accept", ""):
        import html  # (its entity tables are big; error pages are rare)

        title, _, detail = text.partition("\n\n")
        body = f"<html><head><title>{html.escape(title)}</title></head><body>"
        body += f"<h1>{html.escape(title)}</h1>"
        if detail:
            body += f"<pre>{html.escape(detail)}</pre>" if debug else html.escape(detail)
        resp = Response(status=status, text=body + "</body></html>", content_type="text/html")
    else:
        resp = Response(status=status, text=text, content_type="text/plain")
    resp.force_close()
    return resp
