"""Middleware helpers: the ``@middleware`` marker and :func:`normalize_path_middleware`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from toolkit.web.exceptions import HTTPMove, HTTPPermanentRedirect
from toolkit.web.routing.routes import SystemRoute

if TYPE_CHECKING:
    from toolkit.web.request import Request
    from toolkit.web.response import StreamResponse

__all__ = ["middleware", "normalize_path_middleware"]

_F = TypeVar("_F", bound=Callable[..., Any])
Handler = Callable[["Request"], Awaitable["StreamResponse"]]
Middleware = Callable[["Request", Handler], Awaitable["StreamResponse"]]


def middleware(func: _F) -> _F:
    """Mark ``async def mw(request, handler)`` as a (new-style) middleware."""
    func.__middleware_version__ = 1  # type: ignore[attr-defined]
    return func


async def _resolves(request: Request, path: str) -> bool:
    alt_request = request.clone(rel_url=path)
    match_info = await request.app.router.resolve(alt_request)
    return match_info.http_exception is None


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Middleware:
    """Redirect unmatched paths to their normalised form when that form has a route.

    Tried in order: merged slashes, an added (or removed) trailing slash, then both.
    ``append_slash`` and ``remove_slash`` cannot both be set.
    """
    if append_slash and remove_slash:
        raise ValueError("cannot both remove and append a trailing slash")

    @middleware
    async def impl(request: Request, handler: Handler) -> StreamResponse:
        if isinstance(request.match_info.route, SystemRoute):
            path, sep, query = request.raw_path.partition("?")
            query = sep + query
            candidates: list[str] = []
            if merge_slashes:
                candidates.append(re.sub("//+", "/", path))
            if append_slash and not path.endswith("/"):
                candidates.append(path + "/")
            if remove_slash and path.endswith("/"):
                candidates.append(path[:-1])
            if merge_slashes and append_slash:
                candidates.append(re.sub("//+", "/", path + "/"))
            if merge_slashes and remove_slash and path.endswith("/"):
                candidates.append(re.sub("//+", "/", path)[:-1])
            for candidate in candidates:
                # Never redirect to a protocol-relative URL ("//evil.example").
                candidate = re.sub("^//+", "/", candidate)
                if candidate != path and candidate and await _resolves(request, candidate):
                    raise redirect_class(candidate + query)
        return await handler(request)

    return impl
