"""Orders: import, statuses as data, holds, edits with an audit trail, and the
allocation policy that decides which warehouse ships which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecerp.domain.allocation.policy import AllocationDecision, AllocationRequest, decide
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder, OrderLine, order_id
from ecerp.domain.orders.errors import OrderLockedError, VersionConflictError
from ecerp.domain.orders.events import (
    OrderAllocated,
    OrderCancelled,
    OrderImported,
    OrderShipped,
    OrderStatusChanged,
    OrderUpdated,
    OrderWaiting,
)
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import EDITABLE, HOLDING, TRANSITIONS, OrderStatus, PaymentStatus
from ecerp.domain.shared.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    ValidationError,
)
from ecerp.domain.shared.money import Money
from worlds import eur

S = OrderStatus
T = datetime(2026, 5, 1, 10, tzinfo=UTC)
LATER = T + timedelta(hours=2)
HOME = Address("Ann", "1 High St", city="Leeds", country="GB")


def draft(
    *,
    paid: bool = True,
    cancelled: bool = False,
    updated_at: datetime | None = None,
    lines: tuple[ChannelLine, ...] = (ChannelLine("MUG-RED", 2, eur("9.90")),),
    address: Address = HOME,
    buyer_note: str = "",
) -> ChannelOrder:
    return ChannelOrder(
        channel="shopify",
        shop="web",
        external_id="1001",
        ordered_at=T,
        currency="EUR",
        lines=lines,
        updated_at=updated_at,
        address=address,
        paid=paid,
        cancelled=cancelled,
        buyer_note=buyer_note,
    )


def new_order(**kwargs: object) -> Order:
    d = draft(**kwargs)  # type: ignore[arg-type]
    requirements = {(line.line_no, line.listing_sku): line.qty for line in d.order_lines()}
    order = Order.from_channel(d, requirements, at=T, actor="import")
    order.collect_events()
    return order


def allocated_order() -> Order:
    order = new_order()
    order.allocate("SH", at=T, actor="allocator")
    order.collect_events()
    return order


def reasons(order: Order) -> tuple[str, ...]:
    return tuple(str(r) for r in order.hold_reasons)


def statuses(order: Order) -> list[tuple[OrderStatus, OrderStatus, str]]:
    return [(h.from_, h.to, h.actor) for h in order.history]


# --- arriving ----------------------------------------------------------------------------


def test_a_paid_channel_order_arrives_ready_with_its_history() -> None:
    d = draft()
    order = Order.from_channel(d, {(1, "MUG-RED"): 2}, at=LATER, actor="import")

    assert order.id == "shopify/web/1001" == order_id("shopify", "web", "1001")
    assert order.key == ("shopify", "web", "1001")
    assert order.status is S.READY
    assert order.payment is PaymentStatus.PAID
    assert statuses(order) == [(S.NEW, S.READY, "import")]
    assert order.history[0].at == LATER
    assert order.collect_events() == [
        OrderStatusChanged(order.id, "new", "ready"),
        OrderImported(order.id),
    ]


def test_an_unpaid_channel_order_waits_for_payment() -> None:
    assert new_order(paid=False).status is S.UNPAID


def test_an_order_cancelled_on_the_channel_arrives_cancelled() -> None:
    assert new_order(cancelled=True).status is S.CANCELLED


def test_an_orders_total_is_its_lines_less_discounts_rounded() -> None:
    order = new_order(
        lines=(
            ChannelLine("MUG-RED", 3, eur("9.995"), eur("1.00")),
            ChannelLine("LID", 1, eur("2.50")),
        )
    )

    # 3 x 9.995 - 1.00 + 2.50 = 31.485, half-up to 31.49
    assert order.total() == eur("31.49")
    assert order.lines[1] == OrderLine(2, "LID", 1, eur("2.50"), eur("0.00"))


def test_requirements_must_cover_every_line() -> None:
    with pytest.raises(ValidationError) as err:
        Order.from_channel(draft(), {(2, "MUG-RED"): 2}, at=T, actor="import")

    assert err.value.field == "requirements"


def test_sku_totals_add_a_sku_shared_by_several_lines() -> None:
    order = new_order(
        lines=(ChannelLine("SET", 1, eur("20")), ChannelLine("MUG-RED", 1, eur("9"))),
    )
    order.requirements = {(1, "MUG-RED"): 2, (1, "LID"): 2, (2, "MUG-RED"): 1}

    assert order.sku_totals() == {"MUG-RED": 3, "LID": 2}


def test_a_draft_in_one_currency_refuses_lines_in_another() -> None:
    with pytest.raises(CurrencyMismatchError) as err:
        draft(lines=(ChannelLine("MUG-RED", 1, Money.of("9.90", "USD")),))

    assert (err.value.left, err.value.right) == ("EUR", "USD")


# --- statuses as data -------------------------------------------------------------------


def test_nothing_leaves_a_cancelled_or_returned_order() -> None:
    assert TRANSITIONS[S.CANCELLED] == frozenset()
    assert TRANSITIONS[S.RETURNED] == frozenset()


def test_no_status_leads_back_to_new_and_every_other_status_can_be_reached() -> None:
    targets = set().union(*TRANSITIONS.values())

    assert S.NEW not in targets
    assert targets == set(S) - {S.NEW}


def test_a_shipped_order_cannot_be_cancelled_only_returned() -> None:
    assert S.CANCELLED not in TRANSITIONS[S.SHIPPED]
    assert S.RETURNED in TRANSITIONS[S.SHIPPED]


def test_only_allocated_picking_and_packed_orders_hold_stock() -> None:
    assert frozenset({S.ALLOCATED, S.PICKING, S.PACKED}) == HOLDING
    assert not (HOLDING - {S.ALLOCATED}) & EDITABLE


def test_an_order_goes_from_ready_to_delivered_and_each_step_is_recorded() -> None:
    order = new_order()
    order.allocate("SH", at=T, actor="allocator")
    order.start_picking(at=T, actor="picker")
    order.pack(at=T, actor="packer")
    order.ship(at=LATER, actor="packer", tracking="1Z999")
    order.deliver(at=LATER, actor="carrier")
    order.complete(at=LATER, actor="system")

    assert statuses(order)[1:] == [
        (S.READY, S.ALLOCATED, "allocator"),
        (S.ALLOCATED, S.PICKING, "picker"),
        (S.PICKING, S.PACKED, "packer"),
        (S.PACKED, S.SHIPPED, "packer"),
        (S.SHIPPED, S.DELIVERED, "carrier"),
        (S.DELIVERED, S.COMPLETED, "system"),
    ]
    assert (order.warehouse, order.tracking) == ("SH", "1Z999")
    assert order.history[4].note == "1Z999"


def test_a_refused_status_change_names_the_order_and_both_statuses_and_changes_nothing() -> None:
    order = new_order()
    order.cancel(at=T, actor="ann")
    history = list(order.history)

    with pytest.raises(InvalidTransitionError) as err:
        order.ship(at=T, actor="bob", tracking="1Z")

    assert (err.value.entity, err.value.from_, err.value.to) == (
        "order shopify/web/1001",
        "cancelled",
        "shipped",
    )
    assert order.status is S.CANCELLED
    assert order.history == history
    assert order.tracking is None


def test_an_order_records_who_did_what_as_events() -> None:
    order = new_order()
    order.allocate("SH", at=T, actor="a")
    order.ship(at=T, actor="b", tracking="1Z")

    assert order.collect_events() == [
        OrderStatusChanged(order.id, "ready", "allocated"),
        OrderAllocated(order.id, "SH"),
        OrderStatusChanged(order.id, "allocated", "shipped"),
        OrderShipped(order.id, "SH", "1Z"),
    ]
    assert order.collect_events() == []


# --- payment, holds, waiting -------------------------------------------------------------


def test_paying_an_unpaid_order_makes_it_ready_and_is_audited() -> None:
    order = new_order(paid=False)

    order.mark_paid(at=LATER, actor="paypal", amount=eur("19.80"))

    assert order.status is S.READY
    assert (order.payment, order.paid_amount) == (PaymentStatus.PAID, eur("19.80"))
    assert [(c.field, c.before, c.after, c.actor) for c in order.changes] == [
        ("payment", "unpaid", "paid", "paypal")
    ]


def test_paying_twice_changes_nothing() -> None:
    order = new_order()

    order.mark_paid(at=LATER, actor="paypal", amount=eur("1.00"))

    assert order.changes == []
    assert order.paid_amount is None


def test_a_payment_in_another_currency_is_refused() -> None:
    order = new_order(paid=False)

    with pytest.raises(CurrencyMismatchError):
        order.mark_paid(at=T, actor="paypal", amount=Money.of("19.80", "USD"))

    assert order.payment is PaymentStatus.UNPAID


def test_a_held_order_waits_for_a_person_and_goes_back_where_payment_says() -> None:
    paid, unpaid = new_order(), new_order(paid=False)

    for order in (paid, unpaid):
        order.hold(["blacklisted buyer?"], at=T, actor="rules")
        assert order.status is S.ON_HOLD
        assert [str(r) for r in order.hold_reasons] == ["blacklisted buyer?"]
        order.release_hold(at=LATER, actor="ann")
        assert reasons(order) == ()

    assert (paid.status, unpaid.status) == (S.READY, S.UNPAID)


def test_a_hold_needs_a_reason() -> None:
    order = new_order()

    with pytest.raises(ValidationError) as err:
        order.hold([], at=T, actor="rules")

    assert err.value.field == "reasons"
    assert order.status is S.READY


def test_an_order_without_stock_waits_once_and_says_what_is_short() -> None:
    order = new_order()

    order.wait(["MUG-RED"], at=T, actor="allocator")
    order.wait(["MUG-RED"], at=LATER, actor="allocator")

    assert statuses(order)[1:] == [(S.READY, S.WAITING, "allocator")]
    assert order.collect_events() == [
        OrderStatusChanged(order.id, "ready", "waiting"),
        OrderWaiting(order.id, ("MUG-RED",)),
    ]


def test_a_deallocated_order_gives_up_its_warehouse_and_waits() -> None:
    order = allocated_order()

    order.deallocate(at=T, actor="stocktake", note="shelf short")

    assert (order.status, order.warehouse) == (S.WAITING, None)
    assert not order.holds_stock()


def test_cancelling_records_the_reason() -> None:
    order = allocated_order()

    order.cancel(at=T, actor="ann", reason="buyer asked")

    assert order.history[-1].note == "buyer asked"
    assert order.collect_events()[-1] == OrderCancelled(order.id, "buyer asked")
    assert not order.holds_stock()


# --- edits ------------------------------------------------------------------------------


def test_an_address_change_before_picking_is_audited() -> None:
    order = new_order()
    new_address = Address("Ann", "2 Low St", city="York", country="GB")

    order.change_address(new_address, at=LATER, actor="ann")

    assert order.address == new_address
    change = order.changes[-1]
    assert (change.field, change.actor, change.at) == ("address", "ann", LATER)
    assert "1 High St" in change.before
    assert "2 Low St" in change.after
    assert order.collect_events() == [OrderUpdated(order.id, ("address",))]


def test_the_same_address_again_is_no_change() -> None:
    order = new_order()

    order.change_address(Address("Ann", "1 High St", city="Leeds", country="GB"), at=T, actor="a")

    assert order.changes == []


def test_lines_can_be_replaced_before_picking_and_the_edit_is_audited() -> None:
    order = new_order()
    lines = [OrderLine(1, "MUG-RED", 3, eur("9.90"), eur("0"))]

    order.replace_lines(lines, {(1, "MUG-RED"): 3}, at=LATER, actor="ann")

    assert order.lines == lines
    assert order.requirements == {(1, "MUG-RED"): 3}
    assert [(c.field, c.before, c.after) for c in order.changes] == [
        ("lines", "MUG-RED x2 @ 9.90 -0.00", "MUG-RED x3 @ 9.90 -0")
    ]


@pytest.mark.parametrize("step", ["start_picking", "pack", "ship"])
def test_a_picked_order_can_no_longer_be_edited(step: str) -> None:
    order = allocated_order()
    order.start_picking(at=T, actor="picker")
    if step in ("pack", "ship"):
        order.pack(at=T, actor="packer")
    if step == "ship":
        order.ship(at=T, actor="packer")
    before = (order.address, list(order.lines), list(order.changes))

    with pytest.raises(OrderLockedError) as err:
        order.change_address(Address("Somebody else"), at=T, actor="ann")
    assert (err.value.fields["order"], err.value.fields["status"]) == (order.id, order.status)
    with pytest.raises(OrderLockedError):
        order.replace_lines(
            [OrderLine(1, "LID", 1, eur("1"), eur("0"))], {(1, "LID"): 1}, at=T, actor="ann"
        )
    with pytest.raises(OrderLockedError):
        order.set_shipping_service("DHL", at=T, actor="ann")

    assert (order.address, order.lines, order.changes) == before


def test_an_order_keeps_at_least_one_line_in_its_currency() -> None:
    order = new_order()

    with pytest.raises(ValidationError):
        order.replace_lines([], {}, at=T, actor="ann")
    with pytest.raises(CurrencyMismatchError):
        order.replace_lines(
            [OrderLine(1, "LID", 1, Money.of("1", "USD"), Money.of("0", "USD"))],
            {(1, "LID"): 1},
            at=T,
            actor="ann",
        )

    assert order.lines[0].listing_sku == "MUG-RED"


# --- newer versions from the channel ----------------------------------------------------------


def test_a_newer_channel_version_updates_the_order() -> None:
    order = new_order(paid=False)
    newer = draft(
        paid=True,
        updated_at=LATER,
        address=Address("Ann", "9 New Rd", country="GB"),
        buyer_note="leave at door",
    )

    changed = order.apply_channel_version(newer, {(1, "MUG-RED"): 2}, at=LATER, actor="sync")

    assert changed == ["payment", "address", "buyer_note"]
    assert order.status is S.READY
    assert order.address.line1 == "9 New Rd"
    assert order.updated_at == LATER


@pytest.mark.parametrize("version", [T, T - timedelta(seconds=1)], ids=["same", "older"])
def test_an_older_or_equal_channel_version_with_the_same_content_changes_nothing(
    version: datetime,
) -> None:
    order = new_order(paid=False)

    changed = order.apply_channel_version(
        draft(paid=False, updated_at=version), {(1, "MUG-RED"): 2}, at=T, actor="s"
    )

    assert changed == []
    assert order.status is S.UNPAID


def test_the_same_version_with_new_content_is_applied() -> None:
    order = new_order(paid=False)

    changed = order.apply_channel_version(
        draft(paid=True, updated_at=T, buyer_note="x"), {(1, "MUG-RED"): 2}, at=T, actor="s"
    )

    assert changed == ["payment", "buyer_note"]
    assert order.status is S.READY


def test_an_older_version_with_new_content_is_refused_and_changes_nothing() -> None:
    order = new_order(paid=False)
    older = T - timedelta(seconds=1)

    with pytest.raises(VersionConflictError) as refused:
        order.apply_channel_version(
            draft(paid=True, updated_at=older, buyer_note="x"), {(1, "MUG-RED"): 2}, at=T, actor="s"
        )

    assert refused.value.differs == ("payment", "buyer_note")
    assert (refused.value.version, refused.value.stored) == (older, T)
    assert order.status is S.UNPAID
    assert order.buyer_note == ""


def test_an_order_cancelled_on_the_channel_after_shipping_is_refused() -> None:
    order = allocated_order()
    order.ship(at=T, actor="packer")

    with pytest.raises(InvalidTransitionError) as err:
        order.apply_channel_version(
            draft(cancelled=True, updated_at=LATER), {(1, "MUG-RED"): 2}, at=LATER, actor="sync"
        )

    assert (err.value.from_, err.value.to) == ("shipped", "cancelled")
    assert order.status is S.SHIPPED
    assert order.updated_at == T


def test_new_lines_from_the_channel_after_picking_are_refused_whole() -> None:
    order = allocated_order()
    order.start_picking(at=T, actor="picker")
    newer = draft(
        updated_at=LATER,
        lines=(ChannelLine("MUG-RED", 5, eur("9.90")),),
        buyer_note="more please",
    )

    with pytest.raises(OrderLockedError):
        order.apply_channel_version(newer, {(1, "MUG-RED"): 5}, at=LATER, actor="sync")

    assert order.requirements == {(1, "MUG-RED"): 2}
    assert order.buyer_note == ""
    assert order.updated_at == T


def test_a_clone_is_independent_of_the_original() -> None:
    order = new_order()
    copy = order.clone()

    copy.tags.add("vip")
    copy.requirements[(1, "MUG-RED")] = 9
    copy.cancel(at=T, actor="ann")

    assert order.tags == set()
    assert order.requirements == {(1, "MUG-RED"): 2}
    assert order.status is S.READY
    assert len(order.history) == 1


# --- the allocation policy ---------------------------------------------------------------------


def request(
    order: str, needs: dict[str, int], *, priority: int = 0, age_hours: int = 0
) -> AllocationRequest:
    return AllocationRequest(order, priority, T - timedelta(hours=age_hours), needs, ("SH", "SZ"))


def test_the_oldest_order_is_served_first() -> None:
    decisions = decide(
        [request("young", {"MUG": 2}), request("old", {"MUG": 2}, age_hours=5)],
        {("MUG", "SH"): 3},
        set(),
    )

    assert decisions == [
        AllocationDecision("old", "SH"),
        AllocationDecision("young", None, ("MUG",)),
    ]


def test_a_higher_priority_order_jumps_the_queue() -> None:
    decisions = decide(
        [request("old", {"MUG": 2}, age_hours=5), request("vip", {"MUG": 2}, priority=9)],
        {("MUG", "SH"): 2},
        set(),
    )

    assert [(d.order, d.warehouse) for d in decisions] == [("vip", "SH"), ("old", None)]


def test_an_order_is_shipped_whole_from_the_first_warehouse_that_has_all_of_it() -> None:
    decisions = decide(
        [request("o", {"MUG": 2, "LID": 1})],
        {("MUG", "SH"): 5, ("LID", "SZ"): 1, ("MUG", "SZ"): 2},
        set(),
    )

    assert decisions == [AllocationDecision("o", "SZ")]


def test_a_waiting_order_does_not_block_a_younger_one_that_fits() -> None:
    decisions = decide(
        [request("big", {"MUG": 10}, age_hours=3), request("small", {"MUG": 1})],
        {("MUG", "SH"): 2},
        set(),
    )

    assert [(d.order, d.warehouse) for d in decisions] == [("big", None), ("small", "SH")]


def test_a_warehouse_that_allows_negative_stock_takes_any_order() -> None:
    decisions = decide([request("o", {"MUG": 10})], {}, {"SZ"})

    assert decisions == [AllocationDecision("o", "SZ")]


def test_the_policy_does_not_touch_the_availability_it_is_given() -> None:
    available = {("MUG", "SH"): 3}

    decide([request("a", {"MUG": 2}), request("b", {"MUG": 1})], available, set())

    assert available == {("MUG", "SH"): 3}
