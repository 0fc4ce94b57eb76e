"""The sans-IO HTTP/1.1 and WebSocket protocol core: bytes in, events out.

Nothing under this package imports asyncio, socket or ssl. The parsers turn
bytes into events (:class:`RequestHead` / :class:`ResponseHead`, body
``bytes``, :class:`EndOfMessage`); the serializers turn heads, chunks and
trailers into bytes. :class:`RequestParser` / :class:`ResponseParser` are the
httptools-backed parsers when httptools is installed, else the pure-Python
reference :class:`PyRequestParser` / :class:`PyResponseParser`.

A parser in short::

    parser = RequestParser()
    for event in parser.feed_data(data):   # RequestHead, body bytes, EndOfMessage
        ...
    parser.feed_eof()                      # at connection close

Errors are :class:`~toolkit.http.errors.HttpProcessingError` subclasses whose
``code`` is the status to answer with. When one feed completes messages and
then fails in a later one, the complete messages are returned first and the
error comes from the next call (``feed_data(b"")`` collects it). After a message
with ``should_close`` the parser ignores further input; after one that
switches protocols it is ``paused`` and keeps the rest in ``trailing_data``.
"""

from __future__ import annotations

from .compression import SUPPORTED_ENCODINGS, Decoder, Encoder, get_decoder, get_encoder
from .events import (
    EndOfMessage,
    Event,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RequestHead,
    ResponseHead,
)
from .parser import PyRequestParser, PyResponseParser
from .serializer import (
    LAST_CHUNK,
    encode_chunk,
    encode_trailers,
    serialize_request_head,
    serialize_response_head,
)

try:
    from ._httptools import HttptoolsRequestParser, HttptoolsResponseParser
except ImportError:  # pragma: no cover - httptools is an optional speed-up
    RequestParser: type[PyRequestParser | HttptoolsRequestParser] = PyRequestParser
    ResponseParser: type[PyResponseParser | HttptoolsResponseParser] = PyResponseParser
else:
    RequestParser = HttptoolsRequestParser
    ResponseParser = HttptoolsResponseParser

__all__ = [
    "LAST_CHUNK",
    "SUPPORTED_ENCODINGS",
    "Decoder",
    "Encoder",
    "EndOfMessage",
    "Event",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "PyRequestParser",
    "PyResponseParser",
    "RequestHead",
    "RequestParser",
    "ResponseHead",
    "ResponseParser",
    "encode_chunk",
    "encode_trailers",
    "get_decoder",
    "get_encoder",
    "serialize_request_head",
    "serialize_response_head",
]
