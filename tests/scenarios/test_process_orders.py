"""A seller's day in one call: ``erp.orders.process(drafts)`` imports,
reviews, routes and allocates, and says where each order ended; and the web
shop's webhook, ``erp.orders.accept(drafts)``, which does the same for the
one order of a call in one transaction.

A shop on eBay Germany ships mugs and lids from Berlin.  Every story runs in
memory and on a SQLite file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from ecerp import (
    ERP,
    ChannelLine,
    ChannelOrder,
    Money,
    OrderStatus,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database
from ecerp.domain.orders.holds import BuyerNote, ReviewPolicy
from ecerp.usecases.allocation import handlers as allocation
from ecerp.usecases.orders import handlers as orders

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    made = f"sqlite:///{tmp_path / 'day.db'}"
    upgrade_database(made)
    return made


def seller(url: str, mugs: int, **options: object) -> ERP:
    erp = open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=2)), **options)  # type: ignore[arg-type]
    erp.catalog.add(Sku("MUG"), Sku("LID"), Shop("eb-de", "ebay", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER"))
    if mugs:
        erp.inventory.receive("MUG", "BER", mugs)
    erp.inventory.receive("LID", "BER", 50)
    return erp


def order(
    number: str, *lines: tuple[str, int], minute: int = 0, paid: bool = True, note: str = ""
) -> ChannelOrder:
    return ChannelOrder(
        "ebay",
        "eb-de",
        number,
        T0 + timedelta(minutes=minute),
        "EUR",
        tuple(ChannelLine(sku, qty, Money.of("9.90", "EUR")) for sku, qty in lines),
        paid=paid,
        buyer_note=note,
    )


def test_each_order_of_the_day_reports_where_it_ended(url: str) -> None:
    erp = seller(url, mugs=3, review=ReviewPolicy((BuyerNote(),)))
    result = erp.orders.process(
        [
            order("1", ("MUG", 2), minute=1),
            order("2", ("MUG", 2), minute=2),  # one mug left: waits
            order("3", ("LID", 1), minute=3, note="gift wrap, please"),
            order("4", ("TEAPOT", 1), minute=4),  # not linked to a SKU yet: kept unmapped
            order("5", ("LID", 1), minute=5, paid=False),
            order("6", ("LID", 4), minute=6),
        ]
    )
    by_ref = result.by_ref()
    assert len(result) == 6, "one outcome per draft, nothing else changed"
    assert by_ref["ebay/eb-de/1"].kind is OutcomeKind.ALLOCATED
    assert by_ref["ebay/eb-de/1"].detail == "BER"
    assert by_ref["ebay/eb-de/2"].kind is OutcomeKind.WAITING
    assert by_ref["ebay/eb-de/2"].detail == "MUG"
    assert by_ref["ebay/eb-de/3"].kind is OutcomeKind.HELD
    assert "buyer_note" in by_ref["ebay/eb-de/3"].detail
    assert by_ref["ebay/eb-de/4"].kind is OutcomeKind.UNMAPPED
    assert "TEAPOT" in by_ref["ebay/eb-de/4"].detail
    assert erp.orders.get("ebay/eb-de/4").status is OrderStatus.UNMAPPED
    assert by_ref["ebay/eb-de/5"].kind is OutcomeKind.CREATED
    assert erp.orders.get("ebay/eb-de/5").status is OrderStatus.UNPAID
    assert by_ref["ebay/eb-de/6"].kind is OutcomeKind.ALLOCATED
    assert erp.inventory.position("MUG", "BER").reserved == 2
    assert erp.inventory.position("LID", "BER").reserved == 4
    erp.check()


def test_new_orders_do_not_jump_the_queue_ahead_of_older_waiting_ones(url: str) -> None:
    erp = seller(url, mugs=0, auto_allocate=False)
    assert erp.orders.import_orders([order("OLD", ("MUG", 2), minute=0)]).ok
    assert erp.orders.allocate().counts() == {"waiting": 1}
    erp.inventory.receive("MUG", "BER", 2)  # nothing listens: the old order still waits

    result = erp.orders.process([order("NEW", ("MUG", 2), minute=30)])

    by_ref = result.by_ref()
    assert by_ref["ebay/eb-de/NEW"].kind is OutcomeKind.WAITING
    assert by_ref["ebay/eb-de/OLD"].kind is OutcomeKind.ALLOCATED, "reported after the drafts"
    assert [o.ref for o in result] == ["ebay/eb-de/NEW", "ebay/eb-de/OLD"]
    assert erp.orders.get("ebay/eb-de/OLD").status is OrderStatus.ALLOCATED


def test_a_big_day_streams_in_chunks_and_ends_as_one_unit_would(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 7 for import and 5 for allocation give the same end state
    as the default (all in one chunk)."""

    def day() -> list[ChannelOrder]:
        return [
            order(f"D{i:03d}", ("MUG", 1 + i % 3), ("LID", i % 2 + 1), minute=i) for i in range(40)
        ]

    def run(make: Callable[[], ERP]) -> dict[str, tuple[OrderStatus, str | None]]:
        erp = make()
        assert all(o.kind is not OutcomeKind.REJECTED for o in erp.orders.process(day()))
        erp.check()
        found = {oid: erp.orders.get(oid) for oid in erp.orders.ids()}
        return {oid: (o.status, o.warehouse) for oid, o in found.items()}

    whole = run(lambda: seller("memory://", mugs=45))
    monkeypatch.setattr(orders, "IMPORT_CHUNK", 7)
    monkeypatch.setattr(allocation, "ALLOCATE_CHUNK", 5)
    chunked = run(lambda: seller(url, mugs=45))
    assert chunked == whole
    statuses = [s for s, _ in whole.values()]
    assert OrderStatus.ALLOCATED in statuses
    assert OrderStatus.WAITING in statuses


# --- the webhook: accept() ---------------------------------------------------------------


def test_a_paid_order_from_the_webhook_is_reserved_in_the_same_call(url: str) -> None:
    erp = seller(url, mugs=5)
    result = erp.orders.accept([order("1", ("MUG", 2), ("LID", 1))])
    (outcome,) = result
    assert (outcome.kind, outcome.order, outcome.detail) == (
        OutcomeKind.ALLOCATED,
        "ebay/eb-de/1",
        "BER",
    )
    assert erp.orders.get("ebay/eb-de/1").status is OrderStatus.ALLOCATED
    position = erp.inventory.position("MUG", "BER")
    assert (position.on_hand, position.reserved) == (5, 2)
    erp.check()


def test_the_same_webhook_delivered_twice_changes_nothing_the_second_time(url: str) -> None:
    erp = seller(url, mugs=5)
    erp.orders.accept([order("1", ("MUG", 2))])
    (again,) = erp.orders.accept([order("1", ("MUG", 2))])
    assert again.kind is OutcomeKind.UNCHANGED
    assert erp.inventory.position("MUG", "BER").reserved == 2
    erp.check()


def test_a_new_order_does_not_take_the_stock_an_older_waiting_one_can_ship_with(
    url: str,
) -> None:
    # Allocation is by hand here, so stock that arrives does not go to the
    # waiting order by itself: the webhook must serve it first.
    erp = seller(url, mugs=0, auto_allocate=False)
    (first,) = erp.orders.accept([order("1", ("MUG", 2), minute=1)])
    assert first.kind is OutcomeKind.WAITING
    erp.inventory.receive("MUG", "BER", 2)
    result = erp.orders.accept([order("2", ("MUG", 1), minute=30)])
    by_order = {o.order: o.kind for o in result}
    assert by_order == {"ebay/eb-de/2": OutcomeKind.WAITING, "ebay/eb-de/1": OutcomeKind.ALLOCATED}
    assert erp.orders.get("ebay/eb-de/1").status is OrderStatus.ALLOCATED
    assert erp.inventory.position("MUG", "BER").reserved == 2
    erp.check()


def test_an_order_for_other_skus_leaves_the_waiting_ones_alone(url: str) -> None:
    erp = seller(url, mugs=0, auto_allocate=False)
    erp.orders.accept([order("1", ("MUG", 2), minute=1)])
    erp.inventory.receive("MUG", "BER", 2)
    result = erp.orders.accept([order("2", ("LID", 1), minute=30)])
    assert [(o.order, o.kind) for o in result] == [("ebay/eb-de/2", OutcomeKind.ALLOCATED)]
    assert erp.orders.get("ebay/eb-de/1").status is OrderStatus.WAITING


def test_an_order_held_for_review_keeps_its_stock_free(url: str) -> None:
    erp = seller(url, mugs=5, review=ReviewPolicy((BuyerNote(),)))
    (outcome,) = erp.orders.accept([order("1", ("MUG", 2), note="leave it at the door")])
    assert outcome.kind is OutcomeKind.HELD
    assert "note" in outcome.detail.lower()
    assert erp.inventory.position("MUG", "BER").reserved == 0


def test_an_unpaid_order_is_stored_and_waits_for_its_payment(url: str) -> None:
    erp = seller(url, mugs=5)
    (outcome,) = erp.orders.accept([order("1", ("MUG", 1), paid=False)])
    assert outcome.kind is OutcomeKind.CREATED
    assert erp.orders.get("ebay/eb-de/1").status is OrderStatus.UNPAID
    assert erp.inventory.position("MUG", "BER").reserved == 0


def test_a_refused_draft_leaves_no_trace_and_the_others_go_through(url: str) -> None:
    erp = seller(url, mugs=5)
    other_shop = attrs.evolve(order("1", ("MUG", 1)), shop="eb-uk")  # not a shop of ours
    result = erp.orders.accept([other_shop, order("2", ("MUG", 1))])
    kinds = [o.kind for o in result]
    assert kinds == [OutcomeKind.REJECTED, OutcomeKind.ALLOCATED]
    assert erp.orders.find("ebay/eb-uk/1") is None
    assert erp.inventory.position("MUG", "BER").reserved == 1
    erp.check()


def test_older_orders_that_still_wait_are_not_reported_again(url: str) -> None:
    erp = seller(url, mugs=0, auto_allocate=False)
    erp.orders.accept([order("1", ("MUG", 5), minute=1)])
    erp.inventory.receive("MUG", "BER", 1)
    result = erp.orders.accept([order("2", ("MUG", 1), minute=30)])
    assert [(o.order, o.kind) for o in result] == [("ebay/eb-de/2", OutcomeKind.ALLOCATED)]
    assert erp.orders.get("ebay/eb-de/1").status is OrderStatus.WAITING


def test_a_newer_version_of_a_waiting_order_says_it_still_waits(url: str) -> None:
    erp = seller(url, mugs=0)
    erp.orders.accept([order("1", ("MUG", 2), minute=1)])
    newer = attrs.evolve(order("1", ("MUG", 3), minute=1), updated_at=T0 + timedelta(hours=1))
    (outcome,) = erp.orders.accept([newer])
    assert (outcome.kind, outcome.detail) == (OutcomeKind.WAITING, "MUG")
    assert erp.orders.get("ebay/eb-de/1").lines[0].qty == 3
