"""Building per-request objects without the keyword-dict detour of ``cls(**kw)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

__all__ = ["Construction", "constructor"]

T = TypeVar("T")
_object_new = object.__new__
_tuple_new = tuple.__new__


class Construction(NamedTuple):
    """What :func:`constructor` returns: the new object (or None) and what to call."""

    instance: Any
    make: Callable[..., Any]


def constructor(cls: type[T]) -> Construction:
    """``(instance, instance.__init__)`` for a class built the plain way, else ``(None, cls)``.

    Calling a class with keyword arguments packs them into a dict on their way to
    ``__init__``; calling ``__init__`` as a bound method does not, which matters for
    the request and response objects made on every request. Classes with their own
    ``__new__`` or metaclass are called as usual.

    Call ``make`` as an attribute, ``built.make(...)``, when passing more than a dozen
    keywords: a plain call ``make(...)`` with that many is compiled to build a dict of
    them first (CPython's limit on the stack a call may use).
    """
    # (tuple.__new__ directly: the named tuple's own __new__ is a Python function)
    if type(cls) is type and cls.__new__ is _object_new:
        instance = _object_new(cls)
        return _tuple_new(Construction, (instance, instance.__init__))  # type: ignore[misc]
    return _tuple_new(Construction, (None, cls))
