"""Prefetch hints live on the stock repository port (``uow.stock.prefetch...``)
and never change an answer, on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecerp.adapters.memory import MemoryStore, MemoryUnitOfWork
from ecerp.adapters.sql import SqlUnitOfWork, make_engine
from ecerp.domain.inventory.locations import CUSTOMER, Warehouse, stock_location
from ecerp.domain.inventory.moves import Reservation
from ecerp.ports.stock import shipping_reads
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts import UowFactory, commit_work
from sqlsupport import drop_postgres_database, fresh_postgres_url, postgres_admin_url, sqlite_url

AT = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    if request.param == "memory":
        store = MemoryStore()
        yield lambda: MemoryUnitOfWork(store)
        return
    if request.param == "sqlite":
        url = sqlite_url(tmp_path, "hints.db")
    else:
        if postgres_admin_url() is None:
            pytest.skip("ECERP_TEST_POSTGRES_URL is not set")
        url = fresh_postgres_url()
    db = make_engine(url)
    try:
        yield lambda: SqlUnitOfWork(db)
    finally:
        db.dispose()
        if request.param == "postgres":
            drop_postgres_database(url)


def _stock(uow_factory: UowFactory) -> None:
    def work(uow: UnitOfWork) -> None:
        book = uow.stock.book()
        book.add_warehouse(Warehouse("SH"))
        book.add_warehouse(Warehouse("SZ"))
        book.receive("MUG", "SH", 10, at=AT, actor="ann")
        book.receive("LID", "SZ", 4, at=AT, actor="ann")
        book.reserve("o-1", {(1, "MUG"): 3}, "SH")
        book.reserve("o-2", {(1, "LID"): 4}, "SZ")

    commit_work(uow_factory, work)


def test_prefetch_hints_on_the_port_change_no_answer(uow_factory: UowFactory) -> None:
    _stock(uow_factory)
    with uow_factory() as uow:
        uow.stock.prefetch([("MUG", "SH"), ("LID", "SZ"), ("NONE", "SH")])
        uow.stock.prefetch_balances([("MUG", stock_location("SH")), ("NONE", CUSTOMER)])
        uow.stock.prefetch_reservations(["o-1", "o-2", "o-unknown"])
        book = uow.stock.book()
        assert book.available("MUG", "SH") == 7
        assert book.available("LID", "SZ") == 0
        assert book.available("NONE", "SH") == 0
        assert book.on_hand("MUG", "SH") == 10
        assert book.balance("NONE", CUSTOMER) == 0
        assert set(book.reservations_of("o-1")) == {(1, "MUG")}
        assert book.reservations_of("o-unknown") == {}


def test_prefetch_shipping_then_shipping_gives_what_shipping_alone_gives(
    uow_factory: UowFactory,
) -> None:
    _stock(uow_factory)
    with uow_factory() as uow:
        uow.stock.prefetch_shipping(["o-1", "o-2"])
        book = uow.stock.book()
        moves = book.ship("o-1", at=AT, actor="bob") + book.ship("o-2", at=AT, actor="bob")
        uow.commit()
    assert sorted((m.sku, m.qty) for m in moves) == [("LID", 4), ("MUG", 3)]
    with uow_factory() as uow:
        book = uow.stock.book()
        assert (book.on_hand("MUG", "SH"), book.balance("MUG", CUSTOMER)) == (7, 3)
        assert (book.on_hand("LID", "SZ"), book.available("LID", "SZ")) == (0, 0)
        assert book.reservations_of("o-1") == {}


def test_a_shipment_reads_the_bin_or_stock_location_the_customer_and_the_position() -> None:
    lines = [Reservation("o-1", 1, "MUG", "SH", 2), Reservation("o-1", 2, "LID", "SH", 1)]
    keys, positions = shipping_reads(lines, bin="A-01")
    assert keys == {
        ("MUG", stock_location("SH", "A-01")),
        ("LID", stock_location("SH", "A-01")),
        ("MUG", CUSTOMER),
        ("LID", CUSTOMER),
    }
    assert positions == {("MUG", "SH"), ("LID", "SH")}
