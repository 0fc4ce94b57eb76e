"""Tests for toolkit.content_disposition (RFC 6266 / RFC 8187)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.content_disposition import (
    content_disposition_filename,
    content_disposition_header,
    parse_content_disposition,
    quoted_string,
)


def test_header_building() -> None:
    assert content_disposition_header("attachment") == "attachment"
    assert (
        content_disposition_header("form-data", name="field", filename="a b.txt")
        == 'form-data; name="field"; filename="a%20b.txt"'
    )
    assert content_disposition_header("form-data", name='q"uote') == 'form-data; name="q\\"uote"'
    assert content_disposition_header("inline", name="тест") == (
        "inline; name*=utf-8''%D1%82%D0%B5%D1%81%D1%82"
    )
    assert content_disposition_header("inline", False, filename='a"b\\c') == (
        'inline; filename="a\\"b\\\\c"'
    )
    assert content_disposition_header("inline", params={"x": "1"}) == 'inline; x="1"'


@pytest.mark.parametrize(
    ("disptype", "params"), [("", {}), ("bad type", {}), ("ok", {"bad key": "v"})]
)
def test_header_building_errors(disptype: str, params: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="bad content disposition"):
        content_disposition_header(disptype, **params)


def test_quoted_string() -> None:
    assert quoted_string('a"b\\c') == 'a\\"b\\\\c'
    with pytest.raises(ValueError, match="quoted-string"):
        quoted_string("new\nline")


@pytest.mark.parametrize(
    ("header", "disptype", "params"),
    [
        (None, None, {}),
        ("", None, {}),
        ("inline", "inline", {}),
        ("ATTACHMENT", "attachment", {}),
        ('attachment; filename="foo.html"', "attachment", {"filename": "foo.html"}),
        ("attachment; filename=foo.html", "attachment", {"filename": "foo.html"}),
        ('attachment; filename="f\\"oo;.html"', "attachment", {"filename": 'f"oo;.html'}),
        ('attachment; FileName="x"', "attachment", {"filename": "x"}),
        (
            "attachment; filename*=UTF-8''%e2%82%ac%20rates",
            "attachment",
            {"filename*": "€ rates"},
        ),
        ("attachment; filename*=iso-8859-1'en'%A3%20rates", "attachment", {"filename*": "£ rates"}),
        ("attachment; filename*=bogus-charset''x", "attachment", {}),
        # codecs whose decoding raises UnicodeError, not UnicodeDecodeError
        ("attachment; filename*=undefined''%41", "attachment", {}),
        ("attachment; filename*=punycode''%5Cx", "attachment", {}),
        (
            'form-data; name="a"; filename="/etc/passwd"',
            "form-data",
            {"name": "a", "filename": "etc/passwd"},
        ),
        ("attachment; filename=x; filename=y", None, {}),
        ('"quoted"; filename=x', None, {}),
        ("attachment; novalue", None, {}),
        ("attachment;; filename=x", "attachment", {"filename": "x"}),
    ],
)
def test_parse(header: str | None, disptype: str | None, params: dict[str, str]) -> None:
    got_type, got_params = parse_content_disposition(header)
    assert got_type == disptype
    assert dict(got_params) == params


def test_filename_lookup() -> None:
    assert content_disposition_filename({}) is None
    _, params = parse_content_disposition(
        "attachment; filename=plain.txt; filename*=UTF-8''%E2%82%AC.txt"
    )
    assert content_disposition_filename(params) == "€.txt"
    _, params = parse_content_disposition('attachment; filename*0="foo."; filename*1="html"')
    assert content_disposition_filename(params) == "foo.html"
    _, params = parse_content_disposition(
        "attachment; filename*0*=UTF-8''%E2%82%AC; filename*1*=%20rates"
    )
    assert content_disposition_filename(params) == "€ rates"
    for charset in ("undefined", "punycode"):
        _, params = parse_content_disposition(f"attachment; filename*0*={charset}''%5Cx")
        assert content_disposition_filename(params) is None
    _, params = parse_content_disposition('form-data; name="field"')
    assert content_disposition_filename(params, "name") == "field"
    assert content_disposition_filename(params) is None


@settings(max_examples=100)
@given(
    name=st.text(min_size=1, max_size=20).filter(lambda s: s == s.strip()),
)
def test_name_round_trip(name: str) -> None:
    header = content_disposition_header("form-data", name=name)
    disptype, params = parse_content_disposition(header)
    assert disptype == "form-data"
    assert content_disposition_filename(params, "name") == name
