"""The host process's garbage collector is ecerp's to change only when asked:
``open_erp(tune_gc=True)`` lets batch commands pause it; by default a batch
leaves it exactly as it found it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from ecerp import (
    ERP,
    ChannelLine,
    ChannelOrder,
    Money,
    Shop,
    Sku,
    ValidationError,
    Warehouse,
    open_erp,
)
from ecerp.usecases.bus import quiet_gc

FREEZE, UNFREEZE = gc.freeze, gc.unfreeze


class WatchingClock:
    """A system clock that notes whether the collector was on each time a
    handler asked it the time (handlers ask while the batch runs)."""

    def __init__(self) -> None:
        self.collector_on: list[bool] = []

    def now(self) -> datetime:
        self.collector_on.append(gc.isenabled())
        return datetime.now(UTC)


@pytest.fixture
def gc_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the ``gc`` functions called that change its state, in order."""
    calls: list[str] = []

    def spy(name: str) -> Callable[[], None]:
        real = getattr(gc, name)

        def call() -> None:
            calls.append(name)
            real()

        return call

    for name in ("disable", "enable", "freeze", "unfreeze", "collect"):
        monkeypatch.setattr(gc, name, spy(name))
    return calls


@pytest.fixture
def host_froze_objects() -> Iterator[None]:
    """A host that froze what it had (a pre-fork server does)."""
    assert gc.isenabled()
    FREEZE()  # the real functions: the spies must not count the host's calls
    try:
        yield
    finally:
        UNFREEZE()


def a_batch(erp: ERP, orders: int = 50) -> None:
    erp.catalog.add(Shop("web", "shopify", currency="EUR"), Sku("MUG"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.inventory.receive("MUG", "SH", orders)
    drafts = [
        ChannelOrder(
            "shopify",
            "web",
            str(n),
            datetime(2026, 1, 5, tzinfo=UTC),
            "EUR",
            (ChannelLine("MUG", 1, Money.of("9.90", "EUR")),),
            paid=True,
        )
        for n in range(orders)
    ]
    assert erp.orders.process(drafts).counts() == {"allocated": orders}
    assert erp.orders.pick(erp.orders.ids()).counts() == {"done": orders}
    assert erp.orders.ship(erp.orders.ids()).counts() == {"done": orders}


def test_by_default_a_batch_leaves_the_collector_alone(gc_calls: list[str]) -> None:
    before = (gc.isenabled(), gc.get_freeze_count())
    clock = WatchingClock()
    with open_erp("memory://", clock=clock) as erp:
        assert erp.bus.tune_gc is False
        a_batch(erp)

    assert clock.collector_on, "the handlers read the clock during the batch"
    assert all(clock.collector_on), "the collector stayed on during every batch"
    assert gc_calls == []
    assert (gc.isenabled(), gc.get_freeze_count()) == before


def test_asked_to_a_batch_pauses_the_collector_and_turns_it_back_on(
    gc_calls: list[str],
) -> None:
    assert gc.isenabled()
    clock = WatchingClock()
    with open_erp("memory://", clock=clock, tune_gc=True) as erp:
        assert erp.bus.tune_gc is True
        a_batch(erp)

    assert False in clock.collector_on, "the collector was off during a batch"
    assert True in clock.collector_on, "and on during the commands that are no batch"
    assert gc_calls[:4] == ["disable", "freeze", "unfreeze", "enable"]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("host_froze_objects")
def test_asked_to_a_batch_keeps_what_the_host_froze_frozen(gc_calls: list[str]) -> None:
    with open_erp("memory://", tune_gc=True) as erp:
        a_batch(erp)

    assert "disable" in gc_calls
    assert "unfreeze" not in gc_calls
    assert "freeze" not in gc_calls
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_the_option_is_a_flag() -> None:
    with pytest.raises(ValidationError) as refused:
        open_erp("memory://", tune_gc="yes")  # type: ignore[arg-type]
    assert refused.value.field == "tune_gc"


def test_a_paused_collector_is_not_paused_again() -> None:
    gc.disable()
    try:
        with quiet_gc(True):
            assert not gc.isenabled()
        assert not gc.isenabled(), "the host's choice stays"
    finally:
        gc.enable()
