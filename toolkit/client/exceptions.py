"""The client exception tree.

The classes, their bases (multiple inheritance included) and their attributes match
aiohttp's client exceptions, so ``except`` clauses written for aiohttp keep working.
Every exception pickles and unpickles to an equal-looking exception, which pytest-xdist
relies on when it ships failures between processes.
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiMapping
from yarl import URL

__all__ = (
    "RequestInfo",
    "ClientError",
    # responses
    "ClientResponseError",
    "ContentTypeError",
    "WSServerHandshakeError",
    "ClientHttpProxyError",
    "TooManyRedirects",
    # connections
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientOSError",
    "ClientConnectorError",
    "ClientProxyConnectionError",
    "UnixClientConnectorError",
    "ClientSSLError",
    "ClientConnectorDNSError",
    "ClientConnectorSSLError",
    "ClientConnectorCertificateError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerTimeoutError",
    "ConnectionTimeoutError",
    "SocketTimeoutError",
    "ServerFingerprintMismatch",
    "FingerprintMismatch",
    # payloads and URLs
    "ClientPayloadError",
    "InvalidURL",
    "InvalidUrlClientError",
    "RedirectClientError",
    "NonHttpUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlRedirectClientError",
)


def _plain_headers(headers: Any) -> Any:
    """Headers in a form that pickles (multidict proxies do not)."""
    if isinstance(headers, CIMultiDictProxy):
        return CIMultiDict(headers)
    return headers


def _restore_headers(headers: Any) -> Any:
    if isinstance(headers, CIMultiDict):
        return CIMultiDictProxy(headers)
    return headers


@dataclass(frozen=True)
class RequestInfo:
    """What was sent: the URL, the method, the headers, and the URL before redirects."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.real_url is None:
            object.__setattr__(self, "real_url", self.url)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_request_info,
            (self.url, self.method, _plain_headers(self.headers), self.real_url),
        )


_object_new = object.__new__
_object_setattr = object.__setattr__


def _make_request_info(
    url: URL, method: str, headers: CIMultiDictProxy[str], real_url: URL
) -> RequestInfo:
    """``RequestInfo(url, method, headers, real_url)`` without the frozen dataclass's
    ``__init__`` (one attribute write per field): for the request path."""
    info = _object_new(RequestInfo)
    _object_setattr(
        info, "__dict__", {"url": url, "method": method, "headers": headers, "real_url": real_url}
    )
    return info


def _rebuild_request_info(url: URL, method: str, headers: Any, real_url: URL) -> RequestInfo:
    return RequestInfo(url, method, _restore_headers(headers), real_url)


class ClientError(Exception):
    """Base class for every client exception."""


# --------------------------------------------------------------------------- responses


class ClientResponseError(ClientError):
    """A response arrived, but it is an error (status, content type, handshake, proxy)."""

    def __init__(
        self,
        request_info: RequestInfo | None,
        history: tuple[Any, ...],
        *,
        code: int | None = None,
        status: int | None = None,
        message: str = "",
        headers: MultiMapping[str] | Mapping[str, str] | None = None,
    ) -> None:
        self.request_info = request_info
        if code is not None:
            if status is not None:
                raise ValueError(
                    "both code and status were given to ClientResponseError; "
                    "code is the deprecated name of status, pass status only"
                )
            warnings.warn(
                "code argument is deprecated, use status instead",
                DeprecationWarning,
                stacklevel=2,
            )
        if status is not None:
            self.status = status
        elif code is not None:
            self.status = code
        else:
            self.status = 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self) -> str:
        url = self.request_info.real_url if self.request_info is not None else None
        return f"{self.status}, message={self.message!r}, url={str(url)!r}"

    def __repr__(self) -> str:
        parts = [f"{self.request_info!r}", f"{self.history!r}"]
        if self.status != 0:
            parts.append(f"status={self.status!r}")
        if self.message != "":
            parts.append(f"message={self.message!r}")
        if self.headers is not None:
            parts.append(f"headers={self.headers!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    @property
    def code(self) -> int:
        """Deprecated alias of :attr:`status`."""
        warnings.warn(
            "code property is deprecated, use status instead", DeprecationWarning, stacklevel=2
        )
        return self.status

    @code.setter
    def code(self, value: int) -> None:
        warnings.warn(
            "code property is deprecated, use status instead", DeprecationWarning, stacklevel=2
        )
        self.status = value

    def __reduce__(self) -> tuple[Any, ...]:
        state = dict(self.__dict__)
        state["headers"] = _plain_headers(state.get("headers"))
        return (type(self), self.args, state)

    def __setstate__(self, state: dict[str, Any] | None) -> None:
        state = dict(state or {})
        state["headers"] = _restore_headers(state.get("headers"))
        self.__dict__.update(state)


class ContentTypeError(ClientResponseError):
    """The response's Content-Type is not the expected one (e.g. ``json()``)."""


class WSServerHandshakeError(ClientResponseError):
    """The server's answer to a WebSocket handshake is not a valid upgrade."""


class ClientHttpProxyError(ClientResponseError):
    """The HTTP proxy answered a CONNECT with a non-2xx status."""


class TooManyRedirects(ClientResponseError):
    """More redirects than ``max_redirects`` were followed."""


# ------------------------------------------------------------------------- connections


class ClientConnectionError(ClientError):
    """Base class for problems with the underlying connection."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """The connection was reset while it was in use."""


class ClientOSError(ClientConnectionError, OSError):
    """An ``OSError`` raised while using a connection."""


class ClientConnectorError(ClientOSError):
    """The connector could not open a connection to ``host:port``."""

    def __init__(self, connection_key: Any, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        """The ``OSError`` that made the connection fail."""
        return self._os_error

    @property
    def host(self) -> str:
        """The host the connection was for."""
        return str(self._conn_key.host)

    @property
    def port(self) -> int | None:
        """The port the connection was for."""
        port: int | None = self._conn_key.port
        return port

    @property
    def ssl(self) -> Any:
        """The ``ssl`` setting of the connection (bool, SSLContext or Fingerprint)."""
        return self._conn_key.ssl

    def __str__(self) -> str:
        ssl_text = "default" if self.ssl is True else self.ssl
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{ssl_text} "
            f"[{self.strerror or self._os_error}]"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (_picklable_key(self._conn_key), self._os_error), None)


def _picklable_key(key: Any) -> Any:
    """The connection key with an ``SSLContext`` (which cannot pickle) replaced by True."""
    replace = getattr(key, "_replace", None)
    if replace is not None and isinstance(getattr(key, "ssl", None), ssl.SSLContext):
        return replace(ssl=True)
    return key


class ClientProxyConnectionError(ClientConnectorError):
    """The connector could not open a connection to the proxy."""


class UnixClientConnectorError(ClientConnectorError):
    """The Unix connector could not connect to its socket ``path``."""

    def __init__(self, path: str, connection_key: Any, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)
        self.args = (path, connection_key, os_error)

    @property
    def path(self) -> str:
        """The Unix socket path that could not be connected to."""
        return self._path

    def __str__(self) -> str:
        ssl_text = "default" if self.ssl is True else self.ssl
        return (
            f"Cannot connect to unix socket {self.path} ssl:{ssl_text} "
            f"[{self.strerror or self._os_error}]"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._path, _picklable_key(self._conn_key), self._os_error), None)


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved."""


class ClientSSLError(ClientConnectorError):
    """Base class for TLS errors while connecting."""


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """A TLS error other than certificate verification while connecting."""


class ClientConnectorCertificateError(ClientSSLError, ssl.SSLCertVerificationError):
    """The server's certificate did not verify."""

    def __init__(self, connection_key: Any, certificate_error: Exception) -> None:
        self._conn_key = connection_key
        self._certificate_error = certificate_error
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> Exception:
        """The original certificate verification error."""
        return self._certificate_error

    @property
    def ssl(self) -> bool:
        """Whether the connection was a TLS one (always True here)."""
        return bool(self._conn_key.is_ssl)

    def __str__(self) -> str:
        err = self._certificate_error
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl} "
            f"[{type(err).__name__}: {err.args}]"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (_picklable_key(self._conn_key), self._certificate_error),
            None,
        )


class ServerConnectionError(ClientConnectionError):
    """Base class for errors reported by (or about) the server on a live connection."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before the response was complete."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = "Server disconnected"
        self.args = (message,)
        self.message = message


class ServerTimeoutError(ServerConnectionError, asyncio.TimeoutError):
    """An operation on the server timed out (connect or read)."""


class ConnectionTimeoutError(ServerTimeoutError):
    """Opening the connection took longer than the ``connect``/``sock_connect`` timeout."""


class SocketTimeoutError(ServerTimeoutError):
    """No data arrived within the ``sock_read`` timeout."""


class ServerFingerprintMismatch(ServerConnectionError):
    """The server certificate's SHA-256 digest is not the pinned one."""

    def __init__(self, expected: bytes, got: bytes, host: str, port: int) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        self.args = (expected, got, host, port)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} expected={self.expected!r} got={self.got!r} "
            f"host={self.host!r} port={self.port!r}>"
        )


#: The 2.x name used in the reference documentation.
FingerprintMismatch = ServerFingerprintMismatch


# --------------------------------------------------------------------- payloads and URLs


class ClientPayloadError(ClientError):
    """The response body is broken: truncated, bad chunking or bad compression."""


class InvalidURL(ClientError, ValueError):
    """The URL cannot be used for a request (e.g. it has no host)."""

    def __init__(self, url: Any, description: str | None = None) -> None:
        self._url = url
        self._description = description
        if description:
            super().__init__(url, description)
        else:
            super().__init__(url)

    @property
    def url(self) -> Any:
        """The offending URL."""
        return self._url

    @property
    def description(self) -> str | None:
        """Why the URL is invalid, when known."""
        return self._description

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    def __str__(self) -> str:
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)


class InvalidUrlClientError(InvalidURL):
    """The URL given to a request is invalid."""


class RedirectClientError(ClientError):
    """A redirect could not be followed."""


class NonHttpUrlClientError(ClientError):
    """The URL's scheme is not one the client speaks."""


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect pointed to an invalid URL."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect pointed to a URL whose scheme the client does not speak."""
