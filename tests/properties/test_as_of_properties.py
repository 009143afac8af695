"""Stock as of a past moment equals replaying the ledger up to that moment.

Random histories of receipts, relocations into bins, losses, damage,
transfers (out and in) and period closes, with moves dated out of order
(back-dated, but never before the closed date, which the ledger refuses).
Whatever the closes did, for any SKU, warehouse (or all of them) and moment,
``on_hand_at`` must equal the naive sum of the committed moves dated at or
before that moment, the report as of that moment must list exactly those
sums, and every period snapshot must match the ledger (``erp.check()``).

The independent model is the list of moves the units of work returned and
committed, summed by hand; it knows nothing of periods or snapshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqlsupport
from ecerp import ERP, Sku, Warehouse
from ecerp.domain.inventory.errors import InsufficientStockError
from ecerp.domain.inventory.locations import (
    ADJUSTMENT,
    SUPPLIER,
    damaged_location,
    stock_location,
    transit_location,
)
from ecerp.domain.inventory.moves import Move, MoveReason, StockLine
from sqlsupport import migrated_template

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SKUS = ("MUG", "LID")
WAREHOUSES = ("SH", "SZ")
BINS = (None, "A-01", "B-02")

Op = tuple[str, str, str, str | None, int, int]  # kind, sku, warehouse, bin, qty, minute

ops = st.tuples(
    st.sampled_from(("receive", "receive", "relocate", "loss", "damage", "transfer", "close")),
    st.sampled_from(SKUS),
    st.sampled_from(WAREHOUSES),
    st.sampled_from(BINS),
    st.integers(1, 6),
    # minutes after T0, out of order on purpose; a few favourites so moves and
    # closes often fall on the same moment
    st.one_of(st.sampled_from((0, 60, 120)), st.integers(0, 600)),
)
queries = st.lists(
    st.tuples(st.sampled_from(SKUS), st.sampled_from((*WAREHOUSES, None)), st.integers(-5, 620)),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the current schema, copied for each example."""
    return migrated_template(tmp_path_factory.mktemp("template"))


@contextmanager
def fresh_erp(backend: str, template: Path) -> Iterator[ERP]:
    # the clock stands after every moment a history uses: a period is
    # closed only in the past
    with sqlsupport.fresh_erp(backend, template, T0 + timedelta(hours=12)) as erp:
        yield erp


def run(erp: ERP, history: list[Op]) -> tuple[list[Move], list[datetime]]:
    """Play ``history``; returns the committed moves and the period ends."""
    erp.catalog.add(*(Sku(code) for code in SKUS))
    for code in WAREHOUSES:
        erp.inventory.add_warehouse(Warehouse(code))
    committed: list[Move] = []
    closes: list[datetime] = []
    for kind, sku, wh, bin, qty, minute in history:
        closed = closes[-1] if closes else None
        at = T0 + timedelta(minutes=minute)
        if closed is not None and at < closed:
            at = closed  # back-dated as far as the ledger allows
        if kind == "close":
            erp.inventory.close_period(at)
            closes.append(at)
            continue
        other = WAREHOUSES[1 - WAREHOUSES.index(wh)]
        shelf = stock_location(wh, bin)
        source, dest, reason = {
            "receive": (SUPPLIER, shelf, MoveReason.RECEIPT),
            "relocate": (
                stock_location(wh),
                stock_location(wh, bin or "C-03"),
                MoveReason.RELOCATE,
            ),
            "loss": (shelf, ADJUSTMENT, MoveReason.LOSS),
            "damage": (shelf, damaged_location(wh), MoveReason.DAMAGE),
            "transfer": (shelf, transit_location(other), MoveReason.TRANSFER_OUT),
        }[kind]
        try:
            with erp.backend.uow_factory() as uow:
                moves = [uow.stock.book().move(sku, source, dest, qty, reason, at=at, actor="t")]
                if kind == "transfer" and qty > 1:  # part of it arrives an hour later
                    moves.append(
                        uow.stock.book().move(
                            sku,
                            transit_location(other),
                            stock_location(other),
                            qty - 1,
                            MoveReason.TRANSFER_IN,
                            at=at + timedelta(hours=1),
                            actor="t",
                        )
                    )
                uow.commit()
        except InsufficientStockError:
            continue  # refused whole: nothing was booked
        committed.extend(moves)
    return committed, closes


def replayed(moves: list[Move], sku: str, warehouse: str | None, at: datetime) -> int:
    """The naive sum: sellable stock is ``WH/stock`` and its bins."""

    def sellable(location: str) -> bool:
        parts = location.split("/")
        return len(parts) >= 2 and parts[1] == "stock" and warehouse in (None, parts[0])

    return sum(
        (m.qty if sellable(m.dest) else 0) - (m.qty if sellable(m.source) else 0)
        for m in moves
        if m.sku == sku and m.at <= at
    )


def check_history(erp: ERP, history: list[Op], asked: list[tuple[str, str | None, int]]) -> None:
    moves, closes = run(erp, history)
    erp.check()  # includes: every period snapshot equals the ledger before its end
    for sku, wh, minute in asked:
        at = T0 + timedelta(minutes=minute)
        assert erp.inventory.on_hand_at(sku, wh, at=at) == replayed(moves, sku, wh, at)
    # each period boundary, exactly and just before it: every SKU and warehouse
    for at in [*closes, *(c - timedelta(microseconds=1) for c in closes)]:
        for sku in SKUS:
            for wh in (*WAREHOUSES, None):
                assert erp.inventory.on_hand_at(sku, wh, at=at) == replayed(moves, sku, wh, at)
    # the report at a random asked moment and at each move's moment
    for at in {T0 + timedelta(minutes=m) for _, _, m in asked} | {m.at for m in moves}:
        expected = [
            StockLine(sku, wh, qty, 0, qty)
            for sku in sorted(SKUS)
            for wh in WAREHOUSES
            if (qty := replayed(moves, sku, wh, at))
        ]
        assert erp.inventory.report(at=at) == expected
        assert erp.inventory.report("SZ", at=at) == [x for x in expected if x.warehouse == "SZ"]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(ops, max_size=30), asked=queries)
def test_on_hand_at_any_moment_is_the_ledger_replayed_to_it_in_memory(
    template: Path, history: list[Op], asked: list[tuple[str, str | None, int]]
) -> None:
    with fresh_erp("memory", template) as erp:
        check_history(erp, history, asked)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(ops, max_size=10), asked=queries)
def test_on_hand_at_any_moment_is_the_ledger_replayed_to_it_on_sqlite(
    template: Path, history: list[Op], asked: list[tuple[str, str | None, int]]
) -> None:
    with fresh_erp("sqlite", template) as erp:
        check_history(erp, history, asked)
