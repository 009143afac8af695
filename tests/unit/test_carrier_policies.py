"""The box estimate, the cheapest-service choice and the statuses routing may
change: pure rules over values in domain/carriers and domain/routing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecerp.domain.carriers.boxes import estimate_box, estimate_parcel
from ecerp.domain.carriers.parcels import Parcel, Quote
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.carriers.services import cheapest_first, cheapest_service, refusing_services
from ecerp.domain.carriers.zones import Zone, ZonePrice
from ecerp.domain.catalog.products import Dimensions
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.routing.statuses import ROUTABLE, may_route, must_give_back
from ecerp.domain.shared.money import Money

sides = st.integers(0, 500)
items = st.lists(
    st.tuples(st.builds(Dimensions, sides, sides, sides), st.integers(1, 20)), max_size=6
)


@given(items)
def test_the_estimated_box_takes_every_item_and_their_total_volume(
    sized: list[tuple[Dimensions, int]],
) -> None:
    box = estimate_box(sized)
    longest = max((max(d.length_mm, d.width_mm, d.height_mm) for d, _ in sized), default=0)
    if longest == 0:
        assert box is None
        return
    assert box is not None
    assert box.volume_mm3 >= sum(d.volume_mm3 * qty for d, qty in sized)
    for d, _ in sized:
        item = sorted((d.length_mm, d.width_mm, d.height_mm), reverse=True)
        assert item[0] <= box.length_mm
        assert item[1] <= max(box.width_mm, box.height_mm)
        assert item[2] <= min(box.width_mm, box.height_mm)


def test_one_item_is_its_own_box_and_items_without_size_add_weight_only() -> None:
    assert estimate_box([(Dimensions(300, 100, 200), 1)]) == Dimensions(300, 200, 100)
    parcel = estimate_parcel(
        [(900, None, 2), (100, Dimensions(10, 10, 10), 3)], "FR", "", "75001", po_box=True
    )
    assert parcel == Parcel(
        2100, Dimensions(10, 18, 17), country="FR", postcode="75001", po_box=True
    )
    assert estimate_parcel([(500, None, 1)]).dimensions is None


def quote(carrier: str, amount: str, currency: str = "EUR", service: str = "std") -> Quote:
    return Quote(carrier, service, "z", Money.of(amount, currency), 1000, 1000)


quotes = st.builds(
    quote,
    st.sampled_from(("dhl", "ups", "dpd")),
    st.sampled_from(("4.00", "4.50", "9.99")),
    st.sampled_from(("EUR", "EUR", "USD")),
    st.sampled_from(("std", "express")),
)


@given(st.none() | quotes, st.lists(st.none() | quotes, max_size=5))
def test_the_cheapest_service_does_not_depend_on_the_order_of_live_quotes(
    table_best: Quote | None, live: list[Quote | None]
) -> None:
    chosen = cheapest_service(table_best, live)
    currency = next((q.amount.currency for q in [table_best, *live] if q is not None), None)
    same = [q for q in [table_best, *live] if q is not None and q.amount.currency == currency]
    if not same:
        assert chosen is None
        return
    assert chosen == min(same, key=lambda q: (q.amount.amount, q.carrier, q.service))
    # the live quotes in the first quote's currency, in reverse: same choice
    kept = [q for q in live if q is not None and q.amount.currency == currency]
    assert cheapest_service(table_best, list(reversed(kept))) == chosen


def test_a_refusing_service_is_left_out_only_for_a_po_box() -> None:
    table = RateTable(
        "ups",
        "std",
        "EUR",
        [Zone("home", "DE")],
        [ZonePrice("home", 1000, Money.of("5", "EUR"), 500, Money.of("1", "EUR"))],
        refuses_po_boxes=True,
    )
    box = Parcel(100, country="DE", po_box=True)
    assert refusing_services([table], box) == {"ups/std"}
    assert refusing_services([table], Parcel(100, country="DE")) == frozenset()
    cheap, dear = quote("ups", "1.00"), quote("dhl", "7.00")
    assert cheapest_service(None, [cheap, dear], refusing_services([table], box)) == dear
    assert cheapest_service(None, [cheap, dear]) == cheap


def test_routing_changes_orders_until_picking_begins() -> None:
    assert {s for s in OrderStatus if may_route(s)} == ROUTABLE
    assert {
        OrderStatus.UNPAID,
        OrderStatus.ON_HOLD,
        OrderStatus.READY,
        OrderStatus.WAITING,
        OrderStatus.ALLOCATED,
    } == ROUTABLE


@given(st.lists(st.none() | quotes, max_size=6))
def test_warehouses_rank_by_their_best_quote_then_priority_and_unquoted_last(
    best: list[Quote | None],
) -> None:
    places = [f"WH{i}" for i in range(len(best))]
    ranked = cheapest_first(places, best)
    assert sorted(ranked) == sorted(places)
    quoted = [(q.amount.amount, int(code[2:])) for code in ranked if (q := best[int(code[2:])])]
    assert quoted == sorted(quoted)  # cheapest first, ties by priority
    assert ranked[len(quoted) :] == tuple(c for c in places if best[int(c[2:])] is None)


@given(st.sampled_from(list(OrderStatus)), st.booleans(), st.sampled_from((None, "WH1", "WH2")))
def test_rerouting_gives_stock_back_only_when_held_stock_is_elsewhere(
    status: OrderStatus, holds: bool, routed_to: str | None
) -> None:
    gives_back = must_give_back(status, holds, "WH1", routed_to)
    assert gives_back == (
        holds and status in (OrderStatus.ALLOCATED, OrderStatus.ON_HOLD) and routed_to == "WH2"
    )
