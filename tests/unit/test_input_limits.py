"""Bad input found by attacking the public API: each is refused at the
boundary with a ValidationError naming the field, the same on every backend
(the values never reach one), and one bad item in a batch is one rejected
outcome.  The limits are those of ``docs/limits.md``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ecerp import ERP, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.orders.holds import ReviewPolicy, ValueOver
from ecerp.domain.routing.rules import RuleSet
from ecerp.domain.shared.errors import EcerpError, ValidationError
from ecerp.domain.shared.money import MAX_MONEY, Money
from ecerp.domain.shared.values import (
    MAX_CHANNEL_LEN,
    MAX_CODE_LEN,
    MAX_NAME_LEN,
    MAX_NOTE_LEN,
    MAX_PRIORITY,
    MAX_QTY,
)
from ecerp.testing.contracts import dump
from ecerp.usecases.results import OutcomeKind
from worlds import eur

T = datetime(2026, 3, 2, 9, tzinfo=UTC)


def draft(ext: str, /, **extra: Any) -> ChannelOrder:
    fields: dict[str, Any] = {
        "channel": "shopify",
        "shop": "web",
        "external_id": ext,
        "ordered_at": T,
        "currency": "EUR",
        "lines": (ChannelLine("MUG", 1, eur("9.90")),),
        "paid": True,
    }
    return ChannelOrder(**{**fields, **extra})


@pytest.fixture
def erp() -> ERP:
    erp = open_erp("memory://", clock=SimulatedClock(T))
    erp.catalog.add(Sku("MUG"), Shop("web", channel="shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.inventory.receive("MUG", "SH", 10)
    return erp


def refused(erp: ERP, call: Callable[[], object], field: str) -> ValidationError:
    before = dump(erp.backend.uow_factory)
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field, info.value
    assert dump(erp.backend.uow_factory) == before
    return info.value


# --- booleans ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["paid", "cancelled"])
@pytest.mark.parametrize("value", ["false", "no", 0, 1, None])
def test_a_draft_flag_is_a_bool_not_a_truthy_value(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        draft("1", **{field: value})
    assert info.value.field == field


def test_damaged_no_is_not_damaged_it_is_refused(erp: ERP) -> None:
    refused(erp, lambda: erp.inventory.receive("MUG", "SH", 1, damaged="no"), "damaged")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda v: Warehouse("W", allow_negative=v),
        lambda v: Shop("s", channel="c", auto_merge=v),
        lambda v: Shop("s", channel="c", reserve_held=v),
    ],
)
def test_value_flags_are_bools(build: Callable[[object], object]) -> None:
    with pytest.raises(ValidationError):
        build("false")


# --- integers ------------------------------------------------------------------------------


def test_a_string_priority_never_reaches_the_store(erp: ERP) -> None:
    with pytest.raises(ValidationError) as on_order:
        draft("1", priority="high")
    with pytest.raises(ValidationError) as on_warehouse:
        Warehouse("W2", priority="1")  # type: ignore[arg-type]
    assert on_order.value.field == on_warehouse.value.field == "priority"


@pytest.mark.parametrize("priority", [MAX_PRIORITY + 1, -MAX_PRIORITY - 1, True, 1.0])
def test_priorities_are_bounded_ints(priority: object) -> None:
    with pytest.raises(ValidationError):
        draft("1", priority=priority)
    assert draft("1", priority=MAX_PRIORITY).priority == MAX_PRIORITY


def test_a_quantity_beyond_the_limit_is_refused_and_two_at_the_limit_sum_fine(erp: ERP) -> None:
    refused(erp, lambda: erp.inventory.receive("MUG", "SH", MAX_QTY + 1), "qty")
    refused(erp, lambda: erp.inventory.receive("MUG", "SH", True), "qty")
    erp.inventory.receive("MUG", "SH", MAX_QTY)
    erp.inventory.receive("MUG", "SH", MAX_QTY)
    assert erp.inventory.position("MUG", "SH").on_hand == 2 * MAX_QTY + 10
    assert erp.inventory.verify() == []
    assert erp.inventory.report()[0].on_hand == 2 * MAX_QTY + 10
    erp.check()


@pytest.mark.parametrize("delta", [0, MAX_QTY + 1, -MAX_QTY - 1, False])
def test_an_adjustment_is_a_non_zero_int_within_the_limit(erp: ERP, delta: object) -> None:
    refused(erp, lambda: erp.inventory.adjust("MUG", "SH", delta, note="x"), "delta")  # type: ignore[arg-type]


def test_a_line_quantity_beyond_the_limit_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        ChannelLine("MUG", MAX_QTY + 1, eur("1"))
    assert info.value.field == "qty"


# --- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a\x00b", "NUL"),
        ("a\ud800b", "surrogate"),
        ("x" * (MAX_NAME_LEN + 1), "at most"),
    ],
)
def test_text_refuses_nul_lone_surrogates_and_overlong_values(
    erp: ERP, value: str, reason: str
) -> None:
    err = refused(erp, lambda: erp.inventory.receive("MUG", "SH", 1, document=value), "document")
    assert reason in err.reason
    with pytest.raises(ValidationError, match=reason):
        Address(city=value)
    with pytest.raises(ValidationError, match=reason):
        draft("1", shipping_level=value)


def test_text_limits_per_kind() -> None:
    draft("x" * MAX_CODE_LEN, channel="c" * MAX_CHANNEL_LEN, buyer_note="n" * MAX_NOTE_LEN)
    for extra in (
        {"external_id": "x" * (MAX_CODE_LEN + 1)},
        {"channel": "c" * (MAX_CHANNEL_LEN + 1)},
        {"buyer_note": "n" * (MAX_NOTE_LEN + 1)},
    ):
        with pytest.raises(ValidationError) as info:
            draft("1", **extra)
        assert info.value.field == next(iter(extra))


@pytest.mark.parametrize("field", ["buyer_note", "shipping_level", "payment_reference", "buyer"])
def test_none_where_a_value_is_required_names_the_field(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        draft("1", **{field: None})
    assert info.value.field == field


# --- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_a_price_is_a_finite_decimal(amount: Decimal) -> None:
    with pytest.raises(ValidationError):
        ChannelLine("MUG", 1, Money(amount, "EUR"))


def test_an_absurd_price_is_refused_when_the_draft_is_built() -> None:
    with pytest.raises(ValidationError):
        Money(Decimal("1e999999"), "EUR")
    with pytest.raises(ValidationError) as info:
        ChannelLine("MUG", 1, eur(MAX_MONEY + 1))
    assert info.value.field == "unit_price"


def test_money_of_a_wrong_type_is_a_typed_error() -> None:
    with pytest.raises(ValidationError):
        Money("9.90", "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        eur("1") + 1  # type: ignore[operator]


def test_the_largest_order_still_totals_and_passes_the_value_check() -> None:
    erp = open_erp(
        "memory://",
        clock=SimulatedClock(T),
        review=ReviewPolicy((ValueOver({"EUR": eur("1000")}),)),
    )
    erp.catalog.add(Sku("MUG"), Shop("web", channel="shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    big = ChannelLine("MUG", MAX_QTY, eur(MAX_MONEY))
    result = erp.orders.process([draft("1", lines=(big,) * 1000), draft("2")])
    assert [o.kind for o in result][:2] == [OutcomeKind.HELD, OutcomeKind.WAITING]


# --- one id is not a list of letters -------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e: e.orders.pick("A-1"), "order_ids"),
        (lambda e: e.orders.allocate("A-1"), "order_ids"),
        (lambda e: e.orders.merge("A-1"), "order_ids"),
        (lambda e: e.orders.ship("A-1"), "shipments"),
        (lambda e: e.orders.dry_run(RuleSet(()), "A-1"), "order_ids"),
        (lambda e: e.inventory.start_stocktake("ST", "SH", skus="MUG"), "skus"),
    ],
)
def test_a_single_id_where_ids_are_expected_is_refused(
    erp: ERP, call: Callable[[ERP], object], field: str
) -> None:
    err = refused(erp, lambda: call(erp), field)
    assert "not one string" in err.reason


# --- batches -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["import_orders", "process", "accept"])
def test_one_bad_item_in_a_batch_is_one_rejected_outcome(erp: ERP, method: str) -> None:
    items: list[Any] = [draft("1"), {"external_id": "2"}, None, draft("3")]
    result = getattr(erp.orders, method)(items)
    outcomes = list(result)[:4]
    assert [o.kind is OutcomeKind.REJECTED for o in outcomes] == [False, True, True, False]
    assert [o.ref for o in outcomes[1:3]] == ["#2", "#3"]
    assert all(isinstance(o.error, ValidationError) for o in outcomes[1:3])
    assert erp.orders.total() == 2


@pytest.mark.parametrize("drafts", [None, "1001", draft("1"), {"a": 1}, 5])
def test_drafts_must_be_a_collection(erp: ERP, drafts: object) -> None:
    refused(erp, lambda: erp.orders.import_orders(drafts), "drafts")  # type: ignore[arg-type]
    with pytest.raises(EcerpError):
        list(erp.orders.import_stream(drafts))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: RuleSet(None),  # type: ignore[arg-type]
        lambda: RuleSet(["not a rule"]),  # type: ignore[list-item]
        lambda: ValueOver(None),  # type: ignore[arg-type]
        lambda: ValueOver({"EUR": "1000"}),  # type: ignore[dict-item]
    ],
)
def test_policy_values_refuse_garbage_with_a_typed_error(build: Callable[[], object]) -> None:
    with pytest.raises(ValidationError):
        build()


@pytest.mark.parametrize(
    ("field", "arguments"),
    [
        ("url", {"url": None}),
        ("url", {"url": b"memory://"}),
        ("url", {"url": "sqlite:///"}),
        ("url", {"url": "memory://\x00"}),
        ("clock", {"clock": "x"}),
        ("publishers", {"publishers": None}),
        ("publishers", {"publishers": [object()]}),
        ("actor", {"actor": None}),
        ("actor", {"actor": ""}),
        ("auto_allocate", {"auto_allocate": "no"}),
        ("create", {"create": "yes"}),
        ("upgrade", {"upgrade": 1}),
        ("payments", {"payments": 3}),
        ("live_services", {"live_services": None}),
    ],
)
def test_open_erp_refuses_malformed_arguments_naming_them(
    field: str, arguments: dict[str, object]
) -> None:
    url = arguments.pop("url", "memory://")
    with pytest.raises(ValidationError) as refused:
        open_erp(url, **arguments)  # type: ignore[arg-type]
    assert refused.value.field == field
