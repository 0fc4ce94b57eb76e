"""Server loggers and the access logger with aiohttp's ``%`` format directives.

An access log format is compiled once, when the logger is created, into a list of
small functions; logging a request then only calls them and joins their results.

Directives (Apache-like, as in aiohttp):

=========== ==========================================================
``%%``      a literal percent sign
``%a``      remote address (``request.remote``)
``%t``      time the request was received, ``[25/Nov/2026:15:04:05 +0000]``
``%P``      process id of the server
``%r``      first line of the request (``GET /path?q=1 HTTP/1.1``)
``%s``      response status code
``%b``      size of the response in bytes, head included
``%T``      time taken to serve the request, in whole seconds
``%Tf``     time taken to serve the request, in seconds with fraction
``%D``      time taken to serve the request, in microseconds
``%{FOO}i`` the value of request header ``FOO`` (``-`` when absent)
``%{FOO}o`` the value of response header ``FOO`` (``-`` when absent)
=========== ==========================================================
"""

from __future__ import annotations

import abc
import datetime
import functools
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from toolkit._lazy import lazy_pattern

if TYPE_CHECKING:
    from .request import BaseRequest
    from .response import StreamResponse

__all__ = [
    "AbstractAccessLogger",
    "AccessLogger",
    "access_logger",
    "server_logger",
    "web_logger",
]

#: Logger of access lines (one per request) when access logging is enabled.
access_logger = logging.getLogger("toolkit.access")
#: Logger of server-side errors: failing handlers, protocol errors.
server_logger = logging.getLogger("toolkit.server")
#: Logger of runners and ``run_app``.
web_logger = logging.getLogger("toolkit.web")


class AbstractAccessLogger(abc.ABC):
    """Base class of access loggers: subclass it and implement :meth:`log`.

    The server creates one instance per connection as
    ``access_log_class(access_log, access_log_format)`` (connections share the stock
    :class:`AccessLogger`, which keeps no state of its own) and calls :meth:`log` after
    each response when :attr:`enabled` is true.
    """

    __slots__ = ("log_format", "logger")

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abc.abstractmethod
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Emit an access log entry; ``time`` is the seconds spent serving the request."""

    @property
    def enabled(self) -> bool:
        """Whether :meth:`log` should be called at all (checked once per request)."""
        return True


# A compiled directive: its ``extra`` key and its renderer (a plain tuple: a NamedTuple
# class is costly to create at import).
_Directive = tuple[str, Callable[["BaseRequest", "StreamResponse", float], str]]


def _remote(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return str(request.remote) if request.remote is not None else "-"


def _start_time(request: BaseRequest, response: StreamResponse, time: float) -> str:
    start = datetime.datetime.now().astimezone() - datetime.timedelta(seconds=time)
    return start.strftime("[%d/%b/%Y:%H:%M:%S %z]")


def _pid(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return f"<{os.getpid()}>"


def _first_line(request: BaseRequest, response: StreamResponse, time: float) -> str:
    version = request.version
    return f"{request.method} {request.path_qs} HTTP/{version.major}.{version.minor}"


def _status(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return str(response.status)


def _size(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return str(getattr(response, "body_length", 0))


def _seconds(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return str(round(time))


def _seconds_frac(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return f"{time:06f}"


def _micros(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return str(round(time * 1_000_000))


def _request_header(name: str) -> Callable[[BaseRequest, StreamResponse, float], str]:
    def render(request: BaseRequest, response: StreamResponse, time: float) -> str:
        return request.headers.get(name, "-")

    return render


def _response_header(name: str) -> Callable[[BaseRequest, StreamResponse, float], str]:
    def render(request: BaseRequest, response: StreamResponse, time: float) -> str:
        return response.headers.get(name, "-")

    return render


_SIMPLE = {
    "a": ("remote_address", _remote),
    "t": ("request_start_time", _start_time),
    "P": ("process_id", _pid),
    "r": ("first_request_line", _first_line),
    "s": ("response_status", _status),
    "b": ("response_size", _size),
    "T": ("request_time", _seconds),
    "Tf": ("request_time_frac", _seconds_frac),
    "D": ("request_time_micro", _micros),
}

_FORMAT_RE = lazy_pattern(r"%(\{([A-Za-z0-9\-_]+)\}([io])|Tf|[atPrsbTD]|%)")


class AccessLogger(AbstractAccessLogger):
    """Write one line per request to ``logger`` at INFO level, formatted by ``log_format``.

    Each directive's value is also passed to the log record as an ``extra`` attribute
    (``remote_address``, ``response_status``, ``request_header`` (a dict) …) for
    structured log handlers.
    """

    __slots__ = ("_directives", "_template")

    LOG_FORMAT = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'

    def __init__(self, logger: logging.Logger, log_format: str = LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._template, self._directives = self._compile(log_format)

    @staticmethod
    @functools.lru_cache(maxsize=16)  # one logger per connection, a handful of formats
    def _compile(log_format: str) -> tuple[str, tuple[_Directive, ...]]:
        """Turn ``log_format`` into a ``%s`` template plus one renderer per directive."""
        directives: list[_Directive] = []
        parts: list[str] = []
        pos = 0
        for match in _FORMAT_RE.finditer(log_format):
            parts.append(log_format[pos : match.start()].replace("%", "%%"))
            pos = match.end()
            token = match.group(1)
            if token == "%":
                parts.append("%%")
                continue
            parts.append("%s")
            if match.group(2) is not None:
                name, kind = match.group(2), match.group(3)
                if kind == "i":
                    directives.append((f"i:{name}", _request_header(name)))
                else:
                    directives.append((f"o:{name}", _response_header(name)))
            else:
                key, render = _SIMPLE[token]
                directives.append((key, render))
        parts.append(log_format[pos:].replace("%", "%%"))
        return "".join(parts), tuple(directives)

    @property
    def enabled(self) -> bool:
        """True when ``logger`` would emit INFO records."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Format and emit the access line for one request/response pair."""
        try:
            values: list[str] = []
            extra: dict[str, Any] = {}
            for key, render in self._directives:
                value = render(request, response, time)
                values.append(value)
                if key[1:2] == ":":
                    group = "request_header" if key[0] == "i" else "response_header"
                    extra.setdefault(group, {})[key[2:]] = value
                else:
                    extra[key] = value
            self.logger.info(self._template % tuple(values), extra=extra)
        except Exception:
            self.logger.exception("Error in access logger for %r", request)
