"""Order automation gaps closed: freight by SKU dimensions, the PO box check
asking the carriers, held orders that keep their stock (per shop), and
merged parcels merged again.

A seller on Shopify ships from Berlin (BER) and Paris (PAR).  Every story
runs in memory and on a SQLite file.  Prices in the rate tables are round
numbers so that each expected choice can be worked out by hand in the test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecerp import (
    ERP,
    Address,
    Buyer,
    ChannelLine,
    ChannelOrder,
    Dimensions,
    Money,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.orders.errors import ConsolidationError
from ecerp.domain.orders.holds import PoBox, ReviewPolicy
from ecerp.domain.shared.errors import InvalidTransitionError, ValidationError

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)
HOME = Address("Ann Weber", "Hauptstr. 1", "", "Berlin", "", "10115", "DE")
PO_BOX = Address("Ann Weber", "Postfach 12 34", "", "Berlin", "", "10115", "DE")
ANN = Buyer("ann-w", "Ann Weber", "ann@example.com")


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    url = f"sqlite:///{tmp_path / 'gaps.db'}"
    upgrade_database(url)
    return url


def table(
    carrier: str,
    service: str,
    first: str,
    *,
    step: str = "1.00",
    divisor: int | None = None,
    max_mm: tuple[int, int, int] | None = None,
    refuses_po_boxes: bool = False,
) -> RateTable:
    """A German rate table: ``first`` for up to 1 kg, ``step`` per started kg beyond."""
    data: dict[str, object] = {
        "carrier": carrier,
        "service": service,
        "currency": "EUR",
        "zones": [{"zone": "de", "country": "DE"}],
        "prices": {"de": {"first_g": 1000, "first": first, "step_g": 1000, "step": step}},
        "refuses_po_boxes": refuses_po_boxes,
    }
    if divisor is not None:
        data["volumetric_divisor"] = divisor
    if max_mm is not None:
        data["max_dimensions_mm"] = list(max_mm)
    return RateTable.from_dict(data)


def seller(url: str, *skus: Sku, shop: Shop | None = None, **options: object) -> ERP:
    erp = open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=1)), actor="lea", **options)  # type: ignore[arg-type]
    erp.catalog.add(Sku("MUG", weight_g=400), *skus, shop or Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER", priority=0))
    erp.inventory.add_warehouse(Warehouse("PAR", priority=1))
    return erp


def order(
    number: str, *lines: tuple[str, int], address: Address = HOME, minute: int = 0
) -> ChannelOrder:
    placed = T0 + timedelta(minutes=minute)
    return ChannelOrder(
        "shopify",
        "web",
        number,
        placed,
        "EUR",
        tuple(ChannelLine(sku, qty, Money.of("10.00", "EUR")) for sku, qty in lines),
        paid=True,
        buyer=ANN,
        address=address,
    )


def oid(number: str) -> str:
    return f"shopify/web/{number}"


def held(erp: ERP, order_id: str) -> list[tuple[int, str, int]]:
    return sorted((r.line, r.sku, r.qty) for r in erp.inventory.reservations(order_id))


# --- 1. freight by SKU dimensions ------------------------------------------------

PILLOW = Sku("PILLOW", weight_g=500, dimensions=Dimensions(600, 400, 400))
ROD = Sku("ROD", weight_g=900, dimensions=Dimensions(1500, 50, 50))


def test_a_bulky_light_sku_is_charged_by_volume_so_the_service_without_a_divisor_wins(
    url: str,
) -> None:
    # express: 5.00 by actual weight (500 g), but 600x400x400 mm / 5000 =
    # 19,200 g volumetric: 5.00 + 19 started kg x 1.00 = 24.00 EUR.
    # freight: 9.00 EUR whatever the volume (no divisor).  Freight is cheaper.
    express = table("fast", "express", "5.00", divisor=5000)
    freight = table("slow", "freight", "9.00")
    erp = seller(url, PILLOW, rate_tables=[express, freight])
    erp.inventory.receive("PILLOW", "BER", 5)
    erp.orders.import_orders([order("1", ("PILLOW", 1))])
    erp.orders.allocate()
    assert erp.orders.get(oid("1")).shipping_service == "slow/freight"
    # a mug (no dimensions, 400 g) is still cheaper by express: 5.00 < 9.00
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("2", ("MUG", 1))])
    erp.orders.allocate()
    assert erp.orders.get(oid("2")).shipping_service == "fast/express"


def test_an_over_long_item_rules_out_a_service_that_cannot_take_it(url: str) -> None:
    # the parcel service is cheaper but takes at most 1200 mm; the rod is 1500 mm
    parcel = table("post", "parcel", "4.00", max_mm=(1200, 600, 600))
    bulky = table("cargo", "bulky", "19.00", max_mm=(3000, 1000, 1000))
    erp = seller(url, ROD, rate_tables=[parcel, bulky])
    erp.inventory.receive("ROD", "BER", 5)
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("ROD", 1)), order("2", ("MUG", 3))])
    erp.orders.allocate()
    assert erp.orders.get(oid("1")).shipping_service == "cargo/bulky"
    assert erp.orders.get(oid("2")).shipping_service == "post/parcel"


def test_an_over_long_item_ships_from_the_warehouse_whose_carrier_can_take_it(url: str) -> None:
    # Berlin comes first by priority and has the rod, but its only service
    # takes 1200 mm at most; Paris's dearer service takes it.
    erp = seller(
        url,
        ROD,
        rate_tables={
            "BER": [table("post", "parcel", "4.00", max_mm=(1200, 600, 600))],
            "PAR": [table("cargo", "bulky", "19.00")],
        },
    )
    erp.inventory.receive("ROD", "BER", 5)
    erp.inventory.receive("ROD", "PAR", 5)
    erp.orders.import_orders([order("1", ("ROD", 1))])
    erp.orders.allocate()
    rod = erp.orders.get(oid("1"))
    assert (rod.warehouse, rod.shipping_service) == ("PAR", "cargo/bulky")


def test_many_small_items_are_charged_for_at_least_their_total_volume(url: str) -> None:
    # 10 cubes of 200 mm: 8,000,000 mm3 each, 80,000,000 mm3 in all; at
    # 5000 that is at least 16,000 g volumetric, 5.00 + 15 x 1.00 = 20.00 EUR
    # at the least, against 12.00 flat.
    cube = Sku("CUBE", weight_g=100, dimensions=Dimensions(200, 200, 200))
    express = table("fast", "express", "5.00", divisor=5000)
    flat = table("slow", "flat", "12.00")
    erp = seller(url, cube, rate_tables=[express, flat])
    erp.inventory.receive("CUBE", "BER", 10)
    erp.orders.import_orders([order("1", ("CUBE", 10)), order("2", ("CUBE", 1), minute=1)])
    erp.orders.allocate()
    assert erp.orders.get(oid("1")).shipping_service == "slow/flat"
    # one cube alone: 1600 g volumetric, 5.00 + 1.00 = 6.00 < 12.00 ... but
    # stock ran out above, so it waits; give it some and allocate again
    erp.inventory.receive("CUBE", "BER", 1)
    erp.orders.allocate()
    assert erp.orders.get(oid("2")).shipping_service == "fast/express"


# --- 2. the PO box check asks the carriers ------------------------------------------


def test_a_po_box_is_not_held_when_a_carrier_delivers_there_and_that_carrier_is_chosen(
    url: str,
) -> None:
    dhl = table("dhl", "paket", "4.00", refuses_po_boxes=True)
    post = table("post", "brief", "6.00")
    erp = seller(url, rate_tables=[dhl, post], review=ReviewPolicy((PoBox(),)))
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 1), address=PO_BOX), order("2", ("MUG", 1))])
    assert erp.orders.get(oid("1")).status is OrderStatus.READY
    erp.orders.allocate()
    # the PO box goes with the dearer service that delivers there
    assert erp.orders.get(oid("1")).shipping_service == "post/brief"
    assert erp.orders.get(oid("2")).shipping_service == "dhl/paket"


def test_a_po_box_is_held_when_every_carrier_refuses_po_boxes(url: str) -> None:
    dhl = table("dhl", "paket", "4.00", refuses_po_boxes=True)
    ups = table("ups", "standard", "6.00", refuses_po_boxes=True)
    erp = seller(url, rate_tables=[dhl, ups], review=ReviewPolicy((PoBox(),)))
    erp.orders.import_orders([order("1", ("MUG", 1), address=PO_BOX)])
    found = erp.orders.get(oid("1"))
    assert found.status is OrderStatus.ON_HOLD
    assert [r.code for r in found.hold_reasons] == ["po_box"]
    assert "every carrier service refuses" in found.hold_reasons[0].detail


def test_the_service_an_order_ships_with_decides_about_its_po_box(url: str) -> None:
    dhl = table("dhl", "paket", "4.00", refuses_po_boxes=True)
    post = table("post", "brief", "6.00")
    erp = seller(url, rate_tables=[dhl, post], review=ReviewPolicy((PoBox(),)))
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 1)), order("2", ("MUG", 1))])
    erp.orders.allocate()
    assert erp.orders.get(oid("1")).shipping_service == "dhl/paket"
    # moving to a PO box with DHL chosen: DHL refuses, so the order is held
    moved = erp.orders.change_address(oid("1"), PO_BOX)
    assert moved.status is OrderStatus.ON_HOLD
    assert "dhl/paket refuses PO boxes" in moved.hold_reasons[0].detail
    assert held(erp, oid("1")) == []
    # with a service that delivers to PO boxes, the same move holds nothing
    erp.orders.import_orders([order("3", ("MUG", 1), address=PO_BOX)])
    erp.orders.allocate([oid("3")])
    assert erp.orders.get(oid("3")).shipping_service == "post/brief"
    erp.orders.change_address(oid("3"), HOME)
    again = erp.orders.change_address(oid("3"), PO_BOX)
    assert again.status is OrderStatus.ALLOCATED


def test_without_rate_tables_every_po_box_is_held_as_before(url: str) -> None:
    erp = seller(url, review=ReviewPolicy((PoBox(),)))
    erp.orders.import_orders([order("1", ("MUG", 1), address=PO_BOX)])
    assert erp.orders.get(oid("1")).status is OrderStatus.ON_HOLD


# --- 3. held orders keep their stock when the shop says so --------------------------

KEEPING = Shop("web", "shopify", currency="EUR", reserve_held=True)


def test_a_shop_setting_that_is_not_a_bool_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Shop("web", "shopify", reserve_held="yes")  # type: ignore[arg-type]
    assert caught.value.field == "reserve_held"


def test_an_allocated_order_put_on_hold_keeps_its_stock_and_goes_back_to_allocated(
    url: str,
) -> None:
    erp = seller(url, shop=KEEPING)
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 2))])
    erp.orders.allocate()
    on_hold = erp.orders.hold(oid("1"), "call the buyer")
    assert (on_hold.status, on_hold.warehouse) == (OrderStatus.ON_HOLD, "BER")
    assert held(erp, oid("1")) == [(1, "MUG", 2)]
    assert erp.inventory.position("MUG", "BER").reserved == 2
    # a held order is not picked or shipped
    assert erp.orders.pick([oid("1")]).counts() == {"rejected": 1}
    released = erp.orders.release(oid("1"))
    assert (released.status, released.warehouse) == (OrderStatus.ALLOCATED, "BER")
    assert held(erp, oid("1")) == [(1, "MUG", 2)]
    assert erp.inventory.position("MUG", "BER").reserved == 2
    erp.check()


def test_an_order_held_before_allocation_is_reserved_but_stays_held(url: str) -> None:
    erp = seller(url, shop=KEEPING)
    erp.inventory.receive("MUG", "PAR", 5)
    erp.orders.import_orders([order("1", ("MUG", 3))])
    erp.orders.hold(oid("1"), "call the buyer")
    result = erp.orders.allocate()
    assert result.counts() == {"allocated": 1}
    waiting = erp.orders.get(oid("1"))
    assert (waiting.status, waiting.warehouse) == (OrderStatus.ON_HOLD, "PAR")
    assert erp.inventory.position("MUG", "PAR").reserved == 3
    assert erp.orders.pick([oid("1")]).counts() == {"rejected": 1}
    # a second run does not reserve it twice
    erp.orders.allocate()
    assert erp.inventory.position("MUG", "PAR").reserved == 3
    assert erp.orders.release(oid("1")).status is OrderStatus.ALLOCATED
    assert erp.orders.pick([oid("1")]).counts() == {"done": 1}
    erp.check()


def test_cancelling_a_held_order_that_keeps_stock_gives_it_all_back(url: str) -> None:
    erp = seller(url, shop=KEEPING)
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 4))])
    erp.orders.allocate()
    erp.orders.hold(oid("1"), "fraud?")
    erp.orders.cancel(oid("1"))
    assert held(erp, oid("1")) == []
    assert erp.inventory.position("MUG", "BER").reserved == 0
    erp.check()


def test_a_held_order_whose_edit_needs_more_than_the_shelf_gives_its_stock_back(url: str) -> None:
    erp = seller(url, shop=KEEPING)
    erp.inventory.receive("MUG", "BER", 3)
    erp.orders.import_orders([order("1", ("MUG", 2))])
    erp.orders.allocate()
    erp.orders.hold(oid("1"), "check size")
    edited = erp.orders.edit_lines(oid("1"), [ChannelLine("MUG", 5, Money.of("10", "EUR"))])
    assert (edited.status, edited.warehouse) == (OrderStatus.ON_HOLD, None)
    assert held(erp, oid("1")) == []
    assert erp.orders.release(oid("1")).status is OrderStatus.READY
    erp.check()


def test_without_the_setting_a_hold_gives_the_stock_back_as_before(url: str) -> None:
    erp = seller(url)
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 2)), order("2", ("MUG", 1))])
    erp.orders.allocate([oid("1")])
    erp.orders.hold(oid("1"), "call the buyer")
    erp.orders.hold(oid("2"), "call the buyer")
    assert erp.orders.allocate().counts() == {}
    assert (erp.orders.get(oid("1")).warehouse, held(erp, oid("1"))) == (None, [])
    assert held(erp, oid("2")) == []
    assert erp.orders.release(oid("1")).status is OrderStatus.READY


# --- 4. merged parcels merge again ----------------------------------------------------


def test_a_merged_parcel_merges_with_a_later_order_and_unmerges_into_every_original(
    url: str,
) -> None:
    erp = seller(url)
    erp.inventory.receive("MUG", "BER", 20)
    erp.orders.import_orders(
        [
            order("1", ("MUG", 1)),
            order("2", ("MUG", 2), minute=1),
            order("3", ("MUG", 3), ("MUG", 1), minute=2),
        ]
    )
    erp.orders.allocate()
    before = {n: held(erp, oid(n)) for n in "123"}
    parcel = erp.orders.merge([oid("1"), oid("2")])
    again = erp.orders.merge([parcel.id, oid("3")])
    assert again.id == oid("#M-1+2+3")
    assert again.merged_from == (oid("1"), oid("2"), oid("3"))
    assert again.line_origins == {
        1: (oid("1"), 1),
        2: (oid("2"), 1),
        3: (oid("3"), 1),
        4: (oid("3"), 2),
    }
    assert (again.status, again.warehouse) == (OrderStatus.ALLOCATED, "BER")
    assert sum(r[2] for r in held(erp, again.id)) == 7
    retired = erp.orders.get(parcel.id)
    assert (retired.status, retired.merged_into) == (OrderStatus.CANCELLED, again.id)
    assert held(erp, parcel.id) == []
    assert erp.inventory.position("MUG", "BER").reserved == 7
    assert all(erp.orders.get(oid(n)).merged_into == again.id for n in "123")
    erp.check()

    restored = erp.orders.unmerge(again.id)
    assert [o.id for o in restored] == [oid("1"), oid("2"), oid("3")]
    assert all((o.status, o.warehouse) == (OrderStatus.ALLOCATED, "BER") for o in restored)
    assert {n: held(erp, oid(n)) for n in "123"} == before
    assert erp.inventory.position("MUG", "BER").reserved == 7
    assert erp.orders.get(parcel.id).status is OrderStatus.CANCELLED
    erp.check()


def test_two_merged_parcels_merge_into_one(url: str) -> None:
    erp = seller(url)
    erp.orders.import_orders([order(str(n), ("MUG", n), minute=n) for n in range(1, 5)])
    first = erp.orders.merge([oid("1"), oid("3")])
    second = erp.orders.merge([oid("2"), oid("4")])
    both = erp.orders.merge([second.id, first.id])
    assert both.merged_from == tuple(oid(str(n)) for n in range(1, 5))
    assert [ln.qty for ln in both.lines] == [1, 2, 3, 4]
    assert [both.line_origins[n][0] for n in range(1, 5)] == [oid(str(n)) for n in range(1, 5)]
    assert {erp.orders.get(p.id).status for p in (first, second)} == {OrderStatus.CANCELLED}


def test_a_retired_parcel_cannot_be_unmerged_or_merged_again(url: str) -> None:
    erp = seller(url)
    erp.orders.import_orders([order(str(n), ("MUG", 1), minute=n) for n in range(1, 4)])
    parcel = erp.orders.merge([oid("1"), oid("2")])
    erp.orders.merge([parcel.id, oid("3")])
    with pytest.raises(ConsolidationError):
        erp.orders.unmerge(parcel.id)
    with pytest.raises(ConsolidationError):
        erp.orders.merge([parcel.id, oid("3")])


def test_merging_the_same_orders_again_after_an_unmerge_gets_a_new_id(url: str) -> None:
    erp = seller(url)
    erp.orders.import_orders([order("1", ("MUG", 1)), order("2", ("MUG", 1), minute=1)])
    first = erp.orders.merge([oid("1"), oid("2")])
    erp.orders.unmerge(first.id)
    second = erp.orders.merge([oid("1"), oid("2")])
    assert (first.id, second.id) == (oid("#M-1+2"), oid("#M2-1+2"))
    assert erp.orders.get(first.id).status is OrderStatus.CANCELLED


def test_auto_merge_puts_a_new_order_into_the_buyers_merged_parcel(url: str) -> None:
    erp = seller(url, shop=Shop("web", "shopify", currency="EUR", auto_merge=True))
    erp.inventory.receive("MUG", "BER", 10)
    erp.orders.import_orders([order("1", ("MUG", 1)), order("2", ("MUG", 2), minute=1)])
    erp.orders.allocate()
    assert erp.orders.get(oid("#M-1+2")).status is OrderStatus.ALLOCATED
    result = erp.orders.import_orders([order("3", ("MUG", 3), minute=2)])
    assert result.by_ref()["shopify/web/3"].detail == f"merged into {oid('#M-1+2+3')}"
    parcel = erp.orders.get(oid("#M-1+2+3"))
    assert parcel.merged_from == (oid("1"), oid("2"), oid("3"))
    assert erp.orders.get(oid("#M-1+2")).status is OrderStatus.CANCELLED
    assert erp.orders.allocate().counts() == {"allocated": 1}
    assert erp.inventory.position("MUG", "BER").reserved == 6
    erp.check()


def test_releasing_an_order_that_is_not_held_names_its_status(url: str) -> None:
    erp = seller(url, shop=KEEPING)
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 1))])
    erp.orders.allocate()
    with pytest.raises(InvalidTransitionError) as caught:
        erp.orders.release(oid("1"))
    assert caught.value.from_ == "allocated"


# --- merged parcels edited or split: write-back still points at the right orders ----


def test_editing_a_merged_parcel_keeps_the_origin_of_the_lines_that_stay(url: str) -> None:
    erp = seller(url, Sku("LID", weight_g=50), Sku("LAMP", weight_g=900))
    erp.orders.import_orders([order("1", ("MUG", 1)), order("2", ("LID", 2), minute=1)])
    parcel = erp.orders.merge([oid("1"), oid("2")])
    assert parcel.line_origins == {1: (oid("1"), 1), 2: (oid("2"), 1)}

    price = Money.of("10.00", "EUR")
    edited = erp.orders.edit_lines(
        parcel.id,
        [ChannelLine("MUG", 3, price), ChannelLine("LAMP", 1, price), ChannelLine("LID", 1, price)],
    )
    # line 1 is still order 1's mug (more of it); line 2 is now a lamp the
    # seller added, and the lid moved to line 3: neither comes from a
    # marketplace line any more, so no tracking is written back for them
    assert edited.line_origins == {1: (oid("1"), 1)}
    assert erp.orders.get(parcel.id).line_origins == {1: (oid("1"), 1)}


def test_a_part_split_off_a_merged_parcel_points_at_its_originals_and_is_no_merge(
    url: str,
) -> None:
    erp = seller(url, Sku("LID", weight_g=50))
    erp.orders.import_orders([order("1", ("MUG", 1)), order("2", ("LID", 2), ("MUG", 1), minute=1)])
    parcel = erp.orders.merge([oid("1"), oid("2")])
    assert parcel.line_origins == {1: (oid("1"), 1), 2: (oid("2"), 1), 3: (oid("2"), 2)}

    stays, part = erp.orders.split(parcel.id, {2: 2})
    assert part.merged_from == ()
    assert part.split_from == parcel.id
    assert part.line_origins == {1: (oid("2"), 1)}
    assert stays.line_origins == {1: (oid("1"), 1), 3: (oid("2"), 2)}
    assert stays.merged_from == (oid("1"), oid("2"))
    with pytest.raises(ConsolidationError, match="parts were split off"):
        erp.orders.unmerge(parcel.id)
    assert erp.orders.get(oid("1")).status is OrderStatus.MERGED
    erp.check()


# --- a person changes the carrier service ----------------------------------------------


def test_a_person_changes_the_service_audited_and_not_after_picking(url: str) -> None:
    from ecerp.domain.orders.errors import OrderLockedError

    erp = seller(url)
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 1))])
    erp.orders.allocate()

    changed = erp.orders.change_service(oid("1"), "dhl/express", actor="ana")
    assert changed.shipping_service == "dhl/express"
    last = changed.changes[-1]
    assert (last.actor, last.field, last.after) == ("ana", "shipping_service", "dhl/express")
    assert changed.status is OrderStatus.ALLOCATED
    assert held(erp, oid("1")) == [(1, "MUG", 1)], "the reservation is untouched"

    erp.orders.change_service(oid("1"), None)
    assert erp.orders.get(oid("1")).shipping_service is None

    erp.orders.pick([oid("1")])
    with pytest.raises(OrderLockedError):
        erp.orders.change_service(oid("1"), "ups/standard")
    assert erp.orders.get(oid("1")).shipping_service is None


def test_choosing_a_service_that_refuses_po_boxes_holds_a_po_box_order(url: str) -> None:
    """The PO box check follows the service a person picks."""
    po_box = Address("Ann Weber", "Postfach 12 34", "", "Berlin", "", "10115", "DE")
    tables = [
        table("dhl", "paket", first="5.00", refuses_po_boxes=True),
        table("post", "brief", first="6.00"),
    ]
    erp = seller(url, review=ReviewPolicy((PoBox(),)), rate_tables=tables)
    erp.inventory.receive("MUG", "BER", 5)
    erp.orders.import_orders([order("1", ("MUG", 1), address=po_box)])
    assert erp.orders.get(oid("1")).status is OrderStatus.READY, "post takes PO boxes"

    erp.orders.change_service(oid("1"), "dhl/paket")
    after = erp.orders.get(oid("1"))
    assert after.status is OrderStatus.ON_HOLD
    assert [r.code for r in after.hold_reasons] == ["po_box"]
