"""How a mocked route recognises a request: method, URL (exact, template or regex) and
optional matchers on the query, the headers and the body.

Every matcher answers ``True``, ``False`` or ``None``; ``None`` means "cannot tell yet"
(the body is streamed and has not been read), and the decision waits for the body.
"""

from __future__ import annotations

import difflib
import json as _json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from multidict import MultiDict
from yarl import URL

if TYPE_CHECKING:
    from ._request import MockRequest

__all__ = ("UNSET", "RequestMatcher", "URLPattern", "normalize_method")

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: "Not given" for the JSON arguments, where ``None`` is a JSON value (``null``).
UNSET: Any = object()


def normalize_method(method: str) -> str:
    """Upper-case ``method``; ``"*"`` (any method) is kept."""
    if not isinstance(method, str) or not method:
        raise TypeError(f"method must be a non-empty string such as 'GET', got {method!r}")
    return method.upper()


def _origin_path(url: URL) -> str:
    """``scheme://host:port/path`` with the default port spelled out and no query."""
    scheme = (url.scheme or "http").lower()
    port = url.port if url.port is not None else _DEFAULT_PORTS.get(scheme)
    host = (url.host or "").lower()
    return f"{scheme}://{host}:{port}{url.path or '/'}"


def _query_items(query: Mapping[str, str] | MultiDict[str]) -> list[tuple[str, str]]:
    return sorted((str(k), str(v)) for k, v in query.items())


class URLPattern:
    """What a route's URL argument means.

    * an exact URL (``str`` or :class:`yarl.URL`): scheme, host, port and path must be
      equal (default ports count as given); the query, if the URL has one, must equal
      the request's (in any order); a URL without a query matches requests without one,
      unless ``any_query`` is true (set when the route has ``match_params``);
    * a template: a string with ``{name}`` placeholders, each matching one path segment
      (``"http://api/users/{id}"``); the values land in ``request.path_params``;
    * a compiled :class:`re.Pattern`, tried with ``.match`` on the whole URL string;
      named groups land in ``request.path_params``.
    """

    def __init__(self, url: str | URL | re.Pattern[str], *, any_query: bool = False) -> None:
        self.source = url
        self._regex: re.Pattern[str] | None = None
        self._exact: URL | None = None
        self._template_query: list[tuple[str, str]] | None = None
        self._any_query = any_query
        if isinstance(url, re.Pattern):
            self._regex = url
            self.kind = "regex"
        elif isinstance(url, str) and _PLACEHOLDER.search(url):
            self._regex, self._template_query = self._compile_template(url)
            self.kind = "template"
        elif isinstance(url, (str, URL)):
            exact = URL(url) if isinstance(url, str) else url
            if not exact.is_absolute():
                raise ValueError(f"a mocked URL must be absolute (scheme and host), got {url!r}")
            self._exact = exact
            self.kind = "exact"
        else:
            raise TypeError(
                f"url must be a str, a yarl.URL or a compiled re.Pattern, got {type(url).__name__}"
            )

    @staticmethod
    def _compile_template(template: str) -> tuple[re.Pattern[str], list[tuple[str, str]] | None]:
        base, sep, query = template.partition("?")
        # Parse with the placeholders swapped for tokens, so yarl can split the URL.
        names: list[str] = []

        def token(match: re.Match[str]) -> str:
            names.append(match.group(1))
            return f"tkplaceholder{len(names) - 1}x"

        parsed = URL(_PLACEHOLDER.sub(token, base))
        if not parsed.is_absolute():
            raise ValueError(f"a mocked URL template must be absolute, got {template!r}")
        pattern = re.escape(_origin_path(parsed))
        for index, name in enumerate(names):
            pattern = pattern.replace(f"tkplaceholder{index}x", f"(?P<{name}>[^/]+)", 1)
        query_items = _query_items(URL(f"http://x/?{query}").query) if sep else None
        return re.compile(pattern + r"\Z"), query_items

    def __repr__(self) -> str:
        source = self.source.pattern if isinstance(self.source, re.Pattern) else self.source
        return f"<URLPattern {self.kind} {str(source)!r}>"

    def describe(self) -> str:
        """The URL as the user wrote it (regexes as ``re:<pattern>``)."""
        if isinstance(self.source, re.Pattern):
            return f"re:{self.source.pattern}"
        return str(self.source)

    def match(self, url: URL) -> dict[str, str] | None:
        """The captured path parameters (maybe empty) if ``url`` matches, else None."""
        if self._exact is not None:
            if _origin_path(self._exact) != _origin_path(url):
                return None
            if not self._query_ok(_query_items(self._exact.query) or None, url):
                return None
            return {}
        assert self._regex is not None
        if self.kind == "regex":
            found = self._regex.match(str(url))
            return None if found is None else {k: v for k, v in found.groupdict().items() if v}
        found = self._regex.match(_origin_path(url))
        if found is None or not self._query_ok(self._template_query, url):
            return None
        return dict(found.groupdict())

    def mismatch(self, url: URL) -> str:
        """Why ``url`` does not match (for messages)."""
        if self.kind == "regex":
            return "URL does not match the pattern"
        expected_url = url.with_query(self._expected_query() or None)
        if self.match(url.with_query(None)) is not None or self.match(expected_url) is not None:
            expected = self._expected_query()
            wanted = "no query" if not expected else f"query {expected!r}"
            return f"{wanted} expected, got {url.query_string!r}"
        return "URL differs"

    def _expected_query(self) -> list[tuple[str, str]]:
        if self._exact is not None:
            return _query_items(self._exact.query)
        return self._template_query or []

    def _query_ok(self, expected: list[tuple[str, str]] | None, url: URL) -> bool:
        if expected is None:
            return self._any_query or not url.query
        return expected == _query_items(url.query)

    def host(self) -> str | None:
        """The host the pattern is for, when it has a fixed one."""
        if self._exact is not None:
            return self._exact.host
        if self.kind == "template" and isinstance(self.source, str):
            return URL(_PLACEHOLDER.sub("x", self.source)).host
        return None

    def similarity(self, url: URL) -> float:
        """How close ``url`` is to this pattern, 0..1, for "did you mean" messages."""
        if isinstance(self.source, re.Pattern):
            text = self.source.pattern
        else:
            text = _PLACEHOLDER.sub("", str(self.source))
        score = difflib.SequenceMatcher(None, text, str(url.with_query(None))).ratio()
        host = self.host()
        if host is not None and host == url.host:
            score += 0.5
        return score


class RequestMatcher:
    """The optional extra conditions of a route: query parameters, headers, body."""

    def __init__(
        self,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        body: bytes | str | None = None,
    ) -> None:
        self.params = {str(k): str(v) for k, v in (params or {}).items()}
        self.headers = dict(headers or {})
        for name, value in self.headers.items():
            if not isinstance(value, (str, re.Pattern)):
                raise TypeError(
                    f"header matcher {name!r} must be a str or a compiled re.Pattern, "
                    f"got {type(value).__name__}"
                )
        self.json = json
        self.body = body.encode() if isinstance(body, str) else body

    @property
    def needs_body(self) -> bool:
        """True when the body must be known to decide."""
        return self.json is not UNSET or self.body is not None

    def __bool__(self) -> bool:
        return bool(self.params or self.headers or self.needs_body)

    def describe(self) -> str:
        """The conditions, for messages (empty when there are none)."""
        parts = []
        if self.params:
            parts.append(f"params={self.params!r}")
        if self.headers:
            parts.append(f"headers={self.headers!r}")
        if self.json is not UNSET:
            parts.append(f"json={self.json!r}")
        if self.body is not None:
            parts.append(f"body={self.body!r}")
        return ", ".join(parts)

    def mismatch(self, request: MockRequest) -> str | None:
        """Why ``request`` fails the conditions; ``""`` when the body is needed but not
        known yet; None when it passes."""
        for name, value in self.params.items():
            got = request.url.query.getall(name, [])
            if value not in got:
                return f"query {name}={value!r} expected, got {got!r}"
        for name, value in self.headers.items():
            actual = request.headers.getall(name, [])
            if isinstance(value, re.Pattern):
                ok = any(value.search(v) for v in actual)
            else:
                ok = value in actual
            if not ok:
                return f"header {name}: {value!r} expected, got {actual!r}"
        if not self.needs_body:
            return None
        if request.body_known is False:
            return ""
        if self.body is not None and request.body != self.body:
            return f"body {self.body!r} expected, got {request.body[:80]!r}"
        if self.json is not UNSET:
            try:
                value = _json.loads(request.body or b"null")
            except ValueError:
                return f"JSON body {self.json!r} expected, got non-JSON {request.body[:80]!r}"
            if value != self.json:
                return f"JSON body {self.json!r} expected, got {value!r}"
        return None
