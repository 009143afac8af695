"""The outbox: events are committed with the changes that caused them and
delivered at least once, by the bus after each command or by a relay in its
own process (``python -m ecerp relay URL``).

The story: the web shop sells ``MUG``; order ``W1`` wants two and waits,
because the shelf is empty, until stock arrives.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from ecerp import ERP, ChannelLine, ChannelOrder, Money, OrderStatus, Shop, Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import bootstrap
from ecerp.domain.inventory.errors import InsufficientStockError
from ecerp.domain.inventory.events import StockMoved
from ecerp.domain.inventory.moves import MoveReason
from ecerp.domain.shared.events import Event
from ecerp.testing.faults import LostRaces, touching
from ecerp.usecases.bus import MessageBus
from ecerp.usecases.catalog.commands import AddToCatalog
from ecerp.usecases.inventory.commands import AddWarehouse, AdjustStock, ReceiveStock
from sqlsupport import run_cli, run_sql

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
W1 = "shopify/web/W1"


class ProcessKilled(BaseException):
    """The process dies here (not an error ecerp handles: a crash)."""


class Recorder:
    """A publisher that keeps what it is given and can be told to die once."""

    def __init__(self) -> None:
        self.batches: list[list[Event]] = []
        self.fail_next = False

    def publish(self, events: Sequence[Event]) -> None:
        self.batches.append(list(events))
        if self.fail_next:
            self.fail_next = False
            raise ProcessKilled("killed while publishing")

    def stock_moves(self) -> list[StockMoved]:
        return [e for batch in self.batches for e in batch if isinstance(e, StockMoved)]


def pending_rows(url: str) -> int:
    (rows,) = run_sql(url, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
    return int(rows[0][0])


def set_up_waiting_order(erp: ERP) -> None:
    erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    draft = ChannelOrder(
        "shopify",
        "web",
        "W1",
        T0,
        "EUR",
        (ChannelLine("MUG", 2, Money.of("9.90", "EUR")),),
        paid=True,
    )
    assert erp.orders.import_orders([draft]).counts() == {"created": 1}
    assert erp.orders.allocate([W1]).counts() == {"waiting": 1}


def writer_that_never_relays(erp: ERP) -> MessageBus:
    """A bus on the same database that commits (events into the outbox) and
    then stops, as a process killed right after its commit would."""
    return MessageBus(erp.backend.uow_factory, erp.clock, auto_allocate=False, outbox=None)


def test_events_are_committed_with_their_changes_or_not_at_all(backend_url: str) -> None:
    clock = SimulatedClock(T0)
    bus, backend = bootstrap(backend_url, clock=clock, publishers=[Recorder()])
    try:
        bus.handle(AddToCatalog((Sku("MUG"),)))
        bus.handle(AddWarehouse(Warehouse("SH")))
        assert backend.outbox is not None
        assert backend.outbox.pending(100) == []

        with backend.uow_factory() as uow:
            uow.stock.book().receive("MUG", "SH", 5, at=clock.now(), actor="ann")
            # left without commit: rolled back
        assert pending_rows(backend_url) == 0
        assert run_sql(backend_url, "SELECT count(*) FROM moves") == [[(0,)]]

        with pytest.raises(InsufficientStockError):
            bus.handle(AdjustStock("MUG", "SH", -1, "lost", "ann"))
        assert pending_rows(backend_url) == 0

        with backend.uow_factory() as uow:
            move = uow.stock.book().receive("MUG", "SH", 5, at=clock.now(), actor="ann")
            uow.commit()
        ((_, event),) = backend.outbox.pending(100)
        assert event == StockMoved(move)
        with backend.uow_factory() as uow:
            assert list(uow.stock.moves()) == [move]
    finally:
        backend.close()


def test_stock_arriving_allocates_the_waiting_order_through_the_outbox(backend_url: str) -> None:
    with open_erp(backend_url, clock=SimulatedClock(T0)) as erp:
        set_up_waiting_order(erp)

        erp.inventory.receive("MUG", "SH", 2)

        order = erp.orders.get(W1)
        assert order.status is OrderStatus.ALLOCATED
        assert [(r.sku, r.qty) for r in erp.inventory.reservations(W1)] == [("MUG", 2)]
        assert pending_rows(backend_url) == 0
        assert erp.inventory.verify() == []
        erp.check()


def test_the_relay_command_delivers_what_a_dead_writer_committed(backend_url: str) -> None:
    with open_erp(backend_url, clock=SimulatedClock(T0)) as erp:
        set_up_waiting_order(erp)
        writer_that_never_relays(erp).handle(ReceiveStock("MUG", "SH", 2, "PO-1", actor="ann"))
        assert erp.orders.get(W1).status is OrderStatus.WAITING
        assert pending_rows(backend_url) == 1

        relayed = run_cli("relay", "--once", backend_url)

        assert relayed.returncode == 0, relayed.stderr
        assert "delivered 1 event(s)" in relayed.stdout
        assert pending_rows(backend_url) == 0
        assert erp.orders.get(W1).status is OrderStatus.ALLOCATED
        assert erp.inventory.position("MUG", "SH").reserved == 2
        assert erp.inventory.verify() == []

        again = run_cli("relay", "--once", backend_url)
        assert again.returncode == 0, again.stderr
        assert again.stdout == ""


def test_a_crash_before_the_acknowledgement_redelivers_and_changes_nothing_twice(
    backend_url: str,
) -> None:
    recorder = Recorder()
    with open_erp(backend_url, clock=SimulatedClock(T0), publishers=[recorder]) as erp:
        set_up_waiting_order(erp)
        recorder.fail_next = True

        # The receipt commits, the handler allocates W1, then delivery dies
        # before the events are marked delivered.
        with pytest.raises(ProcessKilled):
            erp.inventory.receive("MUG", "SH", 2, document="PO-1")
        assert erp.orders.get(W1).status is OrderStatus.ALLOCATED
        assert pending_rows(backend_url) >= 1
        first = recorder.stock_moves()
        assert [(e.move.reason, e.move.qty) for e in first] == [(MoveReason.RECEIPT, 2)]

        assert erp.bus.relay() >= 1

        assert recorder.stock_moves() == first + first  # delivered again, the same event
        assert pending_rows(backend_url) == 0
        order = erp.orders.get(W1)
        assert [h.to for h in order.history].count(OrderStatus.ALLOCATED) == 1
        position = erp.inventory.position("MUG", "SH")
        assert (position.on_hand, position.reserved) == (2, 2)
        assert erp.inventory.verify() == []
        erp.check()


def test_the_outbox_hands_out_events_until_they_are_marked_delivered(backend_url: str) -> None:
    with open_erp(backend_url, clock=SimulatedClock(T0)) as erp:
        set_up_waiting_order(erp)
        writer = writer_that_never_relays(erp)
        for qty in (1, 2, 3):
            writer.handle(ReceiveStock("MUG", "SH", qty, f"PO-{qty}", actor="ann"))
        outbox = erp.backend.outbox
        assert outbox is not None

        first = outbox.pending(2)
        assert [e.move.qty for _, e in first if isinstance(e, StockMoved)] == [1, 2]
        assert outbox.pending(2) == first  # not acknowledged: handed out again

        outbox.mark_delivered([i for i, _ in first])
        outbox.mark_delivered([i for i, _ in first])  # acknowledging twice is harmless
        rest = outbox.pending(10)
        assert [e.move.qty for _, e in rest if isinstance(e, StockMoved)] == [3]
        assert {i for i, _ in rest}.isdisjoint(i for i, _ in first)

        # The relay delivers the last one; W1 (2 wanted) finds 6 on the shelf.
        assert erp.bus.relay() == 1
        assert outbox.pending(10) == []
        assert erp.orders.get(W1).status is OrderStatus.ALLOCATED
        assert erp.inventory.verify() == []


def all_rows(url: str) -> int:
    (rows,) = run_sql(url, "SELECT count(*) FROM outbox")
    return int(rows[0][0])


def test_only_events_that_may_free_stock_are_stored_when_nobody_publishes(
    backend_url: str,
) -> None:
    """Without publishers the outbox keeps what the waiting-order handler acts
    on (stock arriving, reservations given back), not the shipment's moves
    to the customer, which never free stock."""
    erp = open_erp(backend_url, clock=SimulatedClock(T0))
    set_up_waiting_order(erp)
    before = all_rows(backend_url)
    erp.inventory.receive("MUG", "SH", 5)  # stock arrives: W1 is allocated from the outbox
    assert erp.orders.get(W1).status is OrderStatus.ALLOCATED
    after_receipt = all_rows(backend_url)
    assert after_receipt == before + 1, "the receipt's move is stored"

    assert erp.orders.ship([W1]).counts() == {"done": 1}
    assert all_rows(backend_url) == after_receipt, "a shipment stores nothing"
    assert pending_rows(backend_url) == 0
    erp.close()


class LockGrabber:
    """A publisher during whose delivery another process takes the SQLite
    database lock and keeps it (until :meth:`release`)."""

    def __init__(self, path: str) -> None:
        self.conn: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None)
        self.holding = False
        self.armed = False
        self.received: list[Event] = []

    def publish(self, events: Sequence[Event]) -> None:
        self.received.extend(events)
        if self.armed and self.conn is not None:
            self.armed = False
            self.conn.execute("BEGIN IMMEDIATE")
            self.holding = True

    def release(self) -> None:
        if self.conn is None:
            return
        if self.holding:
            self.conn.execute("ROLLBACK")
            self.holding = False
        self.conn.close()
        self.conn = None


def test_a_relay_that_finds_the_database_locked_does_not_fail_the_committed_receipt(
    sqlite_url: str,
) -> None:
    """The receipt commits; while its events are delivered another process
    holds the SQLite lock past the busy timeout, so they cannot be marked
    delivered.  The caller gets the receipt (retrying it would book the
    goods twice); the events stay in the outbox for the next relay."""
    grabber = LockGrabber(sqlite_url.removeprefix("sqlite:///"))
    try:
        with open_erp(
            f"{sqlite_url}?timeout=0.2", clock=SimulatedClock(T0), publishers=[grabber]
        ) as erp:
            set_up_waiting_order(erp)
            grabber.armed = True

            move = erp.inventory.receive("MUG", "SH", 2, document="PO-1")  # must not raise

            assert move.qty == 2
            grabber.release()
            assert erp.inventory.position("MUG", "SH").on_hand == 2, "booked once"
            assert pending_rows(sqlite_url) >= 1, "left for the next relay"
            assert erp.bus.relay() >= 1
            assert pending_rows(sqlite_url) == 0
            assert erp.orders.get(W1).status is OrderStatus.ALLOCATED
            assert erp.inventory.position("MUG", "SH").reserved == 2
            assert erp.inventory.verify() == []
            assert erp.dead_letters.list() == []
    finally:
        grabber.release()


def test_dead_letters_are_seen_and_replayed_by_another_process(backend_url: str) -> None:
    """A publisher fails in one process; another process on the same
    database lists the letter and replays it once the endpoint is back."""
    with open_erp(backend_url, clock=SimulatedClock(T0), publishers=[Broken()]) as shop:
        shop.catalog.add(Sku("MUG"))
        shop.inventory.add_warehouse(Warehouse("SH"))
        shop.inventory.receive("MUG", "SH", 5, document="PO-1")
        (letter,) = shop.dead_letters.list()
    recorder = NamedRecorder()
    with open_erp(backend_url, clock=SimulatedClock(T0), publishers=[recorder]) as other:
        assert other.dead_letters.list() == [letter]
        assert letter.consumer == "publisher:broker"
        assert letter.error_type == "ConnectionError"

        assert other.dead_letters.replay(letter.id) is True

        assert [(e.move.qty, e.move.document) for e in recorder.stock_moves()] == [(5, "PO-1")]
        assert other.dead_letters.list() == []


class Broken:
    name = "broker"

    def publish(self, events: Sequence[Event]) -> None:
        raise ConnectionError("the message broker went away")


class NamedRecorder(Recorder):
    name = "broker"


def test_reading_the_outbox_does_not_wait_for_the_sqlite_write_lock(sqlite_url: str) -> None:
    with open_erp(sqlite_url, clock=SimulatedClock(T0)) as erp:
        set_up_waiting_order(erp)
        writer_that_never_relays(erp).handle(ReceiveStock("MUG", "SH", 2, "PO-1", actor="ann"))
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    with open_erp(f"{sqlite_url}?timeout=0.2", clock=SimulatedClock(T0)) as erp:
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process writes
            assert erp.backend.outbox is not None
            ((_, event),) = erp.backend.outbox.pending(10)
            assert isinstance(event, StockMoved)
            assert erp.dead_letters.list() == []
        finally:
            holder.execute("ROLLBACK")
            holder.close()


def test_the_command_line_lists_and_replays_dead_letters(backend_url: str) -> None:
    """Automatic allocation loses every race while stock arrives; an
    operator sees the letter from the command line and replays it there."""
    with open_erp(backend_url, clock=SimulatedClock(T0)) as erp:
        set_up_waiting_order(erp)
        erp.bus.wait = lambda attempt: None
        LostRaces().install(erp).when(touching(W1), times=None)

        erp.inventory.receive("MUG", "SH", 2, document="PO-1")  # committed, no error

        assert erp.orders.get(W1).status is OrderStatus.WAITING
        listed = run_cli("dead-letters", "list", backend_url)
        assert listed.returncode == 0, listed.stderr
        (line,) = listed.stdout.splitlines()
        assert line.startswith(
            "#1 handler:ecerp.usecases.allocation.allocate_waiting: 1 event(s), 8"
        )
        assert "ConcurrencyError" in line

        replayed = run_cli("dead-letters", "replay", backend_url)

        assert replayed.returncode == 0, replayed.stderr
        assert replayed.stdout.strip() == "#1 delivered"
        assert erp.orders.get(W1).status is OrderStatus.ALLOCATED
        assert erp.dead_letters.list() == []
        assert run_cli("dead-letters", "list", backend_url).stdout == ""
        unknown = run_cli("dead-letters", "discard", backend_url, "99")
        assert unknown.returncode == 1
        assert "dead letter 99 not found" in unknown.stderr
        assert erp.inventory.verify() == []
