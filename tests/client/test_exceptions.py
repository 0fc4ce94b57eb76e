"""The client exception tree: bases (as aiohttp's), attributes, str/repr, pickling."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import pickle
import ssl
import warnings
from typing import Any, NamedTuple

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from toolkit.client import exceptions as exc_mod
from toolkit.client.exceptions import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ClientSSLError,
    ConnectionTimeoutError,
    ContentTypeError,
    FingerprintMismatch,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    RedirectClientError,
    RequestInfo,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SocketTimeoutError,
    TooManyRedirects,
    UnixClientConnectorError,
    WSServerHandshakeError,
)


class Key(NamedTuple):
    host: str
    port: int | None
    is_ssl: bool
    ssl: Any
    proxy: URL | None
    proxy_auth: Any
    proxy_headers_hash: int | None


KEY = Key("example.com", 443, True, True, None, None, None)

# (class, its exact __bases__), as in aiohttp's client_exceptions
BASES: list[tuple[type[BaseException], tuple[type[BaseException], ...]]] = [
    (ClientError, (Exception,)),
    (ClientResponseError, (ClientError,)),
    (ContentTypeError, (ClientResponseError,)),
    (WSServerHandshakeError, (ClientResponseError,)),
    (ClientHttpProxyError, (ClientResponseError,)),
    (TooManyRedirects, (ClientResponseError,)),
    (ClientConnectionError, (ClientError,)),
    (ClientConnectionResetError, (ClientConnectionError, ConnectionResetError)),
    (ClientOSError, (ClientConnectionError, OSError)),
    (ClientConnectorError, (ClientOSError,)),
    (ClientProxyConnectionError, (ClientConnectorError,)),
    (UnixClientConnectorError, (ClientConnectorError,)),
    (ClientSSLError, (ClientConnectorError,)),
    (ClientConnectorDNSError, (ClientConnectorError,)),
    (ClientConnectorSSLError, (ClientSSLError, ssl.SSLError)),
    (ClientConnectorCertificateError, (ClientSSLError, ssl.SSLCertVerificationError)),
    (ServerConnectionError, (ClientConnectionError,)),
    (ServerDisconnectedError, (ServerConnectionError,)),
    (ServerTimeoutError, (ServerConnectionError, asyncio.TimeoutError)),
    (ConnectionTimeoutError, (ServerTimeoutError,)),
    (SocketTimeoutError, (ServerTimeoutError,)),
    (ServerFingerprintMismatch, (ServerConnectionError,)),
    (ClientPayloadError, (ClientError,)),
    (InvalidURL, (ClientError, ValueError)),
    (InvalidUrlClientError, (InvalidURL,)),
    (RedirectClientError, (ClientError,)),
    (NonHttpUrlClientError, (ClientError,)),
    (InvalidUrlRedirectClientError, (InvalidUrlClientError, RedirectClientError)),
    (NonHttpUrlRedirectClientError, (NonHttpUrlClientError, RedirectClientError)),
]


@pytest.mark.parametrize(("cls", "bases"), BASES, ids=[c.__name__ for c, _ in BASES])
def test_bases(cls: type[BaseException], bases: tuple[type[BaseException], ...]) -> None:
    assert cls.__bases__ == bases


def test_all_lists_every_exception() -> None:
    exported = {getattr(exc_mod, name) for name in exc_mod.__all__}
    assert {cls for cls, _ in BASES} <= exported
    assert FingerprintMismatch is ServerFingerprintMismatch


def test_catching_as_the_reference_documents() -> None:
    cert_err = ClientConnectorCertificateError(KEY, ssl.SSLCertVerificationError("bad"))
    assert isinstance(cert_err, ssl.CertificateError)
    assert isinstance(cert_err, ssl.SSLError)
    ssl_err = ClientConnectorSSLError(KEY, ssl.SSLError(1, "handshake"))
    assert isinstance(ssl_err, ssl.SSLError)
    assert isinstance(ServerTimeoutError(), asyncio.TimeoutError)
    assert isinstance(ClientOSError(), OSError)
    assert isinstance(ClientConnectionResetError(), ConnectionResetError)


def _info() -> RequestInfo:
    headers = CIMultiDictProxy(CIMultiDict({"Accept": "*/*"}))
    return RequestInfo(URL("http://h/a"), "GET", headers, URL("http://h/orig"))


def _roundtrip(exc: BaseException) -> BaseException:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert repr(copy.args) == repr(exc.args)
    return copy


def test_request_info_defaults_and_pickles() -> None:
    info = RequestInfo(URL("http://h/"), "GET", CIMultiDictProxy(CIMultiDict()))
    assert info.real_url == info.url
    copy = pickle.loads(pickle.dumps(_info()))
    assert copy == _info()
    assert isinstance(copy.headers, CIMultiDictProxy)
    with pytest.raises(AttributeError):
        info.method = "POST"  # type: ignore[misc]


def test_response_error_attributes_and_pickle() -> None:
    headers = CIMultiDictProxy(CIMultiDict({"X": "1"}))
    err = ClientResponseError(_info(), (), status=404, message="Not Found", headers=headers)
    assert (err.status, err.message, err.history) == (404, "Not Found", ())
    assert str(err) == "404, message='Not Found', url='http://h/orig'"
    assert "status=404" in repr(err)
    copy = _roundtrip(err)
    assert isinstance(copy, ClientResponseError)
    assert (copy.status, copy.message, copy.request_info) == (404, "Not Found", _info())
    assert copy.headers == headers


def test_response_error_code_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="code"):
        err = ClientResponseError(None, (), code=500)
    assert err.status == 500
    with pytest.warns(DeprecationWarning):
        assert err.code == 500
    with pytest.warns(DeprecationWarning):
        err.code = 501
    assert err.status == 501
    with pytest.raises(ValueError, match="code"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ClientResponseError(None, (), code=500, status=400)


def test_connector_error() -> None:
    err = ClientConnectorError(KEY, ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert (err.host, err.port, err.ssl, err.errno) == ("example.com", 443, True, 111)
    assert isinstance(err.os_error, ConnectionRefusedError)
    assert str(err) == "Cannot connect to host example.com:443 ssl:default [refused]"
    copy = _roundtrip(err)
    assert isinstance(copy, ClientConnectorError)
    assert copy.host == "example.com" and copy.errno == err.errno


def test_connector_error_with_ssl_context_pickles() -> None:
    key = KEY._replace(ssl=ssl.create_default_context())
    err = ClientConnectorDNSError(key, OSError(-2, "Name or service not known"))
    copy = pickle.loads(pickle.dumps(err))
    assert isinstance(copy, ClientConnectorDNSError)
    assert copy.host == "example.com"


def test_unix_connector_error() -> None:
    err = UnixClientConnectorError("/tmp/x.sock", KEY, FileNotFoundError(2, "missing"))
    assert err.path == "/tmp/x.sock"
    assert str(err).startswith("Cannot connect to unix socket /tmp/x.sock")
    assert _roundtrip(err).path == "/tmp/x.sock"  # type: ignore[attr-defined]


def test_certificate_error() -> None:
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    err = ClientConnectorCertificateError(KEY, cause)
    assert err.certificate_error is cause
    assert (err.host, err.port, err.ssl) == ("example.com", 443, True)
    assert "SSLCertVerificationError" in str(err)
    copy = _roundtrip(err)
    assert isinstance(copy, ClientConnectorCertificateError)
    assert copy.host == "example.com"


def test_ssl_error_pickles() -> None:
    _roundtrip(ClientConnectorSSLError(KEY, ssl.SSLError(1, "wrong version")))


def test_server_disconnected() -> None:
    assert ServerDisconnectedError().message == "Server disconnected"
    err = ServerDisconnectedError("half a head")
    assert err.message == "half a head" and err.args == ("half a head",)
    assert _roundtrip(err).message == "half a head"  # type: ignore[attr-defined]


def test_fingerprint_mismatch() -> None:
    err = ServerFingerprintMismatch(b"a" * 32, b"b" * 32, "h", 443)
    assert (err.expected, err.got, err.host, err.port) == (b"a" * 32, b"b" * 32, "h", 443)
    assert "expected=" in repr(err)
    copy = _roundtrip(err)
    assert copy.got == b"b" * 32  # type: ignore[attr-defined]


def test_invalid_url() -> None:
    err = InvalidURL(URL("http:///x"), "no host")
    assert err.url == URL("http:///x") and err.description == "no host"
    assert str(err) == "http:///x - no host"
    assert str(InvalidURL("bad")) == "bad"
    assert isinstance(err, ValueError)
    copy = _roundtrip(err)
    assert copy.url == URL("http:///x")  # type: ignore[attr-defined]
    _roundtrip(InvalidUrlRedirectClientError("ftp://x", "redirect to it"))


@pytest.mark.parametrize(
    "exc",
    [
        ClientPayloadError("Response payload is not completed"),
        SocketTimeoutError("Timeout on reading data from socket"),
        ConnectionTimeoutError("Connection timeout to host http://h"),
        ClientOSError(errno.ECONNRESET, "reset"),
        ClientConnectionResetError("Cannot write to closing transport"),
        TooManyRedirects(_info(), (), status=302, message="Found"),
        ContentTypeError(_info(), (), message="Attempt to decode JSON"),
        NonHttpUrlClientError("ftp://h"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_simple_exceptions_pickle(exc: BaseException) -> None:
    _roundtrip(exc)


def test_fast_request_info_is_a_request_info() -> None:
    from toolkit.client.exceptions import _make_request_info

    info = _info()
    fast = _make_request_info(info.url, info.method, info.headers, info.real_url)
    assert type(fast) is RequestInfo
    assert fast == info
    assert repr(fast) == repr(info)
    assert pickle.loads(pickle.dumps(fast)) == info
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.method = "POST"  # type: ignore[misc]
