"""Static files: :class:`StaticResource` serves a directory under a URL prefix.

Paths are resolved inside the directory and anything that would leave it (``..``,
encoded dots, absolute names, symlinks pointing out when ``follow_symlinks`` is off)
is refused with 403 or 404.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from yarl import URL

from toolkit import hdrs
from toolkit.web.exceptions import HTTPForbidden, HTTPNotFound
from toolkit.web.fileresponse import FileResponse
from toolkit.web.response import Response
from toolkit.web.routing.abc import AbstractMatchInfo, AbstractRoute
from toolkit.web.routing.resources import PrefixResource
from toolkit.web.routing.routes import ExpectHandler, ResourceRoute, UrlMappingMatchInfo

if TYPE_CHECKING:
    from toolkit.web.request import Request
    from toolkit.web.response import StreamResponse

__all__ = ["StaticResource"]

_VERSION_KEY = "v"


class StaticResource(PrefixResource):
    """Serve the files of ``directory`` at ``prefix/<filename>`` (GET and HEAD)."""

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> None:
        super().__init__(prefix, name=name)
        try:
            resolved = Path(directory).expanduser().resolve(strict=True)
        except FileNotFoundError as exc:
            raise ValueError(f"no directory exists at {str(directory)!r}") from exc
        if not resolved.is_dir():
            raise ValueError(f"{str(directory)!r} is not a directory")
        self._directory = resolved
        self._decoded = ("", "")  # (quoted prefix, decoded prefix), refreshed on change
        self._show_index = show_index
        self._chunk_size = chunk_size
        self._follow_symlinks = follow_symlinks
        self._append_version = append_version
        self._routes = {
            method: ResourceRoute(method, self._handle, self, expect_handler=expect_handler)
            for method in (hdrs.METH_GET, hdrs.METH_HEAD)
        }

    @property
    def _decoded_prefix(self) -> str:
        prefix = self._decoded
        if prefix[0] != self._prefix:
            prefix = (self._prefix, URL.build(path=self._prefix, encoded=True).path)
            self._decoded = prefix
        return prefix[1]

    @property
    def directory(self) -> Path:
        """The resolved directory being served."""
        return self._directory

    def get_info(self) -> dict[str, Any]:
        return {"directory": self._directory, "prefix": self._prefix, "routes": self._routes}

    def url_for(  # type: ignore[override]
        self, *, filename: str | os.PathLike[str], append_version: bool | None = None
    ) -> URL:
        """The URL of ``filename``, with ``?v=<hash>`` when versioning is on."""
        if append_version is None:
            append_version = self._append_version
        name = str(filename).lstrip("/")
        url = URL.build(path=self._prefix, encoded=True) / name
        if not append_version:
            return url
        path = self._resolve(name)
        if path is None or not path.is_file():
            return url
        digest = hashlib.sha256(path.read_bytes()).digest()
        version = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
        return url.with_query({_VERSION_KEY: version})

    def set_options_route(self, handler: Any) -> None:
        """Answer OPTIONS (CORS pre-flight, for instance) with ``handler``."""
        if hdrs.METH_OPTIONS in self._routes:
            raise RuntimeError("OPTIONS route was set already")
        self._routes[hdrs.METH_OPTIONS] = ResourceRoute(hdrs.METH_OPTIONS, handler, self)

    async def resolve(self, request: Request) -> tuple[AbstractMatchInfo | None, set[str]]:
        path = request.rel_url.path
        prefix = self._decoded_prefix
        allowed = set(self._routes)
        if not path.startswith(prefix + "/") and path != prefix:
            return None, set()
        method = request.method
        if method not in allowed:
            return None, allowed
        filename = path[len(prefix) + 1 :]
        return UrlMappingMatchInfo({"filename": filename}, self._routes[method]), allowed

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())

    def _resolve(self, filename: str) -> Path | None:
        """The file for ``filename`` inside the directory, or ``None`` if it escapes."""
        relative = Path(filename)
        if relative.anchor or "\\" in filename or "\x00" in filename:
            return None
        unresolved = self._directory / relative
        try:
            if self._follow_symlinks:
                normalized = Path(os.path.normpath(unresolved))
                normalized.relative_to(self._directory)
                return normalized.resolve()
            resolved = unresolved.resolve()
            resolved.relative_to(self._directory)
        except (ValueError, OSError, RuntimeError):
            return None
        return resolved

    async def _handle(self, request: Request) -> StreamResponse:
        filename = request.match_info["filename"]
        if "\\" in filename or Path(filename).anchor:
            raise HTTPForbidden()
        path = self._resolve(filename)
        if path is None:
            raise HTTPNotFound()
        try:
            is_dir = path.is_dir()
            is_file = path.is_file()
        except (OSError, ValueError) as exc:
            raise HTTPNotFound() from exc
        if is_dir:
            if self._show_index:
                return Response(text=self._index_page(path), content_type="text/html")
            raise HTTPForbidden()
        if not is_file:
            raise HTTPNotFound()
        return FileResponse(path, chunk_size=self._chunk_size)

    def _index_page(self, directory: Path) -> str:
        relative = directory.relative_to(self._directory).as_posix()
        url_path = self._prefix + ("/" + relative if relative != "." else "") + "/"
        title = html.escape(f"Index of {url_path}")
        items = []
        for entry in sorted(directory.iterdir()):
            name = entry.name + ("/" if entry.is_dir() else "")
            href = url_path + quote(name)
            items.append(f'<li><a href="{html.escape(href)}">{html.escape(name)}</a></li>')
        listing = "\n".join(items)
        return (
            f"<html>\n<head>\n<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n"
            f"<ul>\n{listing}\n</ul>\n</body>\n</html>"
        )

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<StaticResource {name}{self._prefix} -> {self._directory}>"
