"""A receipt or an adjustment booked late, dated back to when it happened:
it counts from that moment on in as-of queries, may not reach into a closed
period, and may not be dated in the future.  Memory and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecerp import ERP, Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database
from ecerp.domain.inventory.errors import ClosedPeriodError, InsufficientStockError
from ecerp.domain.shared.errors import ValidationError

NOW = datetime(2026, 4, 2, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def erp(request: pytest.FixtureRequest, tmp_path: Path) -> ERP:
    url = "memory://"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'late.db'}"
        upgrade_database(url)
    shop = open_erp(url, clock=SimulatedClock(NOW))
    shop.catalog.add(Sku("MUG"))
    shop.inventory.add_warehouse(Warehouse("BER"))
    return shop


def test_a_late_receipt_counts_from_the_day_it_arrived(erp: ERP) -> None:
    arrived = NOW - timedelta(days=10)
    move = erp.inventory.receive("MUG", "BER", 7, document="PO-9", at=arrived)
    assert move.at == arrived
    assert erp.inventory.on_hand_at("MUG", "BER", at=arrived - timedelta(seconds=1)) == 0
    assert erp.inventory.on_hand_at("MUG", "BER", at=arrived) == 7
    assert erp.inventory.position("MUG", "BER").on_hand == 7

    erp.inventory.adjust("MUG", "BER", -2, note="breakage", at=arrived + timedelta(days=1))
    assert erp.inventory.on_hand_at("MUG", "BER", at=arrived + timedelta(hours=1)) == 7
    assert erp.inventory.on_hand_at("MUG", "BER", at=NOW) == 5
    erp.check()


def test_a_move_is_never_dated_in_the_future_or_naive(erp: ERP) -> None:
    with pytest.raises(ValidationError, match="future"):
        erp.inventory.receive("MUG", "BER", 1, at=NOW + timedelta(minutes=1))
    with pytest.raises(ValidationError):
        erp.inventory.adjust("MUG", "BER", 1, note="x", at=datetime(2026, 4, 1, 12))  # noqa: DTZ001
    assert erp.inventory.report() == [], "nothing was booked"


def test_a_closed_period_refuses_a_late_booking_into_it(erp: ERP) -> None:
    erp.inventory.close_period(NOW - timedelta(days=2))
    with pytest.raises(ClosedPeriodError):
        erp.inventory.receive("MUG", "BER", 3, at=NOW - timedelta(days=3))
    erp.inventory.receive("MUG", "BER", 3, at=NOW - timedelta(days=1))
    assert erp.inventory.on_hand_at("MUG", "BER", at=NOW - timedelta(days=2)) == 0
    assert erp.inventory.on_hand_at("MUG", "BER", at=NOW) == 3
    erp.check()


def test_a_period_is_never_closed_in_the_future(erp: ERP) -> None:
    with pytest.raises(ValidationError, match="future") as refused:
        erp.inventory.close_period(NOW + timedelta(days=1))
    assert refused.value.field == "until"
    erp.inventory.receive("MUG", "BER", 2)  # stock still moves today
    assert erp.inventory.position("MUG", "BER").on_hand == 2


def test_a_breakage_reported_late_cannot_take_what_was_already_shipped(erp: ERP) -> None:
    monday = NOW - timedelta(days=4)
    erp.inventory.receive("MUG", "BER", 5, at=monday)  # 5 on the shelf since Monday
    erp.inventory.adjust("MUG", "BER", -5, note="sold at the fair", at=monday + timedelta(days=2))
    erp.inventory.receive("MUG", "BER", 10, at=monday + timedelta(days=3))  # Thursday's delivery
    # on Friday someone reports 3 mugs broken on Tuesday: Wednesday sold all 5,
    # so Wednesday would have been at -3
    with pytest.raises(InsufficientStockError) as refused:
        erp.inventory.adjust("MUG", "BER", -3, note="broken", at=monday + timedelta(days=1))
    assert refused.value.available == 0
    assert erp.inventory.position("MUG", "BER").on_hand == 10
    # booked on the day it was found, it is fine
    erp.inventory.adjust("MUG", "BER", -3, note="broken, found Thursday")
    assert erp.inventory.position("MUG", "BER").on_hand == 7
    erp.check()
