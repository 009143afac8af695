"""Split policies and hold codes are enums, and the plain strings of older
stores and callers still read as them; the orders context's errors live in
its own module and go through their parents' constructors."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from ecerp.adapters.sql.serialization import CONVERTER, dump_order, load_order
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.catalog.products import SPLIT_POLICIES, Shop, SplitPolicy
from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
from ecerp.domain.orders.errors import ConsolidationError, OrderLockedError, VersionConflictError
from ecerp.domain.orders.holds import BuyerNote, ReviewContext, ReviewPolicy
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldCode, HoldReason, describe_reasons, rule_code
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import DomainError, NotFoundError, ValidationError
from ecerp.domain.shared.money import Money

AT = datetime(2026, 5, 1, tzinfo=UTC)


def _order(note: str = "") -> Order:
    draft = ChannelOrder(
        "shopify",
        "web",
        "1001",
        AT,
        "EUR",
        (ChannelLine("MUG", 1, Money.of("9.90", "EUR")),),
        paid=True,
        buyer_note=note,
    )
    return Order.from_channel(draft, {(1, "MUG"): 1}, at=AT, actor="import")


# --- split policies ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["none", "availability", "warehouses"])
def test_a_shop_takes_its_split_setting_as_a_plain_string(value: str) -> None:
    shop = Shop("web", "shopify", split=value)
    assert shop.split is SplitPolicy(value)
    assert shop.split == value


def test_a_shop_splits_nothing_unless_told() -> None:
    assert Shop("web", "shopify").split is SplitPolicy.NONE


def test_the_split_policy_values_are_kept_for_older_callers() -> None:
    assert SPLIT_POLICIES == ("none", "availability", "warehouses")


@pytest.mark.parametrize("value", ["sometimes", "", "NONE", None, 1, b"none"])
def test_a_split_setting_that_names_no_policy_is_refused(value: object) -> None:
    with pytest.raises(ValidationError) as err:
        Shop("web", "shopify", split=value)  # type: ignore[arg-type]
    assert err.value.field == "split"


def test_a_shop_stored_with_a_plain_split_string_reads_as_the_policy() -> None:
    stored = (
        '{"code":"web","channel":"shopify","name":"","site":null,"currency":"USD",'
        '"auto_merge":false,"split":"availability","reserve_held":false}'
    )
    shop = CONVERTER.loads(stored, Shop)
    assert shop.split is SplitPolicy.AVAILABILITY
    assert CONVERTER.dumps(shop) == stored


# --- hold codes -------------------------------------------------------------------


def test_a_hold_code_ecerp_uses_reads_as_its_member() -> None:
    assert HoldReason("po_box", "address is a 'PO Box'").code is HoldCode.PO_BOX


def test_a_code_of_a_check_defined_elsewhere_stays_a_string() -> None:
    reason = HoldReason("fraud-score", "score 97")
    assert reason.code == "fraud-score"
    assert not isinstance(reason.code, HoldCode)
    assert reason.rule is None


def test_a_hold_code_must_be_a_string() -> None:
    with pytest.raises(ValidationError) as err:
        HoldReason(7, "seven")
    assert err.value.field == "code"


def test_a_routing_rule_hold_is_coded_with_the_rule_name() -> None:
    reason = HoldReason.by_rule("big-orders", "over 500 EUR")
    assert reason == HoldReason("rule:big-orders", "over 500 EUR")
    assert reason.code == rule_code("big-orders") == "rule:big-orders"
    assert reason.rule == "big-orders"
    assert str(reason) == "rule:big-orders: over 500 EUR"


def test_a_manual_hold_shows_only_the_persons_words() -> None:
    reason = HoldReason.manual("call the buyer")
    assert reason.code is HoldCode.MANUAL
    assert str(reason) == "call the buyer"
    assert describe_reasons([reason, HoldReason.by_rule("r", "x")]) == "call the buyer; rule:r: x"


def test_a_plain_string_hold_is_a_manual_hold() -> None:
    order = _order()
    order.hold(["call the buyer"], at=AT, actor="ann")
    assert order.hold_reasons == (HoldReason.manual("call the buyer"),)
    assert order.hold_reasons[0].code == "manual"


def test_the_review_checks_hold_with_their_codes() -> None:
    order = _order(note="gift wrap")
    reasons = ReviewPolicy((BuyerNote(),)).review(order, ReviewContext())
    assert [r.code for r in reasons] == [HoldCode.BUYER_NOTE] == ["buyer_note"]


def test_held_orders_keep_their_codes_through_storage() -> None:
    order = _order()
    order.hold(
        [HoldReason.by_rule("big", "over"), HoldReason("fraud", "odd"), HoldReason.manual("x")],
        at=AT,
        actor="ann",
    )
    order.release_hold(at=AT, actor="ann")
    order.hold([HoldReason(HoldCode.BLACKLISTED, "buyer 'b' is blacklisted")], at=AT, actor="ann")
    again = load_order(dump_order(order))
    assert again.hold_reasons == order.hold_reasons
    assert again.hold_reasons[0].code is HoldCode.BLACKLISTED
    assert again.cleared_holds == {"rule:big", "fraud", "manual"}


# --- errors -----------------------------------------------------------------------


def test_the_orders_errors_are_domain_errors_with_typed_fields() -> None:
    locked = OrderLockedError("o-1", OrderStatus.PICKING, "edit lines")
    assert isinstance(locked, DomainError)
    assert (locked.order, locked.status, locked.change) == (
        "o-1",
        OrderStatus.PICKING,
        "edit lines",
    )
    conflict = VersionConflictError("o-1", AT, AT, ("lines",))
    assert conflict.differs == ("lines",)
    merge = ConsolidationError(["a", "b"], "differ")
    assert (merge.orders, merge.reason, str(merge)) == (("a", "b"), "differ", "a, b: differ")
    for err in (locked, conflict, merge):
        again = pickle.loads(pickle.dumps(err))
        assert (type(again), again.fields, str(again)) == (type(err), err.fields, str(err))


def test_an_unknown_sku_is_a_not_found_error_built_by_its_constructor() -> None:
    err = UnknownSkuError("MUG", "shopify", "web")
    assert isinstance(err, NotFoundError)
    assert isinstance(err, DomainError)
    assert str(err) == "unknown SKU 'MUG' in shopify/web"
    assert err.fields == {
        "kind": "sku",
        "key": "MUG",
        "code": "MUG",
        "channel": "shopify",
        "shop": "web",
    }
    assert NotFoundError("order", "o-1").fields == {"kind": "order", "key": "o-1"}
    assert str(NotFoundError("order", "o-1")) == "order 'o-1' not found"


def test_hold_codes_print_as_they_are_stored() -> None:
    codes = [HoldReason("buyer_note", "x").code, HoldReason("fraud", "y").code]
    assert repr(codes) == "['buyer_note', 'fraud']"
    assert f"{HoldCode.PO_BOX}" == str(HoldCode.PO_BOX) == "po_box"
