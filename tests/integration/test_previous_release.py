"""A store written by the previous release opens and works with today's code.

Outbox events, dead letters, idempotent replies and documents are stored by
type name, so moving a class to another module must not orphan what is
already stored.  ``tests/fixtures/previous_release/store.db`` was written by
the release before the layout move (commit 567cdb9) with
``make_store.py`` next to it; ``expected.json`` is what that release read
back.  Each test works on a copy, through the public API only: it opens the
store, reads everything and finds what the old code read, relays the events
the old process left in the outbox (every type deserialises and reaches a
publisher), replays idempotent calls, and finishes the open documents.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ecerp import ERP, EcerpError, IdempotencyConflictError, OrderStatus, open_erp
from ecerp.adapters.clock import SimulatedClock
from fixtures.previous_release.make_store import STOCKTAKE, STORE, TRANSFER, first_batch
from fixtures.previous_release.readout import fields, plain, readout
from sqlsupport import run_cli

pytest.importorskip("sqlalchemy")

EXPECTED: dict[str, Any] = json.loads((STORE.parent / "expected.json").read_text())
OLD = EXPECTED["store"]
#: every event type the previous release had (all of them are left pending)
EVENT_TYPES = {
    "OrderAllocated",
    "OrderCancelled",
    "OrderImported",
    "OrderShipped",
    "OrderStatusChanged",
    "OrderUpdated",
    "OrderWaiting",
    "ReservationReleased",
    "StockMoved",
    "StockReserved",
}


class Recorder:
    """A publisher that keeps every event it is given."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, events: Sequence[Any]) -> None:
        self.events.extend(events)

    def types(self) -> set[str]:
        return {type(e).__name__ for e in self.events}


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A copy of the old store (the original stays as it was written)."""
    copy = tmp_path / "old.db"
    shutil.copyfile(STORE, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def erp(url: str, recorder: Recorder) -> Iterator[ERP]:
    clock = SimulatedClock(datetime.fromisoformat(EXPECTED["now"]))
    # no upgrade=True: the layout move changes no table
    with open_erp(url, clock=clock, publishers=[recorder], actor="after-the-move") as opened:
        yield opened


def pending(url: str) -> list[str]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        rows = db.execute("SELECT kind FROM outbox WHERE delivered_at IS NULL ORDER BY id")
        kinds = [kind for (kind,) in rows]
    db.close()
    return kinds


def test_the_fixture_holds_every_event_type_undelivered(url: str) -> None:
    assert set(EXPECTED["pending_event_kinds"]) == EVENT_TYPES
    assert pending(url) == EXPECTED["pending_event_kinds"]


def test_opening_it_reads_what_the_previous_release_read(erp: ERP) -> None:
    now = readout(erp)
    # section by section, so a failure names what differs
    assert now["catalog"] == OLD["catalog"]
    for part in OLD["stock"]:
        assert now["stock"][part] == OLD["stock"][part], part
    assert now["orders"]["by_status"] == OLD["orders"]["by_status"]
    for order_id, order in OLD["orders"]["orders"].items():
        assert now["orders"]["orders"][order_id] == order, order_id
    assert now["orders"] == OLD["orders"]
    assert now["settings"] == OLD["settings"]
    assert now["dead_letters"] == OLD["dead_letters"]
    assert now == OLD
    assert erp.inventory.verify() == []
    erp.check()


def test_every_status_of_the_old_store_is_there(erp: ERP) -> None:
    for status in (
        OrderStatus.UNPAID,
        OrderStatus.ON_HOLD,
        OrderStatus.READY,
        OrderStatus.UNMAPPED,
        OrderStatus.WAITING,
        OrderStatus.ALLOCATED,
        OrderStatus.PICKING,
        OrderStatus.SHIPPED,
        OrderStatus.CANCELLED,
        OrderStatus.MERGED,
    ):
        assert erp.orders.ids(status), status
    assert erp.orders.get("shopify/web/1008#2").split_from == "shopify/web/1008"
    assert erp.orders.get("shopify/web/1006").merged_into == "shopify/web/#M-1006+1007"


def test_the_next_command_relays_every_old_event_to_a_publisher(
    erp: ERP, recorder: Recorder, url: str
) -> None:
    erp.inventory.receive("TEA", "HAM", 1, document="after the move")

    assert recorder.types() == EVENT_TYPES
    # the old events, in the order they were stored, then the new receipt
    names = [type(e).__name__ for e in recorder.events]
    assert names == [*EXPECTED["pending_event_kinds"], "StockMoved"]
    assert pending(url) == []
    assert [fields(d, "id", "consumer") for d in erp.dead_letters.list()] == [
        {"id": d["id"], "consumer": d["consumer"]} for d in OLD["dead_letters"]
    ]
    # relaying changed no order: the events only told the publisher
    assert readout(erp)["orders"] == OLD["orders"]
    erp.check()


def test_the_relay_command_delivers_the_old_events(url: str) -> None:
    result = run_cli("relay", "--once", url)

    assert result.returncode == 0, result.stderr
    assert pending(url) == []


def test_old_dead_letters_carry_their_events(erp: ERP) -> None:
    (letter,) = erp.dead_letters.list()
    assert [type(e).__name__ for e in letter.events] == OLD["dead_letters"][0]["events"]
    assert erp.dead_letters.get(letter.id).events == letter.events
    erp.dead_letters.discard(letter.id)
    assert erp.dead_letters.list() == []


def test_idempotency_keys_of_the_old_store_replay_their_first_result(erp: ERP) -> None:
    """The fingerprint names the command class and its fields (not their
    module): renaming either would turn these replays into conflicts."""
    moves = len(erp.inventory.moves())
    again = erp.inventory.receive(
        "MUG-RED", "BER", 20, document="PO-1", actor="anna", idempotency_key="receive-po-1"
    )
    assert (
        fields(again, "seq", "sku", "source", "dest", "qty", "reason", "document", "at")
        == EXPECTED["replies"]["receive"]
    )
    imported = erp.orders.import_orders(first_batch(), idempotency_key="import-1")
    assert plain(imported.counts()) == EXPECTED["replies"]["import"]
    shipped = erp.orders.ship({"shopify/web/1001": "DHL-0001"}, "anna", idempotency_key="ship-1")
    assert plain(shipped.counts()) == EXPECTED["replies"]["ship"]
    transfer = erp.inventory.transfer(
        "TR-1", "BER", "HAM", {"MUG-BLUE": 2, "LID": 2}, "anna", idempotency_key="tr-1"
    )
    assert fields(transfer, *TRANSFER) == EXPECTED["replies"]["tr-1"]
    stocktake = erp.inventory.start_stocktake(
        "ST-1", "HAM", ["MUG-RED", "LID"], "anna", idempotency_key="st-1"
    )
    assert fields(stocktake, *STOCKTAKE) == EXPECTED["replies"]["st-1"]
    erp.inventory.close_period(
        datetime.fromisoformat("2026-03-02T09:00:00+00:00"), "anna", idempotency_key="close-1"
    )
    assert len(erp.inventory.moves()) == moves  # nothing booked again
    with pytest.raises(IdempotencyConflictError):
        erp.inventory.receive("MUG-RED", "BER", 21, document="PO-1", idempotency_key="receive-po-1")
    assert readout(erp)["stock"] == OLD["stock"]


def test_open_documents_of_the_old_store_can_be_finished(erp: ERP) -> None:
    # the same count again: the stocktake as stored, read back from the documents
    stocktake = erp.inventory.count("ST-2", {"TEA": 5})
    assert fields(stocktake, *STOCKTAKE) == EXPECTED["replies"]["st-2"]
    (loss,) = erp.inventory.post_stocktake("ST-2")
    assert (loss.sku, loss.qty, loss.reason.value) == ("TEA", 1, "stocktake_loss")

    outstanding = erp.inventory.position("TEA", "HAM").in_transit
    transfer = erp.inventory.receive_transfer("TR-2", {"TEA": 2, "LID": 2})
    before = EXPECTED["replies"]["tr-2"]
    assert fields(transfer, "id", "source", "dest", "lines") == {
        k: before[k] for k in ("id", "source", "dest", "lines")
    }
    assert plain(transfer.received) == {"LID": 2, "TEA": 3}
    assert transfer.status.value == "received"
    assert outstanding == 2
    assert erp.inventory.position("TEA", "HAM").in_transit == 0


def test_posted_documents_of_the_old_store_stay_posted(erp: ERP) -> None:
    with pytest.raises(EcerpError):
        erp.inventory.post_stocktake("ST-1")
    with pytest.raises(EcerpError):
        erp.inventory.receive_transfer("TR-1", {"LID": 1})
    assert readout(erp)["stock"] == OLD["stock"]


def test_settings_of_the_old_store_keep_applying(erp: ERP) -> None:
    current = erp.settings.current()
    assert current.version == OLD["settings"][-1]["version"]
    assert sorted(current.settings.blacklist) == OLD["settings"][-1]["blacklist"]
    changed = erp.settings.set(blacklist=[])
    assert changed.version == current.version + 1
    assert [v.version for v in erp.settings.history()][:-1] == [
        v["version"] for v in OLD["settings"]
    ]
