"""Memory and SQLite give the same books for the same commands (brief
invariant 10).

A hypothesis state machine drives two ERPs — one in memory, one on a fresh
SQLite file — with the SAME random sequence of commands at the SAME
simulated times: receipts, adjustments, imports and re-imports, allocation,
cancelling, editing lines, paying, shipping, transfers and stocktakes, good
and bad.  After every step both must hold identical balances, reservations,
ledger moves and orders, and a bad command must fail on both with the same
error.  Neither side is the oracle: they must simply agree, and the SQLite
side must also pass its own ledger self-check.

The shop: Shopify store ``web`` lists ``MUG``, ``LID``, ``CAP`` (SKUs), ``SET``
(a bundle of a ``MUG`` and a ``LID``) and ``mug-red`` (an alias of ``MUG``);
warehouses ``SH`` (preferred) and ``NY``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlsupport
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ecerp import (
    ERP,
    Alias,
    BatchResult,
    Bundle,
    ChannelLine,
    ChannelOrder,
    Component,
    EcerpError,
    Money,
    Order,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.stock import StockState, check_invariants

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SKUS = ("MUG", "LID", "CAP")
LISTINGS = ("MUG", "LID", "CAP", "SET", "mug-red")
WAREHOUSES = ("SH", "NY")
EXTERNAL_IDS = tuple(f"E{i}" for i in range(6))
ORDER_IDS = tuple(f"shopify/web/{e}" for e in EXTERNAL_IDS)
TRANSFER_IDS = ("T1", "T2", "T3")
STOCKTAKE_IDS = ("S1", "S2")
PRICE = Money.of("9.90", "EUR")

#: Steps per sequence: enough for imports, allocations, shortages and their
#: repair to interleave, few enough to keep 200 SQLite-backed examples in
#: the CI budget.
STEPS = 25

skus = st.sampled_from(SKUS)
warehouses = st.sampled_from(WAREHOUSES)
order_ids = st.sampled_from(ORDER_IDS)
# Now and then a listing nobody maps ("NOPE"), to see both sides reject it alike.
channel_lines = st.lists(
    st.builds(
        ChannelLine,
        listing_sku=st.sampled_from(LISTINGS) | st.just("NOPE"),
        qty=st.integers(1, 3),
        unit_price=st.just(PRICE),
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def drafts(draw: st.DrawFn) -> ChannelOrder:
    """A channel order: a known external id (so re-imports happen), placed
    at a fixed time per id, in some version (later versions update it)."""
    index = draw(st.integers(0, len(EXTERNAL_IDS) - 1))
    ordered_at = T0 + timedelta(minutes=index)
    return ChannelOrder(
        "shopify",
        "web",
        EXTERNAL_IDS[index],
        ordered_at,
        "EUR",
        tuple(draw(channel_lines)),
        updated_at=ordered_at + timedelta(hours=draw(st.integers(0, 4))),
        paid=draw(st.booleans()),
        cancelled=draw(st.integers(0, 9)) == 0,
        priority=draw(st.integers(0, 1)),
    )


def normalized(state: StockState) -> dict[str, Any]:
    """The committed stock, with zero figures dropped (a store may keep or
    drop an emptied row)."""
    return {
        "warehouses": state.warehouses,
        "moves": state.moves,
        "balances": {k: v for k, v in state.on_hand.items() if v},
        "sellable": {k: v for k, v in state.sellable.items() if v},
        "reserved": {k: v for k, v in state.reserved.items() if v},
        "reservations": {o: lines for o, lines in state.reservations.items() if lines},
        "closed_until": state.closed_until,
    }


def order_fields(order: Order | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return attrs.asdict(order, recurse=False, filter=lambda a, _: a.name != "_events")


def comparable(result: object) -> object:
    """What a command returned, in a form both sides can be compared on."""
    if isinstance(result, BatchResult):
        return [
            (o.ref, o.kind, o.order, o.detail, None if o.error is None else type(o.error))
            for o in result
        ]
    if isinstance(result, Order):
        return order_fields(result)
    return result


def attempt(erp: ERP, action: Callable[[ERP], object]) -> tuple[str, object]:
    try:
        return "ok", comparable(action(erp))
    except EcerpError as err:
        return "error", (type(err), str(err))


class MemoryAgreesWithSqlite(RuleBasedStateMachine):
    template: Path | None = None

    def __init__(self) -> None:
        super().__init__()
        assert self.template is not None
        self.clock = SimulatedClock(T0)
        self.dir = Path(tempfile.mkdtemp(dir=self.template.parent))
        path = self.dir / "ecerp.db"
        shutil.copyfile(self.template, path)
        self.memory = open_erp("memory://", clock=self.clock, actor="anna")
        self.sqlite = open_erp(f"sqlite:///{path}", clock=self.clock, actor="anna")
        self.both(
            lambda erp: erp.catalog.add(
                *(Sku(code) for code in SKUS),
                Bundle("SET", (Component("MUG", 1), Component("LID", 1))),
                Shop("web", "shopify", currency="EUR"),
                Alias("shopify", "web", "mug-red", "MUG"),
            )
        )
        self.both(lambda erp: erp.inventory.add_warehouse(Warehouse("SH", priority=0)))
        self.both(lambda erp: erp.inventory.add_warehouse(Warehouse("NY", priority=1)))

    def both(self, action: Callable[[ERP], object]) -> None:
        """Run ``action`` on both sides: same result, or the same error."""
        in_memory = attempt(self.memory, action)
        on_sqlite = attempt(self.sqlite, action)
        assert on_sqlite == in_memory

    def teardown(self) -> None:
        try:
            assert self.sqlite.inventory.verify() == []
            self.sqlite.check()
            self.memory.check()
        finally:
            self.memory.close()
            self.sqlite.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- time ------------------------------------------------------------------------------

    @rule(minutes=st.integers(0, 180))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    # --- stock -----------------------------------------------------------------------------

    @rule(sku=skus, warehouse=warehouses, qty=st.integers(1, 6))
    def receive(self, sku: str, warehouse: str, qty: int) -> None:
        self.both(lambda erp: erp.inventory.receive(sku, warehouse, qty, document="PO"))

    @rule(sku=skus | st.just("GHOST"), warehouse=warehouses, delta=st.integers(-5, 4))
    def adjust(self, sku: str, warehouse: str, delta: int) -> None:
        self.both(lambda erp: erp.inventory.adjust(sku, warehouse, delta, note="found/lost"))

    @rule(
        transfer=st.sampled_from(TRANSFER_IDS),
        source=warehouses,
        dest=warehouses,
        lines=st.dictionaries(skus, st.integers(1, 4), min_size=1, max_size=2),
    )
    def send_transfer(
        self, transfer: str, source: str, dest: str, lines: dict[str, int]
    ) -> None:
        self.both(lambda erp: erp.inventory.transfer(transfer, source, dest, lines))

    @rule(
        transfer=st.sampled_from(TRANSFER_IDS),
        quantities=st.dictionaries(skus, st.integers(1, 4), min_size=1, max_size=2),
    )
    def receive_transfer(self, transfer: str, quantities: dict[str, int]) -> None:
        self.both(lambda erp: erp.inventory.receive_transfer(transfer, quantities))

    @rule(
        stocktake=st.sampled_from(STOCKTAKE_IDS),
        warehouse=warehouses,
        counted=st.lists(skus, max_size=3, unique=True),
    )
    def start_stocktake(self, stocktake: str, warehouse: str, counted: list[str]) -> None:
        self.both(lambda erp: erp.inventory.start_stocktake(stocktake, warehouse, counted))

    @rule(
        stocktake=st.sampled_from(STOCKTAKE_IDS),
        counts=st.dictionaries(skus, st.integers(0, 8), min_size=1, max_size=3),
    )
    def count(self, stocktake: str, counts: dict[str, int]) -> None:
        self.both(lambda erp: erp.inventory.count(stocktake, counts))

    @rule(stocktake=st.sampled_from(STOCKTAKE_IDS))
    def post_stocktake(self, stocktake: str) -> None:
        self.both(lambda erp: erp.inventory.post_stocktake(stocktake))

    # --- orders ------------------------------------------------------------------------------

    @rule(batch=st.lists(drafts(), min_size=1, max_size=3))
    def import_orders(self, batch: list[ChannelOrder]) -> None:
        self.both(lambda erp: erp.orders.import_orders(batch))

    @rule(ids=st.none() | st.lists(order_ids, max_size=3))
    def allocate(self, ids: list[str] | None) -> None:
        self.both(lambda erp: erp.orders.allocate(ids))

    @rule(order=order_ids)
    def cancel(self, order: str) -> None:
        self.both(lambda erp: erp.orders.cancel(order, "buyer asked"))

    @rule(order=order_ids)
    def mark_paid(self, order: str) -> None:
        self.both(lambda erp: erp.orders.mark_paid(order))

    @rule(order=order_ids, lines=channel_lines)
    def edit_lines(self, order: str, lines: list[ChannelLine]) -> None:
        self.both(lambda erp: erp.orders.edit_lines(order, lines))

    @rule(ids=st.lists(order_ids, min_size=1, max_size=3, unique=True))
    def ship(self, ids: list[str]) -> None:
        self.both(lambda erp: erp.orders.ship({oid: f"TRK-{oid[-2:]}" for oid in ids}))

    # --- the books agree -------------------------------------------------------------------

    @invariant()
    def same_books(self) -> None:
        on_sqlite = self.sqlite.snapshot()
        assert normalized(on_sqlite) == normalized(self.memory.snapshot())
        check_invariants(on_sqlite)
        assert orders_of(self.sqlite) == orders_of(self.memory)


def orders_of(erp: ERP) -> dict[str, dict[str, Any] | None]:
    """Every order the sequence can name, read in one unit of work, plus the
    ids the store lists (its status index included)."""
    with erp.backend.uow_factory() as uow:
        found = uow.orders.find_many(ORDER_IDS)
        listed = list(uow.orders.ids_with_status(tuple(OrderStatus)))
        return {
            "listed": sorted(listed),  # type: ignore[dict-item]
            **{oid: order_fields(found.get(oid)) for oid in ORDER_IDS},
        }


def test_memory_and_sqlite_keep_identical_books_for_the_same_commands(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The files only need to be SQLite, not durable: on tmpfs when there is
    # one, which spares a fsync per checkpoint and close (half the run time).
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        where = Path(tempfile.mkdtemp(prefix="ecerp-differential-", dir=shm))
    else:
        where = tmp_path_factory.mktemp("differential")
    try:
        template = where / "template.db"
        sqlsupport.sqlite_url(where, template.name)  # schema at head, copied per example
        MemoryAgreesWithSqlite.template = template
        run_state_machine_as_test(
            MemoryAgreesWithSqlite, settings=settings(stateful_step_count=STEPS)
        )
    finally:
        MemoryAgreesWithSqlite.template = None
        shutil.rmtree(where, ignore_errors=True)
