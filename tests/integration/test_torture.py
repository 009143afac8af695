"""Eight processes fight over one SKU, through the public API only.

Each process (``multiprocessing`` spawn) opens its own ERP on one database
(PostgreSQL, or one SQLite file) with ``auto_allocate`` on and a publisher
that fails now and then, and runs a random mix of the calls a shop makes:
webhook ``accept()`` of orders needing the hot SKU, receipts of it, cancels,
picks and ships of its own orders.  ``python -m ecerp relay URL`` runs in a
process of its own meanwhile.

Afterwards the books must hold: no oversell (``verify()``, ``check()``,
reserved <= on hand), every draft sent stored exactly once when its outcome
says it was kept (and not at all when rejected), the receipts booked exactly
those the callers were told happened (a receipt never raises after it
committed), and no exception but an :class:`EcerpError` escaped any call.
Publisher failures are dead letters, visible through
``erp.dead_letters.list()``.

Sizes are small for CI; ``ECERP_TORTURE_OPS`` (calls per process) makes the
run longer.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ecerp import (
    ChannelLine,
    ChannelOrder,
    EcerpError,
    Money,
    OrderStatus,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.domain.inventory.moves import MoveReason
from ecerp.domain.shared.events import Event

PROCESSES = 8
OPS = int(os.environ.get("ECERP_TORTURE_OPS", "12"))
START_STOCK = 20
PRICE = Money.of("9.90", "EUR")
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
RUN_TIMEOUT = 300.0
SRC = str(Path(__file__).resolve().parents[2] / "src")


class FlakyPublisher:
    """Fails every third delivery: the failures must become dead letters,
    never an exception in the caller of the committed command."""

    name = "flaky"

    def __init__(self) -> None:
        self.calls = 0

    def publish(self, events: Sequence[Event]) -> None:
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("the queue is down")


SKUS = ("HOT", "COLD")
WAREHOUSES = ("SH", "W2")
OPS_WEIGHTS = {
    "accept": 8,
    "process": 2,
    "receive": 3,
    "loss": 1,
    "transfer": 2,
    "cancel": 1,
    "pick": 2,
    "ship": 2,
    "allocate": 1,
    "merge": 1,
    "split": 1,
}
#: Errors that say a call lost to another process after all its retries:
#: documented (docs/persistence.md, "Which errors a caller can get"), and
#: counted here, not hidden.
LOST_RACE = {"ConcurrencyError", "DatabaseLockedError"}


def _draft(worker: int, n: int, rnd: random.Random) -> ChannelOrder:
    skus = rnd.sample(SKUS, rnd.randint(1, 2))  # either order: lock order varies
    return ChannelOrder(
        "shopify",
        "web",
        f"W{worker}-{n}",
        T0,
        "EUR",
        tuple(ChannelLine(sku, rnd.randint(1, 2), PRICE) for sku in skus),
        paid=True,
    )


@dataclass
class Report:
    worker: int
    kept: dict[str, str] = field(default_factory=dict)  # external id -> outcome kind
    rejected: dict[str, str] = field(default_factory=dict)
    unsure: list[str] = field(default_factory=list)  # drafts whose call raised
    receipts: list[str] = field(default_factory=list)  # documents booked, said the call
    losses: list[str] = field(default_factory=list)  # notes
    transfers: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    raw: list[str] = field(default_factory=list)


def shop_worker(url: str, worker: int, ops: int, start: Any, results: Any) -> None:
    """Child process: a random mix of calls; reports what each call said."""
    rnd = random.Random(worker)
    report = Report(worker)
    errors: Counter[str] = Counter()
    pool: list[str] = []
    names = list(OPS_WEIGHTS)
    weights = list(OPS_WEIGHTS.values())
    try:
        with open_erp(url, actor=f"w{worker}", publishers=[FlakyPublisher()]) as erp:
            start.wait(120)
            for n in range(ops):
                op = rnd.choices(names, weights)[0]
                if n % 10 == 0:
                    pool = erp.orders.ids()
                sku, wh = rnd.choice(SKUS), rnd.choice(WAREHOUSES)
                drafts: list[ChannelOrder] = []
                try:
                    if op in ("accept", "process"):
                        drafts = [
                            _draft(worker, n * 10 + k, rnd)
                            for k in range(1 if op == "accept" else 3)
                        ]
                        call = erp.orders.accept if op == "accept" else erp.orders.process
                        result = call(drafts)
                        for draft, outcome in zip(drafts, result.outcomes, strict=False):
                            if outcome.kind is OutcomeKind.REJECTED:
                                why = type(outcome.error).__name__
                                report.rejected[draft.external_id] = f"{op}: {why}"
                            else:
                                report.kept[draft.external_id] = outcome.kind.value
                        drafts = []
                    elif op == "receive":
                        doc = f"R-{worker}-{n}"
                        erp.inventory.receive(sku, wh, rnd.randint(1, 3), document=doc)
                        report.receipts.append(doc)
                    elif op == "loss":
                        note = f"L-{worker}-{n}"
                        erp.inventory.adjust(sku, wh, -1, note=note)
                        report.losses.append(note)
                    elif op == "transfer":
                        tid = f"T-{worker}-{n}"
                        other = WAREHOUSES[1 - WAREHOUSES.index(wh)]
                        erp.inventory.transfer(tid, wh, other, {sku: 1})
                        report.transfers.append(tid)
                        erp.inventory.receive_transfer(tid, {sku: 1})
                    elif op == "cancel" and pool:
                        erp.orders.cancel(rnd.choice(pool), reason="buyer")
                    elif op == "pick" and pool:
                        erp.orders.pick(rnd.sample(pool, min(3, len(pool))))
                    elif op == "ship" and pool:
                        erp.orders.ship(rnd.sample(pool, min(3, len(pool))))
                    elif op == "allocate":
                        erp.orders.allocate()
                    elif op == "merge" and len(pool) > 1:
                        erp.orders.merge(rnd.sample(pool, 2))
                    elif op == "split" and pool:
                        erp.orders.split_by_availability(rnd.choice(pool))
                except EcerpError as err:
                    errors[f"{op}: {type(err).__name__}"] += 1
                    report.unsure.extend(d.external_id for d in drafts)
                except Exception:  # noqa: BLE001  # the parent fails the test with it
                    report.raw.append(f"{op}: {traceback.format_exc()}")
                    report.unsure.extend(d.external_id for d in drafts)
    except Exception:  # noqa: BLE001
        report.raw.append(f"worker {worker} died: {traceback.format_exc()}")
    report.errors = dict(errors)
    results.put(report)


def _relay(url: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.Popen(
        [sys.executable, "-m", "ecerp", "relay", url, "--interval", "0.05"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_eight_processes_racing_for_one_sku_keep_the_books(backend_url: str) -> None:
    with open_erp(backend_url) as erp:
        erp.catalog.add(*(Sku(code) for code in SKUS), Shop("web", "shopify", currency="EUR"))
        for code in WAREHOUSES:
            erp.inventory.add_warehouse(Warehouse(code))
            for sku in SKUS:
                erp.inventory.receive(sku, code, START_STOCK, document="opening")

    relay = _relay(backend_url)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=shop_worker, args=(backend_url, w, OPS, start, results))
        for w in range(PROCESSES)
    ]
    began = time.monotonic()
    for proc in workers:
        proc.start()
    reports: list[Report] = []
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
        relay.terminate()
        _, relay_err = relay.communicate(timeout=30)
    took = time.monotonic() - began

    raw = [r for report in reports for r in report.raw]
    assert raw == [], "\n".join(raw)
    assert "Traceback" not in relay_err, relay_err
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report.errors)
    kept = {ext: kind for r in reports for ext, kind in r.kept.items()}
    rejected = {ext: why for r in reports for ext, why in r.rejected.items()}
    unsure = [ext for r in reports for ext in r.unsure]
    lost = {k: v for k, v in errors.items() if k.split(": ")[1] in LOST_RACE}
    print(
        f"\n{PROCESSES} processes x {OPS} calls in {took:.1f}s: {len(kept)} orders kept, "
        f"{len(rejected)} rejected {dict(Counter(rejected.values()))}, "
        f"{len(unsure)} drafts in calls that raised; lost races reaching a caller {lost}; "
        f"all errors {dict(sorted(errors.items()))}; relay stderr lines "
        f"{len(relay_err.splitlines())}"
    )

    with open_erp(backend_url) as erp:
        # No lost and no duplicate order.
        stored = erp.orders.ids()
        assert len(stored) == len(set(stored))
        for ext in kept:
            assert erp.orders.find_by_key("shopify", "web", ext) is not None, ext
        for ext, why in rejected.items():
            stored_anyway = erp.orders.find_by_key("shopify", "web", ext)
            if why == "process: ConcurrencyError":
                # documented: process() imported it, its allocation chunk lost
                # every race; it is stored, ready for the next allocation
                assert stored_anyway is None or stored_anyway.status in {
                    OrderStatus.READY,
                    OrderStatus.WAITING,
                    OrderStatus.ALLOCATED,  # allocated since, by someone else
                    OrderStatus.PICKING,
                    OrderStatus.SHIPPED,
                    OrderStatus.CANCELLED,
                    OrderStatus.MERGED,  # merged since, by a process that found it ready
                }, (ext, stored_anyway.status)
            else:
                assert stored_anyway is None, (ext, why, stored_anyway.status)
        # A stock call is booked exactly when its caller was told so.
        moves = erp.inventory.moves()
        receipts = {m.document for m in moves if m.reason is MoveReason.RECEIPT}
        assert receipts - {"opening"} == {doc for r in reports for doc in r.receipts}
        losses = {m.note for m in moves if m.reason is MoveReason.LOSS}
        assert losses == {note for r in reports for note in r.losses}
        sent = {m.document for m in moves if m.reason is MoveReason.TRANSFER_OUT}
        assert sent == {tid for r in reports for tid in r.transfers}
        # No oversell.
        for sku in SKUS:
            for code in WAREHOUSES:
                position = erp.inventory.position(sku, code)
                assert 0 <= position.reserved <= position.on_hand, position
        assert erp.inventory.verify() == []
        erp.check()
        # The publisher's failures were recorded, not raised.
        consumers = Counter(letter.consumer for letter in erp.dead_letters.list())
        print(f"dead letters: {dict(consumers)}")
        assert "publisher:flaky" in consumers
