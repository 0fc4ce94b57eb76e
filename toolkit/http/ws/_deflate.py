"""permessage-deflate (RFC 7692): negotiation and the per-message codecs."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from ._models import WSHandshakeError

__all__ = [
    "PERMESSAGE_DEFLATE",
    "ExtensionOffer",
    "parse_extensions",
    "DeflateOffer",
    "DeflateParams",
    "negotiate_deflate",
    "DeflateCompressor",
    "DeflateDecompressor",
]

PERMESSAGE_DEFLATE = "permessage-deflate"
_TAIL = b"\x00\x00\xff\xff"
_MIN_BITS, _MAX_BITS = 9, 15  # zlib cannot do raw deflate with 8 bits

#: One element of a ``Sec-WebSocket-Extensions`` header: name and parameters.
ExtensionOffer = tuple[str, list[tuple[str, "str | None"]]]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
#: Optional whitespace: spaces and tabs (\s and str.strip() also take control characters).
_OWS = " \t"
_PARAM_RE = re.compile(rf'[ \t]*({_TOKEN})[ \t]*(?:=[ \t]*(?:({_TOKEN})|"([^"\\]*)"))?[ \t]*')


def parse_extensions(value: str) -> list[ExtensionOffer]:
    """Parse a ``Sec-WebSocket-Extensions`` value (RFC 6455 §9.1).

    ``"a; x=1, b"`` gives ``[("a", [("x", "1")]), ("b", [])]``. Names are
    lower-cased; a parameter without a value maps to ``None``. Raises
    ``ValueError`` naming the offending element on bad syntax.
    """
    result: list[ExtensionOffer] = []
    for element in value.split(","):
        if not element.strip(_OWS):
            continue  # tolerate empty list elements (RFC 9110 §5.6.1)
        parts = element.split(";")
        name = parts[0].strip(_OWS).lower()
        if not re.fullmatch(_TOKEN, name):
            raise ValueError(f"invalid extension name {parts[0].strip(_OWS)!r} in {value!r}")
        params: list[tuple[str, str | None]] = []
        for raw in parts[1:]:
            match = _PARAM_RE.fullmatch(raw)
            if match is None:
                raise ValueError(f"invalid extension parameter {raw.strip(_OWS)!r} in {value!r}")
            pvalue = match.group(2) if match.group(2) is not None else match.group(3)
            params.append((match.group(1).lower(), pvalue))
        result.append((name, params))
    return result


def _bits(name: str, value: str | None) -> int:
    if (
        value is None
        or not (value.isascii() and value.isdigit())
        or len(value) > 2
        or value.startswith("0")
    ):
        raise ValueError(f"{name} needs a value from 9 to 15, got {value!r}")
    bits = int(value)
    if not _MIN_BITS <= bits <= _MAX_BITS:
        raise ValueError(f"{name} needs a value from 9 to 15, got {value!r}")
    return bits


def _check_bits(name: str, bits: int) -> None:
    if not _MIN_BITS <= bits <= _MAX_BITS:
        raise ValueError(f"{name} must be from 9 to 15, got {bits!r}")


def _params_dict(params: list[tuple[str, str | None]]) -> dict[str, str | None]:
    known = {
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
    }
    seen: dict[str, str | None] = {}
    for name, value in params:
        if name not in known:
            raise ValueError(f"unknown permessage-deflate parameter {name!r}")
        if name in seen:
            raise ValueError(f"permessage-deflate parameter {name!r} given twice")
        if name.endswith("takeover") and value is not None:
            raise ValueError(f"permessage-deflate parameter {name!r} takes no value")
        seen[name] = value
    return seen


@dataclass(frozen=True)
class DeflateParams:
    """The permessage-deflate parameters both sides agreed on."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = _MAX_BITS
    client_max_window_bits: int = _MAX_BITS

    def __post_init__(self) -> None:
        _check_bits("server_max_window_bits", self.server_max_window_bits)
        _check_bits("client_max_window_bits", self.client_max_window_bits)

    def to_header(self) -> str:
        """The ``Sec-WebSocket-Extensions`` value a server answers with."""
        parts = [PERMESSAGE_DEFLATE]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits != _MAX_BITS:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits != _MAX_BITS:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)

    def compressor(
        self, is_client: bool, level: int = zlib.Z_DEFAULT_COMPRESSION
    ) -> DeflateCompressor:
        """The compressor for what the given side sends."""
        if is_client:
            return DeflateCompressor(
                self.client_max_window_bits, self.client_no_context_takeover, level
            )
        return DeflateCompressor(
            self.server_max_window_bits, self.server_no_context_takeover, level
        )

    def decompressor(self, is_client: bool) -> DeflateDecompressor:
        """The decompressor for what the given side receives."""
        if is_client:
            return DeflateDecompressor(self.server_no_context_takeover)
        return DeflateDecompressor(self.client_no_context_takeover)


@dataclass(frozen=True)
class DeflateOffer:
    """What a client offers in ``Sec-WebSocket-Extensions``.

    ``client_max_window_bits`` is ``True`` to send the parameter without a
    value (the server may then pick our window), ``False`` to leave it out.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | bool = True

    def __post_init__(self) -> None:
        if self.server_max_window_bits is not None:
            _check_bits("server_max_window_bits", self.server_max_window_bits)
        if not isinstance(self.client_max_window_bits, bool):
            _check_bits("client_max_window_bits", self.client_max_window_bits)

    @classmethod
    def from_compress(cls, compress: int, *, notakeover: bool = False) -> DeflateOffer:
        """The offer for aiohttp's ``compress`` argument (9-15: window bits).

        Like aiohttp, a value below 15 asks the server for that window.
        """
        _check_bits("compress", compress)
        return cls(
            server_no_context_takeover=notakeover,
            server_max_window_bits=compress if compress < _MAX_BITS else None,
        )

    def to_header(self) -> str:
        """The header value for the request."""
        parts = [PERMESSAGE_DEFLATE]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits is not None:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits is True:
            parts.append("client_max_window_bits")
        elif self.client_max_window_bits is not False:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)

    def accept_response(self, value: str) -> DeflateParams:
        """Check a server's ``Sec-WebSocket-Extensions`` answer against this offer.

        Returns the agreed parameters; raises ``WSHandshakeError`` (status 101)
        naming what the server got wrong (RFC 7692 §5.1 and §7.1).
        """
        try:
            elements = parse_extensions(value)
            if len(elements) != 1 or elements[0][0] != PERMESSAGE_DEFLATE:
                names = ", ".join(name for name, _ in elements) or "none"
                raise ValueError(f"expected one permessage-deflate extension, got {names}")
            params = _params_dict(elements[0][1])
            server_bits = _MAX_BITS
            if "server_max_window_bits" in params:
                server_bits = _bits("server_max_window_bits", params["server_max_window_bits"])
                limit = self.server_max_window_bits
                if limit is not None and server_bits > limit:
                    raise ValueError(
                        f"server_max_window_bits={server_bits} exceeds the offered {limit}"
                    )
            elif self.server_max_window_bits is not None:
                raise ValueError("server_max_window_bits was offered but not answered")
            client_bits = _MAX_BITS
            if "client_max_window_bits" in params:
                if self.client_max_window_bits is False:
                    raise ValueError("client_max_window_bits was answered but not offered")
                client_bits = _bits("client_max_window_bits", params["client_max_window_bits"])
                offered = self.client_max_window_bits
                if offered is not True and client_bits > offered:
                    raise ValueError(
                        f"client_max_window_bits={client_bits} exceeds the offered {offered}"
                    )
            elif not isinstance(self.client_max_window_bits, bool):
                client_bits = self.client_max_window_bits
            server_nct = "server_no_context_takeover" in params
            if self.server_no_context_takeover and not server_nct:
                raise ValueError("server_no_context_takeover was offered but not answered")
            client_nct = "client_no_context_takeover" in params or self.client_no_context_takeover
            return DeflateParams(server_nct, client_nct, server_bits, client_bits)
        except ValueError as exc:
            raise WSHandshakeError(
                f"invalid Sec-WebSocket-Extensions in the response: {exc}", 101
            ) from exc


def _accept_offer(
    params: dict[str, str | None], max_window_bits: int, no_context_takeover: bool
) -> tuple[DeflateParams, str]:
    server_bits = max_window_bits
    if "server_max_window_bits" in params:
        server_bits = min(
            server_bits, _bits("server_max_window_bits", params["server_max_window_bits"])
        )
    client_bits = _MAX_BITS
    if "client_max_window_bits" in params and params["client_max_window_bits"] is not None:
        client_bits = _bits("client_max_window_bits", params["client_max_window_bits"])
    agreed = DeflateParams(
        server_no_context_takeover=no_context_takeover or "server_no_context_takeover" in params,
        client_no_context_takeover="client_no_context_takeover" in params,
        server_max_window_bits=server_bits,
        client_max_window_bits=client_bits,
    )
    header = agreed.to_header()
    if "server_max_window_bits" in params and server_bits == _MAX_BITS:
        # an offered server_max_window_bits must be answered, even when it is 15
        header += f"; server_max_window_bits={_MAX_BITS}"
    return agreed, header


def negotiate_deflate(
    value: str | None, *, max_window_bits: int = _MAX_BITS, no_context_takeover: bool = False
) -> tuple[DeflateParams, str] | None:
    """Accept the first acceptable permessage-deflate offer in a request header.

    Returns the agreed parameters and the ``Sec-WebSocket-Extensions`` value
    to answer with, or ``None`` for no compression. Offers with unknown,
    repeated or out-of-range parameters are declined and the next one is tried
    (RFC 7692 §5.1). ``max_window_bits`` caps the window of our (server)
    compressor and ``no_context_takeover`` makes us reset it after every
    message. Raises ``ValueError`` when the header itself cannot be parsed.
    """
    _check_bits("max_window_bits", max_window_bits)
    if not value:
        return None
    for name, params in parse_extensions(value):
        if name != PERMESSAGE_DEFLATE:
            continue
        try:
            return _accept_offer(_params_dict(params), max_window_bits, no_context_takeover)
        except ValueError:
            continue
    return None


class DeflateCompressor:
    """Compress whole messages for one sending direction."""

    __slots__ = ("_level", "_no_context_takeover", "_window_bits", "_zobj")

    def __init__(
        self,
        window_bits: int = _MAX_BITS,
        no_context_takeover: bool = False,
        level: int = zlib.Z_DEFAULT_COMPRESSION,
    ) -> None:
        _check_bits("window_bits", window_bits)
        self._window_bits = window_bits
        self._no_context_takeover = no_context_takeover
        self._level = level
        self._zobj = self._new()

    @property
    def window_bits(self) -> int:
        """The LZ77 window, in bits."""
        return self._window_bits

    def _new(self) -> zlib._Compress:
        return zlib.compressobj(self._level, zlib.DEFLATED, -self._window_bits)

    def compress(self, data: bytes | bytearray | memoryview) -> bytes:
        """Compress one message and strip the final empty block (RFC 7692 §7.2.1)."""
        out = self._zobj.compress(data) + self._zobj.flush(zlib.Z_SYNC_FLUSH)
        if self._no_context_takeover:
            self._zobj = self._new()
        if out.endswith(_TAIL):
            out = out[:-4]
        return out or b"\x00"


class DeflateDecompressor:
    """Decompress messages for one receiving direction, with an output bound."""

    __slots__ = ("_no_context_takeover", "_zobj")

    def __init__(self, no_context_takeover: bool = False) -> None:
        self._no_context_takeover = no_context_takeover
        # a 15-bit window reads data compressed with any smaller window
        self._zobj = zlib.decompressobj(-_MAX_BITS)

    def decompress(self, data: bytes, limit: int | None = None) -> tuple[bytes, bool]:
        """Inflate part of a message; returns ``(output, exceeded)``.

        At most ``limit`` bytes come out (``None``: no bound); ``exceeded`` tells that
        the data inflates to more than that. Raises ``zlib.error`` on corrupt
        data.
        """
        if limit is None:
            return self._zobj.decompress(data), False
        out = self._zobj.decompress(data, limit + 1)
        if len(out) > limit or self._zobj.unconsumed_tail:
            return out[:limit], True
        return out, False

    def finish(self, limit: int | None = None) -> tuple[bytes, bool]:
        """Feed the stripped ``00 00 ff ff`` tail at the end of a message."""
        out, exceeded = self.decompress(_TAIL, limit)
        # a block with BFINAL set ends the zlib stream: start a new one (§7.2.3.4)
        if self._no_context_takeover or self._zobj.eof:
            self._zobj = zlib.decompressobj(-_MAX_BITS)
        return out, exceeded
