"""Fixtures for the sans-IO HTTP/1.1 tests: every parser test runs on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from toolkit.http import PyRequestParser, PyResponseParser

try:
    from toolkit.http._httptools import HttptoolsRequestParser, HttptoolsResponseParser
except ImportError:  # pragma: no cover - httptools is optional
    BACKENDS = [pytest.param((PyRequestParser, PyResponseParser), id="py")]
else:
    BACKENDS = [
        pytest.param((PyRequestParser, PyResponseParser), id="py"),
        pytest.param((HttptoolsRequestParser, HttptoolsResponseParser), id="httptools"),
    ]


@pytest.fixture(params=BACKENDS)
def parser_classes(request: pytest.FixtureRequest) -> tuple[type[Any], type[Any]]:
    """The (request parser class, response parser class) of one backend."""
    classes: tuple[type[Any], type[Any]] = request.param
    return classes


@pytest.fixture
def request_parser(parser_classes: tuple[type[Any], type[Any]]) -> Callable[..., Any]:
    """Factory for a request parser of the backend under test."""
    return parser_classes[0]


@pytest.fixture
def response_parser(parser_classes: tuple[type[Any], type[Any]]) -> Callable[..., Any]:
    """Factory for a response parser of the backend under test."""
    return parser_classes[1]
