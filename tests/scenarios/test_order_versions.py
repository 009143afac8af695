"""A channel sends an order again: what changed is taken, nothing silently lost.

A market stall's till sends its orders to ecerp without a modification time:
every copy of an order carries the same version.  A web shop's webhooks do
carry one, but sometimes arrive out of order.  Every story runs in memory,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from ecerp import (
    ERP,
    Address,
    ChannelLine,
    ChannelOrder,
    Money,
    OrderStatus,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.orders.errors import VersionConflictError

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)
HOME = Address("Ann", "Main 1", city="Berlin")
OFFICE = Address("Ann", "Work 9", city="Berlin")


@pytest.fixture
def erp(url: str) -> Iterator[ERP]:
    with open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=1))) as opened:
        opened.catalog.add(Sku("MUG"), Shop("till", "pos", currency="EUR"))
        opened.inventory.add_warehouse(Warehouse("BER"))
        opened.inventory.receive("MUG", "BER", 10)
        yield opened


def sale(mugs: int = 2, *, paid: bool = False, **changes: Any) -> ChannelOrder:
    """Sale 77 as the till sends it: never a modification time of its own."""
    draft = ChannelOrder(
        "pos",
        "till",
        "77",
        T0,
        "EUR",
        (ChannelLine("MUG", mugs, Money.of("9.90", "EUR")),),
        paid=paid,
        address=HOME,
    )
    return attrs.evolve(draft, **changes)


def test_a_till_without_modification_times_gets_its_paid_copy_applied(erp: ERP) -> None:
    assert erp.orders.process([sale()]).counts() == {"created": 1}

    paid = erp.orders.process([sale(paid=True)])

    assert paid.counts() == {"allocated": 1}
    order = erp.orders.get_by_key("pos", "till", "77")
    assert order.status is OrderStatus.ALLOCATED
    assert erp.inventory.position("MUG", "BER").reserved == 2


def test_a_copy_with_the_same_content_changes_nothing(erp: ERP) -> None:
    erp.orders.import_orders([sale(paid=True)])

    again = erp.orders.import_orders([sale(paid=True)])

    assert again.counts() == {"unchanged": 1}


def test_a_same_version_copy_with_new_lines_is_applied_and_reported_updated(erp: ERP) -> None:
    erp.orders.import_orders([sale(2)])

    changed = erp.orders.import_orders([sale(3, buyer_note="gift wrap")])

    assert changed.counts() == {"updated": 1}
    assert changed.outcomes[0].detail == "lines, buyer_note"
    order = erp.orders.get_by_key("pos", "till", "77")
    assert order.lines[0].qty == 3
    assert order.buyer_note == "gift wrap"


def test_an_edit_made_in_ecerp_is_not_undone_by_the_same_copy_sent_again(erp: ERP) -> None:
    erp.orders.process([sale(4, paid=True)])
    order = erp.orders.get_by_key("pos", "till", "77")
    erp.orders.change_address(order.id, OFFICE)
    erp.orders.split(order.id, {1: 1})

    again = erp.orders.process([sale(4, paid=True)])

    assert again.counts() == {"unchanged": 1}
    kept = erp.orders.get(order.id)
    assert kept.address == OFFICE
    assert kept.lines[0].qty == 3


def test_an_older_copy_that_differs_is_refused_as_a_version_conflict(erp: ERP) -> None:
    first = sale(paid=True, updated_at=T0 + timedelta(minutes=1))
    moved = attrs.evolve(first, address=OFFICE, updated_at=T0 + timedelta(minutes=5))
    erp.orders.import_orders([first, moved])

    late = erp.orders.import_orders([first])

    (outcome,) = late.outcomes
    assert outcome.kind is OutcomeKind.REJECTED
    assert isinstance(outcome.error, VersionConflictError)
    assert outcome.error.differs == ("address",)
    assert outcome.error.stored == T0 + timedelta(minutes=5)
    assert erp.orders.get_by_key("pos", "till", "77").address == OFFICE


def test_an_older_copy_with_the_same_content_is_unchanged(erp: ERP) -> None:
    newer = sale(paid=True, updated_at=T0 + timedelta(minutes=5))
    erp.orders.import_orders([newer])

    late = erp.orders.import_orders([attrs.evolve(newer, updated_at=T0 + timedelta(minutes=1))])

    assert late.counts() == {"unchanged": 1}
