"""HTTP exceptions: the class tree, attributes, headers and pickling."""

from __future__ import annotations

import pickle

import pytest

from toolkit import web
from toolkit.web import exceptions


def all_concrete() -> list[type[web.HTTPException]]:
    return [
        cls
        for name in exceptions.__all__
        if isinstance(cls := getattr(exceptions, name), type)
        and issubclass(cls, web.HTTPException)
        and cls.status_code > 0
    ]


def test_every_class_is_exported_and_in_its_family() -> None:
    classes = all_concrete()
    assert len(classes) == 51  # 7 + 8 + 26 + 10
    for cls in classes:
        assert getattr(web, cls.__name__) is cls
        family = {
            2: web.HTTPSuccessful,
            3: web.HTTPRedirection,
            4: web.HTTPClientError,
            5: web.HTTPServerError,
        }[cls.status_code // 100]
        assert issubclass(cls, family)
        assert issubclass(cls, web.Response) and issubclass(cls, Exception)
    assert issubclass(web.HTTPClientError, web.HTTPError)
    assert issubclass(web.HTTPServerError, web.HTTPError)
    assert issubclass(web.HTTPFound, web.HTTPMove)
    assert not issubclass(web.HTTPNotModified, web.HTTPMove)


@pytest.mark.parametrize("cls", all_concrete(), ids=lambda c: c.__name__)
def test_construct_and_pickle(cls: type[web.HTTPException]) -> None:
    if issubclass(cls, web.HTTPMove):
        exc: web.HTTPException = cls("/there")
    elif cls is web.HTTPMethodNotAllowed:
        exc = cls("put", ["GET", "POST"])
    elif cls is web.HTTPRequestEntityTooLarge:
        exc = cls(max_size=10, actual_size=20)
    elif cls is web.HTTPUnavailableForLegalReasons:
        exc = cls("https://authority.example/")
    else:
        exc = cls(headers={"X-Test": "1"})
    assert exc.status == cls.status_code
    assert str(exc) == exc.reason
    if not exc.empty_body and cls is not web.HTTPRequestEntityTooLarge:
        assert exc.text == f"{exc.status}: {exc.reason}"
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is cls
    assert clone.status == exc.status
    assert dict(clone.headers) == dict(exc.headers)
    assert clone.body == exc.body


def test_specific_attributes() -> None:
    exc = web.HTTPMethodNotAllowed("put", {"GET", "POST"})
    assert exc.method == "PUT"
    assert exc.allowed_methods == {"GET", "POST"}
    assert exc.headers["Allow"] == "GET,POST"
    move = web.HTTPSeeOther("/x")
    assert move.location == "/x" and move.headers["Location"] == "/x"
    with pytest.raises(ValueError, match="location"):
        web.HTTPFound("")
    big = web.HTTPRequestEntityTooLarge(max_size=1, actual_size=2)
    assert (big.max_size, big.actual_size) == (1, 2)
    assert big.text == "Maximum request body size 1 exceeded, actual body size 2"
    legal = web.HTTPUnavailableForLegalReasons("https://a.example/")
    assert legal.headers["Link"] == '<https://a.example/>; rel="blocked-by"'
    assert web.HTTPNoContent().body is None
    custom = web.HTTPBadRequest(reason="Nope", text="details")
    assert (custom.reason, custom.text) == ("Nope", "details")
    with pytest.raises(TypeError, match="no status code"):
        web.HTTPException()
    with pytest.raises(web.HTTPNotFound):
        raise web.HTTPNotFound()


def test_redirect_location_cannot_split_the_response() -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        web.HTTPFound("/x\r\nSet-Cookie: evil=1")


@pytest.mark.parametrize(
    ("exc", "attrs"),
    [
        (web.HTTPTemporaryRedirect("/there", reason="Moved"), {"location": "/there"}),
        (
            web.HTTPMethodNotAllowed("put", ["GET"], text="no"),
            {"method": "PUT", "allowed_methods": {"GET"}},
        ),
        (
            web.HTTPRequestEntityTooLarge(max_size=1, actual_size=2, reason="Big"),
            {"max_size": 1, "actual_size": 2},
        ),
        (web.HTTPUnavailableForLegalReasons(None), {"link": None}),
        (
            web.HTTPUnavailableForLegalReasons("https://a.example/", text="gone"),
            {"link": web.HTTPUnavailableForLegalReasons("https://a.example/").link},
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, web.HTTPException) else "",
)
def test_pickling_keeps_the_specific_attributes_and_options(
    exc: web.HTTPException, attrs: dict[str, object]
) -> None:
    clone = pickle.loads(pickle.dumps(exc))
    for name, value in attrs.items():
        assert getattr(clone, name) == value, name
    assert (clone.reason, clone.text, dict(clone.headers)) == (
        exc.reason,
        exc.text,
        dict(exc.headers),
    )
