"""TLS settings of the client: the ``ssl=`` argument, certificate pinning, default contexts.

``ssl`` takes ``True`` (verify, the default), ``False`` (do not verify), an
``ssl.SSLContext``, or a :class:`Fingerprint` (pin the server certificate's SHA-256 and
skip CA verification). The 2.x arguments ``verify_ssl``, ``ssl_context`` and
``fingerprint`` still work with a ``DeprecationWarning`` and are mutually exclusive with
each other and with a non-default ``ssl``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ssl as _ssl
import warnings
from typing import Any, Union

from .exceptions import ServerFingerprintMismatch

__all__ = (
    "Fingerprint",
    "SSLSetting",
    "merge_ssl_params",
    "default_ssl_context",
    "unverified_ssl_context",
    "resolve_ssl_context",
)

#: What an ``ssl=`` argument may be once normalised.
SSLSetting = Union[bool, _ssl.SSLContext, "Fingerprint"]

_INSECURE_DIGEST_LENGTHS = {16: "MD5", 20: "SHA-1"}


class Fingerprint:
    """A pinned server certificate: the SHA-256 digest of its DER encoding."""

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        if not isinstance(fingerprint, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"fingerprint must be the bytes of a SHA-256 digest, "
                f"got {type(fingerprint).__name__}"
            )
        digest = bytes(fingerprint)
        length = len(digest)
        if length in _INSECURE_DIGEST_LENGTHS:
            raise ValueError(
                f"a {length}-byte fingerprint looks like {_INSECURE_DIGEST_LENGTHS[length]}, "
                f"which is insecure and not supported: pin the SHA-256 digest (32 bytes)"
            )
        if length != 32:
            raise ValueError(
                f"fingerprint has invalid length {length}: a SHA-256 digest is 32 bytes"
            )
        self._fingerprint = digest

    @property
    def fingerprint(self) -> bytes:
        """The expected SHA-256 digest."""
        return self._fingerprint

    def check(self, transport: asyncio.BaseTransport) -> None:
        """Compare the peer certificate of ``transport`` with the pin.

        Closes the transport and raises :class:`ServerFingerprintMismatch` when it differs;
        does nothing for a transport that is not TLS.
        """
        sslobj = transport.get_extra_info("ssl_object")
        if sslobj is None:
            return
        cert = sslobj.getpeercert(binary_form=True)
        got = hashlib.sha256(cert or b"").digest()
        if got != self._fingerprint:
            peer = transport.get_extra_info("peername") or ("", 0)
            host, port = (peer[0], peer[1]) if isinstance(peer, tuple) else (str(peer), 0)
            abort = getattr(transport, "abort", None)
            (abort or transport.close)()  # no TLS goodbye to a server we do not trust
            raise ServerFingerprintMismatch(self._fingerprint, got, host, port)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and other._fingerprint == self._fingerprint

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        return f"Fingerprint({self._fingerprint!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Fingerprint, (self._fingerprint,))


_EXCLUSIVE = "verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive"


def merge_ssl_params(
    ssl: Any = True,
    verify_ssl: bool | None = None,
    ssl_context: _ssl.SSLContext | None = None,
    fingerprint: bytes | None = None,
    *,
    stacklevel: int = 3,
) -> SSLSetting:
    """Normalise ``ssl`` and the deprecated 2.x TLS arguments into one setting.

    ``ssl=None`` means the default (``True``). Raises ``ValueError`` when more than one
    way of saying it is used and ``TypeError`` for an ``ssl`` of the wrong type.
    """
    if ssl is None:
        ssl = True
    if verify_ssl is not None and not verify_ssl:
        warnings.warn(
            "verify_ssl is deprecated, use ssl=False instead",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        if ssl is not True:
            raise ValueError(_EXCLUSIVE)
        ssl = False
    if ssl_context is not None:
        warnings.warn(
            "ssl_context is deprecated, use ssl=context instead",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        if ssl is not True:
            raise ValueError(_EXCLUSIVE)
        ssl = ssl_context
    if fingerprint is not None:
        warnings.warn(
            "fingerprint is deprecated, use ssl=Fingerprint(fingerprint) instead",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        if ssl is not True:
            raise ValueError(_EXCLUSIVE)
        ssl = Fingerprint(fingerprint)
    if not isinstance(ssl, (bool, _ssl.SSLContext, Fingerprint)):
        raise TypeError(f"ssl should be SSLContext, Fingerprint, or bool, got {ssl!r} instead.")
    return ssl


@functools.cache
def default_ssl_context() -> _ssl.SSLContext:
    """The shared verifying context (system CA store, hostname checks)."""
    ctx = _ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@functools.cache
def unverified_ssl_context() -> _ssl.SSLContext:
    """The shared context that accepts any certificate (``ssl=False`` and pinning)."""
    ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = _ssl.CERT_NONE
    ctx.options |= _ssl.OP_NO_COMPRESSION
    ctx.set_default_verify_paths()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def resolve_ssl_context(request_ssl: SSLSetting, connector_ssl: SSLSetting) -> _ssl.SSLContext:
    """The context to use: the request's setting wins unless it is the default ``True``."""
    setting = request_ssl if request_ssl is not True else connector_ssl
    if isinstance(setting, _ssl.SSLContext):
        return setting
    if setting is True:
        return default_ssl_context()
    return unverified_ssl_context()  # False, or a Fingerprint (pinning replaces CA checks)


def fingerprint_for(request_ssl: SSLSetting, connector_ssl: SSLSetting) -> Fingerprint | None:
    """The pin that applies to a request, if any."""
    if isinstance(request_ssl, Fingerprint):
        return request_ssl
    if request_ssl is True and isinstance(connector_ssl, Fingerprint):
        return connector_ssl
    return None
