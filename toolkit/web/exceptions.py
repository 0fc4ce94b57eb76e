"""HTTP exceptions: responses that can be raised (or returned) from a handler.

Every class carries its ``status_code``; instances are :class:`~toolkit.web.Response`
objects with a ``"<status>: <reason>"`` text body unless given one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from multidict import CIMultiDict
from yarl import URL

from toolkit import hdrs
from toolkit.web._errors import NotAppKeyWarning, PayloadAccessError, RequestPayloadError
from toolkit.web.response import Response

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "NotAppKeyWarning",
    "PayloadAccessError",
    "RequestPayloadError",
    "HTTPException",
    "HTTPError",
    "HTTPRedirection",
    "HTTPSuccessful",
    "HTTPOk",
    "HTTPCreated",
    "HTTPAccepted",
    "HTTPNonAuthoritativeInformation",
    "HTTPNoContent",
    "HTTPResetContent",
    "HTTPPartialContent",
    "HTTPMove",
    "HTTPMultipleChoices",
    "HTTPMovedPermanently",
    "HTTPFound",
    "HTTPSeeOther",
    "HTTPNotModified",
    "HTTPUseProxy",
    "HTTPTemporaryRedirect",
    "HTTPPermanentRedirect",
    "HTTPClientError",
    "HTTPBadRequest",
    "HTTPUnauthorized",
    "HTTPPaymentRequired",
    "HTTPForbidden",
    "HTTPNotFound",
    "HTTPMethodNotAllowed",
    "HTTPNotAcceptable",
    "HTTPProxyAuthenticationRequired",
    "HTTPRequestTimeout",
    "HTTPConflict",
    "HTTPGone",
    "HTTPLengthRequired",
    "HTTPPreconditionFailed",
    "HTTPRequestEntityTooLarge",
    "HTTPRequestURITooLong",
    "HTTPUnsupportedMediaType",
    "HTTPRequestRangeNotSatisfiable",
    "HTTPExpectationFailed",
    "HTTPMisdirectedRequest",
    "HTTPUnprocessableEntity",
    "HTTPFailedDependency",
    "HTTPUpgradeRequired",
    "HTTPPreconditionRequired",
    "HTTPTooManyRequests",
    "HTTPRequestHeaderFieldsTooLarge",
    "HTTPUnavailableForLegalReasons",
    "HTTPServerError",
    "HTTPInternalServerError",
    "HTTPNotImplemented",
    "HTTPBadGateway",
    "HTTPServiceUnavailable",
    "HTTPGatewayTimeout",
    "HTTPVersionNotSupported",
    "HTTPVariantAlsoNegotiates",
    "HTTPInsufficientStorage",
    "HTTPNotExtended",
    "HTTPNetworkAuthenticationRequired",
]


class _ResponseOptions(TypedDict, total=False):
    """The keyword arguments every HTTP exception hands on to :class:`Response`."""

    headers: Any
    reason: str | None
    body: Any
    text: str | None
    content_type: str | None


class HTTPException(Response, Exception):
    """Base of all HTTP exceptions; ``status_code`` is set by each subclass."""

    status_code = -1
    empty_body = False
    #: Instance attributes beyond the response's own state that pickling carries.
    _pickled: ClassVar[tuple[str, ...]] = ()

    __http_exception__ = True

    def __init__(
        self,
        *,
        headers: Any = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if self.status_code < 0:
            raise TypeError(
                f"{self.__class__.__name__} has no status code; raise a concrete subclass"
            )
        Response.__init__(
            self,
            status=self.status_code,
            headers=headers,
            reason=reason,
            body=body,
            text=text,
            content_type=content_type,
        )
        Exception.__init__(self, self.reason)
        if self.body is None and not self.empty_body:
            self.text = f"{self.status}: {self.reason}"

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}: {self.reason}>"

    __hash__ = Response.__hash__
    __eq__ = Response.__eq__

    def __reduce__(self) -> Any:
        # Rebuild from the public state so exceptions cross process boundaries (xdist).
        return (_rebuild, (self.__class__, self.__getstate__()))

    def __getstate__(self) -> dict[str, Any]:
        return {
            "headers": list(self.headers.items()),
            "reason": self.reason,
            "body": self.body if isinstance(self.body, bytes) else None,
            "extra": {name: getattr(self, name) for name in self._pickled},
        }


def _rebuild(cls: type[HTTPException], state: dict[str, Any]) -> HTTPException:
    exc = cls.__new__(cls)
    HTTPException.__init__(exc, headers=CIMultiDict(state["headers"]), reason=state["reason"])
    exc.body = state["body"]
    exc.__dict__.update(state["extra"])
    return exc


class HTTPError(HTTPException):
    """Base class for 4xx and 5xx."""


class HTTPRedirection(HTTPException):
    """Base class for 3xx."""


class HTTPSuccessful(HTTPException):
    """Base class for 2xx."""


class HTTPOk(HTTPSuccessful):
    status_code = 200


class HTTPCreated(HTTPSuccessful):
    status_code = 201


class HTTPAccepted(HTTPSuccessful):
    status_code = 202


class HTTPNonAuthoritativeInformation(HTTPSuccessful):
    status_code = 203


class HTTPNoContent(HTTPSuccessful):
    status_code = 204
    empty_body = True


class HTTPResetContent(HTTPSuccessful):
    status_code = 205
    empty_body = True


class HTTPPartialContent(HTTPSuccessful):
    status_code = 206


class HTTPMove(HTTPRedirection):
    """A redirection with a Location header."""

    _pickled = ("location",)

    def __init__(self, location: str | URL, **options: Unpack[_ResponseOptions]) -> None:
        if not location:
            raise ValueError(f"{type(self).__name__} needs a location to redirect to")
        if any(char in str(location) for char in "\r\n\x00"):
            raise ValueError(f"redirect location cannot contain CR, LF or NUL: {location!r}")
        super().__init__(**options)
        self.headers[hdrs.LOCATION] = str(location)
        self.location = location


class HTTPMultipleChoices(HTTPMove):
    status_code = 300


class HTTPMovedPermanently(HTTPMove):
    status_code = 301


class HTTPFound(HTTPMove):
    status_code = 302


class HTTPSeeOther(HTTPMove):
    status_code = 303


class HTTPNotModified(HTTPRedirection):
    # Not a move: there is no Location.
    status_code = 304
    empty_body = True


class HTTPUseProxy(HTTPMove):
    # Not a move really, but it carries a location.
    status_code = 305


class HTTPTemporaryRedirect(HTTPMove):
    status_code = 307


class HTTPPermanentRedirect(HTTPMove):
    status_code = 308


class HTTPClientError(HTTPError):
    """Base class for 4xx."""


class HTTPBadRequest(HTTPClientError):
    status_code = 400


class HTTPUnauthorized(HTTPClientError):
    status_code = 401


class HTTPPaymentRequired(HTTPClientError):
    status_code = 402


class HTTPForbidden(HTTPClientError):
    status_code = 403


class HTTPNotFound(HTTPClientError):
    status_code = 404


class HTTPMethodNotAllowed(HTTPClientError):
    """405, with an Allow header listing ``allowed_methods``."""

    status_code = 405
    _pickled = ("allowed_methods", "method")

    def __init__(
        self, method: str, allowed_methods: Iterable[str], **options: Unpack[_ResponseOptions]
    ) -> None:
        allowed = ",".join(sorted(allowed_methods))
        super().__init__(**options)
        self.headers[hdrs.ALLOW] = allowed
        self.allowed_methods: set[str] = set(allowed_methods)
        self.method = method.upper()


class HTTPNotAcceptable(HTTPClientError):
    status_code = 406


class HTTPProxyAuthenticationRequired(HTTPClientError):
    status_code = 407


class HTTPRequestTimeout(HTTPClientError):
    status_code = 408


class HTTPConflict(HTTPClientError):
    status_code = 409


class HTTPGone(HTTPClientError):
    status_code = 410


class HTTPLengthRequired(HTTPClientError):
    status_code = 411


class HTTPPreconditionFailed(HTTPClientError):
    status_code = 412


class HTTPRequestEntityTooLarge(HTTPClientError):
    """413, naming the limit and the size that exceeded it."""

    status_code = 413
    _pickled = ("max_size", "actual_size")

    def __init__(
        self, max_size: float, actual_size: float, **options: Unpack[_ResponseOptions]
    ) -> None:
        options.setdefault(
            "text",
            f"Maximum request body size {max_size} exceeded, actual body size {actual_size}",
        )
        super().__init__(**options)
        self.max_size = max_size
        self.actual_size = actual_size


class HTTPRequestURITooLong(HTTPClientError):
    status_code = 414


class HTTPUnsupportedMediaType(HTTPClientError):
    status_code = 415


class HTTPRequestRangeNotSatisfiable(HTTPClientError):
    status_code = 416


class HTTPExpectationFailed(HTTPClientError):
    status_code = 417


class HTTPMisdirectedRequest(HTTPClientError):
    status_code = 421


class HTTPUnprocessableEntity(HTTPClientError):
    status_code = 422


class HTTPFailedDependency(HTTPClientError):
    status_code = 424


class HTTPUpgradeRequired(HTTPClientError):
    status_code = 426


class HTTPPreconditionRequired(HTTPClientError):
    status_code = 428


class HTTPTooManyRequests(HTTPClientError):
    status_code = 429


class HTTPRequestHeaderFieldsTooLarge(HTTPClientError):
    status_code = 431


class HTTPUnavailableForLegalReasons(HTTPClientError):
    """451, with a Link header pointing at the blocking authority."""

    status_code = 451
    _pickled = ("_link",)

    def __init__(self, link: str | URL | None, **options: Unpack[_ResponseOptions]) -> None:
        super().__init__(**options)
        self._link = URL(link) if link is not None else None
        if self._link is not None:
            self.headers[hdrs.LINK] = f'<{self._link}>; rel="blocked-by"'

    @property
    def link(self) -> URL | None:
        """The URL of the authority that blocks the resource."""
        return self._link


class HTTPServerError(HTTPError):
    """Base class for 5xx."""


class HTTPInternalServerError(HTTPServerError):
    status_code = 500


class HTTPNotImplemented(HTTPServerError):
    status_code = 501


class HTTPBadGateway(HTTPServerError):
    status_code = 502


class HTTPServiceUnavailable(HTTPServerError):
    status_code = 503


class HTTPGatewayTimeout(HTTPServerError):
    status_code = 504


class HTTPVersionNotSupported(HTTPServerError):
    status_code = 505


class HTTPVariantAlsoNegotiates(HTTPServerError):
    status_code = 506


class HTTPInsufficientStorage(HTTPServerError):
    status_code = 507


class HTTPNotExtended(HTTPServerError):
    status_code = 510


class HTTPNetworkAuthenticationRequired(HTTPServerError):
    status_code = 511
