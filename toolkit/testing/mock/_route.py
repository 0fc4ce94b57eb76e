"""``MockResponse`` (what to answer) and ``MockRoute`` (when to answer it)."""

from __future__ import annotations

import inspect
import json as _json
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Union

from multidict import CIMultiDict

from ._matching import UNSET, RequestMatcher, URLPattern, normalize_method
from ._request import MockRequest

if TYPE_CHECKING:
    from toolkit.web import StreamResponse

__all__ = ("Answer", "Callback", "MockResponse", "MockRoute")


#: What a callback may return: a response spec, the keyword arguments of one, a
#: ready ``web.StreamResponse``, an exception to raise, or None (the route's own answer).
Answer = Union["MockResponse", Mapping[str, Any], "StreamResponse", BaseException, None]
Callback = Callable[[MockRequest], Answer | Awaitable[Answer]]


class MockResponse:
    """The response a route answers with.

    ``body`` is bytes, str, or an (async) iterable of bytes chunks, sent chunked as a
    stream (an async *iterator* can be consumed only once: give a list, or a callback,
    for routes answering more than once). ``json`` is serialized as the body with
    ``Content-Type: application/json``. ``content_type`` sets ``Content-Type`` unless
    ``headers`` has one.
    """

    __slots__ = ("body", "content_type", "headers", "json", "reason", "status")

    def __init__(
        self,
        status: int = 200,
        *,
        body: bytes | str | AsyncIterable[bytes] | Iterable[bytes] | None = None,
        json: Any = UNSET,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
        reason: str | None = None,
    ) -> None:
        if not isinstance(status, int) or not 100 <= status <= 999:
            raise ValueError(f"status must be an int between 100 and 999, got {status!r}")
        if body is not None and json is not UNSET:
            raise ValueError("a mocked response takes body= or json=, not both")
        if body is not None and not isinstance(body, (bytes, str, AsyncIterable, Iterable)):
            raise TypeError(
                "body must be bytes, str or an (async) iterable of bytes, "
                f"got {type(body).__name__}"
            )
        self.status = status
        self.body = body
        self.json = json
        self.headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self.content_type = content_type
        self.reason = reason

    def __repr__(self) -> str:
        return f"<MockResponse {self.status}>"

    def _content_type(self) -> str | None:
        if self.content_type is not None:
            return self.content_type
        if self.json is not UNSET:
            return "application/json"
        if isinstance(self.body, str):
            return "text/plain; charset=utf-8"
        if isinstance(self.body, bytes):
            return "application/octet-stream"
        return None

    def _body_bytes(self) -> bytes | None:
        """The whole body, or None when it is a stream."""
        if self.json is not UNSET:
            return _json.dumps(self.json).encode()
        if self.body is None:
            return b""
        if isinstance(self.body, str):
            return self.body.encode()
        if isinstance(self.body, bytes):
            return self.body
        return None

    def _headers(self) -> CIMultiDict[str]:
        headers = CIMultiDict(self.headers)
        content_type = self._content_type()
        if content_type is not None and "Content-Type" not in headers:
            headers["Content-Type"] = content_type
        return headers


class MockRoute:
    """A registered answer: which requests it takes, how often, and what it answers.

    Created by :meth:`MockRouter.add` and the ``get``/``post``… shortcuts. Its call
    history is :attr:`calls`; :attr:`called` and :attr:`call_count` summarise it.
    """

    def __init__(
        self,
        method: str,
        url: Any,
        *,
        response: MockResponse | None = None,
        exception: BaseException | type[BaseException] | None = None,
        callback: Callback | None = None,
        repeat: int | bool = 1,
        matcher: RequestMatcher | None = None,
        name: str | None = None,
    ) -> None:
        if repeat is not True and (
            isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1
        ):
            raise ValueError(f"repeat must be a positive int or True (forever), got {repeat!r}")
        if isinstance(exception, type):
            if not issubclass(exception, BaseException):
                raise TypeError(f"exception must be an exception, got {exception!r}")
            exception = exception()
        if exception is not None and not isinstance(exception, BaseException):
            raise TypeError(f"exception must be an exception instance, got {exception!r}")
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {callback!r}")
        self.method = normalize_method(method)
        self.matcher = matcher or RequestMatcher()
        self.pattern = URLPattern(url, any_query=bool(self.matcher.params))
        self.response = response or MockResponse()
        self.exception = exception
        self.callback = callback
        self.repeat = repeat
        self.name = name
        self.calls: list[MockRequest] = []

    # ------------------------------------------------------------------ history

    @property
    def call_count(self) -> int:
        """How many requests this route answered."""
        return len(self.calls)

    @property
    def called(self) -> bool:
        """True once the route answered a request."""
        return bool(self.calls)

    @property
    def last_call(self) -> MockRequest | None:
        """The latest request the route answered."""
        return self.calls[-1] if self.calls else None

    @property
    def exhausted(self) -> bool:
        """True once the route answered ``repeat`` times."""
        return self.repeat is not True and self.call_count >= self.repeat

    def reset(self) -> None:
        """Forget the calls (the route can answer ``repeat`` times again)."""
        self.calls.clear()

    def assert_called(self) -> None:
        """Fail unless the route was called."""
        if not self.called:
            raise AssertionError(f"{self.describe()} was not called")

    def assert_called_once(self) -> None:
        """Fail unless the route was called exactly once."""
        if self.call_count != 1:
            raise AssertionError(
                f"{self.describe()} was expected to be called once, called {self.call_count} times"
            )

    def assert_called_with(
        self,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        body: bytes | str | None = None,
    ) -> None:
        """Fail unless the latest request the route answered had these query
        parameters (a subset), headers (str or regex values), JSON body or raw body."""
        last = self.last_call
        if last is None:
            raise AssertionError(f"{self.describe()} was not called")
        reason = RequestMatcher(params=params, headers=headers, json=json, body=body).mismatch(last)
        if reason:
            raise AssertionError(f"the last request {self.describe()} answered differs: {reason}")

    def assert_not_called(self) -> None:
        """Fail if the route was called."""
        if self.called:
            raise AssertionError(
                f"{self.describe()} was expected not to be called, called {self.call_count} times"
            )

    # ------------------------------------------------------------------ matching

    def describe(self) -> str:
        """``GET http://host/path [conditions]`` (and the name, if any)."""
        text = f"{self.method} {self.pattern.describe()}"
        conditions = self.matcher.describe()
        if conditions:
            text += f" [{conditions}]"
        if self.name:
            text = f"{self.name!r}: {text}"
        return text

    def __repr__(self) -> str:
        repeat = "forever" if self.repeat is True else f"{self.call_count}/{self.repeat}"
        return f"<MockRoute {self.describe()} ({repeat})>"

    def mismatch(self, request: MockRequest) -> tuple[str | None, dict[str, str]]:
        """``(None, path_params)`` when the route takes ``request``; otherwise the reason
        (``""``: the body is needed to decide)."""
        if self.method not in ("*", request.method):
            return f"method {self.method} expected, got {request.method}", {}
        path_params = self.pattern.match(request.url)
        if path_params is None:
            return self.pattern.mismatch(request.url), {}
        if self.exhausted:
            return f"already answered {self.call_count} time(s) (repeat={self.repeat})", {}
        reason = self.matcher.mismatch(request)
        if reason is not None:
            return reason, {}
        return None, path_params

    def similarity(self, request: MockRequest) -> float:
        """How close ``request`` is to this route (for the unmatched error)."""
        score = self.pattern.similarity(request.url)
        if self.method in ("*", request.method):
            score += 0.3
        return score

    # ------------------------------------------------------------------ answering

    def _record(self, request: MockRequest, path_params: dict[str, str]) -> None:
        request.route = self
        request.path_params = path_params
        self.calls.append(request)

    async def _answer(self, request: MockRequest) -> MockResponse | StreamResponse | BaseException:
        """Run the callback (if any) and return what to answer."""
        if self.callback is None:
            return self.exception if self.exception is not None else self.response
        try:
            result: Any = self.callback(request)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            return exc
        if result is None:
            return self.exception if self.exception is not None else self.response
        if isinstance(result, (MockResponse, BaseException)):
            return result
        from toolkit.web import StreamResponse

        if isinstance(result, StreamResponse):  # before Mapping: responses are mappings
            return result
        if isinstance(result, Mapping):
            return MockResponse(**result)
        raise TypeError(
            f"the callback of {self.describe()} returned {type(result).__name__}; expected a "
            "MockResponse, a dict of its arguments, a web.StreamResponse, an exception or None"
        )
