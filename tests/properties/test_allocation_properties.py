"""Allocation (配货) properties: the pure policy, then the facade.

The policy :func:`ecerp.domain.allocation.decide` is checked against the
rules of the brief, stated here independently:

* it never promises more of a SKU than a warehouse has available, unless the
  warehouse allows negative stock;
* an order is allocated whole, to one of the warehouses it may ship from;
* the result does not depend on the order of the input;
* orders are served highest priority first, then oldest, then by id: an
  allocated order got the first of its warehouses that could ship it from
  what the orders served before it left, and a waiting order could not have
  been shipped from any of its warehouses with what those orders left (so a
  later order never takes stock from an earlier one that waits).

Through the facade: orders waiting for stock are allocated automatically
when it arrives, highest priority and oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ecerp import (
    Bundle,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.allocation.policy import AllocationDecision, AllocationRequest, decide
from ecerp.domain.orders.drafts import order_id

SKUS = ("MUG", "LID", "TRAY")
WAREHOUSES = ("SH", "SZ", "HK")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

Stock = dict[tuple[str, str], int]


@st.composite
def requests(draw: st.DrawFn) -> list[AllocationRequest]:
    """1..8 requests with unique ids, small needs, ties in priority and age."""
    n = draw(st.integers(1, 8))
    result = []
    for i in range(n):
        needs = draw(st.dictionaries(st.sampled_from(SKUS), st.integers(1, 4), min_size=1))
        warehouses = draw(st.permutations(WAREHOUSES))
        k = draw(st.integers(1, len(WAREHOUSES)))
        result.append(
            AllocationRequest(
                order=f"O{i}",
                priority=draw(st.integers(0, 2)),
                ordered_at=T0 + timedelta(minutes=draw(st.integers(0, 3))),
                needs=needs,
                warehouses=tuple(warehouses[:k]),
            )
        )
    return result


stock = st.dictionaries(
    st.tuples(st.sampled_from(SKUS), st.sampled_from(WAREHOUSES)), st.integers(0, 8), max_size=9
)
negative_ok = st.sets(st.sampled_from(WAREHOUSES), max_size=1)


def serving_key(r: AllocationRequest) -> tuple[int, datetime, str]:
    """The business rule: highest priority, then oldest, then id."""
    return (-r.priority, r.ordered_at, r.order)


def by_order(decisions: Sequence[AllocationDecision]) -> dict[str, AllocationDecision]:
    result = {d.order: d for d in decisions}
    assert len(result) == len(decisions), "an order was decided twice"
    return result


def left_for(
    request: AllocationRequest,
    reqs: Sequence[AllocationRequest],
    decided: Mapping[str, AllocationDecision],
    available: Mapping[tuple[str, str], int],
) -> Stock:
    """What the orders served before ``request`` left of ``available``."""
    left = dict(available)
    for other in reqs:
        wh = decided[other.order].warehouse
        if wh is not None and serving_key(other) < serving_key(request):
            for sku, qty in other.needs.items():
                left[(sku, wh)] = left.get((sku, wh), 0) - qty
    return left


def fits(request: AllocationRequest, wh: str, left: Mapping[tuple[str, str], int]) -> bool:
    return all(left.get((sku, wh), 0) >= qty for sku, qty in request.needs.items())


# --- the pure policy -------------------------------------------------------------------


@given(reqs=requests(), available=stock, neg=negative_ok)
def test_allocation_never_promises_more_than_a_warehouse_has(
    reqs: list[AllocationRequest], available: Stock, neg: set[str]
) -> None:
    decided = by_order(decide(reqs, available, neg))
    promised: Stock = {}
    for r in reqs:
        wh = decided[r.order].warehouse
        if wh is not None:
            for sku, qty in r.needs.items():
                promised[(sku, wh)] = promised.get((sku, wh), 0) + qty
    for (sku, wh), qty in promised.items():
        if wh not in neg:
            assert qty <= available.get((sku, wh), 0), f"{sku}@{wh} oversold"


@given(reqs=requests(), available=stock, neg=negative_ok)
def test_every_order_is_decided_once_and_allocated_whole_to_one_of_its_warehouses(
    reqs: list[AllocationRequest], available: Stock, neg: set[str]
) -> None:
    decided = by_order(decide(reqs, available, neg))
    assert set(decided) == {r.order for r in reqs}
    for r in reqs:
        d = decided[r.order]
        if d.warehouse is None:
            assert set(d.short) <= set(r.needs), "a waiting order is short of what it needs"
        else:
            assert d.warehouse in r.warehouses
            assert d.short == ()


@given(reqs=requests(), available=stock, neg=negative_ok, data=st.data())
def test_the_outcome_does_not_depend_on_the_order_of_the_input(
    reqs: list[AllocationRequest], available: Stock, neg: set[str], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(reqs), label="shuffled")
    assert decide(shuffled, available, neg) == decide(reqs, available, neg)


@given(reqs=requests(), available=stock, neg=negative_ok)
def test_decisions_come_back_in_serving_order_and_the_input_is_left_alone(
    reqs: list[AllocationRequest], available: Stock, neg: set[str]
) -> None:
    before = dict(available)
    decisions = decide(reqs, available, neg)
    assert available == before
    assert [d.order for d in decisions] == [r.order for r in sorted(reqs, key=serving_key)]


@given(reqs=requests(), available=stock, neg=negative_ok)
def test_a_waiting_order_could_not_have_been_served_from_what_earlier_orders_left(
    reqs: list[AllocationRequest], available: Stock, neg: set[str]
) -> None:
    """Later (lower priority, younger) orders never take stock an earlier one waits for."""
    decided = by_order(decide(reqs, available, neg))
    for r in reqs:
        if decided[r.order].warehouse is None:
            left = left_for(r, reqs, decided, available)
            for wh in r.warehouses:
                assert wh not in neg, f"{r.order} waits though {wh} allows negative stock"
                assert not fits(r, wh, left), f"{r.order} waits though {wh} could ship it"


@given(reqs=requests(), available=stock, neg=negative_ok)
def test_an_allocated_order_gets_its_first_warehouse_that_can_ship_it(
    reqs: list[AllocationRequest], available: Stock, neg: set[str]
) -> None:
    decided = by_order(decide(reqs, available, neg))
    for r in reqs:
        chosen = decided[r.order].warehouse
        if chosen is None:
            continue
        left = left_for(r, reqs, decided, available)
        can = [wh for wh in r.warehouses if wh in neg or fits(r, wh, left)]
        assert can, f"{r.order} was allocated though no warehouse could ship it"
        assert chosen == can[0], f"{r.order} went to {chosen}, not its first choice {can[0]}"


@given(reqs=requests())
def test_with_plenty_of_stock_every_order_ships_from_its_preferred_warehouse(
    reqs: list[AllocationRequest],
) -> None:
    demand = sum(q for r in reqs for q in r.needs.values())
    plenty = {(sku, wh): demand for sku in SKUS for wh in WAREHOUSES}
    for d, r in zip(decide(reqs, plenty, set()), sorted(reqs, key=serving_key), strict=True):
        assert d.warehouse == r.warehouses[0]


@given(reqs=requests())
def test_with_no_stock_every_order_waits(reqs: list[AllocationRequest]) -> None:
    assert all(d.warehouse is None for d in decide(reqs, {}, set()))


# --- through the facade: waiting orders and arriving stock ----------------------------------


order_specs = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 2)).filter(
        lambda t: t[0] + t[1] > 0
    ),
    min_size=1,
    max_size=6,
)
receipts = st.lists(
    st.tuples(st.sampled_from(("MUG", "LID")), st.integers(1, 6)), min_size=1, max_size=5
)


@given(orders=order_specs, arrivals=receipts)
def test_waiting_orders_are_allocated_when_stock_arrives_highest_priority_then_oldest_first(
    orders: list[tuple[int, int, int]], arrivals: list[tuple[str, int]]
) -> None:
    """Orders of ``mugs`` MUG and ``sets`` SET (= MUG + LID) wait for stock;
    each receipt allocates the waiting orders that need the SKU, served
    highest priority, then oldest, first; one that does not fit does not
    block the ones after it."""
    clock = SimulatedClock(T0)
    erp = open_erp("memory://", clock=clock)
    erp.catalog.add(
        Sku("MUG"),
        Sku("LID"),
        Bundle("SET", (Component("MUG", 1), Component("LID", 1))),
        Shop("web", "shopify", currency="EUR"),
    )
    erp.inventory.add_warehouse(Warehouse("SH"))
    needs: dict[str, dict[str, int]] = {}
    queue_key: dict[str, tuple[int, datetime, str]] = {}
    drafts = []
    for i, (mugs, sets, priority) in enumerate(orders):
        clock.advance(timedelta(minutes=1))
        lines = [
            ChannelLine(code, n, Money.of("5", "EUR"))
            for code, n in (("MUG", mugs), ("SET", sets))
            if n
        ]
        draft = ChannelOrder(
            "shopify",
            "web",
            f"W{i}",
            clock.now(),
            "EUR",
            tuple(lines),
            paid=True,
            priority=priority,
        )
        drafts.append(draft)
        oid = order_id(*draft.key)
        needs[oid] = {sku: q for sku, q in (("MUG", mugs + sets), ("LID", sets)) if q}
        queue_key[oid] = (-priority, draft.ordered_at, oid)
    assert erp.orders.import_orders(drafts).ok
    assert erp.orders.allocate().counts() == {"waiting": len(orders)}, "no stock yet"
    waiting = set(needs)
    assert set(erp.orders.ids(OrderStatus.WAITING)) == waiting

    available = {"MUG": 0, "LID": 0}
    for sku, qty in arrivals:
        clock.advance(timedelta(minutes=5))
        erp.inventory.receive(sku, "SH", qty)
        available[sku] += qty
        for oid in sorted((o for o in waiting if sku in needs[o]), key=queue_key.__getitem__):
            if all(available[s] >= q for s, q in needs[oid].items()):
                for s, q in needs[oid].items():
                    available[s] -= q
                waiting.discard(oid)
        assert set(erp.orders.ids(OrderStatus.WAITING)) == waiting
        assert set(erp.orders.ids(OrderStatus.ALLOCATED)) == set(needs) - waiting
        for s in ("MUG", "LID"):
            assert erp.inventory.position(s, "SH").available == available[s]
    erp.check()


def test_the_older_of_two_waiting_orders_gets_the_stock_that_arrives() -> None:
    clock = SimulatedClock(T0)
    erp = open_erp("memory://", clock=clock)
    erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    price = Money.of("9.90", "EUR")
    younger = ChannelOrder(
        "shopify",
        "web",
        "YOUNG",
        T0 + timedelta(hours=1),
        "EUR",
        (ChannelLine("MUG", 2, price),),
        paid=True,
    )
    older = ChannelOrder(
        "shopify", "web", "OLD", T0, "EUR", (ChannelLine("MUG", 2, price),), paid=True
    )
    erp.orders.import_orders([younger, older])
    erp.orders.allocate()
    erp.inventory.receive("MUG", "SH", 3)
    assert erp.orders.get("shopify/web/OLD").status is OrderStatus.ALLOCATED
    assert erp.orders.get("shopify/web/YOUNG").status is OrderStatus.WAITING
