"""AccessLogger format directives and the AbstractAccessLogger contract."""

from __future__ import annotations

import logging
import os
import re
from types import SimpleNamespace
from typing import Any

import pytest
from multidict import CIMultiDict

from toolkit.http import HttpVersion11
from toolkit.web.log import AbstractAccessLogger, AccessLogger


def fake_pair() -> tuple[Any, Any]:
    request = SimpleNamespace(
        remote="10.1.2.3",
        method="GET",
        path_qs="/path?q=1",
        version=HttpVersion11,
        headers=CIMultiDict({"User-Agent": "curl/8", "Referer": "http://ref/"}),
    )
    response = SimpleNamespace(
        status=201, body_length=42, headers=CIMultiDict({"Content-Type": "text/plain"})
    )
    return request, response


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logger() -> Any:
    log = logging.getLogger("toolkit.test.access")
    handler = ListHandler()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log, handler.records
    log.removeHandler(handler)


def test_default_format(logger: Any) -> None:
    log, records = logger
    request, response = fake_pair()
    AccessLogger(log).log(request, response, 0.5)
    message = records[0].getMessage()
    assert re.fullmatch(
        r"10\.1\.2\.3 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
        r'"GET /path\?q=1 HTTP/1\.1" 201 42 "http://ref/" "curl/8"',
        message,
    ), message


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%a", "10.1.2.3"),
        pytest.param("%P", f"<{os.getpid()}>", id="pid"),
        ("%r", "GET /path?q=1 HTTP/1.1"),
        ("%s %b", "201 42"),
        ("%T", "2"),
        ("%Tf", "1.500000"),
        ("%D", "1500000"),
        ("%{User-Agent}i|%{X-Missing}i", "curl/8|-"),
        ("%{Content-Type}o", "text/plain"),
        ("100%% %s", "100% 201"),
        ("literal %z text", "literal %z text"),
    ],
)
def test_directives(logger: Any, fmt: str, expected: str) -> None:
    log, records = logger
    request, response = fake_pair()
    AccessLogger(log, fmt).log(request, response, 1.5)
    assert records[0].getMessage() == expected


def test_extra_fields(logger: Any) -> None:
    log, records = logger
    request, response = fake_pair()
    AccessLogger(log, "%a %s %{User-Agent}i %{Content-Type}o").log(request, response, 0.1)
    record = records[0]
    assert record.remote_address == "10.1.2.3"
    assert record.response_status == "201"
    assert record.request_header == {"User-Agent": "curl/8"}
    assert record.response_header == {"Content-Type": "text/plain"}


def test_missing_remote_is_dash(logger: Any) -> None:
    log, records = logger
    request, response = fake_pair()
    request.remote = None
    AccessLogger(log, "%a").log(request, response, 0.0)
    assert records[0].getMessage() == "-"


def test_enabled_follows_logger_level(logger: Any) -> None:
    log, _ = logger
    access = AccessLogger(log)
    assert access.enabled
    log.setLevel(logging.WARNING)
    assert not access.enabled


def test_errors_in_rendering_are_logged_not_raised(logger: Any) -> None:
    log, records = logger
    request, response = fake_pair()
    del request.method
    AccessLogger(log, "%r").log(request, response, 0.0)
    assert records[0].levelno == logging.ERROR
    assert "Error in access logger" in records[0].getMessage()


def test_abstract_logger_requires_log() -> None:
    with pytest.raises(TypeError):
        AbstractAccessLogger(logging.getLogger("x"), "")  # type: ignore[abstract]

    class Custom(AbstractAccessLogger):
        def log(self, request: Any, response: Any, time: float) -> None:
            pass

    custom = Custom(logging.getLogger("x"), "fmt")
    assert custom.enabled
    assert custom.log_format == "fmt"
