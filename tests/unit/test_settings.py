"""Settings values: what a store accepts, refuses, and counts as a change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
from ecerp.domain.orders.holds import BuyerNote, ReviewContext, ReviewPolicy, Unpaid
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldReason
from ecerp.domain.settings import ExternalCheck, Settings, SettingsVersion
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money


class OwnCheck:
    code = "own"

    def __call__(self, order: object, ctx: object) -> HoldReason | None:
        return None


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"blacklist": "fraud@example.com"}, "blacklist"),
        ({"blacklist": ["ok", 7]}, "blacklist"),
        ({"blacklist": ["a" * 201]}, "blacklist"),
        ({"blacklist": ["bad\x00"]}, "blacklist"),
        ({"review": "strict"}, "review"),
        ({"review": ReviewPolicy((BuyerNote(), BuyerNote()))}, "review.checks"),
        ({"review": ReviewPolicy((BuyerNote(code=" "),))}, "review.checks[0].code"),
        ({"rules": ["france-from-paris"]}, "rules"),
        ({"rate_tables": "dhl"}, "rate_tables"),
        ({"rate_tables": {"BER": ["dhl"]}}, "rate_tables['BER']"),
        ({"rate_tables": {"": []}}, "rate_tables"),
        ({"payments": object()}, "payments"),
    ],
)
def test_a_malformed_setting_is_refused_naming_it(given: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings().replace(**given)

    assert refused.value.fields["field"] == field


def test_the_same_values_are_no_change_and_a_blacklist_compares_in_lower_case() -> None:
    before = Settings(review=ReviewPolicy((BuyerNote(),)), blacklist=["Fraud@Example.com"])

    after = before.replace(review=ReviewPolicy((BuyerNote(),)), blacklist=["fraud@example.com "])

    assert after.changes(before) == ()
    assert before.replace(review=None).changes(before) == ("review",)


def test_an_own_check_is_kept_by_its_code_and_holds_where_it_is_not_known() -> None:
    settings = Settings(review=ReviewPolicy((Unpaid(), OwnCheck())))
    at = datetime(2026, 6, 1, tzinfo=UTC)
    draft = ChannelOrder(
        "web", "shop", "1", at, "EUR", (ChannelLine("MUG", 1, Money.of("1", "EUR")),)
    )
    order = Order.from_channel(draft, {(1, "MUG"): 1}, at=at, actor="import")

    assert settings.review is not None
    assert settings.review.checks == (Unpaid(), ExternalCheck("own"))
    assert [r.code for r in settings.review.review(order, ReviewContext())] == ["unpaid", "own"]


def test_version_zero_is_the_defaults() -> None:
    initial = SettingsVersion.initial()

    assert (initial.version, initial.settings, initial.actor, initial.at) == (
        0,
        Settings(),
        "",
        None,
    )
