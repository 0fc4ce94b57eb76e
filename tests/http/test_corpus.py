"""The malformed-request corpus (fixtures/http/malformed_requests.json) against both parsers."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import toolkit.http.errors as errors

CORPUS = Path(__file__).parents[2] / "fixtures" / "http" / "malformed_requests.json"
CASES = json.loads(CORPUS.read_text())["cases"]

Factory = Callable[..., Any]


def test_corpus_is_well_formed() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)) > 50
    for case in CASES:
        assert set(case) == {"name", "raw", "error", "note"}
        assert issubclass(getattr(errors, case["error"]), errors.HttpProcessingError)
        case["raw"].encode("latin-1")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_rejected_in_one_feed(request_parser: Factory, case: dict[str, str]) -> None:
    expected = getattr(errors, case["error"])
    with pytest.raises(expected) as info:
        request_parser().feed_data(case["raw"].encode("latin-1"))
    assert 400 <= info.value.code < 600
    assert info.value.message
    copy = pickle.loads(pickle.dumps(info.value))
    assert (type(copy), copy.code, copy.message) == (
        expected,
        info.value.code,
        info.value.message,
    ) or (isinstance(copy, expected) and copy.message == info.value.message)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_rejected_byte_by_byte(request_parser: Factory, case: dict[str, str]) -> None:
    parser = request_parser()
    raw = case["raw"].encode("latin-1")
    with pytest.raises(errors.BadHttpMessage):
        for i in range(len(raw)):
            parser.feed_data(raw[i : i + 1])
        parser.feed_eof()
