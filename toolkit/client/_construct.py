"""Building per-request objects without the keyword-dict detour of ``cls(**kw)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["constructor"]

T = TypeVar("T")
_object_new = object.__new__


def constructor(cls: type[T]) -> tuple[T | None, Callable[..., Any]]:
    """``(instance, instance.__init__)`` for a class built the plain way, else ``(None, cls)``.

    Calling a class with keyword arguments packs them into a dict on their way to
    ``__init__``; calling ``__init__`` as a bound method does not, which matters for
    the request and response objects made on every request. Classes with their own
    ``__new__`` or metaclass are called as usual.
    """
    if type(cls) is type and cls.__new__ is _object_new:
        instance = _object_new(cls)
        return instance, instance.__init__  # type: ignore[misc]
    return None, cls
