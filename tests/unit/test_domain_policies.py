"""The policies that moved from the use cases into the domain, as pure
functions over values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecerp.domain.allocation.policy import AllocationRequest, queue_key
from ecerp.domain.allocation.serving import Holder, give_back_order, serving_place
from ecerp.domain.catalog.products import SPLIT_POLICIES
from ecerp.domain.orders.drafts import OrderLine
from ecerp.domain.orders.splitting import (
    SPLIT_ROUNDS,
    best_part,
    is_whole,
    shippable_part,
    split_rounds,
    splits,
)
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.money import Money

T = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_the_queue_serves_highest_priority_then_oldest_then_by_id() -> None:
    request = AllocationRequest("B", 3, T, {}, ())
    assert queue_key(request) == serving_place(3, T, "B") == (-3, T, "B")
    places = [
        serving_place(0, T, "b"),
        serving_place(0, T, "B"),
        serving_place(1, T + timedelta(1), "z"),
    ]
    assert [p[2] for p in sorted(places)] == ["z", "B", "b"]


def test_held_orders_give_stock_back_first_then_by_stage_youngest_first() -> None:
    holders = [
        Holder("picking", OrderStatus.PICKING, 0, T),
        Holder("vip", OrderStatus.ALLOCATED, 5, T + timedelta(hours=2)),
        Holder("young", OrderStatus.ALLOCATED, 0, T + timedelta(hours=1)),
        Holder("old", OrderStatus.ALLOCATED, 0, T),
        Holder("held", OrderStatus.ON_HOLD, 0, T),
        Holder("shipped", OrderStatus.SHIPPED, 0, T),
        Holder("packed", OrderStatus.PACKED, 0, T),
    ]
    assert give_back_order(holders) == ["held", "young", "old", "vip", "picking", "packed"]


def _line(n: int, sku: str, qty: int) -> OrderLine:
    return OrderLine(n, sku, qty, Money.of("5", "EUR"), Money.of("0", "EUR"))


def test_every_split_policy_a_shop_may_name_has_an_entry_in_the_table() -> None:
    assert set(SPLIT_ROUNDS) == set(SPLIT_POLICIES)
    assert [split_rounds(p, 4) for p in ("none", "availability", "warehouses")] == [0, 1, 4]
    assert [splits(p) for p in ("none", "availability", "warehouses")] == [False, True, True]
    with pytest.raises(KeyError):
        split_rounds("sometimes", 2)


def test_a_part_takes_whole_units_line_by_line_and_the_fullest_warehouse_wins() -> None:
    lines = (_line(1, "MUG", 2), _line(2, "SET", 2))
    needs = {(1, "MUG"): 2, (2, "MUG"): 2, (2, "LID"): 2}
    assert shippable_part(lines, needs, {"MUG": 3, "LID": -4}) == {1: 2}
    assert shippable_part(lines, needs, {}) == {}
    assert best_part(lines, needs, [("A", {"MUG": 1}), ("B", {"MUG": 1})]) == ("A", {1: 1})
    assert best_part(lines, needs, [("A", {}), ("B", {})]) is None
    whole = shippable_part(lines, needs, {"MUG": 9, "LID": 9})
    assert is_whole(lines, whole)
    assert not is_whole(lines, {1: 2})
