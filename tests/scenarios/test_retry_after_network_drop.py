"""A caller whose network dropped after ecerp committed retries with the same
idempotency key, and nothing is booked twice.

The warehouse terminal at the Berlin dock books a supplier delivery.  ecerp
commits the receipt, but the answer never reaches the terminal (the Wi-Fi
dropped).  The terminal cannot know whether the delivery was booked, so it
sends the same call again with the same key, as it was built to do, and gets
the first answer back.  The web shop's webhook does the same when its call
times out.  Memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

import sqlsupport
from ecerp import ERP, Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.catalog.products import Shop
from ecerp.domain.inventory.moves import MoveReason
from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
from ecerp.domain.shared.errors import IdempotencyConflictError, NotFoundError, ValidationError
from ecerp.domain.shared.money import Money
from ecerp.usecases.orders import handlers as order_cases
from ecerp.usecases.results import OutcomeKind
from worlds import draft

NOW = datetime(2026, 5, 4, 7, 30, tzinfo=UTC)
T = TypeVar("T")


class ConnectionLostError(Exception):
    """The answer did not come back (the call may or may not have been done)."""


class FlakyLink:
    """The network between a caller and ecerp: it loses the answers it is
    told to lose, after ecerp did the work."""

    def __init__(self) -> None:
        self.answers_to_lose = 0

    def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        answer = method(*args, **kwargs)
        if self.answers_to_lose:
            self.answers_to_lose -= 1
            raise ConnectionLostError
        return answer


def until_answered(link: FlakyLink, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """What a careful caller does: send again, with the same key, until an
    answer arrives."""
    for _ in range(5):
        try:
            return link.call(method, *args, **kwargs)
        except ConnectionLostError:
            continue
    raise AssertionError("no answer after five tries")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def erp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ERP]:
    if request.param == "postgres":
        sqlsupport.require_postgres_admin_url()
        with sqlsupport.postgres_database() as url:
            yield from _shop(url)
        return
    url = "memory://" if request.param == "memory" else sqlsupport.sqlite_url(tmp_path)
    yield from _shop(url)


def _shop(url: str) -> Iterator[ERP]:
    with open_erp(url, clock=SimulatedClock(NOW)) as shop:
        shop.catalog.add(Sku("MUG"), Shop("web", channel="shopify", currency="EUR"))
        shop.inventory.add_warehouse(Warehouse("BER"))
        yield shop


def test_a_delivery_whose_answer_was_lost_is_booked_once_when_the_terminal_retries(
    erp: ERP,
) -> None:
    link = FlakyLink()
    link.answers_to_lose = 2  # the dock's Wi-Fi drops twice

    move = until_answered(
        link, erp.inventory.receive, "MUG", "BER", 40, document="PO-311", idempotency_key="PO-311/1"
    )

    assert move.qty == 40
    assert erp.inventory.position("MUG", "BER").on_hand == 40, "booked once, not three times"
    receipts = [m for m in erp.inventory.moves(sku="MUG") if m.reason is MoveReason.RECEIPT]
    assert receipts == [move]


def test_a_resent_webhook_gets_the_first_outcomes_and_reserves_stock_once(erp: ERP) -> None:
    erp.inventory.receive("MUG", "BER", 3)
    order = ChannelOrder(
        "shopify",
        "web",
        "5001",
        NOW,
        "EUR",
        (ChannelLine("MUG", 2, Money.of("9.90", "EUR")),),
        paid=True,
    )
    link = FlakyLink()
    link.answers_to_lose = 1  # the shop's webhook call times out

    outcomes = until_answered(link, erp.orders.accept, [order], idempotency_key="delivery-77")

    assert [o.kind for o in outcomes] == [OutcomeKind.ALLOCATED], "the first answer, not unchanged"
    assert erp.orders.total() == 1
    assert erp.inventory.position("MUG", "BER").reserved == 2


def test_a_terminal_that_reuses_a_key_for_another_delivery_is_told_and_nothing_is_booked(
    erp: ERP,
) -> None:
    erp.inventory.receive("MUG", "BER", 40, document="PO-311", idempotency_key="PO-311/1")

    with pytest.raises(IdempotencyConflictError) as refused:
        erp.inventory.receive("MUG", "BER", 12, document="PO-312", idempotency_key="PO-311/1")

    assert refused.value.key == "PO-311/1"
    assert erp.inventory.position("MUG", "BER").on_hand == 40


def test_a_delivery_that_failed_can_be_sent_again_with_its_key_once_the_cause_is_fixed(
    erp: ERP,
) -> None:
    with pytest.raises(NotFoundError):
        erp.inventory.receive("MUG", "HAM", 10, idempotency_key="PO-400/1")

    erp.inventory.add_warehouse(Warehouse("HAM"))
    move = erp.inventory.receive("MUG", "HAM", 10, idempotency_key="PO-400/1")

    assert move.qty == 10
    assert erp.inventory.position("MUG", "HAM").on_hand == 10


def test_an_import_job_that_died_midway_is_run_again_with_its_key_and_finishes(
    erp: ERP, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_cases, "IMPORT_CHUNK", 2)
    drafts = [draft(str(6000 + i), at=NOW, paid=False) for i in range(5)]  # three chunks: 2, 2, 1
    first_run = erp.orders.import_stream(drafts, idempotency_key="feed-0504")
    seen = [next(first_run) for _ in range(3)]  # the job dies in its second chunk's answer

    outcomes = list(erp.orders.import_stream(drafts, idempotency_key="feed-0504"))

    assert outcomes[:3] == seen, "the chunks that committed answer as they did"
    assert [o.kind for o in outcomes] == [OutcomeKind.CREATED] * 5
    assert erp.orders.total() == 5


def test_a_stream_key_without_room_for_chunk_numbers_is_refused_before_any_work(
    erp: ERP,
) -> None:
    with pytest.raises(ValidationError) as refused:
        list(
            erp.orders.import_stream([draft("7001", at=NOW, paid=False)], idempotency_key="k" * 195)
        )

    assert refused.value.field == "idempotency_key"
    assert erp.orders.total() == 0
