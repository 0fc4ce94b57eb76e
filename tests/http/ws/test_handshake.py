from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings, strategies as st
from multidict import CIMultiDict

from toolkit.http.ws import (
    DeflateOffer,
    DeflateParams,
    WSHandshakeError,
    build_client_request_headers,
    make_client_key,
    validate_client_request,
    validate_server_response,
    ws_accept_key,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def test_accept_key_rfc_example() -> None:
    assert ws_accept_key(KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert ws_accept_key(KEY.encode()) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_client_key_is_16_random_bytes() -> None:
    keys = {make_client_key() for _ in range(10)}
    assert len(keys) == 10
    assert all(len(base64.b64decode(k, validate=True)) == 16 for k in keys)


def test_client_request_headers() -> None:
    headers = build_client_request_headers(
        KEY, protocols=("chat", "superchat"), origin="http://example.com", compress=15
    )
    assert dict(headers) == {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": KEY,
        "Sec-WebSocket-Protocol": "chat,superchat",
        "Origin": "http://example.com",
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
    }
    minimal = build_client_request_headers(KEY)
    assert "Sec-WebSocket-Protocol" not in minimal
    assert "Sec-WebSocket-Extensions" not in minimal
    assert "Origin" not in minimal


def request_headers(**changes: str | None) -> CIMultiDict[str]:
    headers = build_client_request_headers(KEY, protocols=["chat"], compress=15)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    return headers


def test_server_accepts_a_valid_request() -> None:
    result = validate_client_request("GET", (1, 1), request_headers(), protocols=("other", "chat"))
    assert result.protocol == "chat"
    assert result.deflate == DeflateParams()
    assert dict(result.headers) == {
        "Upgrade": "websocket",
        "Connection": "upgrade",
        "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "Sec-WebSocket-Protocol": "chat",
        "Sec-WebSocket-Extensions": "permessage-deflate",
    }


def test_server_tolerates_token_lists_and_case() -> None:
    headers = request_headers(Connection="keep-alive, Upgrade", Upgrade="WebSocket")
    result = validate_client_request("get", (1, 1), headers, compress=False)
    assert result.protocol is None and result.deflate is None
    assert "Sec-WebSocket-Protocol" not in result.headers
    assert "Sec-WebSocket-Extensions" not in result.headers


def test_server_picks_the_clients_first_known_protocol() -> None:
    headers = request_headers(Sec_WebSocket_Protocol="b, a")
    assert validate_client_request("GET", (1, 1), headers, protocols=["a", "b"]).protocol == "b"
    assert validate_client_request("GET", (1, 1), headers, protocols=["z"]).protocol is None


@pytest.mark.parametrize(
    ("method", "version", "changes", "status", "reason"),
    [
        ("POST", (1, 1), {}, 405, "GET method"),
        ("GET", (1, 0), {}, 400, "HTTP/1.1"),
        ("GET", (1, 1), {"Upgrade": None}, 400, "Upgrade header"),
        ("GET", (1, 1), {"Upgrade": "h2c"}, 400, "Upgrade header"),
        ("GET", (1, 1), {"Connection": "keep-alive"}, 400, "Connection header"),
        ("GET", (1, 1), {"Sec_WebSocket_Version": "8"}, 400, "Sec-WebSocket-Version"),
        ("GET", (1, 1), {"Sec_WebSocket_Version": None}, 400, "Sec-WebSocket-Version"),
        ("GET", (1, 1), {"Sec_WebSocket_Key": None}, 400, "missing Sec-WebSocket-Key"),
        ("GET", (1, 1), {"Sec_WebSocket_Key": "c2hvcnQ="}, 400, "16 base64"),
        ("GET", (1, 1), {"Sec_WebSocket_Key": "!!not base64!!"}, 400, "16 base64"),
        ("GET", (1, 1), {"Sec_WebSocket_Extensions": "a b"}, 400, "Sec-WebSocket-Extensions"),
        ("GET", (1, 1), {"Sec_WebSocket_Version": "13\x1f"}, 400, "Sec-WebSocket-Version"),
    ],
)
def test_server_rejects_bad_requests(
    method: str, version: tuple[int, int], changes: dict[str, str | None], status: int, reason: str
) -> None:
    with pytest.raises(WSHandshakeError, match=reason) as info:
        validate_client_request(method, version, request_headers(**changes))
    assert info.value.status == status


def test_version_error_advertises_13() -> None:
    with pytest.raises(WSHandshakeError) as info:
        validate_client_request("GET", (1, 1), request_headers(Sec_WebSocket_Version="8"))
    assert ("Sec-WebSocket-Version", "13") in info.value.headers


def response_headers(**changes: str | None) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict(
        {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": ws_accept_key(KEY),
        }
    )
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    return headers


def test_client_accepts_a_valid_response() -> None:
    result = validate_server_response(
        101,
        response_headers(
            Sec_WebSocket_Protocol="chat", Sec_WebSocket_Extensions="permessage-deflate"
        ),
        key=KEY,
        protocols=["chat"],
        deflate_offer=DeflateOffer(),
    )
    assert result.protocol == "chat"
    assert result.deflate == DeflateParams()
    plain = validate_server_response(101, response_headers(), key=KEY, protocols=["chat"])
    assert plain.protocol is None and plain.deflate is None


@pytest.mark.parametrize(
    ("status", "changes", "reason"),
    [
        (200, {}, "invalid response status 200"),
        (101, {"Upgrade": None}, "invalid Upgrade header"),
        (101, {"Connection": "close"}, "invalid Connection header"),
        (101, {"Sec_WebSocket_Accept": "wrong"}, "Sec-WebSocket-Accept"),
        (101, {"Sec_WebSocket_Accept": None}, "Sec-WebSocket-Accept"),
        (101, {"Sec_WebSocket_Protocol": "other"}, "did not offer"),
        (101, {"Sec_WebSocket_Protocol": "chat, other"}, "did not offer"),
        (101, {"Sec_WebSocket_Extensions": "permessage-deflate"}, "did not offer"),
        # Only spaces and tabs are optional whitespace (str.strip() took these too):
        (101, {"Upgrade": "websocket\u3000"}, "invalid Upgrade header"),
        (101, {"Connection": "Upgrade\x1f"}, "invalid Connection header"),
        (101, {"Sec_WebSocket_Accept": ws_accept_key(KEY) + "\x1f"}, "Sec-WebSocket-Accept"),
    ],
)
def test_client_rejects_bad_responses(
    status: int, changes: dict[str, str | None], reason: str
) -> None:
    with pytest.raises(WSHandshakeError, match=reason) as info:
        validate_server_response(status, response_headers(**changes), key=KEY, protocols=["chat"])
    assert info.value.status == status


def test_client_rejects_bad_extension_answer() -> None:
    with pytest.raises(WSHandshakeError, match="unknown permessage-deflate parameter"):
        validate_server_response(
            101,
            response_headers(Sec_WebSocket_Extensions="permessage-deflate; nope"),
            key=KEY,
            deflate_offer=DeflateOffer(),
        )


header_value = st.text(max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "get"]),
    upgrade=header_value,
    connection=header_value,
    version=header_value,
    key=st.one_of(header_value, st.just(KEY)),
    protocol=header_value,
    extensions=st.one_of(header_value, st.just("permessage-deflate; client_max_window_bits")),
)
def test_request_validation_only_raises_handshake_errors(
    method: str,
    upgrade: str,
    connection: str,
    version: str,
    key: str,
    protocol: str,
    extensions: str,
) -> None:
    headers = CIMultiDict(
        {
            "Upgrade": upgrade,
            "Connection": connection,
            "Sec-WebSocket-Version": version,
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Protocol": protocol,
            "Sec-WebSocket-Extensions": extensions,
        }
    )
    try:
        result = validate_client_request(method, (1, 1), headers, protocols=["chat"])
    except WSHandshakeError as exc:
        assert exc.status in (400, 405) and exc.message
    else:
        assert result.headers["Sec-WebSocket-Accept"] == ws_accept_key(key.strip())


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from([101, 200]),
    upgrade=st.one_of(header_value, st.just("websocket")),
    connection=st.one_of(header_value, st.just("upgrade")),
    accept=st.one_of(header_value, st.just(ws_accept_key(KEY))),
    protocol=header_value,
    extensions=header_value,
)
def test_response_validation_only_raises_handshake_errors(
    status: int, upgrade: str, connection: str, accept: str, protocol: str, extensions: str
) -> None:
    headers = CIMultiDict(
        {
            "Upgrade": upgrade,
            "Connection": connection,
            "Sec-WebSocket-Accept": accept,
            "Sec-WebSocket-Protocol": protocol,
            "Sec-WebSocket-Extensions": extensions,
        }
    )
    try:
        validate_server_response(
            status, headers, key=KEY, protocols=["chat"], deflate_offer=DeflateOffer()
        )
    except WSHandshakeError as exc:
        assert exc.status == status and exc.message


def test_repeated_fields() -> None:
    headers = request_headers(Sec_WebSocket_Extensions="x-unknown")
    headers.add("Sec-WebSocket-Extensions", "permessage-deflate")
    assert validate_client_request("GET", (1, 1), headers).deflate == DeflateParams()
    headers.add("Sec-WebSocket-Key", KEY)
    with pytest.raises(WSHandshakeError, match="more than one Sec-WebSocket-Key"):
        validate_client_request("GET", (1, 1), headers)
