"""The streaming import: a file of channel orders, one JSON object per line
(the shape a channel adapter's export or a nightly feed has), read lazily and
imported with ``erp.orders.import_stream`` one chunk at a time.

The file is written first (not timed); the import is timed from opening the
file to the last committed chunk, so parsing is part of the figure.  Peak RSS
is the process's own (the scenario runs in a process of its own).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.workload import RawOrder, Size, Workload
from ecerp import Address, Buyer, ChannelLine, ChannelOrder, Money

#: Orders per file by size (the issue's figure is for ``large``).
STREAM_ORDERS = {"tiny": 300, "small": 5_000, "medium": 100_000, "large": 1_000_000}


def write_feed(path: Path, workload: Workload, count: int) -> int:
    """Write ``count`` orders as JSON lines; returns the file's size in bytes."""
    with path.open("w", encoding="utf-8") as f:
        for raw in workload.raw_orders(count, stream="F"):
            f.write(json.dumps(_record(raw), separators=(",", ":")))
            f.write("\n")
    return path.stat().st_size


def _record(raw: RawOrder) -> dict[str, Any]:
    return {
        "channel": raw.shop.channel,
        "shop": raw.shop.code,
        "id": raw.external_id,
        "at": raw.ordered_at.isoformat(),
        "currency": raw.shop.currency,
        "country": raw.country,
        "lines": [
            [ln.listing_sku, ln.qty, str(ln.unit_price), str(ln.discount)] for ln in raw.lines
        ],
    }


def read_feed(path: Path) -> Iterator[ChannelOrder]:
    """The file's orders as channel drafts, one line at a time."""
    with path.open(encoding="utf-8") as f:
        for text in f:
            r = json.loads(text)
            cur = r["currency"]
            yield ChannelOrder(
                channel=r["channel"],
                shop=r["shop"],
                external_id=r["id"],
                ordered_at=datetime.fromisoformat(r["at"]),
                currency=cur,
                lines=tuple(
                    ChannelLine(
                        sku,
                        qty,
                        Money.of(Decimal(price), cur),
                        Money.of(Decimal(discount), cur) if Decimal(discount) else None,
                    )
                    for sku, qty, price, discount in r["lines"]
                ),
                buyer=Buyer(f"buyer-{r['id']}", "A Buyer", f"{r['id']}@example.com"),
                address=Address(
                    name="A Buyer",
                    line1="1 Main Street",
                    city="Town",
                    postcode="12345",
                    country=r["country"],
                ),
                paid=True,
            )


def stream(url: str, size: Size, seed: int, workdir: str) -> dict[str, Any]:
    from benchmarks.scenarios import BenchClock, GcMeter, current_rss_mb, rate, rss_mb, stocked_erp
    from benchmarks.workload import START

    count = STREAM_ORDERS[size.name]
    workload = Workload(size, seed)
    clock = BenchClock(START)
    erp, setup_s = stocked_erp(url, workload, clock)
    path = Path(workdir) / f"feed-{os.getpid()}.jsonl"
    t0 = time.perf_counter()
    size_bytes = write_feed(path, workload, count)
    write_s = time.perf_counter() - t0
    clock.at += timedelta(minutes=5)
    rss_before = current_rss_mb()
    kinds: dict[str, int] = {}
    meter = GcMeter()
    with meter.running():
        started = time.perf_counter()
        for outcome in erp.orders.import_stream(read_feed(path)):
            kinds[outcome.kind.value] = kinds.get(outcome.kind.value, 0) + 1
        seconds = time.perf_counter() - started
    peak = rss_mb()
    stored = erp.orders.total()
    erp.close()
    path.unlink()
    return {
        "orders": count,
        "file_mb": round(size_bytes / 2**20, 1),
        "write_file_s": round(write_s, 3),
        "setup_s": round(setup_s, 3),
        "seconds": round(seconds, 3),
        "orders_per_s": rate(count, seconds),
        "outcomes": kinds,
        "stored_orders": stored,
        "gc": meter.figures(),
        "rss_mb": {"before_import": rss_before, "peak": peak},
        "how": "erp.orders.import_stream(read_feed(path)): JSON lines parsed lazily, "
        "one import command per chunk, outcomes counted and dropped",
    }
