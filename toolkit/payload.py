"""Request and response bodies.

A :class:`Payload` wraps a value (bytes, text, a file, an async iterable...) with the
headers that describe it and knows how to ``await payload.write(writer)`` it, where
``writer`` is anything with ``async write(bytes)``. :func:`get_payload` picks the payload
class for a value through :data:`PAYLOAD_REGISTRY`.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import io
import json
import os
import types
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from itertools import chain
from typing import IO, Any, Final, Protocol, TextIO

from multidict import CIMultiDict

from . import hdrs
from .helpers import parse_mimetype, sentinel
from .streams import StreamReader

__all__ = (
    "PAYLOAD_REGISTRY",
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonPayload",
    "Order",
    "Payload",
    "PayloadLookupError",
    "PayloadRegistry",
    "StreamReaderPayload",
    "StreamWrapperPayload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "guess_filename",
    "payload_type",
    "register_payload",
    "streamer",
)

#: Size of the blocks read from files.
READ_SIZE: Final = 2**16


class AbstractWriter(Protocol):
    """What a payload writes to."""

    async def write(self, chunk: bytes) -> None: ...


class PayloadLookupError(TypeError, LookupError):
    """No payload class is registered for the type of a value."""


class Order(str, enum.Enum):
    """Where a factory goes in the registry's lookup order."""

    normal = "normal"
    try_first = "try_first"
    try_last = "try_last"


class PayloadRegistry:
    """Maps value types to payload factories; the first ``isinstance`` match wins."""

    def __init__(self) -> None:
        self._first: list[tuple[Callable[..., Payload], type | tuple[type, ...]]] = []
        self._normal: list[tuple[Callable[..., Payload], type | tuple[type, ...]]] = []
        self._last: list[tuple[Callable[..., Payload], type | tuple[type, ...]]] = []

    def get(self, data: Any, *args: Any, **kwargs: Any) -> Payload:
        """Return ``data`` if it is a payload, else wrap it with the matching factory."""
        if isinstance(data, Payload):
            return data
        for factory, type_ in chain(self._first, self._normal, self._last):
            if isinstance(data, type_):
                return factory(data, *args, **kwargs)
        raise PayloadLookupError(
            f"no payload is registered for {type(data).__module__}.{type(data).__qualname__}"
        )

    def register(
        self,
        factory: Callable[..., Payload],
        type: type | tuple[type, ...],
        *,
        order: Order = Order.normal,
    ) -> None:
        """Use ``factory(value, *args, **kwargs)`` for values of ``type``."""
        if order is Order.try_first:
            self._first.append((factory, type))
        elif order is Order.normal:
            self._normal.append((factory, type))
        elif order is Order.try_last:
            self._last.append((factory, type))
        else:
            raise ValueError(f"Unsupported order {order!r}")


PAYLOAD_REGISTRY: Final = PayloadRegistry()


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    """Wrap ``data`` in a payload; :class:`PayloadLookupError` for unsupported types."""
    return PAYLOAD_REGISTRY.get(data, *args, **kwargs)


def register_payload(
    factory: Callable[..., Payload],
    type: type | tuple[type, ...],
    *,
    order: Order = Order.normal,
) -> None:
    """Register ``factory`` in :data:`PAYLOAD_REGISTRY`."""
    PAYLOAD_REGISTRY.register(factory, type, order=order)


class payload_type:
    """Class decorator registering a payload class for ``type``."""

    def __init__(
        self,
        type: type | tuple[type, ...],
        *,
        order: Order = Order.normal,
    ) -> None:
        self.type = type
        self.order = order

    def __call__(self, factory: type[Payload]) -> type[Payload]:
        register_payload(factory, self.type, order=self.order)
        return factory


def guess_filename(obj: Any, default: str | None = None) -> str | None:
    """Return the base name of ``obj.name`` when it looks like a file name."""
    name = getattr(obj, "name", None)
    if name and isinstance(name, str) and name[0] != "<" and name[-1] != ">":
        return os.path.basename(name)
    return default


class Payload(ABC):
    """A body with its headers (``Content-Type``, maybe ``Content-Disposition``)."""

    _default_content_type: str = "application/octet-stream"
    _size: int | None = None

    def __init__(
        self,
        value: Any,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | Any | None = sentinel,
        filename: str | None = None,
        encoding: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._encoding = encoding
        self._filename = filename
        self._headers: CIMultiDict[str] = CIMultiDict()
        self._value = value
        if content_type is not sentinel and content_type is not None:
            self._headers[hdrs.CONTENT_TYPE] = content_type
        elif self._filename is not None:
            import mimetypes  # (only payloads named after a file guess their type)

            guessed = mimetypes.guess_type(self._filename)[0]
            self._headers[hdrs.CONTENT_TYPE] = guessed or self._default_content_type
        else:
            self._headers[hdrs.CONTENT_TYPE] = self._default_content_type
        if headers:
            self._headers.update(headers)

    @property
    def size(self) -> int | None:
        """Size of the body in bytes, or None when unknown (sent chunked)."""
        return self._size

    @property
    def filename(self) -> str | None:
        """File name of the payload, if any."""
        return self._filename

    @property
    def headers(self) -> CIMultiDict[str]:
        """Headers that describe the payload."""
        return self._headers

    @property
    def _binary_headers(self) -> bytes:
        text = "".join(f"{k}: {v}\r\n" for k, v in self._headers.items())
        try:
            return text.encode("utf-8") + b"\r\n"
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"part header {text[: exc.start].rpartition(chr(10))[2]!r}... "
                f"can not be encoded ({exc.reason})"
            ) from None

    @property
    def encoding(self) -> str | None:
        """Text encoding of the payload, if any."""
        return self._encoding

    @property
    def content_type(self) -> str:
        """Value of the ``Content-Type`` header."""
        return self._headers[hdrs.CONTENT_TYPE]

    @property
    def value(self) -> Any:
        """The wrapped value."""
        return self._value

    def set_content_disposition(
        self,
        disptype: str,
        quote_fields: bool = True,
        _charset: str = "utf-8",
        **params: str,
    ) -> None:
        """Set the ``Content-Disposition`` header (see ``content_disposition_header``)."""
        from .content_disposition import content_disposition_header  # (file and form parts)

        self._headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
            disptype, quote_fields=quote_fields, _charset=_charset, params=params
        )

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Return the body as text, for payloads whose value is held in memory."""
        raise TypeError(f"{type(self).__name__} cannot be decoded without writing it")

    @abstractmethod
    async def write(self, writer: AbstractWriter) -> None:
        """Write the body (not the headers) to ``writer``."""


class BytesPayload(Payload):
    """``bytes``, ``bytearray`` or ``memoryview``."""

    _value: bytes | bytearray | memoryview

    def __init__(self, value: bytes | bytearray | memoryview, *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"value argument must be byte-ish, not {type(value).__name__!r}")
        if "content_type" not in kwargs:
            kwargs["content_type"] = "application/octet-stream"
        super().__init__(value, *args, **kwargs)
        self._size = value.nbytes if isinstance(value, memoryview) else len(value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Decode the bytes."""
        return bytes(self._value).decode(encoding, errors)

    async def write(self, writer: AbstractWriter) -> None:
        """Write the bytes in one call."""
        await writer.write(bytes(self._value))


class StringPayload(BytesPayload):
    """A ``str``, encoded with the charset of ``content_type`` or ``encoding`` (UTF-8)."""

    def __init__(
        self,
        value: str,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(value, str):
            raise TypeError(f"value argument must be str, not {type(value).__name__!r}")
        if encoding is None:
            if content_type is None:
                real_encoding = "utf-8"
                content_type = "text/plain; charset=utf-8"
            else:
                charset = parse_mimetype(content_type).parameters.get("charset")
                real_encoding = charset or "utf-8"
        else:
            if content_type is None:
                content_type = f"text/plain; charset={encoding}"
            real_encoding = encoding
        super().__init__(
            value.encode(real_encoding),
            *args,
            encoding=real_encoding,
            content_type=content_type,
            **kwargs,
        )


class StringIOPayload(StringPayload):
    """An in-memory text stream, read at once."""

    def __init__(self, value: IO[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(value.read(), *args, **kwargs)


class JsonPayload(BytesPayload):
    """A JSON document serialized with ``dumps``."""

    def __init__(
        self,
        value: Any,
        encoding: str = "utf-8",
        content_type: str = "application/json",
        dumps: Callable[[Any], str] = json.dumps,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            dumps(value).encode(encoding),
            *args,
            content_type=content_type,
            encoding=encoding,
            **kwargs,
        )


class IOBasePayload(Payload):
    """A binary file object, read in blocks in the default executor.

    The file gets ``Content-Disposition: attachment; filename=...`` from its name and
    is closed once written.
    """

    _value: IO[Any]

    def __init__(
        self, value: IO[Any], disposition: str | None = "attachment", *args: Any, **kwargs: Any
    ) -> None:
        if "filename" not in kwargs:
            kwargs["filename"] = guess_filename(value)
        super().__init__(value, *args, **kwargs)
        if (
            self._filename is not None
            and disposition is not None
            and hdrs.CONTENT_DISPOSITION not in self.headers
        ):
            self.set_content_disposition(disposition, filename=self._filename)

    def _read(self, size: int) -> bytes:
        chunk = self._value.read(size)
        if isinstance(chunk, str):
            return chunk.encode(self._encoding or "utf-8")
        return bytes(chunk)

    async def write(self, writer: AbstractWriter) -> None:
        """Stream the file to ``writer``, then close it."""
        loop = asyncio.get_running_loop()
        try:
            chunk = await loop.run_in_executor(None, self._read, READ_SIZE)
            while chunk:
                await writer.write(chunk)
                chunk = await loop.run_in_executor(None, self._read, READ_SIZE)
        finally:
            await loop.run_in_executor(None, self._value.close)


class TextIOPayload(IOBasePayload):
    """A text file object, encoded with ``encoding`` (or the charset of ``content_type``)."""

    def __init__(
        self,
        value: TextIO,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            if content_type is None:
                encoding = "utf-8"
                content_type = "text/plain; charset=utf-8"
            else:
                encoding = parse_mimetype(content_type).parameters.get("charset") or "utf-8"
        elif content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(value, *args, content_type=content_type, encoding=encoding, **kwargs)

    @property
    def size(self) -> int | None:
        """Unknown: the encoded size of text cannot be known without reading it."""
        return None


class BytesIOPayload(IOBasePayload):
    """An in-memory binary stream; written from where its position is now."""

    _value: io.BytesIO

    @property
    def size(self) -> int | None:
        """Bytes left from the current position."""
        return len(self._value.getbuffer()) - self._value.tell()

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Decode the remaining bytes without moving the stream position."""
        return self._value.getvalue()[self._value.tell() :].decode(encoding, errors)

    async def write(self, writer: AbstractWriter) -> None:
        """Write the remaining bytes in blocks."""
        try:
            chunk = self._value.read(READ_SIZE)
            while chunk:
                await writer.write(chunk)
                chunk = self._value.read(READ_SIZE)
        finally:
            self._value.close()


class BufferedReaderPayload(IOBasePayload):
    """A file opened in binary mode; its size comes from ``fstat``."""

    @property
    def size(self) -> int | None:
        """Bytes left from the current position, or None for pipes and sockets."""
        try:
            return os.fstat(self._value.fileno()).st_size - self._value.tell()
        except (OSError, AttributeError, ValueError):
            return None


class AsyncIterablePayload(Payload):
    """An async iterable of ``bytes`` (for example an async generator); sent chunked."""

    _iter: AsyncIterator[bytes] | None

    def __init__(self, value: AsyncIterable[bytes], *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(
                "value argument must support the async iteration protocol, "
                f"not {type(value).__name__!r}"
            )
        if "content_type" not in kwargs:
            kwargs["content_type"] = "application/octet-stream"
        super().__init__(value, *args, **kwargs)
        self._iter = value.__aiter__()

    async def write(self, writer: AbstractWriter) -> None:
        """Write every item; an async iterable can be written only once."""
        if self._iter is None:
            raise RuntimeError(f"{type(self).__name__} was already written")
        it, self._iter = self._iter, None
        async for chunk in it:
            await writer.write(chunk)


class StreamReaderPayload(AsyncIterablePayload):
    """The content of a :class:`StreamReader` (for example another response's body)."""

    def __init__(self, value: StreamReader, *args: Any, **kwargs: Any) -> None:
        super().__init__(value.iter_any(), *args, **kwargs)
        self._value = value


PAYLOAD_REGISTRY.register(BytesPayload, (bytes, bytearray, memoryview))
PAYLOAD_REGISTRY.register(StringPayload, str)
PAYLOAD_REGISTRY.register(StringIOPayload, io.StringIO)
PAYLOAD_REGISTRY.register(TextIOPayload, io.TextIOBase)
PAYLOAD_REGISTRY.register(BytesIOPayload, io.BytesIO)
PAYLOAD_REGISTRY.register(BufferedReaderPayload, (io.BufferedReader, io.BufferedRandom))
PAYLOAD_REGISTRY.register(IOBasePayload, io.IOBase)
PAYLOAD_REGISTRY.register(StreamReaderPayload, StreamReader)
# Try last: many classes are async iterable but have a more specific payload.
PAYLOAD_REGISTRY.register(AsyncIterablePayload, AsyncIterable, order=Order.try_last)


class _stream_wrapper:
    """A call of a :func:`streamer`-decorated function, waiting for its writer."""

    def __init__(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs

    async def __call__(self, writer: AbstractWriter) -> None:
        result = self.func(writer, *self.args, **self.kwargs)
        if inspect.isawaitable(result):
            await result


class streamer:
    """Decorator turning ``async def f(writer, *args)`` into a payload factory.

    ``f(*args, **kwargs)`` then returns a value that can be passed as ``data=``; the
    body is whatever ``f`` writes with ``await writer.write(chunk)``. Generator
    functions written in the 2.x ``yield from writer.write(chunk)`` style work too.
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        if inspect.isgeneratorfunction(func):
            func = types.coroutine(func)
        self.func = func
        functools.update_wrapper(self, func)

    def __call__(self, *args: Any, **kwargs: Any) -> _stream_wrapper:
        return _stream_wrapper(self.func, args, kwargs)


class StreamWrapperPayload(Payload):
    """The body produced by a :class:`streamer` function; sent chunked."""

    async def write(self, writer: AbstractWriter) -> None:
        """Run the streamer function with ``writer``."""
        await self._value(writer)


PAYLOAD_REGISTRY.register(StreamWrapperPayload, _stream_wrapper)
