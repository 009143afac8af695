"""Contract: closed periods, stock as of a past moment, and the stock report.

Closing a period snapshots every balance at its end; reading stock as of a
moment replays the ledger up to it (through the snapshot), reads committed
moves only, and refuses naive moments.  Part of
:class:`~ecerp.testing.contracts.StockRepositoryContract`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from ecerp.domain.inventory.invariants import check_invariants
from ecerp.domain.inventory.moves import Move, MoveReason, StockLine
from ecerp.domain.shared.errors import NotFoundError, ValidationError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    CST,
    HOUR,
    T0,
    UowFactory,
    _BackendFixtures,
    _first_day,
    _second_day,
    balances_from_moves,
    commit_work,
    seed,
    sellable_from_balances,
)


class StockPeriodContract(_BackendFixtures):
    """Closed periods, as-of reads and the stock report."""

    def test_closing_a_period_snapshots_every_balance_at_its_end(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day)
        closings = [T0 + 3 * HOUR, T0 + 3 * HOUR, T0 + 30 * HOUR]

        def close(until: datetime) -> Callable[[UnitOfWork], None]:
            return lambda uow: uow.stock.book().close_period(until)

        for closing in closings[:2]:  # closing twice at one moment changes nothing
            commit_work(uow_factory, close(closing))
        moves += commit_work(uow_factory, _second_day)
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(closings[2]))

        with uow_factory() as uow:
            snapshot = uow.stock.snapshot()
        check_invariants(snapshot)
        # the independent model: each period sums the moves dated before its end
        assert {until: dict(b) for until, b in snapshot.periods.items()} == {
            until: balances_from_moves(m for m in moves if m.at < until)
            for until in (closings[0], closings[2])
        }

    def test_on_hand_at_any_moment_equals_replaying_the_ledger_up_to_it(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        committed = commit_work(uow_factory, _first_day)
        first_close = T0 + 3 * HOUR  # between the first day's moves
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(first_close))

        def back_dated(uow: UnitOfWork) -> list[Move]:
            """Booked after the close, dated before moves already booked
            (but not before the closed date), one exactly at it."""
            book = uow.stock.book()
            return [
                book.move(
                    "MUG-RED",
                    "SH/stock",
                    "SH/stock/B-02",
                    2,
                    MoveReason.RELOCATE,
                    at=first_close,
                    actor="ann",
                ),
                book.receive("LID", "SZ", 5, at=first_close + HOUR / 2, actor="ann"),
                book.adjust("MUG-RED", "SH", 4, at=T0 + 4 * HOUR, actor="ann", note="found"),
            ]

        committed += commit_work(uow_factory, back_dated)
        committed += commit_work(uow_factory, _second_day)
        second_close = T0 + timedelta(days=1, minutes=90)  # in the second day
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(second_close))

        def later(uow: UnitOfWork) -> list[Move]:
            book = uow.stock.book()
            return [
                book.move(
                    "MUG-RED",
                    "SH/stock/A-01",
                    "SH/stock",
                    1,
                    MoveReason.RELOCATE,
                    at=second_close,
                    actor="bob",
                ),
                book.receive("MUG-RED", "SZ", 3, at=second_close + HOUR, actor="bob"),
                book.transfer_out(
                    "MUG-RED", "SH", "SZ", 1, at=T0 + 3 * 24 * HOUR, actor="bob", document="TR-2"
                ),
            ]

        committed += commit_work(uow_factory, later)
        moments = sorted(
            {m.at for m in committed} | {first_close, second_close, T0 - timedelta(microseconds=1)}
        )
        moments += [t + timedelta(microseconds=1) for t in moments] + [T0 + 365 * 24 * HOUR]

        def replayed(sku: str, warehouse: str | None, at: datetime) -> int:
            def counts(location: str) -> bool:
                home, _, rest = location.partition("/")
                kind = rest.split("/")[0]
                return kind == "stock" and warehouse in (None, home)

            return sum(
                (m.qty if counts(m.dest) else 0) - (m.qty if counts(m.source) else 0)
                for m in committed
                if m.sku == sku and m.at <= at
            )

        with uow_factory() as uow:
            stock = uow.stock
            for sku in ("MUG-RED", "LID", "MUG-BLUE"):
                for warehouse in ("SH", "SZ", "NEG", None):
                    for at in moments:
                        expected = replayed(sku, warehouse, at)
                        assert stock.on_hand_at(sku, warehouse, at) == expected, (
                            sku,
                            warehouse,
                            at,
                        )
            # a moment in another time zone is the same moment
            assert stock.on_hand_at("MUG-RED", "SH", (T0 + HOUR).astimezone(CST)) == 10
            # before any move there is nothing; now, the book says the same as history
            assert stock.on_hand_at("MUG-RED", None, T0 - HOUR) == 0
            book = stock.book()
            for sku in ("MUG-RED", "LID"):
                for warehouse in ("SH", "SZ"):
                    assert stock.on_hand_at(sku, warehouse, T0 + 999 * HOUR) == book.on_hand(
                        sku, warehouse
                    )

    def test_on_hand_at_reads_committed_moves_only(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)

        with uow_factory() as uow:
            uow.stock.book().receive("MUG-RED", "SH", 50, at=T0, actor="ann")
            uow.stock.book().close_period(T0 + 2 * HOUR)
            assert uow.stock.on_hand_at("MUG-RED", "SH", T0 + HOUR) == 10
            assert uow.stock.report(at=T0 + HOUR) == [StockLine("MUG-RED", "SH", 10, 0, 10)]

        with uow_factory() as uow:  # the abandoned close left no period behind
            assert uow.stock.snapshot().periods == {}
            assert uow.stock.on_hand_at("MUG-RED", "SH", T0 + HOUR) == 10

    def test_as_of_reads_refuse_naive_moments_and_unknown_warehouses(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        naive = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - the bad input under test

        with uow_factory() as uow:
            stock = uow.stock
            with pytest.raises(ValidationError):
                stock.on_hand_at("MUG-RED", "SH", naive)
            with pytest.raises(ValidationError):
                stock.report(at=naive)
            with pytest.raises(NotFoundError):
                stock.on_hand_at("MUG-RED", "HK", T0)
            with pytest.raises(NotFoundError):
                stock.report("HK")
            with pytest.raises(NotFoundError):
                stock.report("HK", at=T0)

    def test_the_stock_report_lists_each_sku_and_warehouse_with_stock(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)

        def reserve(uow: UnitOfWork) -> list[Move]:
            book = uow.stock.book()
            received = book.receive("MUG-BLUE", "NEG", 1, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 2, (2, "MUG-RED"): 1}, "SH")
            book.reserve("order-B", {(1, "MUG-BLUE"): 3}, "NEG")  # negative stock allowed
            book.reserve("order-C", {(1, "LID"): 1}, "SH")
            return [received, *book.ship("order-C", at=T0 + 30 * HOUR, actor="bob")]

        moves += commit_work(uow_factory, reserve)
        # independent model: on hand from the moves, reserved from what was reserved
        on_hand = sellable_from_balances(balances_from_moves(moves))
        reserved = {("LID", "SH"): 2, ("MUG-RED", "SH"): 1, ("MUG-BLUE", "NEG"): 3}
        expected = [
            StockLine(
                sku,
                wh,
                on_hand.get((sku, wh), 0),
                reserved.get((sku, wh), 0),
                on_hand.get((sku, wh), 0) - reserved.get((sku, wh), 0),
            )
            for sku, wh in sorted(set(on_hand) | set(reserved))
        ]
        assert [(line.sku, line.warehouse) for line in expected] == [
            ("LID", "SH"),
            ("MUG-BLUE", "NEG"),
            ("MUG-RED", "SH"),
            ("MUG-RED", "SZ"),
        ]

        with uow_factory() as uow:
            assert uow.stock.report() == expected
            assert uow.stock.report("SH") == [line for line in expected if line.warehouse == "SH"]
            assert uow.stock.report("SZ") == [StockLine("MUG-RED", "SZ", 2, 0, 2)]

    def test_the_stock_report_as_of_a_past_moment_shows_on_hand_then(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day)
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(T0 + 3 * HOUR))
        moves += commit_work(uow_factory, _second_day)
        commit_work(
            uow_factory, lambda uow: uow.stock.book().reserve("order-A", {(1, "LID"): 2}, "SH")
        )

        def expected(at: datetime, warehouse: str | None = None) -> list[StockLine]:
            on_hand = sellable_from_balances(balances_from_moves(m for m in moves if m.at <= at))
            return [
                StockLine(sku, wh, qty, 0, qty)
                for (sku, wh), qty in sorted(on_hand.items())
                if warehouse in (None, wh)
            ]

        with uow_factory() as uow:
            for at in sorted({m.at for m in moves} | {T0 + 3 * HOUR}):
                assert uow.stock.report(at=at) == expected(at), at
                assert uow.stock.report("SH", at=at) == expected(at, "SH"), at
            assert uow.stock.report(at=T0 - HOUR) == []
            assert uow.stock.report(at=T0 + 5 * HOUR)[0] == StockLine("LID", "SH", 6, 0, 6)
