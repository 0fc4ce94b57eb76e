"""``ClientRequest``: one HTTP request, built from the session's arguments and sent on a
connection the connector hands out."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, istr
from yarl import URL

from toolkit import hdrs
from toolkit._lazy import lazy_pattern
from toolkit.client._construct import constructor
from toolkit.client.exceptions import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientOSError,
    RequestInfo,
    _make_request_info,
)
from toolkit.http import SUPPORTED_ENCODINGS, HttpVersion, HttpVersion10, HttpVersion11
from toolkit.http._rules import LINE_ENDING_RE

if TYPE_CHECKING:
    from http.cookies import SimpleCookie

    from toolkit.client.connector import Connection
    from toolkit.client.response import ClientResponse
    from toolkit.client.writer import RequestWriter
    from toolkit.helpers import BasicAuth

__all__ = ["ClientRequest", "ConnectionKey", "check_header_field", "default_accept_encoding"]

# Compiled on first use: the usual request (no header given, a known method) needs none.
_TOKEN_RE = lazy_pattern(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_TARGET_RE = lazy_pattern(r"[\r\n\x00 \t]")

USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiotoolkit/0.1"

#: Method names known to be tokens (the check is skipped for them).
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
_NO_NAMES: frozenset[Any] = frozenset()
_new_tuple = tuple.__new__
_SECURE_SCHEMES = frozenset({"https", "wss"})

#: Methods whose semantics anticipate a body: they get ``Content-Length: 0`` when empty.
_BODY_METHODS = frozenset({hdrs.METH_POST, hdrs.METH_PUT, hdrs.METH_PATCH})


#: Default ports of the schemes a request can have (``URL.is_default_port()`` without
#: the call).
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def default_accept_encoding() -> str:
    """The codings the response parser can decode: gzip and deflate, plus br and zstd
    when their libraries are installed (``toolkit.http.SUPPORTED_ENCODINGS``)."""
    return ", ".join(SUPPORTED_ENCODINGS)


_ACCEPT_ENCODING = default_accept_encoding()


def check_header_field(name: str, value: str) -> None:
    """Raise ``ValueError`` for a header field that would corrupt or split the message."""
    if not isinstance(name, str) or not _TOKEN_RE.fullmatch(name):
        raise ValueError(f"invalid header field name {name!r}: it must be an HTTP token")
    if not isinstance(value, str):
        raise TypeError(
            f"header field {name!r} has a value of type {type(value).__name__}, expected str"
        )
    if LINE_ENDING_RE.search(value):
        raise ValueError(
            f"invalid header field value for {name!r}: {value!r} contains CR, LF or NUL"
        )


class ConnectionKey(NamedTuple):
    """What makes two requests able to share a pooled connection."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: Any
    proxy: URL | None
    proxy_auth: Any
    proxy_headers_hash: int | None


def _with_params(url: URL, params: Any) -> URL:
    """``url`` with ``params`` appended to its query (the fragment is kept)."""
    if not params:
        return url
    if not isinstance(params, str):
        try:
            return url.extend_query(params)
        except (TypeError, ValueError) as exc:  # (yarl's messages do not say "params")
            error = TypeError if isinstance(exc, TypeError) else ValueError
            raise error(f"invalid params {params!r}: {exc}") from exc
    # A pre-encoded query string: appended as it is (requoting keeps %XX).
    existing = url.raw_query_string
    return URL.build(
        scheme=url.scheme,
        user=url.raw_user,
        password=url.raw_password,
        host=url.raw_host or "",
        port=url.explicit_port,
        path=url.raw_path,
        query_string=f"{existing}&{params}" if existing else params,
        fragment=url.raw_fragment,
        encoded=True,
    )


#: The head fields of the usual request, in order; Host is filled in per request.
_AUTO_HEADERS: CIMultiDict[str] = CIMultiDict(
    [
        (hdrs.HOST, ""),
        (hdrs.ACCEPT, "*/*"),
        (hdrs.ACCEPT_ENCODING, _ACCEPT_ENCODING),
        (hdrs.USER_AGENT, USER_AGENT),
    ]
)


def _is_ipv6(host: str) -> bool:
    return ":" in host


class ClientRequest:
    """An outgoing request: method, URL, headers and body, ready to be sent."""

    #: The fields every request gets unless given or skipped (User-Agent too).
    DEFAULT_HEADERS: Mapping[str, str] = MappingProxyType(
        {hdrs.ACCEPT: "*/*", hdrs.ACCEPT_ENCODING: _ACCEPT_ENCODING}
    )

    body: Any
    auth: BasicAuth | None
    response: ClientResponse | None = None
    # (set in __init__: CPython 3.11 does not specialize class attributes read per request)
    proxy: URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: CIMultiDict[str] | None
    _coding: str | None = None
    _writer_task: asyncio.Task[bool] | None
    _continue: asyncio.Future[bool] | None
    _body_sent = False

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        params: Any = None,
        headers: Any = None,
        skip_auto_headers: Iterable[str] | None = None,
        data: Any = None,
        cookies: Any = None,
        auth: BasicAuth | None = None,
        version: HttpVersion = HttpVersion11,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        response_class: type[ClientResponse] | None = None,
        proxy: URL | None = None,
        proxy_auth: BasicAuth | None = None,
        timer: Any = None,
        session: Any = None,
        ssl: Any = True,
        proxy_headers: Any = None,
        traces: list[Any] | None = None,
        trust_env: bool = False,
        server_hostname: str | None = None,
        force_close: bool = False,
    ) -> None:
        self.loop = loop if loop is not None else asyncio.get_running_loop()
        if method not in _KNOWN_METHODS and (
            not isinstance(method, str) or not _TOKEN_RE.fullmatch(method)
        ):
            raise ValueError(f"invalid request method {method!r}: it must be an HTTP token")
        if not isinstance(url, URL):
            raise TypeError(f"url must be a yarl.URL, got {type(url).__name__}")
        if response_class is None:
            from toolkit.client.response import ClientResponse

            response_class = ClientResponse
        self.response_class: type[ClientResponse] = response_class
        if params:
            url = _with_params(url, params)
        self.original_url = url
        self.url = url = url.with_fragment(None) if url.raw_fragment else url
        self._check_target(url)
        self.method = method = method.upper()
        self.version = version
        self.chunked = chunked
        self._user_chunked = bool(chunked)
        self.compress: str | bool | None = compress
        self.session = session
        self._timer = timer
        self._traces = traces or []
        self._ssl = ssl
        self.server_hostname = server_hostname
        self._force_close = force_close

        self.auth = None
        self._update_host(url)
        if skip_auto_headers:
            self.skip_auto_headers: frozenset[istr] = frozenset(
                istr(name) for name in skip_auto_headers
            )
            self._skip_lower = frozenset(name.lower() for name in self.skip_auto_headers)
        else:
            self.skip_auto_headers = _NO_NAMES
            self._skip_lower = _NO_NAMES
        if (
            not headers
            and not self._skip_lower
            and self.DEFAULT_HEADERS is ClientRequest.DEFAULT_HEADERS
        ):
            # The usual request: Host and the default fields, nothing given, nothing
            # skipped; no field name needs comparing (see _update_auto_headers()).
            self.headers: CIMultiDict[str] = _AUTO_HEADERS.copy()
            self.headers[hdrs.HOST] = self._host_header()  # (replaced in place: first)
            plain = True
        else:
            self.headers = CIMultiDict()
            if "host" not in self._skip_lower:
                # Host goes first (RFC 9112 section 3.2); a caller-given Host replaces it.
                self.headers[hdrs.HOST] = self._host_header()
            self._update_headers(headers)
            self._update_auto_headers()
            plain = False
        if cookies:
            self._update_cookies(cookies)
        if auth is not None or self.auth is not None:
            self._update_auth(auth, trust_env)
        self.proxy = self.proxy_auth = self.proxy_headers = None
        self._continue = self._writer_task = None
        if proxy is not None or proxy_auth is not None or proxy_headers is not None:
            self._update_proxy(proxy, proxy_auth, proxy_headers)
        if plain and data is None and not chunked and method not in _BODY_METHODS:
            # No body, no framing or Expect field given: nothing more to work out.
            self.compress = None
            self.body = None
            if expect100:
                self.headers[hdrs.EXPECT] = "100-continue"
            self._expect100 = expect100
        else:
            self._update_content_encoding(data)
            self._update_body(data)
            self._update_transfer_encoding()
            self._update_expect_continue(expect100)

    # ------------------------------------------------------------------ building

    @staticmethod
    def _check_target(url: URL) -> None:
        target = url.raw_path_qs
        host = url.raw_host or ""
        if target.isprintable() and " " not in target and host.isprintable():
            return  # (no control character or space: the searches below find nothing)
        if _FORBIDDEN_TARGET_RE.search(target) or LINE_ENDING_RE.search(host):
            raise ValueError(
                f"invalid URL {str(url)!r}: the request target contains whitespace, CR, LF or NUL"
            )

    def _update_host(self, url: URL) -> None:
        if not url.raw_host:
            from toolkit.client.exceptions import InvalidUrlClientError

            raise InvalidUrlClientError(url, "the URL has no host")
        if url.raw_user or url.raw_password:
            from toolkit.helpers import BasicAuth

            self.auth = BasicAuth(url.user or "", url.password or "")

    def _update_headers(self, headers: Any) -> None:
        if headers:
            items: Iterable[tuple[str, str]]
            if isinstance(headers, (Mapping, CIMultiDictProxy, MultiDict)):
                items = headers.items()
            else:
                items = headers
            for name, value in items:
                check_header_field(name, value)
                if name.lower() == "host":
                    # A caller-given Host replaces the computed one.
                    self.headers[name] = value
                else:
                    self.headers.add(name, value)

    def _update_auto_headers(self) -> None:
        headers = self.headers
        if (
            not self._skip_lower
            and len(headers) == 1
            and hdrs.HOST in headers
            and self.DEFAULT_HEADERS is ClientRequest.DEFAULT_HEADERS
        ):
            # Nothing given, nothing skipped (the usual request): no name to compare.
            headers.extend(self.DEFAULT_HEADERS)
            headers[hdrs.USER_AGENT] = USER_AGENT
            return
        used = self._skip_lower | {name.lower() for name in headers}
        for name, value in self.DEFAULT_HEADERS.items():
            if name.lower() not in used:
                self.headers.add(name, value)
        if "user-agent" not in used:
            self.headers[hdrs.USER_AGENT] = USER_AGENT

    def _host_header(self) -> str:
        url = self.url
        host = url.raw_host or ""
        if ":" in host:  # IPv6
            host = f"[{host}]"
        port = url.explicit_port
        if port is not None and port != _DEFAULT_PORTS.get(url.scheme):
            host = f"{host}:{port}"
        return host

    def _update_cookies(self, cookies: Any) -> None:
        if not cookies:
            return
        from http.cookies import CookieError, Morsel, SimpleCookie

        from toolkit.cookiejar import _check_cookie_name

        jar: SimpleCookie = SimpleCookie()
        if hdrs.COOKIE in self.headers:
            with contextlib.suppress(CookieError):
                jar.load(self.headers.get(hdrs.COOKIE, ""))
            del self.headers[hdrs.COOKIE]
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, value in items:
            _check_cookie_name(name)
            if isinstance(value, Morsel):
                morsel = value.copy()
                morsel.set(value.key, value.value, value.coded_value)
                jar[name] = morsel
            else:
                jar[name] = value
        self.headers[hdrs.COOKIE] = jar.output(header="", sep=";").strip()

    def _update_auth(self, auth: BasicAuth | None, trust_env: bool) -> None:
        if auth is not None:
            if self.auth is not None:
                raise ValueError(
                    "cannot combine the auth argument with credentials encoded in the URL"
                )
            self.auth = auth
        if self.auth is None:
            return
        from toolkit.helpers import BasicAuth

        if not isinstance(self.auth, BasicAuth):
            raise TypeError(f"auth must be a BasicAuth, got {type(self.auth).__name__}")
        if hdrs.AUTHORIZATION not in self.headers:
            self.headers[hdrs.AUTHORIZATION] = self.auth.encode()

    def _update_proxy(self, proxy: URL | None, proxy_auth: Any, proxy_headers: Any) -> None:
        if proxy is not None and not isinstance(proxy, URL):
            raise TypeError(f"proxy must be a yarl.URL, got {type(proxy).__name__}")
        if proxy_auth is not None:
            from toolkit.helpers import BasicAuth

            if not isinstance(proxy_auth, BasicAuth):
                raise TypeError(f"proxy_auth must be a BasicAuth, got {type(proxy_auth).__name__}")
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        if proxy_headers is not None:
            checked: CIMultiDict[str] = CIMultiDict()
            items = proxy_headers.items() if isinstance(proxy_headers, Mapping) else proxy_headers
            for name, value in items:
                check_header_field(name, value)
                checked.add(name, value)
            self.proxy_headers = checked

    def _update_content_encoding(self, data: Any) -> None:
        if data is None:
            self.compress = None
            return
        encoding = self.headers.get(hdrs.CONTENT_ENCODING, "").lower()
        if encoding:
            if self.compress:
                raise ValueError("compress can not be set if the Content-Encoding header is set")
            self.compress = None
        elif self.compress:
            coding = "deflate" if self.compress is True else str(self.compress).lower()
            if coding not in ("deflate", "gzip"):
                raise ValueError(f"cannot compress a request body with {coding!r}")
            self.compress = self._coding = coding
            self.headers[hdrs.CONTENT_ENCODING] = coding
            self.chunked = True
        else:
            self.compress = None

    def _update_body(self, data: Any) -> None:
        if data is None:
            self.body = None
            return
        from toolkit import payload as payload_mod
        from toolkit.formdata import FormData

        if isinstance(data, FormData):
            data = data()
        elif isinstance(data, (dict, MultiDict, CIMultiDictProxy)) or (
            isinstance(data, (list, tuple)) and all(isinstance(x, tuple) for x in data)
        ):
            data = FormData(data)()
        if not isinstance(data, payload_mod.Payload):
            # Multipart writers and plain values go through the payload registry.
            data = payload_mod.get_payload(data)
        self.body = data
        size = data.size
        if not self.chunked and hdrs.CONTENT_LENGTH not in self.headers:
            if size is not None:
                self.headers[hdrs.CONTENT_LENGTH] = str(size)
            elif hdrs.TRANSFER_ENCODING not in self.headers:
                self.chunked = True
        for name, value in data.headers.items():
            if name in self.headers or name.lower() in self._skip_lower:
                continue
            if name == hdrs.CONTENT_LENGTH:
                continue
            self.headers[name] = value

    def _update_transfer_encoding(self) -> None:
        te = self.headers.get(hdrs.TRANSFER_ENCODING, "").lower()
        if "chunked" in te:
            if self._user_chunked:
                raise ValueError(
                    "chunked can not be set if the Transfer-Encoding: chunked header is set"
                )
            self.chunked = True
        elif self.chunked:
            if hdrs.CONTENT_LENGTH in self.headers:
                raise ValueError("chunked can not be set if the Content-Length header is set")
            self.headers[hdrs.TRANSFER_ENCODING] = "chunked"
        elif (
            self.body is None
            and self.method in _BODY_METHODS
            and hdrs.CONTENT_LENGTH not in self.headers
        ):
            self.headers[hdrs.CONTENT_LENGTH] = "0"
        if self.chunked and self.version < HttpVersion11:
            raise ValueError(
                f"a chunked request body needs HTTP/1.1, the request uses "
                f"HTTP/{self.version.major}.{self.version.minor}"
            )

    def _update_expect_continue(self, expect100: bool) -> None:
        if expect100:
            self.headers[hdrs.EXPECT] = "100-continue"
        elif self.headers.get(hdrs.EXPECT, "").lower() == "100-continue":
            expect100 = True
        self._expect100 = expect100

    # ------------------------------------------------------------------ properties

    @property
    def host(self) -> str:
        """The host to connect to (IDNA-encoded, no brackets)."""
        host = self.url.raw_host
        assert host is not None
        return host

    @property
    def port(self) -> int | None:
        """The port to connect to (the scheme's default when the URL has none)."""
        return self.url.port

    @property
    def ssl(self) -> Any:
        """The ``ssl=`` argument: True, False, an ``SSLContext`` or a ``Fingerprint``."""
        return self._ssl

    def is_ssl(self) -> bool:
        """Whether the connection to the origin uses TLS."""
        return self.url.scheme in _SECURE_SCHEMES

    @property
    def connection_key(self) -> ConnectionKey:
        """The pool key: origin, TLS settings and proxy."""
        proxy_headers_hash = None
        if self.proxy_headers:
            proxy_headers_hash = hash(tuple(self.proxy_headers.items()))
        url = self.url
        return _new_tuple(
            ConnectionKey,
            (
                url.raw_host,
                url.port,
                url.scheme in _SECURE_SCHEMES,
                self._ssl,
                self.proxy,
                self.proxy_auth,
                proxy_headers_hash,
            ),
        )

    @property
    def request_info(self) -> RequestInfo:
        """The URL, method and headers of this request, as exceptions carry them."""
        return _make_request_info(
            self.url, self.method, CIMultiDictProxy(self.headers), self.original_url
        )

    def keep_alive(self) -> bool:
        """Whether the connection may be reused after this request."""
        if self._force_close:
            return False
        if self.version == HttpVersion10:
            return self.headers.get(hdrs.CONNECTION, "").lower() == "keep-alive"
        if self.version < HttpVersion10:
            return False
        return self.headers.get(hdrs.CONNECTION, "").lower() != "close"

    @property
    def body_sent(self) -> bool:
        """True once the whole body was written (or there was none)."""
        return self._body_sent

    # ------------------------------------------------------------------ sending

    def _request_target(self) -> str:
        if self.method == hdrs.METH_CONNECT:
            host = f"[{self.host}]" if _is_ipv6(self.host) else self.host
            return f"{host}:{self.port}"
        if self.proxy is not None and not self.is_ssl():
            return str(self.url)
        return self.url.raw_path_qs or "/"

    def _serialize_head(self) -> bytes:
        if self.proxy is None and self.method != hdrs.METH_CONNECT:
            target = self.url.raw_path_qs or "/"  # (_request_target() inline)
        else:
            target = self._request_target()
        version = self.version
        # "Name: value" lines joined in C; a head has at least one field in practice.
        fields = "\r\n".join(map(": ".join, self.headers.items()))
        end = "\r\n\r\n" if fields else "\r\n"
        text = f"{self.method} {target} HTTP/{version[0]}.{version[1]}\r\n{fields}{end}"
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            # A lone surrogate outside U+DC80..U+DCFF: name the field that holds it.
            for name, value in self.headers.items():
                try:
                    value.encode("utf-8", "surrogateescape")
                except UnicodeEncodeError as exc:
                    raise ValueError(
                        f"invalid header field value for {name!r}: {value!r} "
                        f"can not be encoded ({exc.reason})"
                    ) from None
            raise

    async def send(self, conn: Connection) -> ClientResponse:
        """Write the request head on ``conn``, start the body, and return the response
        object (not yet started)."""
        if self._force_close or self.version != HttpVersion11:
            connection_value = self.headers.get(hdrs.CONNECTION)
            if not connection_value:
                if self.version == HttpVersion10 and not self._force_close:
                    self.headers[hdrs.CONNECTION] = "keep-alive"
                elif self.version == HttpVersion11 and self._force_close:
                    self.headers[hdrs.CONNECTION] = "close"
        protocol = conn.protocol
        assert protocol is not None
        if self.proxy is not None and not self.is_ssl():
            # Plain HTTP through a proxy: the proxy reads these from the request itself.
            if self.proxy_auth is not None and hdrs.PROXY_AUTHORIZATION not in self.headers:
                self.headers[hdrs.PROXY_AUTHORIZATION] = self.proxy_auth.encode()
            for name, value in (self.proxy_headers or {}).items():
                if name not in self.headers:
                    self.headers[name] = value
        if self._expect100:
            expect_continue = getattr(protocol, "expect_continue", None)
            self._continue = (
                expect_continue() if expect_continue is not None else self.loop.create_future()
            )
        traces = self._traces
        if self.body is None and self._continue is None and not traces:
            # No body: the head is all there is (RequestWriter's work, inline).
            transport = protocol.transport
            try:
                if transport is None or transport.is_closing():
                    raise ClientConnectionResetError("Cannot write to closing transport")
                transport.write(self._serialize_head())
            except OSError as exc:
                conn.close()
                raise ClientOSError(exc.errno, f"Can not write request head: {exc}") from exc
            if protocol._writing_paused or protocol.transport is None:
                await protocol.drain()  # (else it returns at once: no coroutine made)
            self._body_sent = True
        else:
            from toolkit.client.writer import RequestWriter  # (only requests with a body)

            writer = RequestWriter(
                protocol,
                chunked=bool(self.chunked),
                compress=self._coding,
                on_chunk_sent=self._on_chunk_sent if traces else None,
            )
            try:
                await writer.write_head(self._serialize_head())
            except OSError as exc:
                conn.close()
                raise ClientOSError(exc.errno, f"Can not write request head: {exc}") from exc
            for trace in traces:
                await trace.send_request_headers(self.method, self.url, self.headers)
            if self.body is None and self._continue is None:
                await writer.write_eof()
                self._body_sent = True
            else:
                self._writer_task = self.loop.create_task(self._write_body(writer, conn))
        # (Made the way ClientSession makes requests: see pipeline.send_once.)
        response_class = self.response_class
        instance, make = constructor(response_class)
        made = make(
            self.method,
            self.original_url,
            writer=self._writer_task,
            continue100=self._continue,
            timer=self._timer,
            request_info=self.request_info,
            traces=traces,
            loop=self.loop,
            session=self.session,
        )
        response: ClientResponse = made if instance is None else instance
        self.response = response
        return response

    async def _on_chunk_sent(self, chunk: bytes) -> None:
        for trace in self._traces:
            await trace.send_request_chunk_sent(self.method, self.url, chunk)

    async def _write_body(self, writer: RequestWriter, conn: Connection) -> bool:
        """Send the body; True when all of it went out."""
        protocol = conn.protocol
        assert protocol is not None
        try:
            if self._continue is not None:
                await writer.drain()
                go_on = await self._continue
                if go_on is None:
                    # The protocol does not say whether 100 or a final head woke us: let
                    # that head reach the response (its callback runs first), then look.
                    await asyncio.sleep(0)
                    response = self.response
                    go_on = response is None or response.status is None
                if not go_on:
                    return False  # a final response came instead of 100 Continue
            if self.body is not None:
                await self.body.write(writer)
            await writer.write_eof()
            self._body_sent = True
            return True
        except OSError as exc:
            err: Exception = ClientOSError(
                exc.errno, f"Can not write request body for {self.url}: {exc}"
            )
            err.__cause__ = exc
            _set_protocol_exception(protocol, err)
        except ClientConnectionError as exc:
            _set_protocol_exception(protocol, exc)
        except asyncio.CancelledError:
            if not conn.closed:
                conn.close()
            raise
        except Exception as exc:
            _set_protocol_exception(protocol, exc)
        return False

    async def close(self) -> None:
        """Wait for the body writer to finish (it is cancelled by :meth:`terminate`)."""
        if self._writer_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer_task

    def terminate(self) -> None:
        """Stop sending the body."""
        if self._writer_task is not None and not self._writer_task.done():
            self._writer_task.cancel()
        self._writer_task = None

    def __repr__(self) -> str:
        return f"<ClientRequest({self.method} {self.url})>"


def _set_protocol_exception(protocol: Any, exc: BaseException) -> None:
    """Make the pending ``read_response()`` fail with ``exc``."""
    setter = getattr(protocol, "set_exception", None)
    if setter is not None:
        setter(exc)
    transport = getattr(protocol, "transport", None)
    if transport is not None:
        transport.close()
