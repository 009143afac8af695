"""Stock history: month-end closes, on hand as of any date, the stock report.

A shop in Berlin receives, sells and counts mugs and lids through March.  At
the end of each month the bookkeeper closes the period: no move may be dated
before it any more, and ecerp keeps a snapshot of every balance at that
moment.  "How many mugs did we have on 15 March?" is then answered from the
last snapshot before the date plus the moves since, however long the ledger.

Run: ``python examples/stock_history.py [URL]`` (default ``memory://``; a
``sqlite:///file.db`` URL gets its schema created first).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from ecerp import Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database
from ecerp.domain.inventory.errors import ClosedPeriodError

FEB_END = datetime(2026, 3, 1, tzinfo=UTC)
MAR_END = datetime(2026, 4, 1, tzinfo=UTC)


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else "memory://"
    if url.startswith("sqlite"):
        upgrade_database(url)
    clock = SimulatedClock(datetime(2026, 2, 10, 9, tzinfo=UTC))
    erp = open_erp(url, clock=clock, actor="bookkeeper")
    erp.catalog.add(Sku("MUG"), Sku("LID"))
    erp.inventory.add_warehouse(Warehouse("BER"))

    # February: the opening delivery.
    erp.inventory.receive("MUG", "BER", 100, document="PO-1")
    erp.inventory.receive("LID", "BER", 40, document="PO-1")
    clock.set(FEB_END + timedelta(hours=8))
    erp.inventory.close_period(FEB_END)  # February is booked and closed

    # March: sales, a second delivery, a damaged mug.
    for day, qty in ((3, 10), (9, 25), (16, 5), (24, 30)):
        clock.set(datetime(2026, 3, day, 15, tzinfo=UTC))
        erp.inventory.adjust("MUG", "BER", -qty, note="shop sales")
        if day == 9:
            clock.set(datetime(2026, 3, 12, 10, tzinfo=UTC))
            erp.inventory.receive("MUG", "BER", 50, document="PO-2")
            erp.inventory.damage("MUG", "BER", 1, note="dropped")

    # On 2 April a receipt of 20 March turns up: booked late, dated back
    # (March is still open).  Then March is closed; a move dated into it now
    # is refused.
    clock.set(datetime(2026, 4, 2, 9, tzinfo=UTC))
    late = datetime(2026, 3, 20, 12, tzinfo=UTC)
    erp.inventory.receive("LID", "BER", 10, document="PO-3", at=late)
    erp.inventory.close_period(MAR_END)
    try:
        erp.inventory.receive("LID", "BER", 5, document="PO-4", at=late)
    except ClosedPeriodError as err:
        print(f"refused, as it should be: {err}")
    else:
        raise AssertionError("a move dated into a closed period was accepted")

    for moment in (datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC), MAR_END):
        mugs = erp.inventory.on_hand_at("MUG", "BER", at=moment)
        print(f"mugs on hand in BER at {moment:%Y-%m-%d %H:%M}: {mugs}")
    mid_march = datetime(2026, 3, 15, tzinfo=UTC)
    assert erp.inventory.on_hand_at("MUG", "BER", at=mid_march) == 100 - 10 - 25 + 50 - 1
    assert erp.inventory.on_hand_at("LID", "BER", at=mid_march) == 40
    assert erp.inventory.on_hand_at("LID", "BER", at=MAR_END) == 50, "the late receipt counts"

    print("\nstock report, now:")
    for line in erp.inventory.report():
        print(
            f"  {line.sku:<4} {line.warehouse}: on hand {line.on_hand}, available {line.available}"
        )
    print("stock report as of the February close:")
    for line in erp.inventory.report(at=FEB_END):
        print(f"  {line.sku:<4} {line.warehouse}: on hand {line.on_hand}")

    erp.check()  # the books, and every period snapshot, agree with the ledger
    print("\nStock books and period snapshots checked: consistent.")
    erp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
