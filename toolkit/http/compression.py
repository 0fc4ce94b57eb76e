"""Incremental content-coding decoders and encoders (RFC 9110 section 8.4.1).

``gzip`` and ``deflate`` always work (``deflate`` decoding accepts both the
zlib-wrapped form the RFC names and the raw form some servers send); ``br``
works when :mod:`brotli` is installed and ``zstd`` when :mod:`zstandard` is (each
is imported on first use).
:data:`SUPPORTED_ENCODINGS` lists what is available.

Decoders take ``max_decompressed_size``: once the decoded output would grow
past it they raise :class:`DecompressionLimitError` without producing the rest
(so a small "decompression bomb" cannot exhaust memory). Corrupt input raises
:class:`ContentEncodingError`.
"""

from __future__ import annotations

import importlib
import importlib.util
import zlib
from typing import Any, Protocol

from .errors import ContentEncodingError, DecompressionLimitError

# The optional codec modules are looked up at import but loaded on first use:
# a plain HTTP exchange needs neither.
_MODULES = {"br": "brotli", "zstd": "zstandard"}
_loaded: dict[str, Any] = {}


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # pragma: no cover - depends on the environment
        return False


def codec_module(encoding: str) -> Any:
    """The module behind an optional coding (``br``, ``zstd``), or None if unavailable."""
    try:
        return _loaded[encoding]
    except KeyError:
        pass
    module = None
    if encoding in SUPPORTED_ENCODINGS:
        try:
            module = importlib.import_module(_MODULES[encoding])
        except ImportError:  # pragma: no cover - installed but broken
            pass
    _loaded[encoding] = module
    return module


__all__ = [
    "SUPPORTED_ENCODINGS",
    "Decoder",
    "Encoder",
    "get_decoder",
    "get_encoder",
]

SUPPORTED_ENCODINGS: tuple[str, ...] = (
    "gzip",
    "deflate",
    *(coding for coding, module in _MODULES.items() if _installed(module)),
)

# Decoded output is produced in pieces of at most this size while a limit applies.
_STEP = 64 * 1024


class Decoder(Protocol):
    """An incremental decoder for one content coding."""

    encoding: str

    def decompress(self, data: bytes) -> bytes:
        """Decode the next piece of the body; may return ``b""``."""

    def flush(self) -> bytes:
        """Finish at the end of the body; raises if the coded stream is truncated."""

    @property
    def eof(self) -> bool:
        """True once the coded stream ended."""


class Encoder(Protocol):
    """An incremental encoder for one content coding."""

    encoding: str

    def compress(self, data: bytes) -> bytes:
        """Encode the next piece of the body; may return ``b""``."""

    def flush(self) -> bytes:
        """Finish the coded stream and return its last bytes."""


class _Limit:
    """Counts decoded bytes against ``max_decompressed_size``."""

    def __init__(self, encoding: str, max_size: int | None) -> None:
        self.encoding = encoding
        self.max_size = max_size
        self.total = 0

    def room(self) -> int:
        """How many more bytes may be produced (plus one, to detect overflow); 0 = no limit."""
        if self.max_size is None:
            return 0
        return self.max_size - self.total + 1

    def add(self, n: int) -> None:
        self.total += n
        if self.max_size is not None and self.total > self.max_size:
            raise DecompressionLimitError(
                f"{self.encoding} body decompresses to more than "
                f"max_decompressed_size={self.max_size} bytes"
            )


class _ZlibDecoder:
    """gzip (with concatenated members) and deflate (zlib-wrapped or raw)."""

    def __init__(self, encoding: str, max_size: int | None) -> None:
        self.encoding = encoding
        self._limit = _Limit(encoding, max_size)
        self._obj: Any = None
        self._pending = b""  # deflate: bytes held until the wrapping is known
        self._eof = False
        self._seen_input = False
        if encoding == "gzip":
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    @property
    def eof(self) -> bool:
        return self._eof

    def _start_deflate(self, data: bytes) -> bytes:
        data = self._pending + data
        if len(data) < 2:
            self._pending = data
            return b""
        self._pending = b""
        cmf, flg = data[0], data[1]
        zlib_wrapped = cmf & 0x0F == 8 and (cmf << 8 | flg) % 31 == 0
        self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        return data

    def decompress(self, data: bytes) -> bytes:
        if self._obj is None:
            data = self._start_deflate(data)
            if self._obj is None:
                return b""
        if data:
            self._seen_input = True
        out: list[bytes] = []
        while data:
            if self._eof:
                if self.encoding == "gzip" and data.strip(b"\x00"):
                    # Another gzip member follows the first one.
                    self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    self._eof = False
                else:
                    break  # trailing garbage/padding after the stream: ignore
            try:
                chunk = self._obj.decompress(data, self._limit.room())
            except zlib.error as exc:
                raise ContentEncodingError(
                    f"cannot decode {self.encoding} body: {exc} "
                    f"(after {self._limit.total} decoded bytes)"
                ) from exc
            self._limit.add(len(chunk))
            if chunk:
                out.append(chunk)
            if self._obj.eof:
                self._eof = True
                data = self._obj.unused_data
            else:
                data = self._obj.unconsumed_tail
        return b"".join(out)

    def flush(self) -> bytes:
        if self._obj is None:
            if not self._pending:
                return b""
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            tail = self.decompress(b"")
            data, self._pending = self._pending, b""
            tail += self.decompress(data)
        else:
            tail = b""
        if self._seen_input and not self._eof:
            raise ContentEncodingError(
                f"{self.encoding} body ended before the end of the compressed stream "
                f"(after {self._limit.total} decoded bytes)"
            )
        return tail


class _BrotliDecoder:
    encoding = "br"

    def __init__(self, max_size: int | None) -> None:
        brotli = codec_module("br")
        self._error = brotli.error
        self._obj = brotli.Decompressor()
        self._limit = _Limit("br", max_size)
        self._seen_input = False

    @property
    def eof(self) -> bool:
        return bool(self._obj.is_finished())

    def decompress(self, data: bytes) -> bytes:
        if data:
            self._seen_input = True
        out: list[bytes] = []
        try:
            if self._limit.max_size is None:
                chunk = self._obj.process(data)
                self._limit.add(len(chunk))
                return bytes(chunk)
            # Bounded steps: drain pending output with empty input until none is left.
            chunk = self._obj.process(data, output_buffer_limit=min(self._limit.room(), _STEP))
            while chunk:
                self._limit.add(len(chunk))
                out.append(chunk)
                if self._obj.is_finished():
                    break
                room = min(self._limit.room(), _STEP)
                chunk = self._obj.process(b"", output_buffer_limit=room)
        except self._error as exc:
            raise ContentEncodingError(
                f"cannot decode br body: {exc} (after {self._limit.total} decoded bytes)"
            ) from exc
        return b"".join(out)

    def flush(self) -> bytes:
        if self._seen_input and not self._obj.is_finished():
            raise ContentEncodingError(
                f"br body ended before the end of the compressed stream "
                f"(after {self._limit.total} decoded bytes)"
            )
        return b""


class _ZstdDecoder:
    encoding = "zstd"

    def __init__(self, max_size: int | None) -> None:
        zstd = codec_module("zstd")
        self._error = zstd.ZstdError
        self._limit = _Limit("zstd", max_size)
        self._dctx = zstd.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._seen_input = False
        self._eof = False

    @property
    def eof(self) -> bool:
        return self._eof

    def decompress(self, data: bytes) -> bytes:
        if data:
            self._seen_input = True
        out: list[bytes] = []
        try:
            while data:
                if self._eof:
                    self._obj = self._dctx.decompressobj()  # a further frame follows
                    self._eof = False
                # Feed small slices while a limit applies so that a highly
                # compressed frame cannot expand far past the limit at once.
                step = len(data) if self._limit.max_size is None else 1024
                piece, data = data[:step], data[step:]
                chunk = self._obj.decompress(piece)
                self._limit.add(len(chunk))
                if chunk:
                    out.append(chunk)
                if self._obj.eof:
                    self._eof = True
                    data = self._obj.unused_data + data
        except self._error as exc:
            raise ContentEncodingError(
                f"cannot decode zstd body: {exc} (after {self._limit.total} decoded bytes)"
            ) from exc
        return b"".join(out)

    def flush(self) -> bytes:
        if self._seen_input and not self._eof:
            raise ContentEncodingError(
                f"zstd body ended before the end of the compressed stream "
                f"(after {self._limit.total} decoded bytes)"
            )
        return b""


def get_decoder(encoding: str, max_decompressed_size: int | None = None) -> Decoder:
    """Return a new incremental decoder for ``encoding`` (case-insensitive).

    Raises :class:`ContentEncodingError` for an unsupported coding.
    """
    name = encoding.strip().lower()
    if name in ("gzip", "x-gzip"):
        return _ZlibDecoder("gzip", max_decompressed_size)
    if name == "deflate":
        return _ZlibDecoder("deflate", max_decompressed_size)
    if name == "br" and codec_module("br") is not None:
        return _BrotliDecoder(max_decompressed_size)
    if name == "zstd" and codec_module("zstd") is not None:
        return _ZstdDecoder(max_decompressed_size)
    raise ContentEncodingError(
        f"unsupported content coding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}"
    )


class _ZlibEncoder:
    def __init__(self, encoding: str, level: int | None) -> None:
        self.encoding = encoding
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        lvl = zlib.Z_DEFAULT_COMPRESSION if level is None else level
        self._obj = zlib.compressobj(lvl, zlib.DEFLATED, wbits)

    def compress(self, data: bytes) -> bytes:
        return self._obj.compress(data)

    def flush(self) -> bytes:
        return self._obj.flush()


class _BrotliEncoder:
    encoding = "br"

    def __init__(self, level: int | None) -> None:
        self._obj = codec_module("br").Compressor(quality=4 if level is None else level)

    def compress(self, data: bytes) -> bytes:
        return bytes(self._obj.process(data))

    def flush(self) -> bytes:
        return bytes(self._obj.finish())


class _ZstdEncoder:
    encoding = "zstd"

    def __init__(self, level: int | None) -> None:
        self._obj = (
            codec_module("zstd").ZstdCompressor(level=3 if level is None else level).compressobj()
        )

    def compress(self, data: bytes) -> bytes:
        return bytes(self._obj.compress(data))

    def flush(self) -> bytes:
        return bytes(self._obj.flush())


def get_encoder(encoding: str, level: int | None = None) -> Encoder:
    """Return a new incremental encoder for ``encoding`` (``deflate`` = zlib-wrapped).

    ``level`` is the codec's compression level (None = a sensible default).
    Raises :class:`ValueError` for an unsupported coding.
    """
    name = encoding.strip().lower()
    if name in ("gzip", "deflate"):
        return _ZlibEncoder(name, level)
    if name == "br" and codec_module("br") is not None:
        return _BrotliEncoder(level)
    if name == "zstd" and codec_module("zstd") is not None:
        return _ZstdEncoder(level)
    raise ValueError(
        f"unsupported content coding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}"
    )
