"""Content codings for responses: negotiation from Accept-Encoding and whole-body compression."""

from __future__ import annotations

import enum
import zlib

from toolkit.http.compression import SUPPORTED_ENCODINGS, codec_module
from toolkit.web._helpers import parse_accept_encoding

__all__ = ["ContentCoding", "choose_coding", "compress_bytes"]


class ContentCoding(enum.Enum):
    """Content codings a response can be compressed with (values are header tokens)."""

    deflate = "deflate"
    gzip = "gzip"
    br = "br"
    identity = "identity"


# Preference order when the client accepts several codings with the same q-value.
_PREFERENCE = (ContentCoding.br, ContentCoding.gzip, ContentCoding.deflate)


def _compressor_available(coding: ContentCoding) -> bool:
    return coding is not ContentCoding.br or "br" in SUPPORTED_ENCODINGS


def compress_bytes(coding: ContentCoding, data: bytes) -> bytes:
    """Compress a whole body with ``coding`` (deflate is the zlib format, RFC 9110 8.4.1.2)."""
    if coding is ContentCoding.br:
        brotli = codec_module("br")
        if brotli is None:
            raise RuntimeError("brotli compression requested but the brotli module is missing")
        result: bytes = brotli.compress(data)
        return result
    wbits = 31 if coding is ContentCoding.gzip else zlib.MAX_WBITS
    compressor = zlib.compressobj(wbits=wbits)
    return compressor.compress(data) + compressor.flush()


def choose_coding(accept_encoding: str, force: ContentCoding | None = None) -> ContentCoding:
    """The coding to use: ``force`` if given, else the best one the client accepts.

    Higher q-values win; on a tie br beats gzip beats deflate. ``identity`` when the
    client accepts none of them (or brotli is not installed and only br is accepted).
    """
    if force is not None:
        return force
    accepted = parse_accept_encoding(accept_encoding)
    wildcard = accepted.get("*", 0.0)
    best: tuple[float, ContentCoding] | None = None
    for coding in _PREFERENCE:
        q = accepted.get(coding.value, wildcard)
        if q > 0 and _compressor_available(coding) and (best is None or q > best[0]):
            best = (q, coding)
    return best[1] if best is not None else ContentCoding.identity
