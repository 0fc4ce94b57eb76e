"""The leak check's garbage collection (pytest_plugin.leaks), outside pytest runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pytest_plugin import leaks


@pytest.fixture
def fresh_checks() -> Iterator[None]:
    leaks.release_frozen()
    yield
    leaks.release_frozen()


def test_the_mark_is_the_collectors_own_count_after_each_check(fresh_checks: None) -> None:
    # The first check collects everything; the next ones only the young generations,
    # until the collector runs on its own (here: forced) and the next is full again.
    leaks._collect_since_freeze()
    assert leaks._collections_mark == leaks._collections()
    middle, old = leaks._collections()
    leaks._collect_since_freeze()
    assert leaks._collections() == (middle + 1, old)
    assert leaks._collections_mark == leaks._collections()
    gc.collect(1)  # as an automatic collection would
    middle, old = leaks._collections()
    leaks._collect_since_freeze()
    assert leaks._collections() == (middle, old + 1)
    assert leaks._collections_mark == leaks._collections()


def test_release_gives_frozen_objects_back(fresh_checks: None) -> None:
    leaks._collect_since_freeze()
    assert gc.get_freeze_count() > 0
    leaks.release_frozen()
    assert gc.get_freeze_count() == 0
    assert leaks._collections_mark is None
