"""Lists that freeze, and signals built on them.

An :class:`Application` keeps its middlewares and its lifecycle callbacks in these
lists: they can be changed while the application is being configured and become
read-only once it starts serving.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterable, MutableSequence
from typing import Any, SupportsIndex, TypeVar, overload

__all__ = ["FrozenList", "Signal"]

_T = TypeVar("_T")


class FrozenList(MutableSequence[_T]):
    """A list that can be made read-only with :meth:`freeze`.

    Any change after :meth:`freeze` raises :class:`RuntimeError`.
    """

    __slots__ = ("_frozen", "_items")

    def __init__(self, items: Iterable[_T] | None = None) -> None:
        self._frozen = False
        self._items: list[_T] = list(items) if items is not None else []

    @property
    def frozen(self) -> bool:
        """``True`` once :meth:`freeze` was called."""
        return self._frozen

    def freeze(self) -> None:
        """Make the list read-only."""
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError(f"cannot modify frozen {self.__class__.__name__}")

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> FrozenList[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | FrozenList[_T]:
        if isinstance(index, slice):
            return FrozenList(self._items[index])
        return self._items[index]

    @overload
    def __setitem__(self, index: int, value: _T) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[_T]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        self._check()
        self._items[index] = value

    def __delitem__(self, index: int | slice) -> None:
        self._check()
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def insert(self, index: SupportsIndex, value: _T) -> None:
        """Insert ``value`` before ``index``."""
        self._check()
        self._items.insert(index, value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenList):
            return self._items == other._items
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}(frozen={self._frozen}, {self._items!r})>"


class Signal(FrozenList[Callable[..., Awaitable[Any]]]):
    """A list of async callbacks that :meth:`send` awaits one after another.

    The signal must be frozen before it is sent; an exception raised by a
    receiver propagates to the sender and the remaining receivers do not run.
    """

    __slots__ = ("_owner_ref",)

    def __init__(self, owner: object) -> None:
        # FrozenList.__init__ without the call (four signals per Application).
        self._frozen = False
        self._items = []
        # Held weakly when it can be: the owner (an Application) holds its signals, and
        # a strong reference back would leave a reference cycle for the collector.
        try:
            self._owner_ref: Callable[[], object] = weakref.ref(owner)
        except TypeError:
            self._owner_ref = lambda: owner

    @property
    def _owner(self) -> object:
        """The object whose signal this is (None once it was garbage-collected)."""
        return self._owner_ref()

    async def send(self, *args: Any, **kwargs: Any) -> None:
        """Await every receiver in order with the given arguments."""
        if not self._frozen:
            raise RuntimeError(f"cannot send the non-frozen signal {self!r}")
        for receiver in self._items:
            await receiver(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Signal owner={self._owner!r}, frozen={self._frozen}, {self._items!r}>"
