"""What a seller asks the books: what is sold out, how much there is in
all, why an order still waits.  Memory and SQLite (every backend runs the
same questions in the contract suite)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecerp import (
    ERP,
    Bundle,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    OrderStatus,
    Shop,
    Sku,
    StockLine,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database
from ecerp.domain.allocation.waiting import Shortage, WarehouseShortage
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.shared.errors import NotFoundError

NOW = datetime(2026, 4, 2, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def erp(request: pytest.FixtureRequest, tmp_path: Path) -> ERP:
    url = "memory://"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'questions.db'}"
        upgrade_database(url)
    shop = open_erp(url, clock=SimulatedClock(NOW))
    shop.catalog.add(
        Sku("MUG"),
        Sku("LID"),
        Sku("SPOON"),
        Bundle("MUG-SET", (Component("MUG", 2), Component("LID", 1))),
        Shop("web", channel="shopify", currency="EUR"),
    )
    shop.inventory.add_warehouse(Warehouse("BER"))
    shop.inventory.add_warehouse(Warehouse("HAM", priority=1))
    return shop


def order(external_id: str, *lines: tuple[str, int]) -> ChannelOrder:
    return ChannelOrder(
        channel="shopify",
        shop="web",
        external_id=external_id,
        ordered_at=NOW,
        currency="EUR",
        paid=True,
        lines=tuple(ChannelLine(sku, qty, Money.of("9.90", "EUR")) for sku, qty in lines),
    )


def test_the_seller_sees_what_is_sold_out_and_how_much_there_is_in_all(erp: ERP) -> None:
    erp.inventory.receive("MUG", "BER", 10)
    erp.inventory.receive("MUG", "HAM", 4)
    erp.inventory.receive("LID", "BER", 2)
    erp.orders.process([order("1", ("LID", 2))])
    erp.orders.ship(["shopify/web/1"])  # the lids are gone

    assert erp.inventory.report() == [
        StockLine("MUG", "BER", 10, 0, 10),
        StockLine("MUG", "HAM", 4, 0, 4),
    ]
    sold_out = [
        line for line in erp.inventory.report("BER", include_empty=True) if not line.on_hand
    ]
    assert [line.sku for line in sold_out] == ["LID", "SPOON"]
    assert erp.inventory.totals(include_empty=True) == [
        StockLine("LID", "*", 0, 0, 0),
        StockLine("MUG", "*", 14, 0, 14),
        StockLine("SPOON", "*", 0, 0, 0),
    ]
    assert erp.inventory.report(by_warehouse=False) == [StockLine("MUG", "*", 14, 0, 14)]


def test_a_typo_in_a_sku_is_an_error_not_an_empty_shelf(erp: ERP) -> None:
    assert erp.inventory.position("SPOON", "BER").on_hand == 0  # known, never stocked
    with pytest.raises(UnknownSkuError):
        erp.inventory.position("SPON", "BER")
    with pytest.raises(NotFoundError):
        erp.inventory.position("SPOON", "PAR")


def test_the_seller_asks_why_an_order_waits_and_gets_todays_answer(erp: ERP) -> None:
    erp.inventory.receive("MUG", "BER", 3)
    erp.inventory.receive("LID", "BER", 5)
    result = erp.orders.process([order("1001", ("MUG-SET", 2))])  # 4 mugs and 2 lids
    assert result.counts() == {"waiting": 1}

    answer = erp.orders.why_waiting("shopify/web/1001")
    assert answer.waiting
    assert answer.warehouses == (
        WarehouseShortage("BER", (Shortage("MUG", 4, 3),)),
        WarehouseShortage("HAM", (Shortage("LID", 2, 0), Shortage("MUG", 4, 0))),
    )
    assert answer.warehouses[0].short[0].missing == 1

    # someone else takes the lids: the answer changes with the stock
    erp.orders.process([order("1002", ("LID", 5))])
    answer = erp.orders.why_waiting("shopify/web/1001")
    assert answer.warehouses[0] == WarehouseShortage(
        "BER", (Shortage("LID", 2, 0), Shortage("MUG", 4, 3))
    )

    erp.inventory.receive("MUG", "HAM", 4)
    erp.inventory.receive("LID", "HAM", 2)  # the order is allocated in Hamburg
    answer = erp.orders.why_waiting("shopify/web/1001")
    assert (answer.waiting, answer.status, answer.warehouses) == (
        False,
        OrderStatus.ALLOCATED,
        (),
    )
    with pytest.raises(NotFoundError):
        erp.orders.why_waiting("shopify/web/9999")
