"""Properties of merging and splitting orders.

* Merge then unmerge restores every order and every reservation exactly.
* Split conserves quantities per listing SKU and SKU, and money to the cent,
  and moves reservations without changing what the warehouse holds back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ecerp import (
    ERP,
    Address,
    Bundle,
    Buyer,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    Order,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock

T0 = datetime(2026, 7, 1, 8, tzinfo=UTC)
ADDRESS = Address("Ann", "Main 1", "", "Berlin", "", "10115", "DE")
LISTINGS = ("MUG", "LID", "SET")

line_spec = st.tuples(
    st.sampled_from(LISTINGS),
    st.integers(1, 4),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2),
    st.integers(0, 100),  # discount percent of the line
)
order_spec = st.lists(line_spec, min_size=1, max_size=3)


def new_erp(stock: int) -> ERP:
    erp = open_erp("memory://", clock=SimulatedClock(T0))
    erp.catalog.add(
        Sku("MUG"),
        Sku("LID"),
        Bundle("SET", (Component("MUG", 1), Component("LID", 2))),
        Shop("web", "shopify", currency="EUR"),
    )
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.inventory.receive("MUG", "SH", stock)
    erp.inventory.receive("LID", "SH", stock * 2)
    return erp


def draft(number: int, lines: list[tuple[str, int, Decimal, int]]) -> ChannelOrder:
    return ChannelOrder(
        "shopify",
        "web",
        str(number),
        T0 + timedelta(minutes=number),
        "EUR",
        tuple(
            ChannelLine(
                sku,
                qty,
                Money(price, "EUR"),
                Money((price * qty * pct / 100).quantize(Decimal("0.01")), "EUR"),
            )
            for sku, qty, price, pct in lines
        ),
        paid=True,
        address=ADDRESS,
        buyer=Buyer("b1"),
    )


def facts(order: Order) -> tuple[object, ...]:
    """Everything about an order a merge and unmerge must give back."""
    return (
        order.status,
        order.warehouse,
        [(ln.line_no, ln.listing_sku, ln.qty, ln.unit_price, ln.discount) for ln in order.lines],
        sorted(order.requirements.items()),
        order.total(),
    )


@given(st.lists(order_spec, min_size=2, max_size=4), st.booleans(), st.integers(1, 30))
def test_merge_then_unmerge_restores_orders_and_reservations_exactly(
    specs: list[list[tuple[str, int, Decimal, int]]], allocate_first: bool, stock: int
) -> None:
    erp = new_erp(stock)
    erp.orders.import_orders([draft(i, spec) for i, spec in enumerate(specs, 1)])
    ids = sorted(erp.orders.ids())
    if allocate_first:
        erp.orders.allocate()
    ids = [
        i
        for i in ids
        if erp.orders.get(i).status
        in (OrderStatus.READY, OrderStatus.WAITING, OrderStatus.ALLOCATED)
    ]
    before = {i: facts(erp.orders.get(i)) for i in ids}
    held = {i: erp.inventory.reservations(i) for i in ids}
    positions = {sku: erp.inventory.position(sku, "SH") for sku in ("MUG", "LID")}
    merged = erp.orders.merge(ids)
    assert sorted(merged.merged_from) == ids
    assert sum(ln.qty for ln in merged.lines) == sum(
        ln.qty for i in ids for ln in erp.orders.get(i).lines
    )
    erp.check()
    erp.orders.unmerge(merged.id)
    erp.check()
    after = {i: facts(erp.orders.get(i)) for i in ids}
    assert after == before
    assert {i: erp.inventory.reservations(i) for i in ids} == held
    assert {sku: erp.inventory.position(sku, "SH") for sku in ("MUG", "LID")} == positions
    assert erp.orders.get(merged.id).status is OrderStatus.CANCELLED
    assert erp.inventory.reservations(merged.id) == []


@given(order_spec, st.data(), st.booleans())
def test_split_conserves_quantities_money_and_reservations(
    spec: list[tuple[str, int, Decimal, int]], data: st.DataObject, allocate_first: bool
) -> None:
    erp = new_erp(50)
    erp.orders.import_orders([draft(1, spec)])
    oid = "shopify/web/1"
    if allocate_first:
        erp.orders.allocate()
    order = erp.orders.get(oid)
    total_units = sum(ln.qty for ln in order.lines)
    if total_units < 2:
        return
    take = {}
    for ln in order.lines:
        qty = data.draw(st.integers(0, ln.qty), label=f"take from line {ln.line_no}")
        if qty:
            take[ln.line_no] = qty
    if not take or all(take.get(ln.line_no, 0) == ln.qty for ln in order.lines):
        return
    reserved_before = {sku: erp.inventory.position(sku, "SH").reserved for sku in ("MUG", "LID")}
    parts = erp.orders.split(oid, take)
    assert sum(p.total().amount for p in parts) == order.total().amount
    per_listing: dict[str, int] = {}
    for p in parts:
        for ln in p.lines:
            per_listing[ln.listing_sku] = per_listing.get(ln.listing_sku, 0) + ln.qty
    expected: dict[str, int] = {}
    for ln in order.lines:
        expected[ln.listing_sku] = expected.get(ln.listing_sku, 0) + ln.qty
    assert per_listing == expected
    per_sku: dict[str, int] = {}
    for p in parts:
        for (_, sku), qty in p.requirements.items():
            per_sku[sku] = per_sku.get(sku, 0) + qty
    assert per_sku == order.sku_totals()
    assert {
        sku: erp.inventory.position(sku, "SH").reserved for sku in ("MUG", "LID")
    } == reserved_before
    assert all(p.status is order.status for p in parts)
    assert all(p.split_from == oid for p in parts[1:])
    erp.check()


@given(
    st.lists(order_spec, min_size=2, max_size=5),
    st.booleans(),
    st.integers(1, 30),
    st.data(),
)
def test_merging_merged_parcels_again_then_unmerging_restores_every_original(
    specs: list[list[tuple[str, int, Decimal, int]]],
    allocate_first: bool,
    stock: int,
    data: st.DataObject,
) -> None:
    erp = new_erp(stock)
    erp.orders.import_orders([draft(i, spec) for i, spec in enumerate(specs, 1)])
    if allocate_first:
        erp.orders.allocate()
    ids = sorted(erp.orders.ids())
    before = {i: facts(erp.orders.get(i)) for i in ids}
    held = {i: erp.inventory.reservations(i) for i in ids}
    positions = {sku: erp.inventory.position(sku, "SH") for sku in ("MUG", "LID")}
    units = {i: sum(ln.qty for ln in erp.orders.get(i).lines) for i in ids}  # units per original
    # live parcels and orders, each with the originals it stands for
    live: dict[str, tuple[str, ...]] = {i: (i,) for i in ids}
    retired: list[str] = []
    for _ in range(data.draw(st.integers(1, 4), label="merges")):
        if len(live) < 2:
            break
        # Every waiting order joins the merge: a waiting order left outside
        # would take the stock a merge gives back, and then no unmerge could
        # restore the originals exactly (that is allocation working, not a
        # merge losing track).
        waiting = [i for i in sorted(live) if erp.orders.get(i).status is OrderStatus.WAITING]
        picked = data.draw(
            st.lists(st.sampled_from(sorted(live)), min_size=2, max_size=len(live), unique=True),
            label="merge",
        )
        chosen = list(dict.fromkeys(waiting + picked))
        merged = erp.orders.merge(chosen)
        originals = tuple(sorted(o for c in chosen for o in live[c]))
        # flattened: the originals, never an intermediate parcel
        assert sorted(merged.merged_from) == list(originals)
        assert {origin for origin, _ in merged.line_origins.values()} == set(originals)
        assert sum(ln.qty for ln in merged.lines) == sum(units[o] for o in originals)
        for c in chosen:
            if len(live[c]) > 1:
                retired.append(c)
            del live[c]
        live[merged.id] = originals
        for o in originals:
            assert erp.orders.get(o).merged_into == merged.id
        erp.check()
    # every retired parcel is cancelled and holds nothing; only live orders hold stock
    for r in retired:
        assert erp.orders.get(r).status is OrderStatus.CANCELLED
        assert erp.inventory.reservations(r) == []
    everyone = set(live) | set(ids)
    reserved = sum(r.qty for i in everyone for r in erp.inventory.reservations(i))
    assert reserved == sum(erp.inventory.position(s, "SH").reserved for s in ("MUG", "LID"))
    for parcel, originals in live.items():
        if len(originals) > 1:
            erp.orders.unmerge(parcel)
    erp.check()
    assert {i: facts(erp.orders.get(i)) for i in ids} == before
    assert {i: erp.inventory.reservations(i) for i in ids} == held
    assert {sku: erp.inventory.position(sku, "SH") for sku in ("MUG", "LID")} == positions
