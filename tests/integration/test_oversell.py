"""No oversell under concurrency: many processes, one SKU, not enough stock.

The open ERPs are known to let 20 concurrent reservations succeed against 10
units.  Here 8 processes, started together, each try 500 single-unit
reservations of the one SKU ``MUG``, of which the warehouse holds 1,000: 4,000
tries for 1,000 units.  Each try is its own command (its own transaction):
allocating one pre-imported, paid 1-unit order.  Exactly 1,000 orders must
end allocated, the other 3,000 waiting for ``MUG`` (allocation's answer to
insufficient stock), and the ledger must prove itself sound.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from ecerp import (
    EcerpError,
    OrderStatus,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from worlds import draft

STOCK = 1_000
PROCESSES = 8
TRIES_PER_PROCESS = 500
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
START_TIMEOUT = 120.0
RUN_TIMEOUT = 300.0


def order_id(n: int) -> str:
    return f"shopify/web/O{n:05d}"


def reserve_one_at_a_time(
    url: str, order_ids: list[str], start: Any, results: Any, worker: int
) -> None:
    """Child process: allocate ``order_ids`` one command each; report which
    were allocated, which wait, and any error."""
    allocated: list[str] = []
    waiting: list[str] = []
    problems: list[str] = []
    try:
        with open_erp(url, actor=f"worker-{worker}") as erp:
            start.wait(START_TIMEOUT)
            for oid in order_ids:
                try:
                    (outcome,) = erp.orders.allocate([oid]).outcomes
                except EcerpError as err:
                    problems.append(f"{oid}: {type(err).__name__}: {err}")
                    continue
                if outcome.kind is OutcomeKind.ALLOCATED:
                    allocated.append(oid)
                elif outcome.kind is OutcomeKind.WAITING and outcome.detail == "MUG":
                    waiting.append(oid)
                else:
                    problems.append(f"{oid}: unexpected outcome {outcome}")
    except Exception as err:  # noqa: BLE001  # the parent fails the test with it
        problems.append(f"worker {worker} died: {type(err).__name__}: {err}")
    results.put((worker, allocated, waiting, problems))


@pytest.mark.slow
def test_eight_processes_never_reserve_more_than_the_shelf_holds(backend_url: str) -> None:
    clock = SimulatedClock(T0)
    total = PROCESSES * TRIES_PER_PROCESS
    with open_erp(backend_url, clock=clock) as erp:
        erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
        erp.inventory.add_warehouse(Warehouse("SH"))
        erp.inventory.receive("MUG", "SH", STOCK)
        imported = erp.orders.import_orders(draft(f"O{n:05d}") for n in range(total))
        assert imported.counts() == {"created": total}

    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    # Worker w tries orders w, w+8, w+16...: the processes interleave over the
    # whole queue instead of each owning a contiguous slice.
    workers = [
        ctx.Process(
            target=reserve_one_at_a_time,
            args=(
                backend_url,
                [order_id(n) for n in range(w, total, PROCESSES)],
                start,
                results,
                w,
            ),
        )
        for w in range(PROCESSES)
    ]
    for proc in workers:
        proc.start()
    reports = []
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        for _ in workers:
            reports.append(results.get(timeout=max(1.0, deadline - time.monotonic())))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {PROCESSES} workers reported in {RUN_TIMEOUT}s")
    finally:
        for proc in workers:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        results.close()
        results.join_thread()

    problems = [p for *_, ps in reports for p in ps]
    assert problems == []
    said_allocated = {oid for _, allocated, _, _ in reports for oid in allocated}
    said_waiting = {oid for _, _, waiting, _ in reports for oid in waiting}
    tried = sum(len(a) + len(w) for _, a, w, _ in reports)
    assert tried == total
    assert len(said_allocated) == STOCK
    assert len(said_waiting) == total - STOCK

    with open_erp(backend_url, clock=clock) as erp:
        assert set(erp.orders.ids(OrderStatus.ALLOCATED)) == said_allocated
        assert set(erp.orders.ids(OrderStatus.WAITING)) == said_waiting
        position = erp.inventory.position("MUG", "SH")
        assert (position.on_hand, position.reserved, position.available) == (STOCK, STOCK, 0)
        holders = erp.snapshot().reservations
        assert set(holders) == said_allocated
        assert all(
            [(r.sku, r.warehouse, r.qty) for r in lines.values()] == [("MUG", "SH", 1)]
            for lines in holders.values()
        )
        assert erp.inventory.verify() == []
        erp.check()
