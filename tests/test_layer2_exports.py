"""Pin the public names of the layer-2 building blocks (consumed by client and server)."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "toolkit.streams": {
        "EMPTY_PAYLOAD", "AsyncStreamIterator", "ChunkTupleAsyncStreamIterator", "DataQueue",
        "EmptyStreamReader", "EofStream", "FlowControlDataQueue", "StreamReader",
    },
    "toolkit.payload": {
        "PAYLOAD_REGISTRY", "AsyncIterablePayload", "BufferedReaderPayload", "BytesIOPayload",
        "BytesPayload", "IOBasePayload", "JsonPayload", "Order", "Payload",
        "PayloadLookupError", "PayloadRegistry", "StreamReaderPayload", "StreamWrapperPayload",
        "StringIOPayload", "StringPayload", "TextIOPayload", "get_payload", "guess_filename",
        "payload_type", "register_payload", "streamer",
    },
    "toolkit.multipart": {
        "BadContentDispositionHeader", "BadContentDispositionParam", "BodyPartReader",
        "MultipartPayloadWriter", "MultipartReader", "MultipartResponseWrapper",
        "MultipartWriter", "content_disposition_filename", "content_disposition_header",
        "parse_content_disposition",
    },
    "toolkit.formdata": {"FormData"},
    "toolkit.cookiejar": {"AbstractCookieJar", "CookieJar", "DummyCookieJar"},
    "toolkit.helpers": {
        "ETAG_ANY", "BasicAuth", "ETag", "MimeType", "ProxyInfo", "TimerContext", "TimerNoop",
        "basicauth_from_netrc", "get_charset", "get_env_proxy_for_url", "http_date",
        "is_ip_address", "netrc_from_env", "parse_content_type", "parse_etags",
        "parse_http_date", "parse_mimetype", "proxies_from_env", "reify", "sentinel",
        "should_bypass_proxy", "strip_auth_from_url", "validate_etag_value",
    },
}  # fmt: skip


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_exported_members(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert set(module.__all__) == EXPECTED[module_name]
    for name in module.__all__:
        assert hasattr(module, name), name


def test_hdrs_exports_constants() -> None:
    from toolkit import hdrs

    assert {"METH_ALL", "METH_GET", "CONTENT_TYPE", "SET_COOKIE"} <= set(hdrs.__all__)
