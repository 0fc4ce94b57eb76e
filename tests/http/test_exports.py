"""Pin the public names of toolkit.http and toolkit.http.errors (the layer contract)."""

from __future__ import annotations

import toolkit.http
import toolkit.http.errors

CONTRACT = {
    "HttpVersion", "HttpVersion10", "HttpVersion11",
    "RequestHead", "ResponseHead", "EndOfMessage",
    "RequestParser", "ResponseParser", "PyRequestParser", "PyResponseParser",
    "serialize_request_head", "serialize_response_head",
    "encode_chunk", "LAST_CHUNK", "encode_trailers",
    "get_decoder", "get_encoder", "SUPPORTED_ENCODINGS",
}  # fmt: skip

ERRORS = {
    "HttpProcessingError", "BadHttpMessage", "HttpBadRequest", "PayloadEncodingError",
    "ContentEncodingError", "TransferEncodingError", "ContentLengthError", "LineTooLong",
    "InvalidHeader", "BadStatusLine", "InvalidURLError", "DecompressionLimitError",
}  # fmt: skip


def test_contract_names_exported() -> None:
    assert set(toolkit.http.__all__) >= CONTRACT
    for name in toolkit.http.__all__:
        assert hasattr(toolkit.http, name), name


def test_error_names_exported() -> None:
    assert set(toolkit.http.errors.__all__) >= ERRORS
    for name in toolkit.http.errors.__all__:
        assert issubclass(
            getattr(toolkit.http.errors, name), toolkit.http.errors.HttpProcessingError
        )


def test_default_parsers_are_httptools_when_installed() -> None:
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover
        assert toolkit.http.RequestParser is toolkit.http.PyRequestParser
    else:
        assert toolkit.http.RequestParser.__name__ == "HttptoolsRequestParser"
        assert toolkit.http.ResponseParser.__name__ == "HttptoolsResponseParser"
