"""A marketplace sends orders for a listing the seller has not linked to a
SKU yet.  The orders are kept, the seller sees which codes are missing,
links them, and the orders go on to be shipped.  Memory and SQLite (every
backend runs the same story in the contract suite)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecerp import (
    ERP,
    Alias,
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
from ecerp.domain.orders.drafts import UnmappedSku
from ecerp.usecases.orders.queries import UnmappedCode

NOW = datetime(2026, 4, 2, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def erp(request: pytest.FixtureRequest, tmp_path: Path) -> ERP:
    url = "memory://"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'unmapped.db'}"
        upgrade_database(url)
    shop = open_erp(url, clock=SimulatedClock(NOW))
    shop.catalog.add(Sku("MUG-RED"), Shop("amz-de", channel="amazon", currency="EUR"))
    shop.inventory.add_warehouse(Warehouse("BER"))
    shop.inventory.receive("MUG-RED", "BER", 10)
    return shop


def amazon_order(external_id: str, listing: str, qty: int) -> ChannelOrder:
    return ChannelOrder(
        channel="amazon",
        shop="amz-de",
        external_id=external_id,
        ordered_at=NOW,
        currency="EUR",
        paid=True,
        lines=(ChannelLine(listing, qty, Money.of("12.90", "EUR")),),
    )


def test_orders_for_an_unlinked_listing_wait_until_the_seller_links_it(erp: ERP) -> None:
    # a new listing went live before anyone linked it to the warehouse SKU
    result = erp.orders.process(
        [amazon_order("302-1", "B0NEWMUG", 2), amazon_order("302-2", "B0NEWMUG", 1)]
    )
    assert result.counts() == {"unmapped": 2}, "kept, not dropped"
    assert erp.orders.total() == 2
    assert erp.orders.ids(OrderStatus.UNMAPPED) == ["amazon/amz-de/302-1", "amazon/amz-de/302-2"]
    assert erp.orders.get("amazon/amz-de/302-1").unmapped == (
        UnmappedSku("amazon", "amz-de", "B0NEWMUG"),
    )
    assert erp.orders.unmapped() == [UnmappedCode("amazon", "amz-de", "B0NEWMUG", 2, 3)]
    assert erp.inventory.position("MUG-RED", "BER").reserved == 0

    # the marketplace sends the same orders again: nothing new
    again = erp.orders.process([amazon_order("302-1", "B0NEWMUG", 2)])
    assert [o.kind for o in again] == [OutcomeKind.UNCHANGED]

    # the seller links the listing: both orders are allocated
    erp.catalog.add(Alias("amazon", "amz-de", "B0NEWMUG", "MUG-RED"))
    assert erp.orders.unmapped() == []
    assert erp.orders.ids(OrderStatus.ALLOCATED) == ["amazon/amz-de/302-1", "amazon/amz-de/302-2"]
    assert erp.inventory.position("MUG-RED", "BER").reserved == 3
    assert erp.orders.ship(["amazon/amz-de/302-1", "amazon/amz-de/302-2"]).ok
    assert erp.inventory.position("MUG-RED", "BER").on_hand == 7
    erp.check()
