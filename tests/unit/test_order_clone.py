"""Order.clone copies every field, and shares nothing a unit of work may change.

Repositories hand out clones so that a rolled-back unit, or an order a caller
still holds after commit, cannot change what is stored.  The clone is built
once from the attrs fields; these tests set *every* field to a value that is
not its default, so a field the clone forgets (or shares while mutable) fails
here, including fields added later.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from ecerp.domain.orders.drafts import Address, Buyer, Change, OrderLine, StatusChange, UnmappedSku
from ecerp.domain.orders.events import OrderAllocated
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldReason
from ecerp.domain.orders.status import OrderStatus, PaymentStatus
from ecerp.domain.shared.money import Money

AT = datetime(2026, 5, 1, 12, tzinfo=UTC)
EUR = Money.of("9.90", "EUR")


def _every_field_set() -> dict[str, Any]:
    """A value for every field of Order, none of them its default."""
    return {
        "id": "shopify/web/1001",
        "channel": "shopify",
        "shop": "web",
        "external_id": "1001",
        "ordered_at": AT,
        "updated_at": AT,
        "currency": "EUR",
        "lines": [OrderLine(1, "MUG", 2, EUR, Money.zero("EUR"), "Mug")],
        "requirements": {(1, "MUG"): 2},
        "buyer": Buyer("b1", "Ann", "ann@example.com"),
        "address": Address(name="Ann", city="Berlin", country="DE"),
        "payment": PaymentStatus.PAID,
        "paid_amount": Money.of("19.80", "EUR"),
        "status": OrderStatus.ALLOCATED,
        "buyer_note": "leave at the door",
        "seller_note": "fragile",
        "shipping_level": "express",
        "shipping_service": "dhl",
        "priority": 3,
        "tags": {"vip"},
        "warehouse": "BER",
        "tracking": "T1",
        "hold_reasons": (HoldReason("fraud", "looks odd"),),
        "cleared_holds": frozenset({"address"}),
        "payment_reference": "PAY-1",
        "merged_from": ("shopify/web/1000",),
        "merged_into": "shopify/web/M-1",
        "line_origins": {1: ("shopify/web/1000", 1)},
        "split_from": "shopify/web/999",
        "parts_made": 2,
        "unmapped": (UnmappedSku("shopify", "web", "B0NEW"),),
        "parked": (OrderStatus.READY, "BER"),
        "route_rule": "north",
        "route_warehouse": "BER",
        "reserve_held": True,
        "channel_digest": "0123456789abcdef",
        "history": [StatusChange(AT, "ann", OrderStatus.READY, OrderStatus.ALLOCATED, "BER")],
        "changes": [Change(AT, "ann", "address", "old", "new")],
        "_events": [OrderAllocated("shopify/web/1001", "BER")],
    }


def _order() -> Order:
    return Order(**_every_field_set())


def test_the_test_order_sets_every_field_of_an_order_to_a_non_default_value() -> None:
    values = _every_field_set()
    fields = attrs.fields(Order)
    assert {f.alias for f in fields} == set(values), "add the new field to _every_field_set"
    for f in fields:
        default: Any = f.default
        if default is attrs.NOTHING:
            continue
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        assert values[str(f.alias)] != default, f"{f.name} is left at its default"


def test_a_clone_has_every_field_of_the_order_except_its_pending_events() -> None:
    order = _order()
    copy = order.clone()
    for f in attrs.fields(Order):
        if f.name == "_events":
            continue
        assert getattr(copy, f.name) == getattr(order, f.name), f.name
    assert copy.collect_events() == []
    assert order.collect_events() == [OrderAllocated("shopify/web/1001", "BER")]


def test_a_clone_shares_no_mutable_value_with_the_order() -> None:
    order = _order()
    copy = order.clone()
    for f in attrs.fields(Order):
        mine, theirs = getattr(order, f.name), getattr(copy, f.name)
        if mine is theirs:
            # shared values must be immutable (hashable by value)
            assert not isinstance(mine, (list, dict, set)), f.name
            hash(mine)


def test_changing_a_clone_leaves_the_order_as_it_was() -> None:
    order = _order()
    copy = order.clone()
    copy.lines.append(OrderLine(2, "CUP", 1, EUR, Money.zero("EUR")))
    copy.requirements[(2, "CUP")] = 1
    copy.tags.add("gift")
    copy.line_origins[2] = ("x", 1)
    copy.ship(at=AT, actor="bob", tracking="T2")
    copy.changes.append(Change(AT, "bob", "tracking", "T1", "T2"))
    assert _fields(order) == _fields(_order())
    assert order.status is OrderStatus.ALLOCATED
    assert len(order.history) == 1
    assert order.collect_events() == [OrderAllocated("shopify/web/1001", "BER")]


def _fields(order: Order) -> dict[str, Any]:
    return {f.name: getattr(order, f.name) for f in attrs.fields(Order)}
