"""Big batches take the database's bulk paths (on PostgreSQL: ``COPY`` for
inserts, a copied temporary table for updates, ``= ANY(array)`` for deletes;
a few rows go in pipeline mode instead).  Whatever the path, the books must
come out exactly as the in-memory backend keeps them for the same commands.

A shop sells 12 SKUs from two warehouses; 300 orders of one to three lines
are imported, allocated, picked and shipped in batches (every bulk path sees
far more rows than the threshold), then a few more one webhook at a time
(the pipelined path).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from ecerp.adapters.sql.bulk import COPY_MIN_ROWS

T0 = datetime(2026, 10, 5, 8, tzinfo=UTC)
SKUS = [f"SKU-{i:02d}" for i in range(12)]
BATCH = 300


def shop(url: str) -> ERP:
    erp = open_erp(url, clock=SimulatedClock(T0))
    erp.catalog.add(*(Sku(code) for code in SKUS), Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("EAST", priority=0))
    erp.inventory.add_warehouse(Warehouse("WEST", priority=1))
    for i, code in enumerate(SKUS):
        erp.inventory.receive(code, "EAST", 80 + i)
        erp.inventory.receive(code, "WEST", 60)
    return erp


def draft(n: int) -> ChannelOrder:
    lines = tuple(
        ChannelLine(SKUS[(n * 7 + k * 5) % len(SKUS)], 1 + (n + k) % 3, Money.of("4.50", "EUR"))
        for k in range(1 + n % 3)
    )
    return ChannelOrder(
        "shopify", "web", f"N{n:04d}", T0 + timedelta(minutes=n), "EUR", lines, paid=True
    )


def day(erp: ERP) -> list[str]:
    erp.orders.import_orders([draft(n) for n in range(BATCH)])
    allocated = erp.orders.allocate()
    ids = sorted(o.order for o in allocated.of_kind(OutcomeKind.ALLOCATED) if o.order)
    erp.orders.pick(ids)
    erp.orders.ship({oid: f"TRACK-{oid[-4:]}" for oid in ids[:-10]})
    erp.orders.cancel(ids[-1])  # picked, not shipped: its stock goes back
    for n in range(BATCH, BATCH + 5):
        erp.orders.accept([draft(n)])
    return ids


def books(erp: ERP) -> tuple[object, ...]:
    orders = {}
    for status in OrderStatus:
        for oid in erp.orders.ids(status):
            order = erp.orders.get(oid)
            orders[oid] = (order.status, order.warehouse, order.tracking, len(order.history))
    positions = {
        (code, wh): erp.inventory.position(code, wh) for code in SKUS for wh in ("EAST", "WEST")
    }
    return orders, positions


def test_a_big_day_leaves_the_same_books_as_memory(backend_url: str) -> None:
    expected, actual = shop("memory://"), shop(backend_url)
    ids = day(expected)
    assert len(ids) - 10 >= COPY_MIN_ROWS, "the batches are big enough for the bulk paths"
    assert len(ids) < BATCH, "and some orders wait"
    assert day(actual) == ids
    assert books(actual) == books(expected)
    assert actual.inventory.verify() == []
    actual.check()
    expected.close()
    actual.close()
