"""The measurements.  Each scenario runs in its own process (see
``benchmarks.__main__``), so the peak RSS it reports is its own.

``batch``
    One big batch through the public API: import every order in one call,
    allocate every ready order in one call, then pick and ship every
    allocated order (one call each).  Timed per call; the drafts are built
    before the clock starts.
``single``
    The webhook case: each order imported and allocated in its own call, one
    transaction (``erp.orders.accept``); and, for comparison, as an import
    call then an allocate call (two transactions).
``ledger``
    Query benchmarks on a ledger built through the public use cases in big
    commands (stock-takes, then transfers of every SKU back and forth between
    two warehouses) until it holds at least the requested number of moves.

Every scenario runs against a fresh store: ``memory://``, a new SQLite file,
or a PostgreSQL database whose ecerp schema is dropped and recreated.
"""

from __future__ import annotations

import gc
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.workload import START, Size, Workload
from ecerp import ERP, OrderStatus, OutcomeKind, Sku, Warehouse, open_erp
from ecerp.bootstrap import downgrade_database, upgrade_database

#: Every ERP the benchmarks open lets batch commands pause the host's garbage
#: collector (``open_erp(tune_gc=True)``, off by default: the collector is the
#: host process's).  Before the option existed batch commands always did, so
#: figures stay comparable with earlier runs; each "gc" figure says so.
TUNE_GC = True


class BenchClock:
    """A clock the benchmark sets freely (back-dated moves need it to go back)."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


# --- measuring helpers ------------------------------------------------------------------


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux: KB units)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return round(pages * resource.getpagesize() / 2**20, 1)
    except OSError:
        return rss_mb()


class GcMeter:
    """Counts the garbage collector's runs and the time spent in them."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1

    @contextmanager
    def running(self) -> Iterator[GcMeter]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)

    def figures(self) -> dict[str, Any]:
        return {
            "tune_gc": TUNE_GC,
            "collections_by_generation": list(self.collections),
            "pause_s": round(self.seconds, 3),
        }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else 0.0


def latency(samples: list[float]) -> dict[str, Any]:
    """Milliseconds: median, 95th percentile, mean, max, and how many samples."""
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(p95, 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "max_ms": round(ms[-1], 3),
    }


# --- stores -------------------------------------------------------------------------------


def fresh(url: str) -> None:
    """Make ``url`` an empty store with the current ecerp schema."""
    if url.startswith("sqlite:///"):
        import os

        path = url[len("sqlite:///") :]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        upgrade_database(url)
    elif url.startswith("postgresql"):
        downgrade_database(url, "base")
        upgrade_database(url)


def review_policy() -> tuple[dict[str, Any], str]:
    """``open_erp`` arguments that hold orders with a buyer note for review
    (the workload's ~5%), and a description; none where ecerp has no review
    holds."""
    try:
        from ecerp.domain.orders.holds import BuyerNote, ReviewPolicy
    except ImportError:
        return {}, "none (this ecerp has no review holds): review orders are only marked"
    return {"review": ReviewPolicy((BuyerNote(),))}, "ReviewPolicy((BuyerNote(),))"


def stocked_erp(
    url: str, workload: Workload, clock: BenchClock, options: dict[str, Any] | None = None
) -> tuple[ERP, float]:
    """A fresh ERP (opened with ``options``, by default the review policy)
    with the workload's catalog, warehouses and stock; the seconds that took.
    Stock comes in by one stock-take per warehouse (one command books every
    SKU), since receipts are one command per SKU."""
    started = time.perf_counter()
    fresh(url)
    erp = open_erp(
        url,
        clock=clock,
        tune_gc=TUNE_GC,
        **(review_policy()[0] if options is None else options),
    )
    erp.catalog.add(*workload.catalog_items())
    for wh in workload.warehouses:
        erp.inventory.add_warehouse(wh)
    for wh_code, per_sku in workload.stock().items():
        sid = f"OPENING-{wh_code}"
        erp.inventory.start_stocktake(sid, wh_code, per_sku)
        erp.inventory.count(sid, per_sku)
        erp.inventory.post_stocktake(sid)
    return erp, time.perf_counter() - started


# --- the automation path -----------------------------------------------------------------------

EU = ("DE", "FR", "IT", "ES", "NL", "BE", "AT", "PL", "SE", "DK", "FI", "IE", "PT", "CZ")


def automation_options() -> dict[str, Any]:
    """``open_erp`` arguments of a seller who automates: four review checks,
    routing rules, and two carriers' rate tables per warehouse (home zone,
    EU zone, world zone; volumetric divisor, a weight limit)."""
    from ecerp import Money
    from ecerp.domain.carriers.rates import RateTable
    from ecerp.domain.orders.holds import BuyerNote, IncompleteAddress, ReviewPolicy, ValueOver
    from ecerp.domain.routing.rules import RuleSet

    rules = RuleSet.from_dict(
        {
            "version": 1,
            "rules": [
                {
                    "name": "americas-from-wh3",
                    "conditions": {"countries": ["US", "CA", "MX"]},
                    "actions": {"warehouse": "WH3"},
                },
                {
                    "name": "big-orders-first",
                    "conditions": {"amount": {"currency": "EUR", "min": "300"}},
                    "actions": {"priority": 5, "tags": ["big"]},
                },
                {
                    "name": "heavy-tagged",
                    "conditions": {"weight_g": {"min": 20000}},
                    "actions": {"tags": ["heavy"]},
                },
            ],
        }
    )

    def table(carrier: str, home: str, first: str, step: str) -> RateTable:
        return RateTable.from_dict(
            {
                "carrier": carrier,
                "service": "standard",
                "currency": "EUR",
                "volumetric_divisor": 5000,
                "max_weight_g": 31_500,
                "zones": [
                    {"zone": "home", "country": home},
                    *({"zone": "eu", "country": c} for c in EU if c != home),
                    {"zone": "world", "country": "*"},
                ],
                "prices": {
                    "home": {"first_g": 1000, "first": first, "step_g": 1000, "step": step},
                    "eu": {"first_g": 1000, "first": "9.50", "step_g": 1000, "step": "1.10"},
                    "world": {"first_g": 500, "first": "19.00", "step_g": 500, "step": "4.00"},
                },
            }
        )

    homes = {"WH1": "DE", "WH2": "PL", "WH3": "US"}
    tables = {
        wh: [table("parcelco", home, "4.90", "0.90"), table("fastpost", home, "5.40", "0.70")]
        for wh, home in homes.items()
    }
    review = ReviewPolicy(
        (BuyerNote(), IncompleteAddress(), ValueOver({"EUR": Money.of("2000", "EUR")}))
    )
    return {"review": review, "rules": rules, "rate_tables": tables}


def automation(url: str, size: Size, seed: int) -> dict[str, Any]:
    """The whole automation path in one call: ``erp.orders.process(drafts)``
    imports, reviews (four checks), routes (three rules), prices freight for
    every candidate warehouse (two carriers each), allocates the serving
    queue in chunks and picks each allocated order's cheapest service."""
    workload = Workload(size, seed)
    clock = BenchClock(START)
    baseline = current_rss_mb()
    erp, setup_s = stocked_erp(url, workload, clock, automation_options())
    drafts, drafts_s = timed(lambda: list(workload.orders()))
    n = len(drafts)
    meter = GcMeter()
    with meter.running():
        clock.at += timedelta(minutes=5)
        result, seconds = timed(lambda: erp.orders.process(drafts))
    drafts.clear()
    counts = result.counts()
    with_service = sum(
        1
        for o in result.of_kind(OutcomeKind.ALLOCATED)[:2000]
        if o.order and erp.orders.get(o.order).shipping_service
    )
    peak = rss_mb()
    erp.close()
    return {
        "orders": n,
        "setup_s": round(setup_s, 3),
        "drafts_build_s": round(drafts_s, 3),
        "seconds": round(seconds, 3),
        "orders_per_s": rate(n, seconds),
        "outcomes": counts,
        "allocated_with_a_service_of_first_2000": with_service,
        "gc": meter.figures(),
        "rss_mb": {"baseline": baseline, "peak": peak},
        "how": "erp.orders.process(drafts): review (BuyerNote, IncompleteAddress, ValueOver), "
        "3 routing rules, 2 rate tables per warehouse, allocation in chunks",
    }


# --- batch ----------------------------------------------------------------------------------


def batch(url: str, size: Size, seed: int) -> dict[str, Any]:
    workload = Workload(size, seed)
    clock = BenchClock(START)
    baseline = current_rss_mb()
    erp, setup_s = stocked_erp(url, workload, clock)
    drafts, drafts_s = timed(lambda: list(workload.orders()))
    review = sum(1 for d in drafts if "review" in d.tags)
    lines = sum(len(d.lines) for d in drafts)
    rss_with_drafts = current_rss_mb()
    n = len(drafts)
    meter = GcMeter()
    stages: dict[str, Any] = {}
    with meter.running():
        clock.at += timedelta(minutes=5)
        t0 = time.perf_counter()
        imported = erp.orders.import_orders(drafts)
        t_import = time.perf_counter() - t0
        del drafts
        stages["import"] = {
            "orders": n,
            "seconds": round(t_import, 3),
            "orders_per_s": rate(n, t_import),
            "outcomes": imported.counts(),
        }
        del imported
        clock.at += timedelta(minutes=5)
        allocated, t_alloc = timed(lambda: erp.orders.allocate())
        ids = [o.order for o in allocated.of_kind(OutcomeKind.ALLOCATED) if o.order]
        stages["allocate"] = {
            "orders": len(allocated),
            "seconds": round(t_alloc, 3),
            "orders_per_s": rate(len(allocated), t_alloc),
            "outcomes": allocated.counts(),
        }
        del allocated
        clock.at += timedelta(minutes=5)
        picked, t_pick = timed(lambda: erp.orders.pick(ids))
        stages["pick"] = {
            "orders": len(ids),
            "seconds": round(t_pick, 3),
            "orders_per_s": rate(len(ids), t_pick),
            "outcomes": picked.counts(),
        }
        clock.at += timedelta(minutes=5)
        shipped, t_ship = timed(lambda: erp.orders.ship(ids))
        stages["ship"] = {
            "orders": len(ids),
            "seconds": round(t_ship, 3),
            "orders_per_s": rate(len(ids), t_ship),
            "outcomes": shipped.counts(),
        }
    stages["import_allocate"] = {
        "orders": n,
        "seconds": round(t_import + t_alloc, 3),
        "orders_per_s": rate(n, t_import + t_alloc),
    }
    stages["pick_ship"] = {
        "orders": len(ids),
        "seconds": round(t_pick + t_ship, 3),
        "orders_per_s": rate(len(ids), t_pick + t_ship),
    }
    total = t_import + t_alloc + t_pick + t_ship
    stages["full_cycle"] = {"orders": n, "seconds": round(total, 3), "orders_per_s": rate(n, total)}
    peak = rss_mb()
    # Not timed: the books must be sound and every allocated order shipped.
    discrepancies = erp.inventory.verify()
    shipped_ids = erp.orders.ids(OrderStatus.SHIPPED)
    held = erp.orders.ids(OrderStatus.ON_HOLD)
    erp.close()
    return {
        "orders": n,
        "order_lines": lines,
        "review_marked": review,
        "review_policy": review_policy()[1],
        "on_hold_after_import": len(held),
        "setup_s": round(setup_s, 3),
        "drafts_build_s": round(drafts_s, 3),
        **stages,
        "gc": meter.figures(),
        "rss_mb": {
            "baseline": baseline,
            "with_drafts": rss_with_drafts,
            "peak": peak,
        },
        "check": {
            "ledger_verified": not discrepancies,
            "shipped": len(shipped_ids),
            "all_allocated_shipped": len(shipped_ids) == len(ids),
        },
    }


# --- one order per call -----------------------------------------------------------------


def single(url: str, size: Size, seed: int) -> dict[str, Any]:
    """The webhook: each order in its own call.  The figure is
    ``erp.orders.accept([draft])`` (import, review, route and allocate in
    one transaction); ``two_commands`` is the same for other drafts as an
    import call then an allocate call (two transactions), for comparison."""
    workload = Workload(size, seed)
    clock = BenchClock(START)
    erp, setup_s = stocked_erp(url, workload, clock)
    drafts = list(workload.orders(size.single_orders, stream="S"))
    review = sum(1 for d in drafts if "review" in d.tags)
    accept = getattr(erp.orders, "accept", None)
    samples: list[float] = []
    kinds: dict[str, int] = {}
    meter = GcMeter()
    with meter.running():
        started = time.perf_counter()
        for draft in drafts:
            t0 = time.perf_counter()
            if accept is not None:
                outcome = next(iter(accept([draft])))
            else:  # an ecerp before accept(): two commands
                imported = next(iter(erp.orders.import_orders([draft])))
                assert imported.order is not None, imported
                outcome = next(iter(erp.orders.allocate([imported.order])))
            samples.append(time.perf_counter() - t0)
            kinds[outcome.kind.value] = kinds.get(outcome.kind.value, 0) + 1
        seconds = time.perf_counter() - started
    two = list(workload.orders(size.single_orders, stream="T"))
    two_samples: list[float] = []
    t_two = time.perf_counter()
    for draft in two:
        t0 = time.perf_counter()
        imported = next(iter(erp.orders.import_orders([draft])))
        assert imported.order is not None, imported
        erp.orders.allocate([imported.order])
        two_samples.append(time.perf_counter() - t0)
    t_two = time.perf_counter() - t_two
    peak = rss_mb()
    discrepancies = erp.inventory.verify()
    erp.close()
    return {
        "orders": len(drafts),
        "setup_s": round(setup_s, 3),
        "call": "accept" if accept is not None else "import_orders + allocate",
        "seconds": round(seconds, 3),
        "orders_per_s": rate(len(drafts), seconds),
        "per_order": latency(samples),
        "outcomes": kinds,
        "review_marked": review,
        "note": "orders a review check holds end as held (accept) or rejected by allocate",
        "two_commands": {
            "orders": len(two),
            "seconds": round(t_two, 3),
            "orders_per_s": rate(len(two), t_two),
            "per_order": latency(two_samples),
        },
        "gc": meter.figures(),
        "rss_mb": {"peak": peak},
        "check": {"ledger_verified": not discrepancies},
    }


# --- the ledger and its queries -------------------------------------------------------------

#: Lines per stock-take or transfer command while building the ledger.
LEDGER_CHUNK = 5_000
#: Periods closed while the ledger is built (one every tenth of the target).
PERIODS = 10


def ledger(
    url: str, size: Size, seed: int, moves: int | None = None, budget_s: float | None = None
) -> dict[str, Any]:
    """Build a ledger over ``size.ledger_skus`` SKUs through the public use
    cases until it holds ``moves`` moves or ``budget_s`` seconds have gone
    by, then time the stock queries the public API offers."""
    target = size.ledger_moves if moves is None else moves
    budget = size.ledger_budget_s if budget_s is None else budget_s
    n_skus = size.ledger_skus
    rng = random.Random(f"{seed}/ledger")
    skus = [f"L-{i:06d}" for i in range(n_skus)]
    chunk = min(n_skus, LEDGER_CHUNK)
    groups = [skus[i : i + chunk] for i in range(0, n_skus, chunk)]
    clock = BenchClock(START - timedelta(days=730))
    fresh(url)
    # No orders live here, so nothing listens for stock events: auto-allocation
    # is off (on SQL it would store and relay an outbox event per move).
    erp = open_erp(url, clock=clock, auto_allocate=False, tune_gc=TUNE_GC)
    _, catalog_s = timed(lambda: erp.catalog.add(*(Sku(code) for code in skus)))
    erp.inventory.add_warehouse(Warehouse("LA", priority=0))
    erp.inventory.add_warehouse(Warehouse("LB", priority=1))
    built = commands = transfers = 0
    tid = ""
    stocked: list[str] = []
    marks: list[datetime] = []

    def tick() -> None:
        clock.at += timedelta(hours=1)
        marks.append(clock.at)

    started = time.perf_counter()
    # Round r sends every group LA -> LB and back (4 commands a group); a
    # group is stocked (one stock-take: 3 commands) before its first round.
    # A period is closed every tenth of the target (a month-end close), so
    # as-of queries start from the last snapshot before their date.
    r = 0
    closes: list[float] = []
    closed: datetime | None = None
    next_close = target // PERIODS
    while built < target and time.perf_counter() - started < budget:
        if built >= next_close:
            t0 = time.perf_counter()
            erp.inventory.close_period(clock.at)
            closes.append(time.perf_counter() - t0)
            closed = clock.at
            next_close += target // PERIODS
        g = groups[r % len(groups)]
        if r < len(groups):
            tick()
            sid = f"OPEN-{r}"
            erp.inventory.start_stocktake(sid, "LA", g)
            erp.inventory.count(sid, dict.fromkeys(g, 1_000))
            built += len(erp.inventory.post_stocktake(sid))
            commands += 3
            stocked.extend(g)
        for source, dest in (("LA", "LB"), ("LB", "LA")):
            for step in ("send", "receive"):
                if built >= target or time.perf_counter() - started >= budget:
                    break
                tick()
                if step == "send":
                    transfers += 1
                    tid = f"T{transfers:07d}"
                    erp.inventory.transfer(tid, source, dest, dict.fromkeys(g, 1))
                else:
                    erp.inventory.receive_transfer(tid, dict.fromkeys(g, 1))
                built += len(g)
                commands += 1
        r += 1
    build_s = time.perf_counter() - started
    end = clock.at
    per_s = rate(built, build_s)

    sample = rng.sample(stocked, min(200, len(stocked)))
    # Available to promise of one SKU: its position in one warehouse.
    atp = []
    for sku in sample:
        t0 = time.perf_counter()
        erp.inventory.position(sku, "LA").available  # noqa: B018
        atp.append(time.perf_counter() - t0)

    # On hand as of past dates: the closed-period snapshot before the date
    # plus the SKU's moves since (erp.inventory.on_hand_at).
    past = marks[len(marks) // 2] if marks else end
    as_of = []
    for i, sku in enumerate(sample[:50]):
        when = marks[rng.randrange(len(marks))] if marks else end
        t0 = time.perf_counter()
        erp.inventory.on_hand_at(sku, "LA", at=when if i % 2 else past)
        as_of.append(time.perf_counter() - t0)

    # The full stock report (every SKU and warehouse, from the positions).
    rows, report_s = timed(erp.inventory.report)
    report_rows = len(rows)
    del rows
    peak = rss_mb()

    # A back-dated move (the clock set back into the open period, after the
    # last close) against a move dated now.
    now_move, back_move = [], []
    back_to = max(past, closed + timedelta(minutes=30)) if closed is not None else past
    for i, sku in enumerate(sample[:20]):
        clock.at = end + timedelta(minutes=i + 1)
        t0 = time.perf_counter()
        erp.inventory.receive(sku, "LA", 1, document=f"NOW-{i}")
        now_move.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        erp.inventory.receive(
            sku, "LA", 1, document=f"BACK-{i}", at=back_to + timedelta(seconds=i + 1)
        )
        back_move.append(time.perf_counter() - t0)
    erp.close()
    return {
        "skus": n_skus,
        "skus_with_moves": len(stocked),
        "target_moves": target,
        "budget_s": budget,
        "moves": built,
        "reached_target": built >= target,
        "build": {
            "commands": commands,
            "lines_per_command": chunk,
            "seconds": round(build_s, 3),
            "moves_per_s": per_s,
            "estimated_s_for_target": round(target / per_s) if per_s else None,
            "catalog_s": round(catalog_s, 3),
            "how": f"through the public API in commands of {chunk} lines: one stock-take "
            "per SKU group, then transfers of the group LA -> LB and back (send, receive)",
        },
        "atp_one_sku": {**latency(atp), "how": "erp.inventory.position(sku, wh).available"},
        "periods_closed": {
            **(latency(closes) if closes else {"n": 0}),
            "how": "erp.inventory.close_period(now): snapshot of every balance",
        },
        "on_hand_as_of_past_date": {
            **latency(as_of),
            "how": "erp.inventory.on_hand_at(sku, 'LA', at=...): the last closed-period "
            "snapshot before the date plus the SKU's moves since",
        },
        "stock_report": {
            "seconds": round(report_s, 3),
            "rows": report_rows,
            "how": "erp.inventory.report(): every SKU and warehouse from the positions",
        },
        "move_dated_now": latency(now_move),
        "back_dated_move": {
            **latency(back_move),
            "how": "erp.inventory.receive(..., at=...) dated back into the open period "
            "(after the last close): the ledger row and the running balances, nothing "
            "else to recompute",
        },
        "rss_mb": {"peak": peak},
    }


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "batch": batch,
    "automation": automation,
    "single": single,
    "ledger": ledger,
}


def now_utc() -> datetime:
    return datetime.now(UTC)


__all__ = ["SCENARIOS", "BenchClock", "GcMeter", "automation", "batch", "ledger", "single"]
