"""HTTP Basic authentication credentials and ``.netrc`` lookup."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from yarl import URL

if TYPE_CHECKING:
    import netrc  # loaded by netrc_from_env(): most sessions never read a .netrc

__all__ = (
    "BasicAuth",
    "basicauth_from_netrc",
    "netrc_from_env",
    "strip_auth_from_url",
)

client_logger = logging.getLogger("toolkit.client")


class _BasicAuthFields(NamedTuple):
    login: str
    password: str
    encoding: str


class BasicAuth(_BasicAuthFields):
    """Credentials for HTTP Basic authentication (RFC 7617)."""

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError(f'A ":" is not allowed in login (RFC 1945#section-11.1): {login!r}')
        return super().__new__(cls, login, password, encoding)

    @classmethod
    def decode(cls, auth_header: str, encoding: str = "latin1") -> BasicAuth:
        """Build credentials from the value of an ``Authorization: Basic ...`` header."""
        try:
            auth_type, encoded = auth_header.split(" ", 1)
        except ValueError:
            raise ValueError(f"Could not parse authorization header {auth_header!r}") from None
        if auth_type.lower() != "basic":
            raise ValueError(f"Unknown authorization method {auth_type!r}")
        try:
            decoded = base64.b64decode(encoded.strip().encode("ascii"), validate=True).decode(
                encoding
            )
        except (binascii.Error, UnicodeError):
            raise ValueError(
                f"Invalid base64 encoding in authorization header: {encoded!r}"
            ) from None
        username, sep, password = decoded.partition(":")
        return cls(username, password if sep else "", encoding=encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """Return the credentials embedded in ``url``, or None when there are none."""
        if not isinstance(url, URL):
            raise TypeError(f"url should be yarl.URL instance, got {type(url).__name__}")
        if url.raw_user is None and url.raw_password is None:
            return None
        return cls(url.user or "", url.password or "", encoding=encoding)

    def encode(self) -> str:
        """Return the value for an ``Authorization`` header."""
        try:
            creds = f"{self.login}:{self.password}".encode(self.encoding)
        except UnicodeEncodeError as exc:
            # (Still a UnicodeEncodeError, as in aiohttp, but saying what was wrong.)
            reason = f"{exc.reason}: BasicAuth login or password not encodable"
            raise UnicodeEncodeError(exc.encoding, exc.object, exc.start, exc.end, reason) from None
        return "Basic " + base64.b64encode(creds).decode("ascii")


def strip_auth_from_url(url: URL) -> tuple[URL, BasicAuth | None]:
    """Split ``url`` into the URL without credentials and the credentials."""
    auth = BasicAuth.from_url(url)
    if auth is None:
        return url, None
    return url.with_user(None), auth


def netrc_from_env() -> netrc.netrc | None:
    """Load the ``.netrc`` file named by ``$NETRC``, or ``~/.netrc`` (``~/_netrc`` on Windows).

    Returns None when there is no such file or it cannot be parsed (a warning is logged
    when the file was named explicitly or exists but is broken).
    """
    import netrc

    netrc_env = os.environ.get("NETRC")
    if netrc_env is not None:
        netrc_path = Path(netrc_env)
    else:
        try:
            home_dir = Path.home()
        except RuntimeError as exc:
            client_logger.debug("Could not resolve home directory for .netrc lookup: %s", exc)
            return None
        name = "_netrc" if sys.platform == "win32" else ".netrc"
        netrc_path = home_dir / name
    try:
        return netrc.netrc(str(netrc_path))
    except netrc.NetrcParseError as exc:
        client_logger.warning("Could not parse .netrc file %s: %s", netrc_path, exc)
    except OSError as exc:
        if netrc_env is not None or netrc_path.is_file():
            client_logger.warning("Could not read .netrc file %s: %s", netrc_path, exc)
    return None


def basicauth_from_netrc(netrc_obj: netrc.netrc | None, host: str) -> BasicAuth:
    """Return the credentials for ``host`` from a parsed ``.netrc``.

    Raises :class:`LookupError` when there is no file or no entry for the host.
    """
    if netrc_obj is None:
        raise LookupError("No .netrc file found")
    entry = netrc_obj.authenticators(host)
    if entry is None:
        raise LookupError(f"No entry for {host!s} found in the .netrc file")
    login, account, password = entry
    username = login if (login or account is None) else account
    return BasicAuth(username or "", password or "")
