"""Every document's status changes are exactly its workflow's table.

For every kind of document with a status (orders, stocktakes, transfers),
a change outside the table raises ``InvalidTransitionError`` naming the
document and the two statuses, and every change inside it is allowed.  The
documents themselves go through the same table: a transfer sent, or a
stocktake posted, from a random status succeeds exactly when the table says
it may.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import STOCKTAKE_WORKFLOW, Stocktake, StocktakeStatus
from ecerp.domain.inventory.transfers import TRANSFER_WORKFLOW, Transfer, TransferStatus
from ecerp.domain.orders.status import ORDER_WORKFLOW, TRANSITIONS, OrderStatus
from ecerp.domain.shared.errors import InvalidTransitionError, ValidationError
from ecerp.domain.shared.workflow import Workflow

T = datetime(2026, 3, 1, 9, tzinfo=UTC)

WORKFLOWS: list[Workflow[enum.Enum]] = [
    ORDER_WORKFLOW,  # type: ignore[list-item]
    STOCKTAKE_WORKFLOW,  # type: ignore[list-item]
    TRANSFER_WORKFLOW,  # type: ignore[list-item]
]


@st.composite
def changes(draw: st.DrawFn) -> tuple[Workflow[enum.Enum], enum.Enum, enum.Enum, str]:
    workflow = draw(st.sampled_from(WORKFLOWS))
    statuses = list(workflow.statuses)
    key = draw(st.from_regex(r"[A-Z]{1,3}-[0-9]{1,4}", fullmatch=True))
    return workflow, draw(st.sampled_from(statuses)), draw(st.sampled_from(statuses)), key


@given(changes())
def test_a_change_is_allowed_exactly_when_the_table_lists_it(
    change: tuple[Workflow[enum.Enum], enum.Enum, enum.Enum, str],
) -> None:
    workflow, from_, to, key = change
    listed = to in workflow.transitions[from_]

    assert workflow.allows(from_, to) is listed
    if listed:
        assert workflow.check(from_, to, key) is to
    else:
        with pytest.raises(InvalidTransitionError) as err:
            workflow.check(from_, to, key)
        assert (err.value.entity, err.value.from_, err.value.to) == (
            f"{workflow.kind} {key}",
            from_.value,
            to.value,
        )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.kind)
def test_every_status_has_a_row(workflow: Workflow[enum.Enum]) -> None:
    assert set(workflow.transitions) == set(workflow.statuses)


def test_the_order_table_is_the_order_workflow() -> None:
    assert TRANSITIONS is ORDER_WORKFLOW.transitions
    assert not ORDER_WORKFLOW.allows(OrderStatus.CANCELLED, OrderStatus.READY)


def test_a_table_that_misses_a_status_or_names_a_stranger_is_refused() -> None:
    with pytest.raises(ValidationError) as missing:
        Workflow("transfer", TransferStatus, {TransferStatus.DRAFT: set()})
    assert missing.value.field == "transitions"
    stranger: dict[Any, set[Any]] = {
        StocktakeStatus.COUNTING: {TransferStatus.DRAFT},
        StocktakeStatus.POSTED: set(),
        StocktakeStatus.CANCELLED: set(),
    }
    with pytest.raises(ValidationError):
        Workflow("stocktake", StocktakeStatus, stranger)


def stocked_book() -> StockBook:
    book = StockBook(StockState())
    book.add_warehouse(Warehouse("SH"))
    book.add_warehouse(Warehouse("SZ"))
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    return book


@given(st.sampled_from(list(TransferStatus)))
def test_a_transfer_is_sent_exactly_from_the_statuses_the_table_allows(
    status: TransferStatus,
) -> None:
    book = stocked_book()
    transfer = Transfer("TR-1", "SH", "SZ", {"MUG": 2}, status=status)

    if TRANSFER_WORKFLOW.allows(status, TransferStatus.IN_TRANSIT):
        transfer.dispatch(book, at=T, actor="ann")
        assert transfer.status is TransferStatus.IN_TRANSIT
    else:
        with pytest.raises(InvalidTransitionError) as err:
            transfer.dispatch(book, at=T, actor="ann")
        assert (err.value.entity, err.value.from_, err.value.to) == (
            "transfer TR-1",
            status.value,
            "in_transit",
        )
        assert (transfer.status, book.new_moves[1:]) == (status, [])


@given(st.sampled_from(list(TransferStatus)), st.integers(1, 2))
def test_a_transfer_is_received_exactly_from_the_statuses_the_table_allows(
    status: TransferStatus, qty: int
) -> None:
    book = stocked_book()
    sent = Transfer("TR-1", "SH", "SZ", {"MUG": 2})
    sent.dispatch(book, at=T, actor="ann")
    transfer = Transfer("TR-1", "SH", "SZ", {"MUG": 2}, status=status)
    to = TransferStatus.RECEIVED if qty == 2 else TransferStatus.PARTIAL

    if TRANSFER_WORKFLOW.allows(status, to):
        transfer.receive(book, {"MUG": qty}, at=T, actor="sz")
        assert transfer.status is to
    else:
        with pytest.raises(InvalidTransitionError) as err:
            transfer.receive(book, {"MUG": qty}, at=T, actor="sz")
        assert (err.value.entity, err.value.from_, err.value.to) == (
            "transfer TR-1",
            status.value,
            to.value,
        )
        assert transfer.received == {}


@given(st.sampled_from(list(StocktakeStatus)))
def test_a_stocktake_is_posted_exactly_from_the_statuses_the_table_allows(
    status: StocktakeStatus,
) -> None:
    book = stocked_book()
    stocktake = Stocktake.start("ST-1", "SH", ["MUG"], book, at=T)
    stocktake.count("MUG", 9)
    stocktake.status = status
    before = len(book.new_moves)

    if STOCKTAKE_WORKFLOW.allows(status, StocktakeStatus.POSTED):
        stocktake.post(book, at=T, actor="ann")
        assert stocktake.status is StocktakeStatus.POSTED
    else:
        with pytest.raises(InvalidTransitionError) as err:
            stocktake.post(book, at=T, actor="ann")
        assert (err.value.entity, err.value.from_, err.value.to) == (
            "stocktake ST-1",
            status.value,
            "posted",
        )
        assert (stocktake.status, len(book.new_moves)) == (status, before)
