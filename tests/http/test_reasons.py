"""The written-out reason phrases are the ones :class:`http.HTTPStatus` gives."""

from __future__ import annotations

from http import HTTPStatus

from toolkit.http._reasons import REASONS


def test_reasons_match_http_status() -> None:
    assert {status.value: status.phrase for status in HTTPStatus} == REASONS
