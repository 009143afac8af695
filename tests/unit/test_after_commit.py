"""What follows a commit never raises into the caller of the command.

The story: stock arrives at the shop's warehouse; a follow-up handler (a
stand-in for tracking write-back or channel sync, which will run the same
way) and a publisher take the committed events.  Whatever they do, the
receipt returns, is booked once, and what failed is a dead letter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from ecerp import ERP, Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.inventory.events import StockMoved
from ecerp.domain.shared.errors import ConcurrencyError, NotFoundError
from ecerp.domain.shared.events import Event
from ecerp.usecases.bus import MessageBus
from ecerp.usecases.context import Context
from ecerp.usecases.registry import Subscription

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class ChannelSync:
    """A follow-up handler that may have a bug or lose races."""

    def __init__(self) -> None:
        self.broken = False
        self.races_to_lose = 0
        self.synced: list[Event] = []

    def __call__(self, events: list[Event], ctx: Context) -> None:
        if self.broken:
            raise KeyError("channel listing")
        if self.races_to_lose:
            self.races_to_lose -= 1
            raise ConcurrencyError("lost a race")
        self.synced.extend(events)


class Log:
    name = "log"

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def sync() -> ChannelSync:
    return ChannelSync()


@pytest.fixture
def erp(log: Log, sync: ChannelSync) -> ERP:
    erp = open_erp("memory://", clock=SimulatedClock(T0), publishers=[log])
    erp.bus.event_handlers = [*erp.bus.event_handlers, Subscription((StockMoved,), sync)]
    erp.bus.wait = lambda attempt: None
    erp.catalog.add(Sku("MUG"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    return erp


def test_a_handler_with_a_bug_leaves_a_dead_letter_and_the_publishers_still_get_the_events(
    erp: ERP, log: Log, sync: ChannelSync
) -> None:
    sync.broken = True

    move = erp.inventory.receive("MUG", "SH", 5)

    assert erp.inventory.position("MUG", "SH").on_hand == 5
    assert StockMoved(move) in log.events
    (letter,) = erp.dead_letters.list()
    assert letter.consumer == f"handler:{__name__}.ChannelSync"
    assert (letter.error_type, letter.attempts) == ("KeyError", 1), "a bug is not retried"

    sync.broken = False
    assert erp.dead_letters.replay(letter.id) is True
    assert sync.synced == [StockMoved(move)]


def test_a_handler_that_loses_some_races_is_retried_and_leaves_nothing(
    erp: ERP, sync: ChannelSync
) -> None:
    sync.races_to_lose = 3

    move = erp.inventory.receive("MUG", "SH", 5)

    assert sync.synced == [StockMoved(move)]
    assert erp.dead_letters.list() == []


def test_without_a_dead_letter_store_failures_are_logged_not_raised(
    log: Log, caplog: pytest.LogCaptureFixture
) -> None:
    erp = open_erp("memory://", clock=SimulatedClock(T0))
    bus = erp.bus
    broken = MessageBus(bus.uow_factory, bus.clock, [Exploding()], auto_allocate=False)
    erp.catalog.add(Sku("MUG"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.bus = broken

    with caplog.at_level(logging.WARNING, logger="ecerp.bus"):
        erp.inventory.receive("MUG", "SH", 5)

    assert erp.inventory.position("MUG", "SH").on_hand == 5
    assert "RuntimeError: publisher bug" in caplog.text
    assert erp.dead_letters.list() == []
    with pytest.raises(NotFoundError):
        erp.dead_letters.replay(1)


class Exploding:
    def publish(self, events: Sequence[Event]) -> None:
        raise RuntimeError("publisher bug")


def test_a_letter_whose_consumer_is_not_configured_here_is_kept(
    erp: ERP, sync: ChannelSync
) -> None:
    sync.broken = True
    erp.inventory.receive("MUG", "SH", 5)
    (letter,) = erp.dead_letters.list()
    erp.bus.event_handlers = erp.bus.event_handlers[:-1]  # an ERP without the sync

    with pytest.raises(NotFoundError):
        erp.dead_letters.replay(letter.id)

    assert erp.dead_letters.replay_all() == [letter]
