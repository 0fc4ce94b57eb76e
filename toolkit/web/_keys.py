"""Typed keys for the state mappings of applications, requests and responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

__all__ = ["AppKey", "LazyState", "RequestKey", "ResponseKey"]

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


_K = TypeVar("_K", bound="_TypedKey[Any]")


class LazyState(Generic[_K]):
    """The ``obj[key]`` state of requests and responses.

    Its dict is made on the first write: most requests never store anything. Classes
    put their typed ``__getitem__``/``__setitem__`` overloads over :meth:`_get_state`
    and :meth:`_set_state`.
    """

    _state: dict[str | _K, Any] | None = None

    def _get_state(self, key: str | _K) -> Any:
        state = self._state
        if state is None:
            raise KeyError(key)
        return state[key]

    def _set_state(self, key: str | _K, value: Any) -> None:
        state = self._state
        if state is None:
            state = self._state = {}
        state[key] = value

    def __delitem__(self, key: str | _K) -> None:
        state = self._state
        if state is None:
            raise KeyError(key)
        del state[key]

    def __len__(self) -> int:
        return len(self._state) if self._state is not None else 0

    def __iter__(self) -> Iterator[str | _K]:
        return iter(self._state if self._state is not None else ())
