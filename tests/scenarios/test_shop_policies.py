"""Shop settings for order handling: merging a buyer's orders automatically,
and splitting what no single warehouse can ship whole.  In memory and on
a SQLite file."""

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
    Money,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database
from ecerp.domain.shared.errors import ValidationError

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)
HOME = Address("Ann", "Main 1", "", "Berlin", "", "10115", "DE")


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    url = f"sqlite:///{tmp_path / 'policies.db'}"
    upgrade_database(url)
    return url


def seller(url: str, *, auto_merge: bool = False, split: str = "none") -> ERP:
    erp = open_erp(url, clock=SimulatedClock(T0))
    erp.catalog.add(
        Sku("MUG"),
        Sku("LID"),
        Shop("web", "shopify", currency="EUR", auto_merge=auto_merge, split=split),
    )
    erp.inventory.add_warehouse(Warehouse("BER", priority=0))
    erp.inventory.add_warehouse(Warehouse("HAM", priority=1))
    return erp


def order(
    number: int, *lines: tuple[str, int], buyer: str = "ann", address: Address = HOME
) -> ChannelOrder:
    return ChannelOrder(
        "shopify",
        "web",
        str(number),
        T0 + timedelta(minutes=number),
        "EUR",
        tuple(ChannelLine(sku, qty, Money.of("5.00", "EUR")) for sku, qty in lines),
        paid=True,
        buyer=Buyer(buyer),
        address=address,
    )


def test_a_shop_that_merges_puts_a_buyers_orders_in_one_parcel(url: str) -> None:
    erp = seller(url, auto_merge=True)
    erp.inventory.receive("MUG", "BER", 10)
    result = erp.orders.import_orders(
        [order(1, ("MUG", 1)), order(2, ("MUG", 2)), order(3, ("MUG", 1), buyer="bob")]
    )
    merged_id = "shopify/web/#M-1+2"
    assert result.by_ref()["shopify/web/1"].detail == f"merged into {merged_id}"
    # what code acts on is a field, not the detail text
    assert result.by_ref()["shopify/web/1"].merged_into == merged_id
    assert result.by_ref()["shopify/web/3"].merged_into is None
    merged = erp.orders.get(merged_id)
    assert sum(ln.qty for ln in merged.lines) == 3
    assert erp.orders.get("shopify/web/3").status is OrderStatus.READY
    assert erp.orders.allocate().counts() == {"allocated": 2}
    assert erp.inventory.position("MUG", "BER").reserved == 4


def test_a_later_order_merges_with_the_buyers_waiting_one(url: str) -> None:
    erp = seller(url, auto_merge=True)
    erp.orders.import_orders([order(1, ("MUG", 1))])
    assert erp.orders.allocate().counts() == {"waiting": 1}
    erp.orders.import_orders([order(2, ("LID", 1))])
    assert erp.orders.get("shopify/web/1").status is OrderStatus.MERGED
    assert erp.orders.get("shopify/web/#M-1+2").status is OrderStatus.READY


def test_a_shop_that_does_not_merge_keeps_orders_apart(url: str) -> None:
    erp = seller(url)
    erp.orders.import_orders([order(1, ("MUG", 1)), order(2, ("MUG", 2))])
    assert sorted(erp.orders.ids()) == ["shopify/web/1", "shopify/web/2"]


def test_without_splitting_an_order_no_warehouse_can_ship_whole_waits(url: str) -> None:
    erp = seller(url)
    erp.inventory.receive("MUG", "BER", 3)
    erp.inventory.receive("LID", "HAM", 3)
    erp.orders.import_orders([order(1, ("MUG", 2), ("LID", 2))])
    assert erp.orders.allocate().counts() == {"waiting": 1}


def test_splitting_by_availability_ships_what_one_warehouse_has(url: str) -> None:
    erp = seller(url, split="availability")
    erp.inventory.receive("MUG", "BER", 3)
    erp.inventory.receive("LID", "HAM", 1)
    erp.orders.import_orders([order(1, ("MUG", 2), ("LID", 2))])
    result = erp.orders.allocate()
    part = erp.orders.get("shopify/web/1#2")
    assert (part.status, part.warehouse, [(ln.listing_sku, ln.qty) for ln in part.lines]) == (
        OrderStatus.ALLOCATED,
        "BER",
        [("MUG", 2)],
    )
    rest = erp.orders.get("shopify/web/1")
    assert (rest.status, [(ln.listing_sku, ln.qty) for ln in rest.lines]) == (
        OrderStatus.WAITING,
        [("LID", 2)],
    )
    assert "split" in result.by_ref()["shopify/web/1"].detail
    erp.check()


def test_splitting_across_warehouses_ships_everything_in_stock_in_fewest_parcels(url: str) -> None:
    erp = seller(url, split="warehouses")
    erp.inventory.receive("MUG", "BER", 3)
    erp.inventory.receive("LID", "HAM", 1)
    erp.orders.import_orders([order(1, ("MUG", 2), ("LID", 2))])
    erp.orders.allocate()
    parts = {oid: erp.orders.get(oid) for oid in erp.orders.ids()}
    shipped = {
        (p.warehouse, ln.listing_sku, ln.qty)
        for p in parts.values()
        if p.status is OrderStatus.ALLOCATED
        for ln in p.lines
    }
    assert shipped == {("BER", "MUG", 2), ("HAM", "LID", 1)}
    waiting = [p for p in parts.values() if p.status is OrderStatus.WAITING]
    assert [(ln.listing_sku, ln.qty) for p in waiting for ln in p.lines] == [("LID", 1)]
    assert erp.inventory.position("MUG", "BER").reserved == 2
    assert erp.inventory.position("LID", "HAM").reserved == 1
    erp.check()


def test_an_unknown_split_setting_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        Shop("web", "shopify", split="sometimes")
    assert err.value.field == "split"
