"""An order whose listing SKUs resolve to nothing yet: kept ``unmapped``,
holding nothing, until every line resolves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder, UnmappedSku
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus, PaymentStatus
from ecerp.domain.shared.errors import InvalidTransitionError, ValidationError
from ecerp.domain.shared.money import Money

T = datetime(2026, 5, 1, 10, tzinfo=UTC)
NEW = UnmappedSku("shopify", "web", "B0NEW")


def draft(*lines: tuple[str, int], paid: bool = True, **extra: object) -> ChannelOrder:
    return ChannelOrder(
        channel="shopify",
        shop="web",
        external_id="1001",
        ordered_at=T,
        currency="EUR",
        paid=paid,
        lines=tuple(ChannelLine(sku, qty, Money.of("9.90", "EUR")) for sku, qty in lines),
        **extra,  # type: ignore[arg-type]
    )


def unmapped(paid: bool = True) -> Order:
    return Order.from_channel(
        draft(("B0NEW", 2), ("MUG", 1), paid=paid), {}, at=T, actor="import", unmapped=[NEW]
    )


def test_an_unmapped_order_requires_nothing_and_names_the_codes_that_failed() -> None:
    order = unmapped()
    assert (order.status, order.requirements, order.unmapped) == (
        OrderStatus.UNMAPPED,
        {},
        (NEW,),
    )
    assert not order.holds_stock()
    assert "B0NEW" in order.history[-1].note


def test_once_every_line_resolves_it_goes_on_as_a_new_order_would() -> None:
    paid, unpaid = unmapped(), unmapped(paid=False)
    for order in (paid, unpaid):
        order.map_lines({(1, "MUG"): 2, (2, "MUG"): 1}, at=T, actor="ann")
    assert (paid.status, unpaid.status) == (OrderStatus.READY, OrderStatus.UNPAID)
    assert paid.requirements == {(1, "MUG"): 2, (2, "MUG"): 1}
    assert paid.unmapped == ()
    with pytest.raises(InvalidTransitionError):
        paid.map_lines({(1, "MUG"): 2, (2, "MUG"): 1}, at=T, actor="ann")


def test_mapping_must_cover_every_line() -> None:
    order = unmapped()
    with pytest.raises(ValidationError):
        order.map_lines({(1, "MUG"): 2}, at=T, actor="ann")
    assert order.status is OrderStatus.UNMAPPED


def test_an_unmapped_order_may_be_paid_or_cancelled_but_not_held_or_allocated() -> None:
    order = unmapped(paid=False)
    order.mark_paid(at=T, actor="ann")
    assert (order.status, order.payment) == (OrderStatus.UNMAPPED, PaymentStatus.PAID)
    with pytest.raises(InvalidTransitionError):
        order.allocate("BER", at=T, actor="ann")
    with pytest.raises(InvalidTransitionError):
        order.hold(["check"], at=T, actor="ann")
    order.cancel(at=T, actor="ann", reason="buyer changed mind")
    assert order.status is OrderStatus.CANCELLED


def test_a_newer_version_replaces_the_content_of_an_unmapped_order() -> None:
    order = unmapped(paid=False)
    newer = attrs.evolve(
        draft(("B0OTHER", 3), paid=True), updated_at=T + timedelta(hours=1), buyer_note="fast"
    )
    other = UnmappedSku("shopify", "web", "B0OTHER")
    changed = order.take_unmapped_version(newer, [other], at=T, actor="import")
    assert changed == ["payment", "buyer_note", "lines", "unmapped"]
    assert (order.unmapped, order.payment, order.buyer_note) == (
        (other,),
        PaymentStatus.PAID,
        "fast",
    )
    assert order.take_unmapped_version(newer, [other], at=T, actor="import") == []  # not newer
    cancelled = attrs.evolve(newer, updated_at=T + timedelta(hours=2), cancelled=True)
    assert order.take_unmapped_version(cancelled, [other], at=T, actor="import") == ["status"]
    assert order.status is OrderStatus.CANCELLED


def test_a_cancelled_draft_with_an_unknown_listing_is_simply_cancelled() -> None:
    order = Order.from_channel(
        draft(("B0NEW", 1), cancelled=True), {}, at=T, actor="import", unmapped=[NEW]
    )
    assert (order.status, order.unmapped) == (OrderStatus.CANCELLED, (NEW,))
