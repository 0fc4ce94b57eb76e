"""Typed keys for the state mappings of applications, requests and responses."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["AppKey", "RequestKey", "ResponseKey"]

_T = TypeVar("_T")


class _TypedKey(Generic[_T]):
    __slots__ = ("_name", "_t")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        self._name = name
        self._t = t

    @property
    def name(self) -> str:
        """The key's name."""
        return self._name

    def __lt__(self, other: object) -> bool:
        if isinstance(other, _TypedKey):
            return self._name < other._name
        return True  # typed keys sort before plain keys

    def __repr__(self) -> str:
        t = self._t
        if t is None:
            t_repr = "<<Unknown>>"
        elif isinstance(t, type):
            t_repr = (
                t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
            )
        else:
            t_repr = repr(t)
        return f"<{type(self).__name__}({self._name}, type={t_repr})>"


class AppKey(_TypedKey[_T]):
    """A typed key for application state: ``DB = AppKey("db", Database)``."""

    __slots__ = ()


class RequestKey(_TypedKey[_T]):
    """A typed key for request state: ``USER = RequestKey("user", User)``."""

    __slots__ = ()


class ResponseKey(_TypedKey[_T]):
    """A typed key for response state."""

    __slots__ = ()
