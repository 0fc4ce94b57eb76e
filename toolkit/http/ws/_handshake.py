"""The opening handshake (RFC 6455 §4), without I/O: headers in, decisions out."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from multidict import CIMultiDict

from ._deflate import DeflateOffer, DeflateParams, negotiate_deflate, parse_extensions
from ._models import WSHandshakeError

__all__ = [
    "WS_KEY",
    "WS_VERSION",
    "ws_accept_key",
    "make_client_key",
    "build_client_request_headers",
    "ServerHandshake",
    "validate_client_request",
    "ClientHandshake",
    "validate_server_response",
]

#: Optional whitespace around field values and list elements (RFC 9110 5.6.3); str.strip()
#: would also take control characters and Unicode spaces.
_OWS = " \t"

#: The GUID appended to the key before hashing (RFC 6455 §1.3).
WS_KEY = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: The only protocol version this implementation speaks.
WS_VERSION = "13"

Headers = Mapping[str, str]


def ws_accept_key(key: str | bytes) -> str:
    """The ``Sec-WebSocket-Accept`` value for a ``Sec-WebSocket-Key``."""
    raw = key.encode("ascii") if isinstance(key, str) else key
    return base64.b64encode(hashlib.sha1(raw + WS_KEY).digest()).decode("ascii")


def make_client_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: 16 random bytes, base64-encoded."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def _values(headers: Headers, name: str) -> list[str]:
    """Every value of the field ``name`` (multidicts may repeat a field)."""
    getall = getattr(headers, "getall", None)
    if getall is not None:
        return list(getall(name, []))
    value = headers.get(name)
    return [] if value is None else [value]


def _tokens(headers: Headers, name: str) -> list[str]:
    """Comma-separated tokens of every ``name`` field, lower-cased."""
    return [
        t.strip(_OWS).lower() for v in _values(headers, name) for t in v.split(",") if t.strip(_OWS)
    ]


def _protocol_list(headers: Headers) -> list[str]:
    return [
        p.strip(_OWS)
        for v in _values(headers, "Sec-WebSocket-Protocol")
        for p in v.split(",")
        if p.strip(_OWS)
    ]


def build_client_request_headers(
    key: str,
    *,
    protocols: Iterable[str] = (),
    origin: str | None = None,
    compress: int = 0,
    notakeover: bool = False,
    deflate_offer: DeflateOffer | None = None,
) -> CIMultiDict[str]:
    """The headers a client adds to its ``GET`` to ask for a WebSocket.

    ``compress`` is aiohttp's argument: 0 leaves compression off, 9-15 offers
    permessage-deflate with that window (see :meth:`DeflateOffer.from_compress`);
    ``deflate_offer`` spells the offer out instead.
    """
    headers: CIMultiDict[str] = CIMultiDict()
    headers["Upgrade"] = "websocket"
    headers["Connection"] = "Upgrade"
    headers["Sec-WebSocket-Version"] = WS_VERSION
    headers["Sec-WebSocket-Key"] = key
    protocols = list(protocols)
    if protocols:
        headers["Sec-WebSocket-Protocol"] = ",".join(protocols)
    if origin is not None:
        headers["Origin"] = origin
    if deflate_offer is None and compress:
        deflate_offer = DeflateOffer.from_compress(compress, notakeover=notakeover)
    if deflate_offer is not None:
        headers["Sec-WebSocket-Extensions"] = deflate_offer.to_header()
    return headers


class ServerHandshake(NamedTuple):
    """A valid upgrade request: what to answer and what was agreed."""

    headers: CIMultiDict[str]  # for the 101 response
    protocol: str | None
    deflate: DeflateParams | None


def validate_client_request(
    method: str,
    version: tuple[int, int],
    headers: Headers,
    *,
    protocols: Iterable[str] = (),
    compress: bool = True,
    max_window_bits: int = 15,
    no_context_takeover: bool = False,
) -> ServerHandshake:
    """Check an upgrade request on the server side (RFC 6455 §4.2.1).

    Returns the ``101`` response headers, the chosen subprotocol (the first
    of the client's list that is in ``protocols``; ``None`` when they do not
    overlap) and the negotiated permessage-deflate parameters (``compress``
    turns the extension on). Raises :class:`WSHandshakeError` naming what is
    wrong, with the status and headers of the error response to send.
    """
    if method.upper() != "GET":
        raise WSHandshakeError(
            f"WebSocket upgrade needs the GET method, got {method!r}", 405, (("Allow", "GET"),)
        )
    if tuple(version) < (1, 1):
        raise WSHandshakeError(
            f"WebSocket upgrade needs HTTP/1.1 or later, got HTTP/{version[0]}.{version[1]}"
        )
    if "websocket" not in _tokens(headers, "Upgrade"):
        raise WSHandshakeError(
            f"no websocket token in the Upgrade header: {headers.get('Upgrade')!r}"
        )
    if "upgrade" not in _tokens(headers, "Connection"):
        raise WSHandshakeError(
            f"no upgrade token in the Connection header: {headers.get('Connection')!r}"
        )
    ws_version = headers.get("Sec-WebSocket-Version")
    if ws_version is None or ws_version.strip(_OWS) != WS_VERSION:
        raise WSHandshakeError(
            f"unsupported Sec-WebSocket-Version {ws_version!r}, only {WS_VERSION} is supported",
            400,
            (("Sec-WebSocket-Version", WS_VERSION),),
        )
    keys = _values(headers, "Sec-WebSocket-Key")
    if len(keys) != 1:
        raise WSHandshakeError(
            "missing Sec-WebSocket-Key header" if not keys else "more than one Sec-WebSocket-Key"
        )
    key = keys[0].strip(_OWS)
    try:
        decoded = base64.b64decode(key, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        decoded = b""
    if len(decoded) != 16:
        raise WSHandshakeError(f"Sec-WebSocket-Key is not 16 base64-encoded bytes: {key!r}")

    response: CIMultiDict[str] = CIMultiDict()
    response["Upgrade"] = "websocket"
    response["Connection"] = "upgrade"
    response["Sec-WebSocket-Accept"] = ws_accept_key(key)

    protocol = None
    known = set(protocols)
    for candidate in _protocol_list(headers):
        if candidate in known:
            protocol = candidate
            response["Sec-WebSocket-Protocol"] = candidate
            break

    deflate = None
    if compress:
        try:
            negotiated = negotiate_deflate(
                ", ".join(_values(headers, "Sec-WebSocket-Extensions")),
                max_window_bits=max_window_bits,
                no_context_takeover=no_context_takeover,
            )
        except ValueError as exc:
            raise WSHandshakeError(f"invalid Sec-WebSocket-Extensions header: {exc}") from exc
        if negotiated is not None:
            deflate, response["Sec-WebSocket-Extensions"] = negotiated
    return ServerHandshake(response, protocol, deflate)


class ClientHandshake(NamedTuple):
    """A valid ``101`` response: what the server agreed to."""

    protocol: str | None
    deflate: DeflateParams | None


def validate_server_response(
    status: int,
    headers: Headers,
    *,
    key: str,
    protocols: Iterable[str] = (),
    deflate_offer: DeflateOffer | None = None,
) -> ClientHandshake:
    """Check the server's answer on the client side (RFC 6455 §4.1).

    Raises :class:`WSHandshakeError` (with ``status`` set to the received
    status) naming the first thing that is wrong.
    """
    if status != 101:
        raise WSHandshakeError(f"invalid response status {status}, expected 101", status)
    if "websocket" not in _tokens(headers, "Upgrade"):
        raise WSHandshakeError(f"invalid Upgrade header: {headers.get('Upgrade')!r}", status)
    if "upgrade" not in _tokens(headers, "Connection"):
        raise WSHandshakeError(f"invalid Connection header: {headers.get('Connection')!r}", status)
    accept = headers.get("Sec-WebSocket-Accept")
    if accept is None or accept.strip(_OWS) != ws_accept_key(key):
        raise WSHandshakeError(f"invalid Sec-WebSocket-Accept (challenge) {accept!r}", status)

    protocol = None
    chosen = _protocol_list(headers)
    if chosen:
        if len(chosen) > 1 or chosen[0] not in set(protocols):
            raise WSHandshakeError(
                f"server chose Sec-WebSocket-Protocol {', '.join(chosen)!r}, "
                f"which the client did not offer",
                status,
            )
        protocol = chosen[0]

    deflate = None
    ext_values = _values(headers, "Sec-WebSocket-Extensions")
    ext_value = ", ".join(ext_values)
    if ext_value.strip(_OWS):
        if deflate_offer is None:
            try:
                names = ", ".join(name for name, _ in parse_extensions(ext_value))
            except ValueError:
                names = ext_value
            raise WSHandshakeError(
                f"server enabled extensions the client did not offer: {names}", status
            )
        deflate = deflate_offer.accept_response(ext_value)
    return ClientHandshake(protocol, deflate)
