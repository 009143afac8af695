"""Writers of unrelated SKUs do not wait for, or collide with, each other.

Every move gets a sequence number.  They used to be numbered on from the
highest stored one, so on PostgreSQL two units receiving *different* SKUs
at once took the same number and one of them lost the race (8 processes
receiving their own SKUs still failed after 8 attempts).  PostgreSQL now
draws numbers from a sequence that never waits: numbers may have gaps, and
:meth:`moves` stays ordered by them (see docs/persistence.md for what that
order means).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from ecerp import EcerpError, Sku, Warehouse, open_erp
from ecerp.adapters.sql import SqlUnitOfWork, make_engine
from ecerp.domain.inventory.locations import SUPPLIER

PROCESSES = 4
RECEIPTS = 60
RUN_TIMEOUT = 300.0


def _warehouse_with(url: str, skus: list[str]) -> None:
    with open_erp(url) as erp:
        erp.catalog.add(*(Sku(s) for s in skus))
        erp.inventory.add_warehouse(Warehouse("SH"))
        for sku in skus:
            erp.inventory.receive(sku, "SH", 1)


def test_two_units_receiving_different_skus_at_once_both_commit(postgres_url: str) -> None:
    """(SQLite writers take turns on the database lock: no such overlap.)"""
    _warehouse_with(postgres_url, ["MUG", "LID"])
    db = make_engine(postgres_url)
    try:
        with SqlUnitOfWork(db) as mugs, SqlUnitOfWork(db) as lids:
            mug = mugs.stock.book().receive("MUG", "SH", 2, at=_now(), actor="ann")
            lid = lids.stock.book().receive("LID", "SH", 3, at=_now(), actor="bob")
            mugs.commit()
            lids.commit()
        assert mug.seq != lid.seq
        with SqlUnitOfWork(db, readonly=True) as uow:
            stored = list(uow.stock.moves())
            assert [m.seq for m in stored] == sorted(m.seq for m in stored)
            assert {m.seq for m in stored} >= {mug.seq, lid.seq}
            assert uow.stock.verify() == []
    finally:
        db.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def receive_again_and_again(url: str, sku: str, start: Any, results: Any) -> None:
    """Child process: receive one unit of its own ``sku`` ``RECEIPTS`` times,
    each its own command; report every error that reached it."""
    problems: list[str] = []
    try:
        with open_erp(url, actor=sku) as erp:
            start.wait(120)
            for _ in range(RECEIPTS):
                try:
                    erp.inventory.receive(sku, "SH", 1)
                except EcerpError as err:
                    problems.append(f"{type(err).__name__}: {err}")
    except Exception as err:  # noqa: BLE001 - the parent fails the test with it
        problems.append(f"{sku} died: {type(err).__name__}: {err}")
    results.put((sku, problems))


@pytest.mark.slow
def test_processes_receiving_their_own_skus_all_succeed(backend_url: str) -> None:
    skus = [f"SKU-{n}" for n in range(PROCESSES)]
    _warehouse_with(backend_url, skus)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=receive_again_and_again, args=(backend_url, sku, start, results))
        for sku in skus
    ]
    for proc in workers:
        proc.start()
    reports = []
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        for _ in workers:
            reports.append(results.get(timeout=max(1.0, deadline - time.monotonic())))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {PROCESSES} workers reported")
    finally:
        for proc in workers:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        results.close()
        results.join_thread()

    assert [p for _, ps in reports for p in ps] == []
    with open_erp(backend_url) as erp:
        for sku in skus:
            assert erp.inventory.position(sku, "SH").on_hand == 1 + RECEIPTS
        moves = erp.inventory.moves()
        assert len(moves) == PROCESSES * (1 + RECEIPTS)
        seqs = [m.seq for m in moves]
        assert seqs == sorted(set(seqs))
        for sku in skus:
            # each SKU's receipts come back in the order they were booked
            mine = [m for m in moves if m.sku == sku]
            assert [m.at for m in mine] == sorted(m.at for m in mine)
        assert erp.inventory.verify() == []
        erp.check()


def test_receipts_of_the_same_stock_are_numbered_in_the_order_they_committed(
    postgres_url: str,
) -> None:
    """The first unit holds MUG's stock (it read it, under lock) but has not
    made its move yet; the second unit's receipt of MUG waits for it.  The
    second must not have drawn its number before waiting, or the ledger
    would list it before a move that committed earlier."""
    _warehouse_with(postgres_url, ["MUG"])
    db = make_engine(postgres_url)
    first_holds_mug = threading.Event()
    seqs: dict[str, int] = {}

    def first() -> None:
        with SqlUnitOfWork(db) as uow:
            book = uow.stock.book()
            book.balance("MUG", SUPPLIER)  # read under lock, as a receipt does first
            first_holds_mug.set()
            time.sleep(0.5)  # the second unit is queueing for MUG by now
            seqs["first"] = book.receive("MUG", "SH", 1, at=_now(), actor="ann").seq
            uow.commit()

    def second() -> None:
        first_holds_mug.wait(30)
        with SqlUnitOfWork(db) as uow:
            seqs["second"] = uow.stock.book().receive("MUG", "SH", 2, at=_now(), actor="bob").seq
            uow.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with SqlUnitOfWork(db, readonly=True) as uow:
            ledger = [(m.actor, m.qty) for m in uow.stock.moves(sku="MUG")]
    finally:
        db.dispose()
    assert seqs["first"] < seqs["second"]
    assert ledger[-2:] == [("ann", 1), ("bob", 2)]
