"""The web shop's webhook: ``erp.orders.accept(drafts)`` imports, reviews,
routes and allocates the order it was handed, in one transaction.

A shop on eBay Germany ships mugs and lids from Berlin.  Every story runs in
memory and on a SQLite file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from ecerp.domain.holds import BuyerNote, ReviewPolicy

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    made = f"sqlite:///{tmp_path / 'shop.db'}"
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
    result = erp.orders.accept([order("1", ("TEAPOT", 1)), order("2", ("MUG", 1))])
    kinds = [o.kind for o in result]
    assert kinds == [OutcomeKind.REJECTED, OutcomeKind.ALLOCATED]
    assert erp.orders.find("ebay/eb-de/1") is None
    assert erp.inventory.position("MUG", "BER").reserved == 1
    erp.check()


def test_older_orders_that_still_wait_are_not_reported_again(url: str) -> None:
    erp = seller(url, mugs=0, auto_allocate=False)
    erp.orders.accept([order("1", ("MUG", 5), minute=1)])
    erp.inventory.receive("MUG", "BER", 1)
    result = erp.orders.accept([order("2", ("MUG", 1), minute=30)])
    assert [(o.order, o.kind) for o in result] == [("ebay/eb-de/2", OutcomeKind.ALLOCATED)]
    assert erp.orders.get("ebay/eb-de/1").status is OrderStatus.WAITING
