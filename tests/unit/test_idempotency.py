"""The idempotency mechanism on its own: fingerprints, and how a keyed
command's units of work commit (in memory)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ecerp.adapters.memory import MemoryStore, MemoryUnitOfWork
from ecerp.domain.catalog.products import Sku
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.orders.drafts import ChannelLine
from ecerp.domain.shared.errors import NotFoundError
from ecerp.domain.shared.money import Money
from ecerp.usecases.base import Command
from ecerp.usecases.catalog.commands import AddToCatalog
from ecerp.usecases.context import Context
from ecerp.usecases.idempotency import chunk_key, fingerprint, idempotent
from ecerp.usecases.inventory.commands import AdjustStock, ReceiveStock, StartStocktake
from ecerp.usecases.orders.commands import EditOrderLines, ShipOrders

NOW = datetime(2026, 5, 4, 9, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW


def test_equal_requests_fingerprint_alike_whatever_their_spelling() -> None:
    cst = timezone(timedelta(hours=8))
    assert fingerprint(ReceiveStock("MUG", "SH", 5, at=NOW)) == fingerprint(
        ReceiveStock("MUG", "SH", 5, at=NOW.astimezone(cst))
    )
    assert fingerprint(StartStocktake("ST", "SH", ["A", "B"])) == fingerprint(
        StartStocktake("ST", "SH", ("A", "B"))
    )
    assert fingerprint(ShipOrders({"a": None, "b": "T"})) == fingerprint(
        ShipOrders({"b": "T", "a": None})
    )


def test_any_difference_in_the_request_changes_the_fingerprint() -> None:
    base = ReceiveStock("MUG", "SH", 5, document="PO-1")
    others = [
        ReceiveStock("MUG", "SH", 6, document="PO-1"),
        ReceiveStock("MUG", "SH", 5, document="PO-2"),
        ReceiveStock("MUG", "SH", 5, document="PO-1", actor="ann"),
        ReceiveStock("MUG", "SH", 5, document="PO-1", damaged=True),
        ReceiveStock("MUG", "SH", 5, document="PO-1", at=NOW),
        AdjustStock("MUG", "SH", 5, "PO-1"),
        StartStocktake("ST", "SH", ["5"]),
    ]
    assert len({fingerprint(base), *map(fingerprint, others)}) == len(others) + 1
    assert fingerprint(StartStocktake("ST", "SH", ["1"])) != fingerprint(
        StartStocktake("ST", "SH", ["'1'"])
    )


def test_a_fingerprint_leaves_out_the_key_and_reads_values_exactly() -> None:
    assert fingerprint(ReceiveStock("MUG", "SH", 5, idempotency_key="a")) == fingerprint(
        ReceiveStock("MUG", "SH", 5, idempotency_key="b")
    )
    nine = AddToCatalog((Sku("MUG", weight_g=9),))
    assert fingerprint(nine) != fingerprint(AddToCatalog((Sku("MUG", weight_g=10),)))
    price = [ChannelLine("MUG", 1, Money(Decimal("9.90"), "EUR"))]
    same_number = [ChannelLine("MUG", 1, Money(Decimal("9.9"), "EUR"))]
    assert fingerprint(EditOrderLines("o-1", price)) != fingerprint(
        EditOrderLines("o-1", same_number)
    ), "amounts are kept with their digits, so they are compared by them"


def test_later_chunks_of_a_keyed_stream_get_keys_of_their_own() -> None:
    assert [chunk_key("k", n) for n in range(3)] == ["k", "k#1", "k#2"]
    assert chunk_key(None, 4) is None


# --- how a keyed command's units of work commit ------------------------------------------


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    with MemoryUnitOfWork(store) as uow:
        uow.catalog.view().add_sku(Sku("MUG"))
        uow.stock.book().add_warehouse(Warehouse("SH"))
        uow.commit()
    return store


def _run(store: MemoryStore, command: Command, work: Callable[[Context], object]) -> object:
    keyed = idempotent(command, work)
    return keyed(Context(MemoryUnitOfWork(store), _Clock()))


def _on_hand(store: MemoryStore) -> int:
    return MemoryUnitOfWork(store).stock.book().position("MUG", "SH").on_hand


def _receive(ctx: Context, qty: int) -> None:
    with ctx.uow as uow:
        uow.stock.book().receive("MUG", "SH", qty, at=NOW, actor="ann")
        uow.commit()


def test_a_handler_of_several_units_commits_the_earlier_ones_and_the_key_with_the_last(
    store: MemoryStore,
) -> None:
    command = ReceiveStock("MUG", "SH", 1, idempotency_key="k")

    def work(ctx: Context) -> str:
        _receive(ctx, 1)
        _receive(ctx, 2)
        with ctx.uow as uow:  # a last unit that only reads
            uow.stock.book().position("MUG", "SH")
        return "done"

    assert _run(store, command, work) == "done"
    assert _on_hand(store) == 3
    assert store.idempotency["k"].result == "done"
    assert _run(store, command, work) == "done"
    assert _on_hand(store) == 3, "the retry ran nothing"


def test_work_committed_before_an_error_stays_committed_and_the_key_is_not_recorded(
    store: MemoryStore,
) -> None:
    command = ReceiveStock("MUG", "SH", 1, idempotency_key="k")

    def work(ctx: Context) -> None:
        _receive(ctx, 4)
        raise NotFoundError("thing", "x")

    with pytest.raises(NotFoundError):
        _run(store, command, work)

    assert _on_hand(store) == 4
    assert "k" not in store.idempotency


def test_a_unit_that_raised_before_committing_leaves_nothing(store: MemoryStore) -> None:
    command = ReceiveStock("MUG", "SH", 1, idempotency_key="k")

    def work(ctx: Context) -> None:
        with ctx.uow as uow:
            uow.stock.book().receive("MUG", "SH", 5, at=NOW, actor="ann")
            raise NotFoundError("thing", "x")

    with pytest.raises(NotFoundError):
        _run(store, command, work)

    assert _on_hand(store) == 0
    assert "k" not in store.idempotency
