"""The benchmark command runs end to end and writes the figures it promises.

A smoke test only: ``python -m benchmarks --size small`` (the size CI runs)
on the memory and SQLite backends, as a reader would run it.  No timing is asserted (figures
depend on the machine); the test checks that every figure is there, that the
rates are positive, and that the books the batch left behind are sound.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

BATCH_STAGES = ("import", "allocate", "pick", "ship", "import_allocate", "pick_ship", "full_cycle")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One small run, shared by the tests of this module."""
    tmp_path = tmp_path_factory.mktemp("bench")
    out = tmp_path / "small.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--size",
            "small",
            "--backends",
            "memory,sqlite",
            "--scenarios",
            "batch,automation,single,ledger,stream",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"benchmark failed:\n{done.stdout}\n{done.stderr}"
    assert "orders/s" in done.stdout, "the readable table is printed"
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def test_the_small_benchmark_reports_every_figure_for_memory_and_sqlite(
    report: dict[str, Any],
) -> None:
    assert {"date", "git", "machine", "size", "backends", "ceiling", "ratios_to_ceiling"} <= set(
        report
    )
    assert {"platform", "cpu_count", "python"} <= set(report["machine"])
    assert report["machine"]["cpu_count"] >= 1
    assert report["size"]["name"] == "small"
    assert report["git"]["src_digest"]
    orders = report["size"]["orders"]

    for backend in ("memory", "sqlite"):
        entry = report["backends"][backend]
        assert entry["status"] == "ok", entry
        batch = entry["batch"]
        assert batch["orders"] == orders
        for stage in BATCH_STAGES:
            assert batch[stage]["orders_per_s"] > 0, (backend, stage)
            assert batch[stage]["seconds"] > 0, (backend, stage)
        # Every order of the batch was created, and every allocated one shipped.
        assert batch["import"]["outcomes"] == {"created": orders}
        assert batch["check"]["ledger_verified"] is True
        assert batch["check"]["all_allocated_shipped"] is True
        assert batch["rss_mb"]["peak"] > 0
        assert 0 < batch["review_marked"] < orders
        if batch["review_policy"].startswith("ReviewPolicy"):
            # Orders with a buyer note wait for a person; the others go through.
            assert batch["on_hold_after_import"] == batch["review_marked"]
            assert batch["check"]["shipped"] <= orders - batch["review_marked"]

        single = entry["single"]
        assert single["orders"] == report["size"]["single_orders"]
        assert single["orders_per_s"] > 0
        assert single["per_order"]["median_ms"] > 0

        ledger = entry["ledger"]
        assert ledger["moves"] > 0
        assert ledger["build"]["moves_per_s"] > 0
        for query in ("atp_one_sku", "on_hand_as_of_past_date", "back_dated_move"):
            assert ledger[query]["median_ms"] > 0, (backend, query)
        assert ledger["stock_report"]["rows"] > 0
        assert ledger["periods_closed"]["n"] > 0, "as-of queries start from snapshots"

        auto = entry["automation"]
        assert auto["orders"] == orders
        assert auto["orders_per_s"] > 0
        # every order ends allocated, waiting or held (none rejected), and the
        # allocated ones got a carrier service from the rate tables
        assert set(auto["outcomes"]) <= {"allocated", "waiting", "held"}
        assert sum(auto["outcomes"].values()) == orders
        assert auto["allocated_with_a_service_of_first_2000"] == min(
            auto["outcomes"].get("allocated", 0), 2000
        )

        stream = entry["stream"]
        assert stream["orders"] > 0
        assert stream["orders_per_s"] > 0
        # every order of the file was read and stored (the feed has no repeats)
        assert stream["outcomes"] == {"created": stream["orders"]}
        assert stream["stored_orders"] == stream["orders"]
        assert stream["rss_mb"]["peak"] > 0


def test_the_small_benchmark_compares_sqlite_with_the_raw_ceiling(report: dict[str, Any]) -> None:
    ceiling = report["ceiling"]
    for mode in ("bulk", "per_order"):
        for rows in ("ledger", "reserve", "full"):
            assert ceiling[mode][rows]["orders_per_s"] > 0, (mode, rows)
    # The full cycle writes strictly more rows than create + reserve.
    assert ceiling["bulk"]["full"]["rows"] > ceiling["bulk"]["reserve"]["rows"]
    assert ceiling["bulk"]["full"]["rows"] > ceiling["bulk"]["ledger"]["rows"]
    ratios = report["ratios_to_ceiling"]
    for key in (
        "batch_full_cycle_to_bulk_full",
        "batch_import_allocate_to_bulk_reserve",
        "single_order_to_per_order_reserve",
    ):
        assert ratios[key] > 0, key


def test_the_contention_scenarios_report_latency_ratios_and_escaped_errors(
    tmp_path: Path,
) -> None:
    """``backlog`` and ``processes`` at the tiny size (a few hundred orders,
    a few processes): every figure is there; no timing is asserted."""
    out = tmp_path / "tiny.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--size",
            "tiny",
            "--backends",
            "memory,sqlite",
            "--scenarios",
            "backlog,processes",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"benchmark failed:\n{done.stdout}\n{done.stderr}"
    assert "flash-sale webhook" in done.stdout
    report: dict[str, Any] = json.loads(out.read_text())
    for backend in ("memory", "sqlite"):
        backlog = report["backends"][backend]["backlog"]
        # the backlog waited, and every webhook for the sold-out SKU waited too
        assert backlog["waiting_before"] >= backlog["backlog"]
        assert backlog["sold_out"]["outcomes"] == {"waiting": backlog["webhooks_per_phase"]}
        assert backlog["sold_out_ratio"] > 0
        assert backlog["restock"]["served_by_receipt"] == backlog["restock"]["received"]
        assert backlog["check"]["ledger_verified"] is True
    runs = report["backends"]["sqlite"]["processes"]["runs"]
    assert [r["processes"] for r in runs] == [1, 2, 4]
    for run in runs:
        assert run["orders"] > 0
        assert run["orders_per_s"] > 0
        assert isinstance(run["escaped_errors"], dict)
        assert run["check"]["ledger_verified"] is True


def test_the_report_says_the_benchmark_asked_ecerp_to_tune_the_collector(
    report: dict[str, Any],
) -> None:
    assert report["tune_gc"] is True
    assert any("tune_gc=True" in note for note in report["notes"])
    for backend in ("memory", "sqlite"):
        assert report["backends"][backend]["batch"]["gc"]["tune_gc"] is True, backend
