"""The same order twice in one call is one order, and is counted once.

A marketplace export repeats an order (it changed while the export ran, or
the file was appended to twice).  Whether it arrives through ``import``,
``process`` or the webhook's ``accept``, in one chunk or across two, the
counts a seller reads add up to the orders stored: the first copy reports
where the order ended, a later identical copy is ``unchanged``.  Every
story runs in memory, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ecerp import (
    ERP,
    BatchResult,
    ChannelLine,
    ChannelOrder,
    Money,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.usecases.orders import handlers as order_cases

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)
#: Outcome kinds that say an order now exists that did not before.
MADE = ("created", "allocated", "waiting", "held")


@pytest.fixture
def erp(url: str) -> Iterator[ERP]:
    with open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=1))) as opened:
        opened.catalog.add(Sku("MUG"), Shop("eb-de", "ebay", currency="EUR"))
        opened.inventory.add_warehouse(Warehouse("BER"))
        opened.inventory.receive("MUG", "BER", 3)
        yield opened


@pytest.fixture(params=["one chunk", "across chunks"])
def chunking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "across chunks":
        monkeypatch.setattr(order_cases, "IMPORT_CHUNK", 2)
    return str(request.param)


def order(number: str, mugs: int = 1, minute: int = 0) -> ChannelOrder:
    return ChannelOrder(
        "ebay",
        "eb-de",
        number,
        T0 + timedelta(minutes=minute),
        "EUR",
        (ChannelLine("MUG", mugs, Money.of("9.90", "EUR")),),
        paid=True,
    )


#: Order 1 twice, the copies two apart (so they fall in different chunks of two).
DAY = [order("1", minute=1), order("2", minute=2), order("1", minute=1), order("3", 5, minute=3)]


def made(result: BatchResult) -> int:
    counts = result.counts()
    return sum(counts.get(kind, 0) for kind in MADE)


def test_an_import_counts_a_repeated_order_once(erp: ERP, chunking: str) -> None:
    result = erp.orders.import_orders(DAY)

    assert result.counts() == {"created": 3, "unchanged": 1}
    assert made(result) == erp.orders.total() == 3


def test_processing_a_day_with_a_repeated_order_counts_it_once(erp: ERP, chunking: str) -> None:
    result = erp.orders.process(DAY)

    assert [o.kind.value for o in result] == ["allocated", "allocated", "unchanged", "waiting"]
    assert result.counts() == {"allocated": 2, "unchanged": 1, "waiting": 1}
    assert made(result) == erp.orders.total() == 3


def test_a_webhook_delivering_one_order_twice_counts_it_once(erp: ERP) -> None:
    result = erp.orders.accept([order("9"), order("9")])

    assert result.counts() == {"allocated": 1, "unchanged": 1}
    assert made(result) == erp.orders.total() == 1
    assert erp.inventory.position("MUG", "BER").reserved == 1


def test_a_repeated_order_whose_copy_changed_is_created_once_and_updated(erp: ERP) -> None:
    unpaid = ChannelOrder(
        "ebay", "eb-de", "4", T0, "EUR", (ChannelLine("MUG", 1, Money.of("9.90", "EUR")),)
    )
    result = erp.orders.process([unpaid, order("4")])

    assert result.counts() == {"allocated": 1, "updated": 1}
    assert made(result) == erp.orders.total() == 1
