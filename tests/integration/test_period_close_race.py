"""Closing a period while another unit of work is booking a move dated
inside that period: the close must wait for the move, so that the period's
snapshot includes it (otherwise the snapshot and the ledger disagree for
ever, since the period is closed).  On SQLite writers queue anyway; on
PostgreSQL the mover share-locks the closed date it checked against."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from ecerp import Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.shared.errors import EcerpError

T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)


def test_a_close_waits_for_a_move_into_the_period_it_snapshots(backend_url: str) -> None:
    erp = open_erp(backend_url, clock=SimulatedClock(T0 + timedelta(days=1)))
    erp.catalog.add(Sku("MUG"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.inventory.receive("MUG", "SH", 10)
    month_end = T0 + timedelta(hours=2)
    closing_errors: list[EcerpError] = []

    def close() -> None:
        try:
            erp.inventory.close_period(month_end)
        except EcerpError as err:  # reported below, in the test's thread
            closing_errors.append(err)

    mover = erp.backend.uow_factory()
    with mover:
        mover.stock.book().receive("MUG", "SH", 5, at=T0 + timedelta(hours=1), actor="late")
        closer = threading.Thread(target=close)
        closer.start()
        closer.join(timeout=1.5)
        assert closer.is_alive(), "the close did not wait for the move into its period"
        mover.commit()
    closer.join(timeout=30)
    assert not closer.is_alive()
    assert not closing_errors, closing_errors

    erp.check()  # every snapshot agrees with the moves dated before its end
    assert erp.inventory.on_hand_at("MUG", "SH", at=month_end) == 5
    erp.close()
