"""The ``Trace*Params`` value objects: frozen dataclasses, compared and hashed by their fields."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest
from multidict import CIMultiDict
from yarl import URL

from toolkit.client import tracing

URL_ = URL("http://example.test/path")

#: Every params class with arguments for it, in field order.
EXAMPLES: list[tuple[type[Any], tuple[object, ...]]] = [
    (tracing.TraceRequestStartParams, ("GET", URL_, CIMultiDict(a="1"))),
    (tracing.TraceRequestEndParams, ("GET", URL_, CIMultiDict(), "response")),
    (tracing.TraceRequestExceptionParams, ("GET", URL_, CIMultiDict(), ValueError("x"))),
    (tracing.TraceRequestRedirectParams, ("GET", URL_, CIMultiDict(), "response")),
    (tracing.TraceRequestHeadersSentParams, ("POST", URL_, CIMultiDict())),
    (tracing.TraceRequestChunkSentParams, ("POST", URL_, b"chunk")),
    (tracing.TraceResponseChunkReceivedParams, ("GET", URL_, b"chunk")),
    (tracing.TraceConnectionQueuedStartParams, ()),
    (tracing.TraceConnectionQueuedEndParams, ()),
    (tracing.TraceConnectionCreateStartParams, ()),
    (tracing.TraceConnectionCreateEndParams, ()),
    (tracing.TraceConnectionReuseconnParams, ()),
    (tracing.TraceDnsResolveHostStartParams, ("example.test",)),
    (tracing.TraceDnsResolveHostEndParams, ("example.test",)),
    (tracing.TraceDnsCacheHitParams, ("example.test",)),
    (tracing.TraceDnsCacheMissParams, ("example.test",)),
]


def test_every_exported_params_class_is_covered() -> None:
    exported = {name for name in tracing.__all__ if name.endswith("Params")}
    assert {cls.__name__ for cls, _ in EXAMPLES} == exported


@pytest.mark.parametrize(("cls", "args"), EXAMPLES, ids=lambda v: getattr(v, "__name__", ""))
def test_value_semantics(cls: type[Any], args: tuple[object, ...]) -> None:
    params = cls(*args)
    names = cls.__match_args__
    assert len(names) == len(args)
    assert tuple(getattr(params, name) for name in names) == args
    assert cls(**dict(zip(names, args))) == params  # by keyword too
    if not any(isinstance(arg, CIMultiDict) for arg in args):
        assert hash(cls(*args)) == hash(params)
    else:  # as with a frozen dataclass: hashed by the fields, and headers are not hashable
        with pytest.raises(TypeError, match="unhashable"):
            hash(params)
    assert repr(params).startswith(f"{cls.__name__}(")
    assert repr(pickle.loads(pickle.dumps(params))) == repr(params)  # exceptions: no ==
    assert copy.copy(params) == params
    assert tuple(field.name for field in dataclasses.fields(params)) == names
    assert dataclasses.replace(params) == params
    for name in (*names, "anything"):
        with pytest.raises(dataclasses.FrozenInstanceError, match=f"'{name}'"):
            setattr(params, name, 1)
    with pytest.raises(TypeError):
        cls(*args, "one too many")


def test_equality_needs_the_same_class() -> None:
    hit = tracing.TraceDnsCacheHitParams("h")
    assert hit != tracing.TraceDnsCacheMissParams("h")
    assert hit != tracing.TraceDnsCacheHitParams("other")
    assert hit != ("h",)
    assert tracing.TraceConnectionQueuedStartParams() == tracing.TraceConnectionQueuedStartParams()


def test_repr_and_match_by_position() -> None:
    params = tracing.TraceRequestChunkSentParams(method="PUT", url=URL_, chunk=b"x")
    assert repr(params) == (
        "TraceRequestChunkSentParams(method='PUT', url=URL('http://example.test/path'), chunk=b'x')"
    )
    match params:
        case tracing.TraceRequestChunkSentParams(method, url, chunk):
            assert (method, url, chunk) == ("PUT", URL_, b"x")
        case _:
            pytest.fail("no match")
