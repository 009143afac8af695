"""The reliability contract: retries and what follows a commit, per backend.

Every retry path of the message bus runs here, on each backend, with commits
made to lose their race on purpose (:mod:`ecerp.testing.faults`):

* a command that commits once is run again whole, and applied once;
* the batch commands (import, process, accept, allocate) run each chunk in
  its own unit of work, again alone when it lost: an order this call created
  is reported ``created`` however often its chunk ran, and the orders of a
  chunk that lost every attempt are ``rejected`` with the
  :class:`ConcurrencyError` while the call itself returns;
* after a command committed nothing raises into its caller: an event handler
  or publisher that still fails leaves a dead letter, which can be inspected,
  replayed once the cause is fixed (delivered once, then gone) or discarded.

A backend runs it by subclassing :class:`ReliabilityContract` and providing
``erp_opener`` (``open_erp``'s keyword options in, an ERP on this test's
empty store out) and ``dead_letters`` (an empty dead-letter store of the
backend, for :class:`DeadLetterStoreContract`)::

    class TestMyBackend(ReliabilityContract):
        @pytest.fixture
        def erp_opener(self, tmp_path):
            return lambda **options: open_erp(my_url(tmp_path), **options)

        @pytest.fixture
        def dead_letters(self, tmp_path):
            return MyDeadLetters(my_url(tmp_path))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.inventory.events import ReservationReleased, StockMoved, StockReserved
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.moves import Move, MoveReason
from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
from ecerp.domain.orders.events import (
    OrderAllocated,
    OrderCancelled,
    OrderImported,
    OrderShipped,
    OrderStatusChanged,
    OrderUpdated,
    OrderWaiting,
)
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import ConcurrencyError, NotFoundError
from ecerp.domain.shared.events import Event
from ecerp.domain.shared.money import Money
from ecerp.ports.dead_letters import DeadLetter, DeadLetters
from ecerp.testing.faults import LostRaces, of_type, touching
from ecerp.usecases.allocation import handlers as allocation_cases
from ecerp.usecases.orders import handlers as order_cases
from ecerp.usecases.results import OutcomeKind

#: ``open_erp``'s keyword options in, an open ERP out (typed loosely: the
#: facade lives above what a test kit may import).
ErpOpener = Callable[..., Any]

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ATTEMPTS = 8  # the bus's default max_attempts


class TickingClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


class Webhook:
    """A publisher to the outside world that may be down."""

    name = "webhook"

    def __init__(self) -> None:
        self.received: list[Event] = []
        self.down = False

    def publish(self, events: Sequence[Event]) -> None:
        if self.down:
            raise ConnectionError("webhook endpoint answered 503")
        self.received.extend(events)

    def moves(self) -> list[tuple[str, int]]:
        return [(e.move.sku, e.move.qty) for e in self.received if isinstance(e, StockMoved)]


def draft(n: int, qty: int = 1, *, paid: bool = True) -> ChannelOrder:
    return ChannelOrder(
        "shopify",
        "web",
        f"W{n}",
        T0 + timedelta(minutes=n),
        "EUR",
        (ChannelLine("MUG", qty, Money.of("9.90", "EUR")),),
        paid=paid,
    )


def drafts(*numbers: int) -> Iterator[ChannelOrder]:
    """A one-shot stream, as a file reader gives it."""
    return (draft(n) for n in numbers)


class _ReliabilityFixtures:
    @pytest.fixture
    def erp_opener(self) -> ErpOpener:
        """``open_erp``'s keyword options in, an ERP on this test's empty
        store out (called once per test)."""
        raise NotImplementedError("override the erp_opener fixture for your backend")

    @pytest.fixture
    def clock(self) -> TickingClock:
        return TickingClock(T0)

    @pytest.fixture
    def webhook(self) -> Webhook:
        return Webhook()

    @pytest.fixture
    def faults(self) -> LostRaces:
        return LostRaces()

    @pytest.fixture
    def erp(
        self, erp_opener: ErpOpener, clock: TickingClock, webhook: Webhook, faults: LostRaces
    ) -> Iterator[Any]:
        """A web shop selling MUG from warehouse SH, whose commits lose
        races when ``faults`` says so (retried at once: no backoff)."""
        erp = erp_opener(clock=clock, publishers=[webhook])
        try:
            erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
            erp.inventory.add_warehouse(Warehouse("SH"))
            erp.bus.wait = lambda attempt: None
            faults.install(erp)
            yield erp
        finally:
            erp.close()

    @pytest.fixture
    def small_chunks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Chunks of two orders, so a handful of orders makes several units."""
        monkeypatch.setattr(order_cases, "IMPORT_CHUNK", 2)
        monkeypatch.setattr(allocation_cases, "ALLOCATE_CHUNK", 2)


def kinds(result: Iterable[Any]) -> dict[str, str]:
    return {o.ref: o.kind.value for o in result}


def reserved(erp: Any) -> int:
    return int(erp.inventory.position("MUG", "SH").reserved)


class RetryContract(_ReliabilityFixtures):
    """A unit of work that lost a race is run again, alone; outcomes are
    those of what committed."""

    def test_a_command_that_lost_a_race_is_run_again_and_applied_once(
        self, erp: Any, faults: LostRaces
    ) -> None:
        faults.next(2)

        move = erp.inventory.receive("MUG", "SH", 5, document="PO-1")

        assert faults.lost == 2
        assert move.qty == 5
        assert [m.document for m in erp.inventory.moves(sku="MUG")] == ["PO-1"]
        assert erp.inventory.position("MUG", "SH").on_hand == 5

    def test_a_command_that_lost_every_race_raises_and_leaves_nothing(
        self, erp: Any, faults: LostRaces
    ) -> None:
        faults.next(ATTEMPTS)

        with pytest.raises(ConcurrencyError):
            erp.inventory.receive("MUG", "SH", 5)

        assert faults.lost == ATTEMPTS
        assert list(erp.inventory.moves(sku="MUG")) == []
        assert erp.inventory.verify() == []

    @pytest.mark.parametrize("given_as", ["stream", "list"])
    def test_orders_of_an_import_chunk_that_lost_a_race_are_reported_created(
        self, erp: Any, faults: LostRaces, small_chunks: None, given_as: str
    ) -> None:
        faults.next(1, after=1)  # the second chunk's first commit loses
        stream = drafts(1, 2, 3, 4, 5)

        result = erp.orders.import_orders(stream if given_as == "stream" else list(stream))

        assert faults.lost == 1
        assert result.counts() == {"created": 5}
        assert [o.ref for o in result] == [f"shopify/web/W{n}" for n in (1, 2, 3, 4, 5)]
        assert erp.orders.total() == 5

    def test_a_chunk_that_lost_every_race_is_rejected_and_the_others_go_through(
        self, erp: Any, faults: LostRaces, small_chunks: None
    ) -> None:
        faults.next(ATTEMPTS, after=1)  # every attempt of the second chunk

        result = erp.orders.import_orders(drafts(1, 2, 3, 4, 5))

        assert result.counts() == {"created": 3, "rejected": 2}
        lost = result.rejected
        assert [o.ref for o in lost] == ["shopify/web/W3", "shopify/web/W4"]
        assert all(isinstance(o.error, ConcurrencyError) for o in lost)
        assert erp.orders.total() == 3
        # the caller imports the same stream again: the rest arrives, once
        again = erp.orders.import_orders(drafts(1, 2, 3, 4, 5))
        assert kinds(again) == {
            "shopify/web/W1": "unchanged",
            "shopify/web/W2": "unchanged",
            "shopify/web/W3": "created",
            "shopify/web/W4": "created",
            "shopify/web/W5": "unchanged",
        }
        assert erp.orders.total() == 5

    def test_process_retries_an_import_chunk_and_an_allocation_chunk_alone(
        self, erp: Any, faults: LostRaces, small_chunks: None
    ) -> None:
        erp.inventory.receive("MUG", "SH", 5)
        faults.next(1, after=1)  # the second import chunk, once
        faults.when(of_type(OrderAllocated), times=1)  # the first allocation chunk, once

        result = erp.orders.process(drafts(1, 2, 3, 4, 5))

        assert faults.lost == 2
        assert [(o.ref, o.kind) for o in result] == [
            (f"shopify/web/W{n}", OutcomeKind.ALLOCATED) for n in (1, 2, 3, 4, 5)
        ]
        assert reserved(erp) == 5
        assert erp.inventory.verify() == []

    def test_process_reports_the_orders_of_an_allocation_unit_that_lost_every_race(
        self, erp: Any, faults: LostRaces, small_chunks: None
    ) -> None:
        erp.inventory.receive("MUG", "SH", 5)
        # two allocation chunks go through; the last unit (W5) always loses
        faults.when(of_type(OrderAllocated), times=None, after=2)

        result = erp.orders.process(drafts(1, 2, 3, 4, 5))

        assert kinds(result) == {
            "shopify/web/W1": "allocated",
            "shopify/web/W2": "allocated",
            "shopify/web/W3": "allocated",
            "shopify/web/W4": "allocated",
            "shopify/web/W5": "rejected",
        }
        (lost,) = result.rejected
        assert isinstance(lost.error, ConcurrencyError)
        assert erp.orders.total() == 5, "imported, whatever allocation did"
        assert reserved(erp) == 4
        faults.clear()
        assert erp.orders.allocate().counts() == {"allocated": 1}

    def test_accept_that_lost_a_race_is_run_again_whole(self, erp: Any, faults: LostRaces) -> None:
        erp.inventory.receive("MUG", "SH", 5)
        faults.next(1)

        result = erp.orders.accept(drafts(1))

        assert [(o.ref, o.kind) for o in result] == [("shopify/web/W1", OutcomeKind.ALLOCATED)]
        assert reserved(erp) == 1

    def test_accept_that_lost_every_race_rejects_its_drafts_and_stores_nothing(
        self, erp: Any, faults: LostRaces
    ) -> None:
        erp.inventory.receive("MUG", "SH", 5)
        faults.next(ATTEMPTS)

        result = erp.orders.accept(drafts(1, 2))

        assert kinds(result) == {"shopify/web/W1": "rejected", "shopify/web/W2": "rejected"}
        assert all(isinstance(o.error, ConcurrencyError) for o in result)
        assert erp.orders.total() == 0
        assert reserved(erp) == 0

    def test_an_allocation_chunk_that_lost_a_race_keeps_the_outcomes_of_those_before(
        self, erp: Any, faults: LostRaces, small_chunks: None
    ) -> None:
        erp.orders.import_orders(drafts(1, 2, 3, 4, 5))
        erp.inventory.receive("MUG", "SH", 5)
        faults.next(1, after=1)  # the second allocation chunk, once

        result = erp.orders.allocate()

        assert faults.lost == 1
        assert kinds(result) == {f"shopify/web/W{n}": "allocated" for n in (1, 2, 3, 4, 5)}
        assert reserved(erp) == 5

    def test_the_orders_of_allocation_units_that_lost_every_race_are_rejected(
        self, erp: Any, faults: LostRaces, small_chunks: None
    ) -> None:
        erp.orders.import_orders(drafts(1, 2, 3, 4, 5))
        erp.inventory.receive("MUG", "SH", 5)
        faults.when(of_type(OrderAllocated), times=None, after=1)  # all but the first chunk

        result = erp.orders.allocate()

        assert kinds(result) == {
            "shopify/web/W1": "allocated",
            "shopify/web/W2": "allocated",
            "shopify/web/W3": "rejected",
            "shopify/web/W4": "rejected",
            "shopify/web/W5": "rejected",
        }
        assert all(isinstance(o.error, ConcurrencyError) for o in result.rejected)
        assert reserved(erp) == 2
        assert erp.orders.ids(OrderStatus.READY) == [f"shopify/web/W{n}" for n in (3, 4, 5)]
        faults.clear()
        assert erp.orders.allocate().counts() == {"allocated": 3}


class AfterCommitContract(_ReliabilityFixtures):
    """After its command committed, follow-up work never raises into the
    caller: what still fails is a dead letter, until replayed or discarded."""

    def test_a_failing_publisher_leaves_a_dead_letter_and_the_command_returns(
        self, erp: Any, webhook: Webhook
    ) -> None:
        webhook.down = True

        move = erp.inventory.receive("MUG", "SH", 5, document="PO-1")

        assert move.qty == 5
        assert erp.inventory.position("MUG", "SH").on_hand == 5
        (letter,) = erp.dead_letters.list()
        assert letter.consumer == "publisher:webhook"
        assert letter.events == (StockMoved(move),)
        assert (letter.error_type, letter.error) == (
            "ConnectionError",
            "webhook endpoint answered 503",
        )
        assert letter.attempts == 1
        assert letter.first_failed_at == letter.last_failed_at == T0
        assert erp.dead_letters.get(letter.id) == letter

    def test_a_replay_after_the_fix_delivers_once_and_clears_the_letter(
        self, erp: Any, webhook: Webhook
    ) -> None:
        webhook.down = True
        erp.inventory.receive("MUG", "SH", 5, document="PO-1")
        (letter,) = erp.dead_letters.list()
        webhook.down = False

        assert erp.dead_letters.replay(letter.id) is True

        assert webhook.moves() == [("MUG", 5)]
        assert erp.dead_letters.list() == []
        with pytest.raises(NotFoundError):
            erp.dead_letters.replay(letter.id)
        assert webhook.moves() == [("MUG", 5)]

    def test_a_replay_that_fails_again_keeps_the_letter_with_its_history(
        self, erp: Any, webhook: Webhook, clock: TickingClock
    ) -> None:
        webhook.down = True
        erp.inventory.receive("MUG", "SH", 5)
        (letter,) = erp.dead_letters.list()
        clock.advance(timedelta(hours=1))

        assert erp.dead_letters.replay(letter.id) is False

        again = erp.dead_letters.get(letter.id)
        assert again.attempts == 2
        assert (again.first_failed_at, again.last_failed_at) == (T0, T0 + timedelta(hours=1))
        assert again.events == letter.events

    def test_automatic_allocation_that_lost_every_race_is_a_dead_letter_not_an_error(
        self, erp: Any, faults: LostRaces, webhook: Webhook
    ) -> None:
        (waiting,) = erp.orders.process([draft(1, qty=2)])
        assert waiting.kind is OutcomeKind.WAITING
        faults.when(touching(waiting.order), times=None)

        move = erp.inventory.receive("MUG", "SH", 2, document="PO-1")  # must not raise

        assert move.qty == 2
        assert erp.orders.get(waiting.order).status is OrderStatus.WAITING
        (letter,) = erp.dead_letters.list()
        assert letter.consumer == "handler:ecerp.usecases.allocation.allocate_waiting"
        assert letter.error_type == "ConcurrencyError"
        assert letter.attempts == ATTEMPTS
        assert letter.events == (StockMoved(move),)
        assert erp.inventory.position("MUG", "SH").on_hand == 2, "booked once"

        faults.clear()
        assert erp.dead_letters.replay(letter.id) is True

        assert erp.orders.get(waiting.order).status is OrderStatus.ALLOCATED
        assert reserved(erp) == 2
        assert erp.dead_letters.list() == []
        assert erp.inventory.verify() == []

    def test_a_failing_handler_does_not_keep_events_from_the_publishers(
        self, erp: Any, faults: LostRaces, webhook: Webhook
    ) -> None:
        (waiting,) = erp.orders.process([draft(1, qty=2)])
        faults.when(touching(waiting.order), times=None)

        erp.inventory.receive("MUG", "SH", 2)

        assert ("MUG", 2) in webhook.moves()
        assert [letter.consumer for letter in erp.dead_letters.list()] == [
            "handler:ecerp.usecases.allocation.allocate_waiting"
        ]

    def test_letters_can_be_discarded_or_replayed_all_at_once(
        self, erp: Any, webhook: Webhook
    ) -> None:
        webhook.down = True
        for qty in (1, 2, 3):
            erp.inventory.receive("MUG", "SH", qty)
        first, second, third = erp.dead_letters.list()
        assert first.id < second.id < third.id

        erp.dead_letters.discard(second.id)
        with pytest.raises(NotFoundError):
            erp.dead_letters.get(second.id)
        with pytest.raises(NotFoundError):
            erp.dead_letters.discard(second.id)
        still = erp.dead_letters.replay_all()  # the webhook is still down
        assert [(letter.id, letter.attempts) for letter in still] == [(first.id, 2), (third.id, 2)]

        webhook.down = False
        assert erp.dead_letters.replay_all() == []
        assert webhook.moves() == [("MUG", 1), ("MUG", 3)]


def every_kind_of_event() -> tuple[Event, ...]:
    """One event of each kind, with every field set (microseconds, a note,
    nested tuples), to prove a store gives back exactly what it was given."""
    move = Move(
        7,
        "MUG",
        "SUPPLIER",
        "SH/STOCK",
        5,
        MoveReason.RECEIPT,
        "PO-1",
        "ann",
        datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
        note="late truck",
    )
    lines = (((1, "MUG"), 2), ((2, "CUP"), 1))
    return (
        StockMoved(move),
        StockReserved("W1", "SH", lines),
        ReservationReleased("W1", lines),
        OrderImported("W1"),
        OrderUpdated("W1", ("lines", "address")),
        OrderStatusChanged("W1", "ready", "allocated"),
        OrderAllocated("W1", "SH"),
        OrderWaiting("W2", ("MUG",)),
        OrderShipped("W1", "SH", None),
        OrderCancelled("W3", reason="buyer asked"),
    )


class DeadLetterStoreContract:
    """A :class:`~ecerp.ports.dead_letters.DeadLetters` store keeps what it
    is given, exactly, until it is removed.  Provide ``dead_letters``: an
    empty store of your backend."""

    @pytest.fixture
    def dead_letters(self) -> DeadLetters:
        raise NotImplementedError("override the dead_letters fixture for your backend")

    def test_a_letter_comes_back_exactly_as_recorded(self, dead_letters: DeadLetters) -> None:
        events = every_kind_of_event()
        at = datetime(2026, 3, 2, 9, 0, 0, 654321, tzinfo=UTC)

        letter_id = dead_letters.record(
            "handler:shop.sync", events, ValueError("bad\nline two"), attempts=8, at=at
        )

        letter = dead_letters.get(letter_id)
        assert letter == DeadLetter(
            letter_id, "handler:shop.sync", events, "ValueError", "bad\nline two", 8, at, at
        )
        assert letter.first_failed_at.tzinfo is UTC
        assert dead_letters.list() == [letter]

    def test_letters_are_listed_oldest_first_with_growing_ids(
        self, dead_letters: DeadLetters
    ) -> None:
        ids = [
            dead_letters.record(f"publisher:p{n}", (), OSError(n), attempts=1, at=T0)
            for n in range(3)
        ]

        assert ids == sorted(set(ids))
        assert [letter.consumer for letter in dead_letters.list()] == [
            "publisher:p0",
            "publisher:p1",
            "publisher:p2",
        ]
        assert [letter.id for letter in dead_letters.list(limit=2)] == ids[:2]

    def test_a_failed_replay_adds_attempts_and_keeps_the_first_failure(
        self, dead_letters: DeadLetters
    ) -> None:
        letter_id = dead_letters.record("publisher:p", (), OSError("down"), attempts=1, at=T0)
        later = T0 + timedelta(hours=2)

        dead_letters.failed_again(letter_id, TimeoutError("slow"), attempts=3, at=later)

        letter = dead_letters.get(letter_id)
        assert (letter.error_type, letter.error, letter.attempts) == ("TimeoutError", "slow", 4)
        assert (letter.first_failed_at, letter.last_failed_at) == (T0, later)

    def test_a_removed_or_unknown_letter_is_not_found(self, dead_letters: DeadLetters) -> None:
        letter_id = dead_letters.record("publisher:p", (), OSError("down"), attempts=1, at=T0)
        dead_letters.remove(letter_id)

        for call in (
            lambda: dead_letters.get(letter_id),
            lambda: dead_letters.remove(letter_id),
            lambda: dead_letters.failed_again(letter_id, OSError(), attempts=1, at=T0),
        ):
            with pytest.raises(NotFoundError):
                call()
        assert dead_letters.list() == []
        again = dead_letters.record("publisher:p", (), OSError("down"), attempts=1, at=T0)
        assert again > letter_id, "ids are never reused"


class ReliabilityContract(RetryContract, AfterCommitContract, DeadLetterStoreContract):
    """Every reliability contract at once: subclass it, override
    ``erp_opener`` and ``dead_letters``."""


__all__ = [
    "AfterCommitContract",
    "DeadLetterStoreContract",
    "ErpOpener",
    "ReliabilityContract",
    "RetryContract",
    "TickingClock",
    "Webhook",
]
