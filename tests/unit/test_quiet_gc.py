"""Batch commands pause the cyclic garbage collector, and leave what they
built where the young-generation collections that follow will not walk it."""

from __future__ import annotations

import gc
import weakref

import pytest

from ecerp.usecases.bus import quiet_gc


class Built:
    """Something a batch leaves alive (a stored order, say)."""


def test_the_collector_is_off_during_a_batch_and_on_after_it() -> None:
    assert gc.isenabled()
    with quiet_gc(True):
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_batch_fails() -> None:
    with pytest.raises(RuntimeError), quiet_gc(True):
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_what_a_batch_leaves_alive_is_in_the_oldest_generation() -> None:
    with quiet_gc(True):
        kept = [Built() for _ in range(100)]
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(o) in oldest for o in kept)
    assert gc.get_freeze_count() == 0, "nothing is kept from the collector"


def test_a_cycle_left_by_a_batch_is_still_collected() -> None:
    with quiet_gc(True):
        a, b = Built(), Built()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        gone = weakref.ref(a)
        del a, b
    gc.collect()
    assert gone() is None


def test_a_command_that_is_no_batch_leaves_the_collector_alone() -> None:
    with quiet_gc(False):
        assert gc.isenabled()
