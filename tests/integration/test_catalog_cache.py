"""The SQL adapter keeps committed catalog rows between units of work; a
change committed by another process (another ERP on the same file) must be
seen by the next unit, including things that were missing before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ecerp import (
    Alias,
    ChannelLine,
    ChannelOrder,
    Money,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


def draft(number: str, listing: str) -> ChannelOrder:
    return ChannelOrder(
        "ebay",
        "eb-de",
        number,
        T0,
        "EUR",
        (ChannelLine(listing, 1, Money.of("5", "EUR")),),
        paid=True,
    )


def test_a_listing_another_process_adds_is_seen_by_the_next_unit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade_database(url)
    here = open_erp(url, clock=SimulatedClock(T0))
    there = open_erp(url, clock=SimulatedClock(T0))
    here.catalog.add(Sku("MUG"), Shop("eb-de", "ebay", currency="EUR"))

    first = here.orders.import_orders([draft("1", "mug-listing")])
    assert first.outcomes[0].kind is OutcomeKind.UNMAPPED, "no such listing yet (and cached so)"
    assert here.catalog.sku("MUG").weight_g == 0

    there.catalog.add(Alias(None, None, "mug-listing", "MUG"), Sku("LID", weight_g=80))

    again = here.orders.import_orders([draft("2", "mug-listing")])
    assert again.outcomes[0].kind is OutcomeKind.CREATED
    assert here.orders.get("ebay/eb-de/1").requirements == {(1, "MUG"): 1}, "mapped there"
    assert here.catalog.sku("LID").weight_g == 80
    assert here.catalog.resolve("ebay", "eb-de", "mug-listing") == "MUG"
    here.close()
    there.close()


def test_a_warehouse_another_process_opens_is_where_the_next_order_can_ship_from(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade_database(url)
    here = open_erp(url, clock=SimulatedClock(T0))
    there = open_erp(url, clock=SimulatedClock(T0))
    here.catalog.add(Sku("MUG"), Alias(None, None, "mug-listing", "MUG"))
    here.catalog.add(Shop("eb-de", "ebay", currency="EUR"))
    here.inventory.add_warehouse(Warehouse("BER"))
    (waits,) = here.orders.accept([draft("1", "mug-listing")])
    assert waits.kind is OutcomeKind.WAITING, "BER has no mugs (and the warehouses are cached)"

    there.inventory.add_warehouse(Warehouse("HAM"))
    there.inventory.receive("MUG", "HAM", 2)  # one goes to the waiting order

    assert [w.code for w in here.inventory.warehouses()] == ["BER", "HAM"]
    assert here.orders.get("ebay/eb-de/1").warehouse == "HAM"
    (ships,) = here.orders.accept([draft("2", "mug-listing")])
    assert (ships.kind, ships.detail) == (OutcomeKind.ALLOCATED, "HAM")
    here.close()
    there.close()
