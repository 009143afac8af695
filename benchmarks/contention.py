"""Speed under contention: a flash-sale backlog, and several processes.

``backlog``
    A flash sale sold out: ``backlog`` orders wait for one SKU, then the
    web shop's webhooks go on arriving for it (``erp.orders.accept`` of one
    order each).  The figure is the per-call median against the same
    webhooks with no backlog (the ratio the issue bounds at 2x), measured
    right after the backlog was built (``sold_out_cold``) and after the
    routine maintenance PostgreSQL's autovacuum does within a minute
    (``sold_out``).  A variant: stock arrives for a tenth of the backlog (the
    receipt serves the oldest orders), then the webhooks again.
``processes``
    1, 2 and 4 processes share one database (SQLite or PostgreSQL; memory is
    one process by nature) and each runs a mixed workload: webhook accepts
    of one order (half for SKUs every process sells, half for its own),
    receipts (shared and own SKUs), and picking and shipping what it
    allocated.  Reported per process count: orders/s over the wall time,
    and every exception that reached a caller (an *escaped error*), by type
    and by operation, with a sample message.  The bar on a 2-core machine
    is no escaped error, not scaling.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
import traceback
from collections import Counter
from datetime import timedelta
from typing import Any

from benchmarks.scenarios import TUNE_GC, BenchClock, fresh, latency, rate, rss_mb, timed
from benchmarks.workload import START, Size
from ecerp import (
    ERP,
    ChannelLine,
    ChannelOrder,
    Money,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)

FLASH = "FLASH"
#: Orders waiting for the sold-out SKU, per size.
BACKLOG = {"tiny": 200, "small": 2_000, "medium": 20_000, "large": 20_000}
#: Webhook calls measured per phase, per size.
WEBHOOKS = {"tiny": 20, "small": 60, "medium": 30, "large": 60}
#: Operations each process runs in the several-processes scenario, per size.
OPERATIONS = {"tiny": 20, "small": 300, "medium": 1_000, "large": 3_000}
PROCESS_COUNTS = (1, 2, 4)


def _draft(ref: str, sku: str, minutes: float, qty: int = 1) -> ChannelOrder:
    return ChannelOrder(
        "shopify",
        "web",
        ref,
        START - timedelta(days=1) + timedelta(minutes=minutes),
        "EUR",
        (ChannelLine(sku, qty, Money.of("19.90", "EUR")),),
        paid=True,
    )


# --- a flash sale's backlog ------------------------------------------------------------------


def _webhooks(erp: ERP, clock: BenchClock, prefix: str, n: int, start: float) -> dict[str, Any]:
    """``n`` webhook calls of one order for the flash SKU; their latency and
    where the orders ended."""
    samples: list[float] = []
    kinds: Counter[str] = Counter()
    first: Any = None
    for i in range(n):
        clock.at += timedelta(seconds=1)
        draft = _draft(f"{prefix}{i}", FLASH, start + i)
        result, seconds = timed(lambda d=draft: erp.orders.accept([d]))  # type: ignore[misc]
        samples.append(seconds)
        first = first or result
        kinds[next(iter(result)).kind.value] += 1
    return {"per_call": latency(samples), "outcomes": dict(kinds)}


def backlog(url: str, size: Size, seed: int) -> dict[str, Any]:
    """A sold-out flash sale: the webhook's latency with ``BACKLOG`` orders
    waiting for its SKU, against the same with none waiting; then stock for
    a tenth of the backlog arrives and the webhooks go on."""
    _ = seed
    n_backlog, n_calls = BACKLOG[size.name], WEBHOOKS[size.name]
    clock = BenchClock(START)
    fresh(url)
    started = time.perf_counter()
    erp = open_erp(url, clock=clock, tune_gc=TUNE_GC)
    erp.catalog.add(Sku(FLASH), Shop("web", "shopify", currency="EUR"))
    for code in ("WH1", "WH2"):
        erp.inventory.add_warehouse(Warehouse(code))
    empty = _webhooks(erp, clock, "E", n_calls, 0)
    chunk = 5_000
    for at in range(0, n_backlog, chunk):
        drafts = [
            _draft(f"B{i}", FLASH, 1_000 + i / 100) for i in range(at, min(at + chunk, n_backlog))
        ]
        erp.orders.process(drafts)
    setup_s = time.perf_counter() - started
    # right away, before the database's routine maintenance has run
    cold = _webhooks(erp, clock, "C", n_calls, 5_000)
    maintenance_s = _maintenance(url)
    waiting = len(erp.orders.ids(*_waiting()))
    sold_out = _webhooks(erp, clock, "S", n_calls, 10_000)
    served = n_backlog // 10
    clock.at += timedelta(minutes=1)
    _, receipt_s = timed(lambda: erp.inventory.receive(FLASH, "WH2", served))
    waiting_after = len(erp.orders.ids(*_waiting()))
    restocked = _webhooks(erp, clock, "R", n_calls, 20_000)
    peak = rss_mb()
    discrepancies = erp.inventory.verify()
    erp.close()
    base = empty["per_call"]["median_ms"]
    return {
        "backlog": n_backlog,
        "waiting_before": waiting,
        "webhooks_per_phase": n_calls,
        "setup_s": round(setup_s, 3),
        "empty_backlog": empty,
        "sold_out_cold": cold,
        "sold_out_cold_ratio": round(cold["per_call"]["median_ms"] / base, 2) if base else None,
        "maintenance_s": maintenance_s,
        "sold_out": sold_out,
        "sold_out_ratio": round(sold_out["per_call"]["median_ms"] / base, 2) if base else None,
        "restock": {
            "received": served,
            "receipt_s": round(receipt_s, 3),
            "served_by_receipt": waiting + n_calls - waiting_after,
            **restocked,
        },
        "restock_ratio": round(restocked["per_call"]["median_ms"] / base, 2) if base else None,
        "rss_mb": {"peak": peak},
        "check": {"ledger_verified": not discrepancies},
        "how": "erp.orders.accept([one order for the sold-out SKU]) per call; "
        "ratio = median with the backlog / median with none (bar: 2x)",
    }


def _maintenance(url: str) -> float | None:
    """What PostgreSQL's autovacuum does within a minute of the backlog's
    20,000 status changes (its naptime), done now: ``VACUUM (ANALYZE)`` of
    the order tables, so dead index entries are gone and the planner has
    statistics.  Its seconds; ``None`` for other backends (nothing to do)."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            started = time.perf_counter()
            conn.execute(text("VACUUM (ANALYZE) orders, order_skus"))
            return round(time.perf_counter() - started, 3)
    finally:
        engine.dispose()


def _waiting() -> tuple[Any, ...]:
    from ecerp import OrderStatus

    return (OrderStatus.WAITING,)


# --- several processes on one database -----------------------------------------------------------

SHARED = tuple(f"HOT{i}" for i in range(3))
OWN_SKUS = 3


def _own(worker: int) -> tuple[str, ...]:
    return tuple(f"P{worker}-{i}" for i in range(OWN_SKUS))


def _error_name(err: BaseException) -> str:
    cls = type(err)
    return f"{cls.__module__}.{cls.__qualname__}"


def worker(
    url: str,
    index: int,
    operations: int,
    seed: int,
    start: Any,
    results: Any,
) -> None:
    """One process of the mixed workload (run in a fresh interpreter).
    Every exception a call raises is counted, never re-raised: the scenario
    reports what escaped, the workload goes on."""
    rng = random.Random(seed * 100 + index)
    errors: Counter[str] = Counter()
    by_operation: dict[str, Counter[str]] = {}
    samples: dict[str, str] = {}
    done: Counter[str] = Counter()
    orders = 0

    def escaped(op: str, err: BaseException) -> None:
        name = _error_name(err)
        errors[name] += 1
        by_operation.setdefault(op, Counter())[name] += 1
        if name not in samples:
            text = " ".join(str(err).split())[:300]
            where = traceback.extract_tb(err.__traceback__)[-1]
            samples[name] = f"{op}: {text} (at {os.path.basename(where.filename)}:{where.lineno})"

    erp: ERP | None = None
    try:  # every process opens the store at about the same time
        erp = open_erp(url, tune_gc=TUNE_GC)
    except Exception as err:  # noqa: BLE001  every escaped error is the figure
        escaped("open", err)
    start.wait()  # then all start together
    began = time.perf_counter()
    allocated: list[str] = []
    for n in range(operations if erp is not None else 0):
        assert erp is not None
        roll = rng.random()
        shared = rng.random() < 0.5
        sku = rng.choice(SHARED if shared else _own(index))
        warehouse = rng.choice(("WH1", "WH2"))
        try:
            if roll < 0.6:
                op = "accept"
                result = erp.orders.accept([_draft(f"W{index}-{n}", sku, n, rng.choice((1, 2)))])
                orders += 1
                allocated += [
                    o.order for o in result if o.kind is OutcomeKind.ALLOCATED and o.order
                ]
            elif roll < 0.8:
                op = "receive"
                erp.inventory.receive(sku, warehouse, rng.randint(1, 6))
            else:
                op = "pick_ship"
                batch, allocated = allocated[:5], allocated[5:]
                if batch:
                    erp.orders.pick(batch)
                    erp.orders.ship(batch)
            done[op] += 1
        except Exception as err:  # noqa: BLE001  every escaped error is the figure
            escaped(op, err)
    seconds = time.perf_counter() - began
    if erp is not None:
        try:
            erp.close()
        except Exception as err:  # noqa: BLE001
            escaped("close", err)
    results.put(
        {
            "worker": index,
            "seconds": seconds,
            "orders": orders,
            "operations": dict(done),
            "escaped_errors": dict(errors),
            "escaped_by_operation": {op: dict(c) for op, c in by_operation.items()},
            "samples": samples,
        }
    )


def _prepare(url: str, workers: int) -> None:
    fresh(url)
    erp = open_erp(url, tune_gc=TUNE_GC)
    try:
        codes = [*SHARED, *(s for w in range(workers) for s in _own(w))]
        erp.catalog.add(*(Sku(c) for c in codes), Shop("web", "shopify", currency="EUR"))
        for code in ("WH1", "WH2"):
            erp.inventory.add_warehouse(Warehouse(code))
        for sku in codes:
            erp.inventory.receive(sku, "WH1", 20)
    finally:
        erp.close()


def processes(url: str, size: Size, seed: int) -> dict[str, Any]:
    """The mixed workload from 1, 2 and 4 processes sharing ``url``."""
    if url.startswith("memory:"):
        return {"skipped": "an in-memory store lives in one process"}
    operations = OPERATIONS[size.name]
    context = multiprocessing.get_context("spawn")
    runs = []
    for count in PROCESS_COUNTS:
        _prepare(url, count)
        start = context.Barrier(count + 1)
        results = context.Queue()
        procs = [
            context.Process(target=worker, args=(url, i, operations, seed, start, results))
            for i in range(count)
        ]
        for p in procs:
            p.start()
        start.wait(timeout=600)  # every process has opened the store
        began = time.perf_counter()
        reports = [results.get(timeout=1_800) for _ in procs]
        wall = time.perf_counter() - began
        for p in procs:
            p.join()
        errors: Counter[str] = Counter()
        by_operation: dict[str, Counter[str]] = {}
        samples: dict[str, str] = {}
        for r in reports:
            errors.update(r["escaped_errors"])
            for op, counts in r["escaped_by_operation"].items():
                by_operation.setdefault(op, Counter()).update(counts)
            for name, text in r["samples"].items():
                samples.setdefault(name, text)
        erp = open_erp(url, tune_gc=TUNE_GC)
        try:
            discrepancies = erp.inventory.verify()
        finally:
            erp.close()
        orders = sum(r["orders"] for r in reports)
        runs.append(
            {
                "processes": count,
                "operations_per_process": operations,
                "orders": orders,
                "seconds": round(wall, 3),
                "orders_per_s": rate(orders, wall),
                "escaped_errors": dict(errors),
                "escaped_total": sum(errors.values()),
                "escaped_by_operation": {op: dict(c) for op, c in by_operation.items()},
                "samples": samples,
                "exit_codes": [p.exitcode for p in procs],
                "check": {"ledger_verified": not discrepancies},
                "per_process": [
                    {k: r[k] for k in ("worker", "seconds", "orders", "operations")}
                    for r in sorted(reports, key=lambda r: r["worker"])
                ],
            }
        )
    return {
        "runs": runs,
        "escaped_total": sum(r["escaped_total"] for r in runs),
        "orders_per_s": max(r["orders_per_s"] for r in runs),
        "how": "each process: 60% accept of 1 order (half shared SKUs), 20% receipts, "
        "20% pick+ship of what it allocated; every exception a call raised is counted "
        "by type (an escaped error) and the process goes on",
    }


SCENARIOS = {"backlog": backlog, "processes": processes}
