"""Allocating every order streams the serving queue a chunk at a time; the
result must be the one a single unit of work would give.

The independent model is the single-unit run itself (chunking is a matter of
memory, not of policy): two fresh ERPs get the same catalog, stock and
orders; one allocates with a chunk larger than the queue, the other with a
tiny one.  Every order must end in the same status and warehouse, every
position must show the same reserved quantity, and the books must check.
Shops that split by availability are included, since splitting happens after
the chunks, over what still waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqlsupport
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
    Warehouse,
)
from ecerp.usecases.allocation import handlers as allocation
from sqlsupport import migrated_template

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SKUS = ("MUG", "LID", "TRAY")
WAREHOUSES = ("SH", "SZ")

line_specs = st.lists(
    st.tuples(st.sampled_from((*SKUS, "SET")), st.integers(1, 3)),
    min_size=1,
    max_size=3,
    unique_by=lambda t: t[0],
)
order_specs = st.lists(
    st.tuples(line_specs, st.integers(0, 2), st.integers(0, 5), st.sampled_from(("web", "split"))),
    min_size=1,
    max_size=14,
)
stock_specs = st.dictionaries(
    st.tuples(st.sampled_from(SKUS), st.sampled_from(WAREHOUSES)), st.integers(1, 6), max_size=6
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the current schema, copied for each ERP."""
    return migrated_template(tmp_path_factory.mktemp("template"))


@contextmanager
def fresh_erp(backend: str, template: Path) -> Iterator[ERP]:
    with sqlsupport.fresh_erp(backend, template, T0) as erp:
        yield erp


def build(
    erp: ERP,
    orders: list[tuple[list[tuple[str, int]], int, int, str]],
    stock: dict[tuple[str, str], int],
) -> None:
    erp.catalog.add(
        *(Sku(code) for code in SKUS),
        Bundle("SET", (Component("MUG", 1), Component("LID", 1))),
        Shop("web", "shopify", currency="EUR"),
        Shop("split", "shopify", currency="EUR", split="availability"),
    )
    for code in WAREHOUSES:
        erp.inventory.add_warehouse(Warehouse(code))
    for (sku, wh), qty in sorted(stock.items()):
        erp.inventory.receive(sku, wh, qty)
    drafts = [
        ChannelOrder(
            "shopify",
            shop,
            f"O{i}",
            T0 + timedelta(minutes=minutes),
            "EUR",
            tuple(ChannelLine(code, qty, Money.of("5", "EUR")) for code, qty in lines),
            paid=True,
            priority=priority,
        )
        for i, (lines, priority, minutes, shop) in enumerate(orders)
    ]
    assert erp.orders.import_orders(drafts).ok


def state(erp: ERP) -> tuple[dict[str, tuple[OrderStatus, str | None]], dict[tuple[str, str], int]]:
    orders = {oid: erp.orders.get(oid) for oid in erp.orders.ids()}
    statuses = {oid: (o.status, o.warehouse) for oid, o in orders.items()}
    reserved = {
        (sku, wh): erp.inventory.position(sku, wh).reserved for sku in SKUS for wh in WAREHOUSES
    }
    return statuses, reserved


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=order_specs, stock=stock_specs, chunk=st.integers(1, 4))
def test_allocating_in_chunks_decides_exactly_as_one_unit_would(
    template: Path,
    backend: str,
    orders: list[tuple[list[tuple[str, int]], int, int, str]],
    stock: dict[tuple[str, str], int],
    chunk: int,
) -> None:
    results = []
    for size in (10_000, chunk):
        with fresh_erp(backend, template) as erp:
            build(erp, orders, stock)
            saved = allocation.ALLOCATE_CHUNK
            allocation.ALLOCATE_CHUNK = size
            try:
                outcome = erp.orders.allocate()
            finally:
                allocation.ALLOCATE_CHUNK = saved
            erp.check()
            results.append((state(erp), sorted((o.order, o.kind) for o in outcome)))
    (whole, whole_outcomes), (chunked, chunked_outcomes) = results
    assert chunked == whole
    assert chunked_outcomes == whole_outcomes
