"""Allocating "every ready and waiting order" while other processes move
orders on (PostgreSQL, where units of work run side by side).

``allocate()`` (and ``process()``, which ends with it) reads which orders are
ready or waiting, then locks and allocates them.  An order another process
cancelled or shipped in between is no longer the caller's business: the
call was not asked about it by name, so it must not report it ``rejected``
(an ``InvalidTransitionError`` for an order the caller never named, found
by eight processes racing in tests/integration/test_torture.py).  Orders a
caller names are still refused when they cannot be allocated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ecerp import (
    ERP,
    OrderStatus,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.sql.orders import SqlOrderRepository
from ecerp.domain.shared.errors import InvalidTransitionError
from worlds import draft

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def erp(postgres_url: str) -> Iterator[ERP]:
    with open_erp(postgres_url, auto_allocate=False) as opened:
        opened.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
        opened.inventory.add_warehouse(Warehouse("SH"))
        yield opened


def after_the_queue_is_read(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], Any]) -> None:
    """Run ``meanwhile`` (another process's call) once, right after the next
    unit of work listed the orders by status and before it locks them."""
    listed = SqlOrderRepository.ids_with_status
    done = False

    def ids_with_status(self: SqlOrderRepository, statuses: Any) -> Any:
        nonlocal done
        ids = listed(self, statuses)
        if not done:
            done = True
            meanwhile()
        return ids

    monkeypatch.setattr(SqlOrderRepository, "ids_with_status", ids_with_status)


def test_an_order_cancelled_elsewhere_meanwhile_is_not_reported_rejected(
    erp: ERP, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    erp.orders.import_orders([draft("Q1"), draft("Q2")])
    erp.inventory.receive("MUG", "SH", 5)
    with open_erp(postgres_url) as other:
        after_the_queue_is_read(monkeypatch, lambda: other.orders.cancel("shopify/web/Q1"))

        result = erp.orders.allocate()

    assert list(result.rejected) == []
    assert [(o.order, o.kind) for o in result] == [("shopify/web/Q2", OutcomeKind.ALLOCATED)]
    assert erp.orders.get("shopify/web/Q1").status is OrderStatus.CANCELLED
    assert erp.inventory.position("MUG", "SH").reserved == 1


def test_process_does_not_reject_a_stored_draft_another_process_moved_on(
    erp: ERP, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    erp.inventory.receive("MUG", "SH", 5)
    with open_erp(postgres_url) as other:
        after_the_queue_is_read(monkeypatch, lambda: other.orders.cancel("shopify/web/Q1"))

        result = erp.orders.process([draft("Q1"), draft("Q2")])

    assert list(result.rejected) == []
    assert {o.order: o.kind for o in result} == {
        "shopify/web/Q1": OutcomeKind.CREATED,
        "shopify/web/Q2": OutcomeKind.ALLOCATED,
    }


def test_an_order_named_by_the_caller_is_still_refused(erp: ERP) -> None:
    erp.orders.import_orders([draft("Q1")])
    erp.orders.cancel("shopify/web/Q1")

    (outcome,) = erp.orders.allocate(["shopify/web/Q1"])

    assert outcome.kind is OutcomeKind.REJECTED
    assert isinstance(outcome.error, InvalidTransitionError)
