"""Contract: the stock repository keeps the ledger, the balances and the reservations.

Moves, positions, periods and reservations written through the stock book
reload exactly, and the balances a backend maintains always equal the sum of
its moves.  Part of :class:`~ecerp.testing.contracts.BackendContract`.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.errors import ClosedPeriodError, InsufficientStockError
from ecerp.domain.inventory.invariants import check_invariants
from ecerp.domain.inventory.locations import (
    ADJUSTMENT,
    CUSTOMER,
    SUPPLIER,
    Warehouse,
    WarehouseKind,
)
from ecerp.domain.inventory.moves import Move, MoveReason, Reservation
from ecerp.domain.inventory.state import StockState
from ecerp.domain.shared.errors import DuplicateError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    CST,
    HOUR,
    RICH_REQUIREMENTS,
    T0,
    UowFactory,
    _first_day,
    _position,
    _second_day,
    assert_aware_utc,
    balances_from_moves,
    commit_work,
    seed,
    seed_warehouses,
    sellable_from_balances,
    stock_state,
    value_state,
)
from ecerp.testing.contracts.stock_periods import StockPeriodContract


class StockRepositoryContract(StockPeriodContract):
    """The ledger, balances and reservations persist exactly."""

    def test_warehouses_come_back_with_every_field_in_preference_order(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, lambda uow: seed_warehouses(uow.stock.book()))

        with uow_factory() as uow:
            book = uow.stock.book()
            assert value_state(book.warehouses()) == value_state(
                [
                    Warehouse("SH", name="Shanghai", country="CN"),
                    Warehouse("NEG", name="Drop-ship hub", allow_negative=True, priority=1),
                    Warehouse(
                        "SZ",
                        name="Shenzhen 3PL",
                        kind=WarehouseKind.THIRD_PARTY,
                        priority=2,
                        country="CN",
                    ),
                ]
            )
            assert book.find_warehouse("HK") is None
            with pytest.raises(DuplicateError):
                book.add_warehouse(Warehouse("SH"))

    def test_moves_come_back_in_sequence_order_with_every_field(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        first = commit_work(uow_factory, _first_day)
        second = commit_work(uow_factory, _second_day)

        with uow_factory() as uow:
            stored = list(uow.stock.moves())

        assert value_state(stored) == value_state(first + second)
        seqs = [m.seq for m in stored]
        assert seqs == sorted(set(seqs)), "sequence numbers increase and never repeat"
        assert min(m.seq for m in second) > max(m.seq for m in first)
        for m in stored:
            assert_aware_utc(m.at)
        relocation = stored[2]
        assert (relocation.actor, relocation.note, relocation.reason) == (
            "李雷",
            "put away",
            MoveReason.RELOCATE,
        )
        assert relocation.at == T0 + 2 * HOUR

    def test_balances_are_the_sum_of_the_committed_moves(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)
        ledger = balances_from_moves(moves)

        with uow_factory() as uow:
            book = uow.stock.book()
            for (sku, location), qty in ledger.items():
                assert book.balance(sku, location) == qty, (sku, location)
            # the story in numbers: 10 red mugs in, 1 damaged, 2 sent to SZ, 1 lost
            assert book.position("MUG-RED", "SH") == _position("MUG-RED", "SH", 6, 0, 1, 0)
            assert book.balance("MUG-RED", "SH/stock/A-01") == 3
            assert book.balance("MUG-RED", "SH/stock") == 3
            assert book.position("MUG-RED", "SZ") == _position("MUG-RED", "SZ", 2, 0, 0, 0)
            # 4 damaged lids in, 6 found, 1 scrapped, 2 repaired
            assert book.position("LID", "SH") == _position("LID", "SH", 8, 0, 1, 0)
            assert book.balance("LID", SUPPLIER) == -4
            assert book.balance("LID", ADJUSTMENT) == -5
            assert book.balance("MUG-RED", ADJUSTMENT) == 1
            assert book.balance("MUG-RED", "SZ/transit") == 0
            assert book.on_hand("MUG-BLUE", "SH") == 0

    def test_goods_in_transit_are_counted_until_received(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)

        with uow_factory() as uow:
            assert uow.stock.book().position("MUG-RED", "SZ") == _position(
                "MUG-RED", "SZ", 0, 0, 0, 2
            )

    def test_reservations_persist_and_follow_release_and_shipment(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def reserve(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.receive("MUG-RED", "SH", 10, at=T0, actor="ann")
            book.receive("LID", "SH", 6, at=T0, actor="ann")
            book.reserve("order-A", RICH_REQUIREMENTS, "SH")
            book.reserve("order-B", {(1, "LID"): 1}, "SH")

        commit_work(uow_factory, reserve)

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.reservations_of("order-A") == {
                (1, "MUG-RED"): Reservation("order-A", 1, "MUG-RED", "SH", 2),
                (1, "LID"): Reservation("order-A", 1, "LID", "SH", 2),
                (2, "MUG-RED"): Reservation("order-A", 2, "MUG-RED", "SH", 3),
            }
            assert (book.reserved("MUG-RED", "SH"), book.available("MUG-RED", "SH")) == (5, 5)
            assert (book.reserved("LID", "SH"), book.available("LID", "SH")) == (3, 3)
            assert book.reservations_at("LID", "SH") == [
                Reservation("order-A", 1, "LID", "SH", 2),
                Reservation("order-B", 1, "LID", "SH", 1),
            ]
            assert book.reservations_at("MUG-RED", "SZ") == []
            book.release("order-A", {(2, "MUG-RED"): 1})
            shipped = book.ship("order-B", at=T0 + HOUR, actor="bob")
            uow.commit()

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.reservations_of("order-A")[(2, "MUG-RED")].qty == 2
            assert book.reservations_of("order-B") == {}
            assert book.reserved("MUG-RED", "SH") == 4
            assert book.reserved("LID", "SH") == 2
            assert book.on_hand("LID", "SH") == 5
            assert book.balance("LID", CUSTOMER) == 1
            assert list(uow.stock.moves(location=CUSTOMER)) == shipped
            assert shipped[0].document == "order-B"

    def test_a_whole_release_leaves_the_order_holding_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def reserve(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.receive("LID", "SH", 6, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 4}, "SH")

        commit_work(uow_factory, reserve)
        commit_work(uow_factory, lambda uow: uow.stock.book().release("order-A"))

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.reservations_of("order-A") == {}
            assert book.reservations_at("LID", "SH") == []
            assert (book.reserved("LID", "SH"), book.available("LID", "SH")) == (0, 6)
            # it may now reserve in another warehouse
            book.reserve("order-A", {(1, "LID"): 1}, "NEG")

    @pytest.mark.parametrize(
        ("sku", "location", "since_seq", "until_hours"),
        [
            ("LID", None, 0, None),
            (None, "SH/damaged", 0, None),
            (None, SUPPLIER, 0, None),
            (None, "SH/stock/A-01", 0, None),
            (None, None, 3, None),
            (None, None, 0, 3),
            ("MUG-RED", "SH/stock", 1, 26),
            ("NOPE", None, 0, None),
            (None, "XX/stock", 0, None),
            (None, None, 999, None),
            (None, None, 0, -1),
        ],
    )
    def test_moves_can_be_filtered_by_sku_location_sequence_and_time(
        self,
        uow_factory: UowFactory,
        sku: str | None,
        location: str | None,
        since_seq: int,
        until_hours: int | None,
    ) -> None:
        commit_work(uow_factory, seed)
        committed = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)
        until = None if until_hours is None else T0 + until_hours * HOUR
        # the port's rule: sequence order; the SKU; a location the move leaves
        # or enters; after since_seq (exclusive); at or before until (inclusive)
        expected = [
            m
            for m in committed
            if (sku is None or m.sku == sku)
            and (location is None or location in (m.source, m.dest))
            and m.seq > since_seq
            and (until is None or m.at <= until)
        ]

        with uow_factory() as uow:
            found = list(
                uow.stock.moves(sku=sku, location=location, since_seq=since_seq, until=until)
            )

        assert value_state(found) == value_state(expected)

    def test_history_reads_only_committed_moves(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        first = commit_work(uow_factory, _first_day)

        with uow_factory() as uow:
            _second_day(uow)
            assert list(uow.stock.moves()) == first

    def test_a_snapshot_is_a_complete_copy_that_passes_the_invariant_checks(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)

        def reserve(uow: UnitOfWork) -> None:
            uow.stock.book().reserve("order-A", {(1, "LID"): 2, (2, "MUG-RED"): 1}, "SH")

        commit_work(uow_factory, reserve)

        with uow_factory() as uow:
            snapshot = uow.stock.snapshot()

        check_invariants(snapshot)
        ledger = balances_from_moves(moves)
        expected_warehouses = StockBook(StockState())
        seed_warehouses(expected_warehouses)
        assert stock_state(snapshot) == {
            "warehouses": value_state(
                sorted(expected_warehouses.warehouses(), key=lambda w: w.code)
            ),
            "moves": value_state(moves),
            "on_hand": value_state(ledger),
            "sellable": value_state(sellable_from_balances(ledger)),
            "reserved": value_state({("LID", "SH"): 2, ("MUG-RED", "SH"): 1}),
            "reservations": value_state(
                {
                    "order-A": {
                        (1, "LID"): Reservation("order-A", 1, "LID", "SH", 2),
                        (2, "MUG-RED"): Reservation("order-A", 2, "MUG-RED", "SH", 1),
                    }
                }
            ),
            "closed_until": value_state(None),
        }

    def test_a_snapshot_does_not_change_when_the_books_do(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)
        with uow_factory() as uow:
            snapshot = uow.stock.snapshot()
        taken = stock_state(snapshot)

        commit_work(uow_factory, _second_day)
        commit_work(
            uow_factory, lambda uow: uow.stock.book().reserve("o", {(1, "MUG-RED"): 1}, "SH")
        )

        assert stock_state(snapshot) == taken
        snapshot.moves.clear()
        snapshot.on_hand.clear()
        snapshot.reservations.clear()
        with uow_factory() as uow:
            again = uow.stock.snapshot()
            assert len(again.moves) == 10
            assert uow.stock.book().on_hand("MUG-RED", "SH") == 6
            assert uow.stock.book().reserved("MUG-RED", "SH") == 1
        check_invariants(again)

    def test_a_snapshot_leaves_out_uncommitted_work(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)
        with uow_factory() as uow:
            committed = stock_state(uow.stock.snapshot())

        with uow_factory() as uow:
            _second_day(uow)
            uow.stock.book().add_warehouse(Warehouse("HK"))
            assert stock_state(uow.stock.snapshot()) == committed

    def test_the_ledger_check_finds_nothing_wrong_with_books_kept_by_the_rules(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)

        def reserve_and_ship(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.reserve("order-A", {(1, "MUG-RED"): 2, (2, "LID"): 1}, "SH")
            book.reserve("order-B", {(1, "MUG-RED"): 1}, "SH")
            book.ship("order-B", at=T0 + 6 * HOUR, actor="bob")

        commit_work(uow_factory, reserve_and_ship)
        commit_work(uow_factory, _second_day)
        with uow_factory() as uow:
            before = stock_state(uow.stock.snapshot())
            assert uow.stock.verify() == []

        assert commit_work(uow_factory, lambda uow: uow.stock.rebuild()) == 0

        with uow_factory() as uow:
            assert stock_state(uow.stock.snapshot()) == before
            assert uow.stock.verify() == []

    def test_a_closed_period_persists_and_refuses_back_dated_moves(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        closing = datetime(2026, 3, 1, 8, 0, tzinfo=CST)
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(closing))

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.closed_until == closing
            assert_aware_utc(book.closed_until)
            assert uow.stock.snapshot().closed_until == closing
            with pytest.raises(ClosedPeriodError):
                book.receive("LID", "SH", 1, at=closing - HOUR, actor="ann")
            book.receive("LID", "SH", 1, at=closing, actor="ann")

    def test_negative_stock_where_a_warehouse_allows_it_persists(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def oversell(uow: UnitOfWork) -> list[Move]:
            book = uow.stock.book()
            book.receive("LID", "NEG", 1, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 3}, "NEG")
            return book.ship("order-A", at=T0, actor="bob")

        commit_work(uow_factory, oversell)

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.on_hand("LID", "NEG") == -2
            assert book.balance("LID", "NEG/stock") == -2
            assert book.balance("LID", CUSTOMER) == 3
            snapshot = uow.stock.snapshot()
        check_invariants(snapshot)

    def test_a_refused_stock_operation_leaves_the_rest_of_the_unit_to_commit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def work(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.receive("LID", "SH", 5, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 4}, "SH")
            with pytest.raises(InsufficientStockError) as short:
                book.adjust("LID", "SH", -2, at=T0, actor="ann", note="lost")
            assert (short.value.requested, short.value.available) == (2, 1)
            with pytest.raises(InsufficientStockError):
                book.reserve("order-B", {(1, "LID"): 1, (2, "MUG-RED"): 1}, "SH")
            book.reserve("order-C", {(1, "LID"): 1}, "SH")

        commit_work(uow_factory, work)

        with uow_factory() as uow:
            book = uow.stock.book()
            assert (book.on_hand("LID", "SH"), book.reserved("LID", "SH")) == (5, 5)
            assert book.reservations_of("order-B") == {}
            assert len(uow.stock.moves()) == 1
            snapshot = uow.stock.snapshot()
        check_invariants(snapshot)
