"""The idempotency contract: what every backend must do with idempotency keys.

A caller that retries a committed command with the same idempotency key gets
the first result back, and nothing is booked twice: on every backend, after
the store is reopened, and when two callers race with one key.  The same key
with another payload is refused and writes nothing; a command that failed
records nothing.  Run it as the persistence contract is run, by subclassing
with the backend's fixtures (``uow_factory``, and ``reopen_uow_factory``
where the store outlives its objects)::

    class TestMyBackend(BackendContract, IdempotencyContract):
        @pytest.fixture
        def uow_factory(self, tmp_path): ...
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.catalog.products import Sku
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.moves import Move, MoveReason
from ecerp.domain.shared.errors import ConcurrencyError, IdempotencyConflictError, ValidationError
from ecerp.domain.shared.events import Event
from ecerp.ports.idempotency import IdempotencyRecord
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    T0,
    UowFactory,
    _BackendFixtures,
    channel_order,
    commit_work,
    dump,
    seed,
)
from ecerp.usecases.base import Command
from ecerp.usecases.bus import MessageBus
from ecerp.usecases.catalog.commands import AddToCatalog
from ecerp.usecases.idempotency import fingerprint
from ecerp.usecases.inventory.commands import (
    AddWarehouse,
    AdjustStock,
    ClosePeriod,
    MarkDamaged,
    PostStocktake,
    ReceiveStock,
    ReceiveTransfer,
    RecordCount,
    RepairDamaged,
    ScrapDamaged,
    SendTransfer,
    StartStocktake,
)
from ecerp.usecases.orders.commands import (
    AcceptOrders,
    ImportOrders,
    ProcessOrders,
    ShipOrders,
    StartPicking,
)
from ecerp.usecases.results import BatchResult

#: When the contract's commands run (a day after the story's orders).
NOW = T0 + timedelta(days=1)


class _Clock:
    def now(self) -> datetime:
        return NOW


class _Published:
    """A publisher that keeps what it is handed."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


def _bus(uow_factory: UowFactory, *publishers: _Published) -> MessageBus:
    return MessageBus(uow_factory, _Clock(), publishers)


def _ready(uow_factory: UowFactory, *publishers: _Published) -> MessageBus:
    """A bus on the store, seeded with the contract's catalog and warehouses."""
    commit_work(uow_factory, seed)
    return _bus(uow_factory, *publishers)


def _receipts(uow_factory: UowFactory) -> list[Move]:
    with uow_factory() as uow:
        return [m for m in uow.stock.moves() if m.reason is MoveReason.RECEIPT]


class _Interleaved(UnitOfWork):
    """A unit of work that runs ``between`` once, right after its first block
    ends: another caller's whole command, between this command's lookup of
    its key and its own work (nothing is held open while it runs)."""

    def __init__(self, inner: UnitOfWork, between: Callable[[], object]) -> None:
        super().__init__()
        self._inner = inner
        self._between: Callable[[], object] | None = between

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)

    def collect_events(self) -> list[Event]:
        return self._inner.collect_events()

    def _begin(self) -> None:
        self._inner.__enter__()

    def _gather_events(self) -> list[Event]:
        return []

    def _commit(self) -> None:
        self._inner.commit()

    def _rollback(self) -> None:
        self._inner.rollback()

    def _close(self) -> None:
        self._inner.__exit__(None, None, None)
        between, self._between = self._between, None
        if between is not None:
            between()


# --- keyed calls of every kind ---------------------------------------------------------------

#: name -> (setup through the bus without keys, the keyed command)
Setup = Callable[[MessageBus], None]


def _nothing(bus: MessageBus) -> None:
    return None


def _stocked(bus: MessageBus) -> None:
    bus.handle(ReceiveStock("MUG-RED", "SH", 10, document="PO-1"))
    bus.handle(ReceiveStock("LID", "SH", 10, document="PO-1"))


def _damaged(bus: MessageBus) -> None:
    _stocked(bus)
    bus.handle(MarkDamaged("MUG-RED", "SH", 3))


def _sent(bus: MessageBus) -> None:
    _stocked(bus)
    bus.handle(SendTransfer("TR-1", "SH", "SZ", {"MUG-RED": 4, "LID": 2}))


def _counting(bus: MessageBus) -> None:
    _stocked(bus)
    bus.handle(StartStocktake("ST-1", "SH", ("MUG-RED", "LID")))


def _counted(bus: MessageBus) -> None:
    _counting(bus)
    bus.handle(RecordCount("ST-1", {"MUG-RED": 8, "LID": 11}))


def _allocated(bus: MessageBus) -> None:
    _stocked(bus)
    bus.handle(AcceptOrders((channel_order("A-1"),)))


def _allocated_id(bus: MessageBus) -> str:
    result: BatchResult = bus.handle(AcceptOrders((channel_order("A-1"),)))
    order = result.outcomes[0].order
    assert order is not None
    return order


def _drafts() -> tuple[Any, ...]:
    return (
        channel_order("N-1"),
        channel_order("N-2", ("MUG-BLUE", 1, "9.90")),
        channel_order("N-3", ("NO-SUCH-SKU", 1, "1.00")),
    )


def _command(command: Command) -> Callable[[MessageBus], Command]:
    return lambda bus: command


#: name -> (setup through the bus without keys, then the command to key)
KEYED_CALLS: dict[str, tuple[Setup, Callable[[MessageBus], Command]]] = {
    "receive": (_nothing, _command(ReceiveStock("MUG-RED", "SH", 5, document="PO-9"))),
    "receive back-dated": (_nothing, _command(ReceiveStock("LID", "SH", 2, at=T0))),
    "adjust": (_stocked, _command(AdjustStock("MUG-RED", "SH", -2, "broken"))),
    "damage": (_stocked, _command(MarkDamaged("MUG-RED", "SH", 2, "dropped"))),
    "repair": (_damaged, _command(RepairDamaged("MUG-RED", "SH", 1))),
    "scrap": (_damaged, _command(ScrapDamaged("MUG-RED", "SH", 2))),
    "send transfer": (
        _stocked,
        _command(SendTransfer("TR-1", "SH", "SZ", {"MUG-RED": 4, "LID": 2})),
    ),
    "receive transfer": (_sent, _command(ReceiveTransfer("TR-1", {"MUG-RED": 3}))),
    "start stocktake": (_stocked, _command(StartStocktake("ST-1", "SH", ("MUG-RED", "LID")))),
    "count": (_counting, _command(RecordCount("ST-1", {"MUG-RED": 8}))),
    "post stocktake": (_counted, _command(PostStocktake("ST-1"))),
    "close period": (_stocked, _command(ClosePeriod(T0))),
    "add to catalog": (_nothing, _command(AddToCatalog((Sku("CUP", tags={"new"}),)))),
    "add warehouse": (_nothing, _command(AddWarehouse(Warehouse("HK", name="Hong Kong")))),
    "import": (_nothing, lambda bus: ImportOrders(_drafts())),
    "process": (_stocked, lambda bus: ProcessOrders(_drafts())),
    "accept": (_allocated, lambda bus: AcceptOrders(_drafts())),
    "pick": (_stocked, lambda bus: StartPicking((_allocated_id(bus), "missing"))),
    "ship": (
        _stocked,
        lambda bus: ShipOrders({_allocated_id(bus): "TRACK-1", "missing": None}),
    ),
}


class IdempotencyContract(_BackendFixtures):
    """A keyed command is done once; its retries get the first result."""

    def test_a_retried_receipt_with_its_key_books_once_and_returns_an_equal_move(
        self, uow_factory: UowFactory
    ) -> None:
        bus = _ready(uow_factory)
        receipt = ReceiveStock("MUG-RED", "SH", 5, document="PO-7", idempotency_key="po-7/1")

        first = bus.handle(receipt)
        again = bus.handle(receipt)

        assert again == first
        assert _receipts(uow_factory) == [first]

    def test_a_retry_after_reopening_the_store_returns_the_first_result(
        self,
        uow_factory: UowFactory,
        reopen_uow_factory: Callable[[], UowFactory] | None,
    ) -> None:
        if reopen_uow_factory is None:
            pytest.skip("the store does not outlive its objects")
        receipt = ReceiveStock("MUG-RED", "SH", 5, idempotency_key="po-7/1")
        first = _ready(uow_factory).handle(receipt)

        reopened = reopen_uow_factory()
        again = _bus(reopened).handle(receipt)

        assert again == first
        assert _receipts(reopened) == [first]

    @pytest.mark.parametrize("name", sorted(KEYED_CALLS))
    def test_every_keyed_call_returns_its_first_result_again_and_changes_nothing_more(
        self,
        name: str,
        uow_factory: UowFactory,
        reopen_uow_factory: Callable[[], UowFactory] | None,
    ) -> None:
        bus = _ready(uow_factory)
        setup, make = KEYED_CALLS[name]
        setup(bus)
        command = make(bus)
        keyed = type(command)(
            **{**_fields(command), "idempotency_key": f"retry-{name}"},
        )
        first = bus.handle(keyed)
        books = dump(uow_factory, stocktakes=["ST-1"])

        assert bus.handle(keyed) == first
        assert dump(uow_factory, stocktakes=["ST-1"]) == books
        if reopen_uow_factory is not None:
            reopened = reopen_uow_factory()
            assert _bus(reopened).handle(keyed) == first
            assert dump(reopened, stocktakes=["ST-1"]) == books

    def test_a_replayed_result_is_the_callers_own_copy(self, uow_factory: UowFactory) -> None:
        bus = _ready(uow_factory)
        _stocked(bus)
        send = SendTransfer("TR-1", "SH", "SZ", {"MUG-RED": 4}, idempotency_key="tr-1")
        first = bus.handle(send)
        first.lines["MUG-RED"] = 99

        again = bus.handle(send)

        assert again.lines == {"MUG-RED": 4}

    def test_a_replay_raises_no_events(self, uow_factory: UowFactory) -> None:
        published = _Published()
        bus = _ready(uow_factory, published)
        receipt = ReceiveStock("MUG-RED", "SH", 5, idempotency_key="po-7/1")
        bus.handle(receipt)
        assert published.events
        published.events.clear()

        bus.handle(receipt)

        assert published.events == []

    def test_the_same_key_with_another_payload_is_refused_and_writes_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        bus = _ready(uow_factory)
        bus.handle(ReceiveStock("MUG-RED", "SH", 5, idempotency_key="po-7/1"))
        books = dump(uow_factory)

        with pytest.raises(IdempotencyConflictError) as refused:
            bus.handle(ReceiveStock("MUG-RED", "SH", 6, idempotency_key="po-7/1"))
        with pytest.raises(IdempotencyConflictError):
            bus.handle(AdjustStock("MUG-RED", "SH", 5, "found", idempotency_key="po-7/1"))
        with pytest.raises(IdempotencyConflictError):
            bus.handle(ReceiveStock("MUG-RED", "SH", 5, actor="eve", idempotency_key="po-7/1"))

        assert (refused.value.key, refused.value.command) == ("po-7/1", "ReceiveStock")
        assert dump(uow_factory) == books

    def test_a_command_that_failed_records_nothing_so_its_key_can_be_retried(
        self, uow_factory: UowFactory
    ) -> None:
        bus = _ready(uow_factory)
        receipt = ReceiveStock("CUP", "SH", 5, idempotency_key="cup-1")
        with pytest.raises(UnknownSkuError):
            bus.handle(receipt)
        with uow_factory() as uow:
            assert uow.idempotency.find("cup-1") is None

        bus.handle(AddToCatalog((Sku("CUP"),)))
        first = bus.handle(receipt)

        assert bus.handle(receipt) == first
        assert [m.sku for m in _receipts(uow_factory)] == ["CUP"]

    def test_a_key_another_unit_committed_first_makes_this_commit_lose_and_write_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        move = commit_work(
            uow_factory,
            lambda uow: uow.stock.book().receive("MUG-RED", "SH", 5, at=NOW, actor="ann"),
        )
        commit_work(
            uow_factory,
            lambda uow: uow.idempotency.record(IdempotencyRecord("k", "ReceiveStock", "f", move)),
        )
        books = dump(uow_factory)

        def another_receipt_with_the_same_key() -> None:
            with uow_factory() as uow:
                uow.stock.book().receive("MUG-RED", "SH", 5, at=NOW, actor="bob")
                uow.idempotency.record(IdempotencyRecord("k", "ReceiveStock", "f", None))
                uow.commit()

        with pytest.raises(ConcurrencyError):
            another_receipt_with_the_same_key()

        assert dump(uow_factory) == books
        with uow_factory() as uow:
            assert uow.idempotency.find("k") == IdempotencyRecord("k", "ReceiveStock", "f", move)

    def test_the_loser_of_a_race_for_one_key_gets_the_winners_result(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        receipt = ReceiveStock("MUG-RED", "SH", 5, idempotency_key="po-7/1")
        winner: list[Move] = []
        made = 0

        def factory() -> UnitOfWork:
            nonlocal made
            made += 1
            if made > 1:
                return uow_factory()
            # the loser's first attempt: the winner commits right after the
            # loser looked the key up and found nothing
            return _Interleaved(
                uow_factory(), lambda: winner.append(_bus(uow_factory).handle(receipt))
            )

        loser = _bus(factory).handle(receipt)

        assert made == 2, "the loser ran again after losing the race"
        assert loser == winner[0]
        assert _receipts(uow_factory) == winner

    def test_concurrent_calls_with_one_key_book_once(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        receipt = ReceiveStock("MUG-RED", "SH", 5, idempotency_key="po-7/1")
        callers = 4
        start = threading.Barrier(callers)

        def call() -> Move:
            start.wait()
            move: Move = _bus(uow_factory).handle(receipt)
            return move

        with ThreadPoolExecutor(callers) as pool:
            calls = [pool.submit(call) for _ in range(callers)]
        results = [done.result() for done in calls]  # an error in a thread raises here

        assert len(results) == callers
        assert all(r == results[0] for r in results)
        assert _receipts(uow_factory) == [results[0]]

    def test_a_key_must_be_a_short_plain_string(self) -> None:
        for bad in ("", "x" * 201, "a\x00b", "lone \ud800", 7):
            with pytest.raises(ValidationError) as refused:
                ReceiveStock("MUG-RED", "SH", 5, idempotency_key=bad)  # type: ignore[arg-type]
            assert refused.value.field == "idempotency_key"

    def test_a_keyed_command_given_drafts_that_can_be_read_once_holds_them_and_replays(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        bus = _bus(uow_factory)
        first = bus.handle(ImportOrders(iter([channel_order("N-1")]), idempotency_key="once"))
        again = bus.handle(ImportOrders(iter([channel_order("N-1")]), idempotency_key="once"))
        assert first.counts() == {"created": 1}
        assert again == first
        with uow_factory() as uow:
            assert uow.orders.count() == 1

    def test_a_fingerprint_is_the_same_for_equal_payloads_and_leaves_out_the_key(self) -> None:
        one = SendTransfer("TR-1", "SH", "SZ", {"MUG-RED": 4, "LID": 2}, idempotency_key="a")
        same = SendTransfer("TR-1", "SH", "SZ", {"LID": 2, "MUG-RED": 4}, idempotency_key="b")
        other = SendTransfer("TR-1", "SH", "SZ", {"LID": 2, "MUG-RED": 5}, idempotency_key="a")

        assert fingerprint(one) == fingerprint(same)
        assert fingerprint(one) != fingerprint(other)


def _fields(command: Command) -> dict[str, Any]:
    return {f.alias: getattr(command, f.name) for f in attrs.fields(type(command))}


__all__ = ["KEYED_CALLS", "IdempotencyContract"]
