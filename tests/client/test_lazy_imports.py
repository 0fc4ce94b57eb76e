"""The client modules only some requests need load on first use."""

from __future__ import annotations

import pickle
from types import MappingProxyType

import toolkit
from toolkit.client import pipeline, redirects


def test_the_pipeline_follows_the_redirect_statuses() -> None:
    assert pipeline._REDIRECT_STATUSES == redirects.REDIRECT_STATUSES


def test_content_disposition_is_exported_from_its_old_places() -> None:
    from toolkit.client import response
    from toolkit.client._content_disposition import ContentDisposition

    assert response.ContentDisposition is ContentDisposition
    assert toolkit.ContentDisposition is ContentDisposition
    assert "ContentDisposition" in dir(response)
    assert pickle.loads(pickle.dumps(ContentDisposition)) is ContentDisposition
    value = ContentDisposition("attachment", MappingProxyType({}), "a.txt")
    assert value.type == "attachment" and value.filename == "a.txt"
