"""A rejected item of a long batch is named by its place in the whole call.

A marketplace export of a day's orders holds a few broken rows (a dict
where an order should be, a value of the wrong kind).  The facade streams
the input as one command per chunk (``IMPORT_CHUNK`` drafts), but the seller
reads the result as one list: the rejected item ``#5`` is the fifth item
given, whichever chunk it fell into.  The chunk is made small here so a
five-item batch spans three chunks.  Memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ecerp import ERP, ChannelLine, ChannelOrder, Money, Shop, Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.usecases.orders import handlers as order_cases
from ecerp.usecases.orders.commands import ImportOrders

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


@pytest.fixture
def erp(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ERP]:
    monkeypatch.setattr(order_cases, "IMPORT_CHUNK", 2)
    with open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=1))) as opened:
        opened.catalog.add(Sku("MUG"), Shop("eb-de", "ebay", currency="EUR"))
        opened.inventory.add_warehouse(Warehouse("BER"))
        opened.inventory.receive("MUG", "BER", 10)
        yield opened


def mug(number: str) -> ChannelOrder:
    return ChannelOrder(
        "ebay",
        "eb-de",
        number,
        T0,
        "EUR",
        (ChannelLine("MUG", 1, Money.of("9", "EUR")),),
        paid=True,
    )


def export(prefix: str) -> list[object]:
    """Five rows: the third and the fifth are broken."""
    return [mug(f"{prefix}1"), mug(f"{prefix}2"), {"id": 3}, mug(f"{prefix}4"), "row 5"]


def rejected_refs(outcomes: object) -> list[str]:
    return [o.ref for o in outcomes if not o.ok]  # type: ignore[attr-defined]


def test_import_names_a_broken_row_by_its_place_in_the_whole_call(erp: ERP) -> None:
    result = erp.orders.import_orders(export("I"))  # type: ignore[arg-type]
    assert rejected_refs(result) == ["#3", "#5"]
    assert [o.error.field for o in result.rejected] == ["orders[#3]", "orders[#5]"]  # type: ignore[union-attr]
    assert erp.orders.total() == 3


def test_a_streamed_import_names_them_the_same(erp: ERP) -> None:
    assert rejected_refs(erp.orders.import_stream(export("S"))) == ["#3", "#5"]  # type: ignore[arg-type]


def test_process_and_accept_name_them_the_same(erp: ERP) -> None:
    assert rejected_refs(erp.orders.process(export("P"))) == ["#3", "#5"]  # type: ignore[arg-type]
    assert rejected_refs(erp.orders.accept(export("A"))) == ["#3", "#5"]  # type: ignore[arg-type]
    assert erp.orders.total() == 6
    assert erp.inventory.position("MUG", "BER").reserved == 6


def test_one_long_command_names_them_by_place_too(erp: ERP) -> None:
    # an application driving the bus itself: the handler takes two per unit of work
    result = erp.bus.handle(ImportOrders(export("B")))  # type: ignore[arg-type]
    assert rejected_refs(result) == ["#3", "#5"]
