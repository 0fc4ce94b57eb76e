"""TLS settings: Fingerprint validation and checks, ssl= normalisation, default contexts."""

from __future__ import annotations

import hashlib
import pickle
import ssl
import warnings
from typing import Any

import pytest

from toolkit.client.exceptions import ServerFingerprintMismatch
from toolkit.client.tls import (
    Fingerprint,
    default_ssl_context,
    fingerprint_for,
    merge_ssl_params,
    resolve_ssl_context,
    unverified_ssl_context,
)


@pytest.mark.parametrize(("length", "name"), [(16, "MD5"), (20, "SHA-1")])
def test_insecure_digests_are_refused(length: int, name: str) -> None:
    with pytest.raises(ValueError, match=f"{name}.*insecure.*SHA-256"):
        Fingerprint(b"\x00" * length)


def test_fingerprint_validation() -> None:
    with pytest.raises(ValueError, match="invalid length 31"):
        Fingerprint(b"\x00" * 31)
    with pytest.raises(TypeError, match="bytes"):
        Fingerprint("00" * 32)  # type: ignore[arg-type]
    fp = Fingerprint(bytearray(32))
    assert fp.fingerprint == b"\x00" * 32
    assert fp == Fingerprint(b"\x00" * 32) and hash(fp) == hash(Fingerprint(b"\x00" * 32))
    assert pickle.loads(pickle.dumps(fp)) == fp


class _FakeSSLObject:
    def __init__(self, der: bytes) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False) -> bytes:
        assert binary_form
        return self.der


class _FakeTransport:
    def __init__(self, der: bytes | None) -> None:
        self.extra: dict[str, Any] = {"peername": ("10.0.0.1", 8443)}
        if der is not None:
            self.extra["ssl_object"] = _FakeSSLObject(der)
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)

    def abort(self) -> None:
        self.closed = True


def test_fingerprint_check() -> None:
    der = b"certificate bytes"
    digest = hashlib.sha256(der).digest()
    ok = _FakeTransport(der)
    Fingerprint(digest).check(ok)  # type: ignore[arg-type]
    assert not ok.closed
    Fingerprint(b"\x00" * 32).check(_FakeTransport(None))  # type: ignore[arg-type]
    bad = _FakeTransport(der)
    with pytest.raises(ServerFingerprintMismatch) as info:
        Fingerprint(b"\x00" * 32).check(bad)  # type: ignore[arg-type]
    assert bad.closed
    assert (info.value.got, info.value.host, info.value.port) == (digest, "10.0.0.1", 8443)


def test_merge_ssl_params_plain() -> None:
    ctx = ssl.create_default_context()
    fp = Fingerprint(b"\x01" * 32)
    assert merge_ssl_params(None) is True
    assert merge_ssl_params(True, True) is True  # verify_ssl=True is the silent default
    assert merge_ssl_params(False) is False
    assert merge_ssl_params(ctx) is ctx
    assert merge_ssl_params(fp) is fp
    with pytest.raises(TypeError, match="ssl should be"):
        merge_ssl_params("yes")


def test_merge_ssl_params_deprecated_names() -> None:
    ctx = ssl.create_default_context()
    with pytest.warns(DeprecationWarning, match="verify_ssl"):
        assert merge_ssl_params(True, False) is False
    with pytest.warns(DeprecationWarning, match="ssl_context"):
        assert merge_ssl_params(True, None, ctx) is ctx
    with pytest.warns(DeprecationWarning, match="fingerprint"):
        assert merge_ssl_params(True, None, None, b"\x02" * 32) == Fingerprint(b"\x02" * 32)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ssl": False, "verify_ssl": False},
        {"ssl": False, "ssl_context": ssl.create_default_context()},
        {"verify_ssl": False, "ssl_context": ssl.create_default_context()},
        {"ssl_context": ssl.create_default_context(), "fingerprint": b"\x00" * 32},
    ],
)
def test_merge_ssl_params_mutually_exclusive(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="mutually exclusive"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        merge_ssl_params(**kwargs)


def test_default_contexts() -> None:
    verified = default_ssl_context()
    assert verified is default_ssl_context()
    assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname
    unverified = unverified_ssl_context()
    assert unverified is unverified_ssl_context()
    assert unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname


def test_resolve_ssl_context_and_pin() -> None:
    ctx = ssl.create_default_context()
    fp = Fingerprint(b"\x03" * 32)
    assert resolve_ssl_context(True, True) is default_ssl_context()
    assert resolve_ssl_context(True, False) is unverified_ssl_context()
    assert resolve_ssl_context(True, ctx) is ctx
    assert resolve_ssl_context(ctx, False) is ctx  # the request's own setting wins
    assert resolve_ssl_context(fp, True) is unverified_ssl_context()
    assert fingerprint_for(fp, True) is fp
    assert fingerprint_for(True, fp) is fp
    assert fingerprint_for(False, fp) is None
