"""Whatever races a streamed import or process loses, its outcomes are what
was stored.

Each chunk's commit loses its race a generated number of times (0 to 8; the
bus makes 8 attempts).  The model: a chunk that lost fewer than 8 times is
stored whole and every draft of it is reported ``created``; a chunk that lost
8 times stores nothing and every draft of it is ``rejected`` with the
``ConcurrencyError``.  Every draft gets exactly one outcome, in input order,
and the stored orders are exactly those reported created.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from ecerp import ChannelOrder, OutcomeKind, Shop, Sku, Warehouse, open_erp
from ecerp.domain.shared.errors import ConcurrencyError
from ecerp.domain.shared.events import Event
from ecerp.testing.faults import LostRaces
from ecerp.usecases.orders import handlers as order_cases
from worlds import draft

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ATTEMPTS = 8


def unpaid(n: int) -> ChannelOrder:
    """Order ``n``, one minute after the one before; it stays unpaid: process()
    allocates nothing, imports alone commit."""
    return draft(f"W{n}", at=T0 + timedelta(minutes=n), paid=False)


def plan_of(losses: Sequence[int]) -> Iterator[bool]:
    """Per commit, whether it loses: chunk by chunk, ``k`` losses then a
    win (none after 8 losses: the chunk is given up)."""
    for k in losses:
        yield from [True] * k
        if k < ATTEMPTS:
            yield False


@given(
    count=st.integers(min_value=1, max_value=9),
    chunk=st.integers(min_value=1, max_value=4),
    losses=st.lists(st.integers(min_value=0, max_value=ATTEMPTS), min_size=9, max_size=9),
    streamed=st.booleans(),
    call=st.sampled_from(["import_orders", "process"]),
)
def test_outcomes_are_what_was_stored_whatever_races_are_lost(
    count: int, chunk: int, losses: list[int], streamed: bool, call: str
) -> None:
    erp = open_erp("memory://")
    erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.bus.wait = lambda attempt: None
    numbers = list(range(1, count + 1))
    chunks = [numbers[i : i + chunk] for i in range(0, count, chunk)]
    plan = plan_of(losses[: len(chunks)])  # the import chunks' commits come first

    def loses(events: Sequence[Event]) -> bool:
        return next(plan, False)

    faults = LostRaces().install(erp)
    faults.when(loses, times=None)
    drafts = (unpaid(n) for n in numbers) if streamed else [unpaid(n) for n in numbers]

    with mock.patch.object(order_cases, "IMPORT_CHUNK", chunk):
        result = getattr(erp.orders, call)(drafts)

    given_up = {n for c, k in zip(chunks, losses, strict=False) if k >= ATTEMPTS for n in c}
    assert [o.ref for o in result] == [f"shopify/web/W{n}" for n in numbers]
    for n, outcome in zip(numbers, result, strict=True):
        if n in given_up:
            assert outcome.kind is OutcomeKind.REJECTED
            assert isinstance(outcome.error, ConcurrencyError)
        else:
            assert outcome.kind is OutcomeKind.CREATED, outcome
    created = {o.order for o in result if o.kind is OutcomeKind.CREATED}
    assert set(erp.orders.ids()) == created
    assert faults.lost == sum(min(k, ATTEMPTS) for k in losses[: len(chunks)])
