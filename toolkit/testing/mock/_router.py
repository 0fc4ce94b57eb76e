"""``MockRouter``: register mocked answers, route requests to them, check the history."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from yarl import URL

from toolkit.client._default_connector import (
    ConnectorFactory,
    reset_default_connector_factory,
    set_default_connector_factory,
)

from ._matching import UNSET, RequestMatcher, URLPattern, normalize_method
from ._request import MockRequest
from ._route import Callback, MockResponse, MockRoute
from ._server import MockServer
from .errors import MockUnmatchedError

if TYPE_CHECKING:
    from toolkit.client.session import ClientSession

    from ._connector import MockConnector

__all__ = ("MockRouter",)

_CLOSEST = 3

URLArg = str | URL | re.Pattern[str]


class MockRouter:
    """Mocked HTTP answers for the client, plugged in at the connector.

    ::

        with MockRouter() as mock:
            mock.get("http://api.test/users/{id}", json={"name": "ann"})
            async with ClientSession() as session:      # uses the mock (see below)
                async with session.get("http://api.test/users/1") as resp:
                    assert (await resp.json()) == {"name": "ann"}
        mock.assert_called_once("GET", "http://api.test/users/1")

    Inside ``with``/``async with``, sessions created without ``connector=`` use the mock
    (the default connector of the current context is switched; tasks started inside
    inherit it). Outside, pass ``connector=mock.connector()`` explicitly.

    ``passthrough``: ``True`` lets unmatched requests reach the network; a list of
    hosts (``"127.0.0.1"``, ``"localhost:8080"``) lets only those through.
    ``assert_all_called``: on a clean exit, fail if a route was never called.
    ``assert_all_matched``: on a clean exit, fail if a request matched no route and was
    refused, even when the code under test caught the error.
    """

    def __init__(
        self,
        *,
        passthrough: bool | Iterable[str] = False,
        assert_all_called: bool = False,
        assert_all_matched: bool = False,
    ) -> None:
        self.passthrough = passthrough
        self._assert_all_called = assert_all_called
        self._assert_all_matched = assert_all_matched
        self._routes: list[MockRoute] = []
        self._history: list[MockRequest] = []
        self._server = MockServer(self)
        self._tokens: list[Token[ConnectorFactory | None]] = []

    @property
    def passthrough(self) -> bool | frozenset[str]:
        """Which unmatched requests reach the network: all (True), none (False), or
        those to the listed hosts (``"host"`` or ``"host:port"``)."""
        return self._passthrough

    @passthrough.setter
    def passthrough(self, value: bool | Iterable[str]) -> None:
        if isinstance(value, str):
            raise TypeError(f"passthrough takes a list of hosts, got the string {value!r}")
        self._passthrough = value if isinstance(value, bool) else frozenset(value)

    # ------------------------------------------------------------------ registering

    def add(
        self,
        method: str,
        url: URLArg,
        *,
        status: int = 200,
        body: Any = None,
        json: Any = UNSET,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
        reason: str | None = None,
        exception: BaseException | type[BaseException] | None = None,
        callback: Callback | None = None,
        repeat: int | bool = 1,
        match_params: Mapping[str, Any] | None = None,
        match_headers: Mapping[str, Any] | None = None,
        match_json: Any = UNSET,
        match_body: bytes | str | None = None,
        name: str | None = None,
    ) -> MockRoute:
        """Register an answer for ``method`` (``"*"``: any) and ``url``; returns the route.

        ``url`` is an exact URL, a template with ``{name}`` segments, or a compiled
        regex (see :class:`URLPattern`). The answer is built from ``status``, ``body``
        or ``json``, ``headers``, ``content_type`` and ``reason``; or it is
        ``exception``, raised by the session; or ``callback(request)`` (sync or async)
        computes it per request. ``repeat``: how many requests the route answers
        (``True``: any number). ``match_*`` add conditions on the query parameters,
        the request headers (str or regex values), the JSON body or the raw body.
        Routes are tried in the order they were added.
        """
        matcher_kwargs: dict[str, Any] = {"params": match_params, "headers": match_headers}
        if match_json is not UNSET:
            matcher_kwargs["json"] = match_json
        if match_body is not None:
            matcher_kwargs["body"] = match_body
        response_kwargs: dict[str, Any] = {}
        if json is not UNSET:
            response_kwargs["json"] = json
        route = MockRoute(
            method,
            url,
            response=MockResponse(
                status,
                body=body,
                headers=headers,
                content_type=content_type,
                reason=reason,
                **response_kwargs,
            ),
            exception=exception,
            callback=callback,
            repeat=repeat,
            matcher=RequestMatcher(**matcher_kwargs),
            name=name,
        )
        self._routes.append(route)
        return route

    def get(self, url: URLArg, **kwargs: Any) -> MockRoute:
        """Register an answer for ``GET url`` (arguments as in :meth:`add`)."""
        return self.add("GET", url, **kwargs)

    def post(self, url: URLArg, **kwargs: Any) -> MockRoute:
        """Register an answer for ``POST url``."""
        return self.add("POST", url, **kwargs)

    def put(self, url: URLArg, **kwargs: Any) -> MockRoute:
        """Register an answer for ``PUT url``."""
        return self.add("PUT", url, **kwargs)

    def patch(self, url: URLArg, **kwargs: Any) -> MockRoute:
        """Register an answer for ``PATCH url``."""
        return self.add("PATCH", url, **kwargs)

    def delete(self, url: URLArg, **kwargs: Any) -> MockRoute:
        """Register an answer for ``DELETE url``."""
        return self.add("DELETE", url, **kwargs)

    def head(self, url: URLArg, **kwargs: Any) -> MockRoute:
        """Register an answer for ``HEAD url``."""
        return self.add("HEAD", url, **kwargs)

    def options(self, url: URLArg, **kwargs: Any) -> MockRoute:
        """Register an answer for ``OPTIONS url``."""
        return self.add("OPTIONS", url, **kwargs)

    @property
    def routes(self) -> list[MockRoute]:
        """The registered routes, in matching order."""
        return list(self._routes)

    @property
    def calls(self) -> list[MockRequest]:
        """Every request the mock saw, in order (matched, unmatched, passed through)."""
        return list(self._history)

    def reset(self) -> None:
        """Forget the call history (routes stay, and may answer ``repeat`` times again)."""
        self._history.clear()
        for route in self._routes:
            route.reset()
        self._server.clear()

    def clear(self) -> None:
        """Remove every route and forget the history."""
        self.reset()
        self._routes.clear()

    # ------------------------------------------------------------------ plugging in

    def connector(self, **kwargs: Any) -> MockConnector:
        """A new connector answering from this router (``BaseConnector`` keywords)."""
        from ._connector import MockConnector

        return MockConnector(self, **kwargs)

    def session(self, **kwargs: Any) -> ClientSession:
        """A ``ClientSession`` using a new :meth:`connector` (other keywords go to it)."""
        from toolkit.client.session import ClientSession

        return ClientSession(connector=self.connector(), **kwargs)

    def start(self) -> MockRouter:
        """Make sessions created without a connector in this context use the mock."""
        self._tokens.append(set_default_connector_factory(self.connector))
        return self

    def stop(self, *, check: bool = True) -> None:
        """Undo :meth:`start`; with ``check``, apply ``assert_all_matched`` and
        ``assert_all_called`` (those asked for)."""
        if self._tokens:
            reset_default_connector_factory(self._tokens.pop())
        if check and self._assert_all_matched:
            self.assert_all_matched()
        if check and self._assert_all_called:
            self.assert_all_called()

    def __enter__(self) -> MockRouter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.stop(check=exc_type is None)

    async def __aenter__(self) -> MockRouter:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.stop(check=exc_type is None)

    # ------------------------------------------------------------------ routing

    def _resolve(self, request: MockRequest) -> tuple[MockRoute | None, dict[str, str]] | None:
        """The first route taking ``request`` with its path parameters; ``(None, {})``
        when a route needs the (streamed) body to decide; None when nothing matches."""
        for route in self._routes:
            reason, params = route.mismatch(request)
            if reason is None:
                return route, params
            if reason == "":
                return None, {}
        return None

    def _passes_through(self, url: URL) -> bool:
        if isinstance(self.passthrough, bool):
            return self.passthrough
        host = url.host or ""
        return host in self.passthrough or f"{host}:{url.port}" in self.passthrough

    def _unmatched_error(self, request: MockRequest) -> MockUnmatchedError:
        ranked = sorted(self._routes, key=lambda r: r.similarity(request), reverse=True)
        lines = [
            f"No mocked route matches {request.method} {request.url} "
            f"({len(self._routes)} route(s) registered)."
        ]
        if ranked:
            lines.append("Closest routes:")
            for route in ranked[:_CLOSEST]:
                reason, _ = route.mismatch(request)
                lines.append(f"  {route.describe()} -- {reason or 'needs the body'}")
        lines.append(
            "Register it (mock.add(method, url, ...)) or let it reach the network "
            "with passthrough=True or passthrough=[host]."
        )
        return MockUnmatchedError("\n".join(lines), request.method, str(request.url))

    # ------------------------------------------------------------------ assertions

    def _find_calls(
        self, method: str | None, url: URLArg | None, **match: Any
    ) -> list[MockRequest]:
        found = self._history
        if method is not None:
            wanted = normalize_method(method)
            found = [c for c in found if wanted in ("*", c.method)]
        matcher = RequestMatcher(**match)
        if url is not None:
            pattern = URLPattern(url, any_query=bool(matcher.params))
            found = [c for c in found if pattern.match(c.url) is not None]
        return found

    def _describe_calls(self) -> str:
        if not self._history:
            return "no requests were made"
        return "requests made: " + ", ".join(f"{c.method} {c.url}" for c in self._history)

    def assert_called(self, method: str | None = None, url: URLArg | None = None) -> None:
        """Fail unless a request (to ``method url``, if given) was made."""
        if not self._find_calls(method, url):
            raise AssertionError(
                f"expected a request {_what(method, url)}; {self._describe_calls()}"
            )

    def assert_called_once(self, method: str | None = None, url: URLArg | None = None) -> None:
        """Fail unless exactly one request (to ``method url``, if given) was made."""
        count = len(self._find_calls(method, url))
        if count != 1:
            raise AssertionError(
                f"expected one request {_what(method, url)}, got {count}; {self._describe_calls()}"
            )

    def assert_not_called(self, method: str | None = None, url: URLArg | None = None) -> None:
        """Fail if a request (to ``method url``, if given) was made."""
        count = len(self._find_calls(method, url))
        if count:
            raise AssertionError(
                f"expected no request {_what(method, url)}, got {count}; {self._describe_calls()}"
            )

    def assert_called_with(
        self,
        method: str,
        url: URLArg,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        body: bytes | str | None = None,
    ) -> None:
        """Fail unless the latest request to ``method url`` had these query parameters
        (a subset), headers (str or regex values), JSON body or raw body."""
        calls = self._find_calls(method, url)
        if not calls:
            raise AssertionError(
                f"expected a request {_what(method, url)}; {self._describe_calls()}"
            )
        reason = RequestMatcher(params=params, headers=headers, json=json, body=body).mismatch(
            calls[-1]
        )
        if reason:
            raise AssertionError(f"the last request {_what(method, url)} differs: {reason}")

    def assert_any_call(
        self,
        method: str,
        url: URLArg,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        body: bytes | str | None = None,
    ) -> None:
        """Fail unless some request to ``method url`` had these properties."""
        matcher = RequestMatcher(params=params, headers=headers, json=json, body=body)
        calls = self._find_calls(method, url)
        reasons = [matcher.mismatch(call) for call in calls]
        if not any(reason is None for reason in reasons):
            detail = "; ".join(r for r in reasons if r) or self._describe_calls()
            raise AssertionError(f"no request {_what(method, url)} matches: {detail}")

    @property
    def unmatched(self) -> list[MockRequest]:
        """The requests no route matched that the mock refused (``MockUnmatchedError``)."""
        return [c for c in self._history if c.route is None and not c.passed_through]

    def assert_all_matched(self) -> None:
        """Fail if a request matched no route and was refused: the code under test may
        have caught the ``MockUnmatchedError`` and carried on."""
        refused = self.unmatched
        if refused:
            names = "\n  ".join(f"{c.method} {c.url}" for c in refused)
            raise AssertionError(
                f"{len(refused)} request(s) matched no mocked route and were refused "
                f"(MockUnmatchedError), whatever the code did with the error:\n  {names}\n"
                "Register them (mock.add(...); exception= for an error the code should "
                "handle) or let them through with passthrough."
            )

    def assert_all_called(self) -> None:
        """Fail if a registered route was never called."""
        idle = [route for route in self._routes if not route.called]
        if idle:
            names = "\n  ".join(route.describe() for route in idle)
            raise AssertionError(f"{len(idle)} mocked route(s) were not called:\n  {names}")

    def __repr__(self) -> str:
        return f"<MockRouter {len(self._routes)} routes, {len(self._history)} calls>"


def _what(method: str | None, url: URLArg | None) -> str:
    if method is None and url is None:
        return "(any)"
    source = url.pattern if isinstance(url, re.Pattern) else url
    return f"{(method or '*').upper()} {source or '(any URL)'}"
