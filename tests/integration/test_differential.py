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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import sqlsupport
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
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.inventory.invariants import check_invariants
from ecerp.domain.inventory.state import StockState
from ecerp.domain.orders.status import HOLDING

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
STEPS = 20

skus = st.sampled_from(SKUS)
warehouses = st.sampled_from(WAREHOUSES)
# One line in twenty names a listing nobody maps, to see both sides reject it alike.
listings = st.integers(0, 19).map(lambda i: "NOPE" if i == 0 else LISTINGS[i % len(LISTINGS)])
channel_lines = st.lists(
    st.builds(ChannelLine, listing_sku=listings, qty=st.integers(1, 3), unit_price=st.just(PRICE)),
    min_size=1,
    max_size=3,
)


@st.composite
def drafts(draw: st.DrawFn) -> ChannelOrder:
    """A channel order: one of a few external ids (so re-imports happen),
    placed at a fixed time per id, in some version (later ones update it)."""
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
        paid=draw(st.integers(0, 4)) > 0,
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
        #: What the sequence has made, so most commands name something real.
        self.transfers: dict[str, dict[str, int]] = {}
        self.stocktakes: list[str] = []
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

    def both(self, action: Callable[[ERP], object]) -> object:
        """Run ``action`` on both sides: same result, or the same error.
        Returns the result (``None`` after an error)."""
        in_memory = attempt(self.memory, action)
        on_sqlite = attempt(self.sqlite, action)
        assert on_sqlite == in_memory
        return in_memory[1] if in_memory[0] == "ok" else None

    def pick(self, data: st.DataObject, known: Sequence[str], others: Sequence[str]) -> str:
        """Mostly something that exists; now and then anything at all."""
        if known and data.draw(st.integers(0, 5), label="known") > 0:
            return data.draw(st.sampled_from(sorted(known)), label="name")
        return data.draw(st.sampled_from(sorted(others)), label="name")

    def order(self, data: st.DataObject, *statuses: OrderStatus) -> str:
        return self.pick(data, self.memory.orders.ids(*statuses), ORDER_IDS)

    def teardown(self) -> None:
        try:
            assert self.sqlite.inventory.verify() == []
            self.sqlite.check()
            self.memory.check()
        finally:
            self.memory.close()
            self.sqlite.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    @initialize(
        stock=st.dictionaries(
            st.tuples(skus, warehouses), st.integers(3, 15), min_size=2, max_size=6
        ),
        batch=st.lists(drafts(), min_size=1, max_size=4),
    )
    def a_shop_already_trading(
        self, stock: dict[tuple[str, str], int], batch: list[ChannelOrder]
    ) -> None:
        for (sku, warehouse), qty in sorted(stock.items()):
            self.receive(sku, warehouse, qty)
        self.import_orders(batch)
        self.both(lambda erp: erp.orders.allocate())

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
        same_place=st.integers(0, 9).map(lambda i: i == 0),
        lines=st.dictionaries(skus, st.integers(1, 3), min_size=1, max_size=2),
    )
    def send_transfer(
        self, transfer: str, source: str, same_place: bool, lines: dict[str, int]
    ) -> None:
        dest = source if same_place else next(w for w in WAREHOUSES if w != source)
        if self.both(lambda erp: erp.inventory.transfer(transfer, source, dest, lines)):
            self.transfers[transfer] = lines

    @rule(data=st.data())
    def receive_transfer(self, data: st.DataObject) -> None:
        transfer = self.pick(data, list(self.transfers), TRANSFER_IDS)
        sent = self.transfers.get(transfer, {"MUG": 1})
        quantities = {
            sku: data.draw(st.integers(1, qty + 1), label=sku)
            for sku, qty in sent.items()
            if data.draw(st.booleans(), label=f"receive {sku}")
        } or {next(iter(sent)): 1}
        self.both(lambda erp: erp.inventory.receive_transfer(transfer, quantities))

    @rule(
        stocktake=st.sampled_from(STOCKTAKE_IDS),
        warehouse=warehouses,
        counted=st.lists(skus, max_size=3, unique=True),
    )
    def start_stocktake(self, stocktake: str, warehouse: str, counted: list[str]) -> None:
        if self.both(lambda erp: erp.inventory.start_stocktake(stocktake, warehouse, counted)):
            self.stocktakes.append(stocktake)

    @rule(data=st.data(), counts=st.dictionaries(skus, st.integers(0, 8), min_size=1, max_size=3))
    def count(self, data: st.DataObject, counts: dict[str, int]) -> None:
        stocktake = self.pick(data, self.stocktakes, STOCKTAKE_IDS)
        self.both(lambda erp: erp.inventory.count(stocktake, counts))

    @rule(data=st.data())
    def post_stocktake(self, data: st.DataObject) -> None:
        stocktake = self.pick(data, self.stocktakes, STOCKTAKE_IDS)
        self.both(lambda erp: erp.inventory.post_stocktake(stocktake))

    # --- orders ------------------------------------------------------------------------------

    @rule(batch=st.lists(drafts(), min_size=1, max_size=3))
    def import_orders(self, batch: list[ChannelOrder]) -> None:
        self.both(lambda erp: erp.orders.import_orders(batch))

    @rule(data=st.data(), everything=st.booleans())
    def allocate(self, data: st.DataObject, everything: bool) -> None:
        ids = None
        if not everything:
            # Distinct ids: naming one twice is a known bug (see the xfail below).
            count = data.draw(st.integers(1, 3), label="how many")
            ids = list(dict.fromkeys(self.order(data) for _ in range(count)))
        self.both(lambda erp: erp.orders.allocate(ids))

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = self.order(data)
        self.both(lambda erp: erp.orders.cancel(order, "buyer asked"))

    @rule(data=st.data())
    def mark_paid(self, data: st.DataObject) -> None:
        order = self.order(data, OrderStatus.UNPAID)
        self.both(lambda erp: erp.orders.mark_paid(order))

    @rule(data=st.data(), lines=channel_lines)
    def edit_lines(self, data: st.DataObject, lines: list[ChannelLine]) -> None:
        order = self.order(data)
        self.both(lambda erp: erp.orders.edit_lines(order, lines))

    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        ids = {
            self.order(data, OrderStatus.ALLOCATED)
            for _ in range(data.draw(st.integers(1, 3), label="how many"))
        }
        self.both(lambda erp: erp.orders.ship({oid: f"TRK-{oid[-2:]}" for oid in sorted(ids)}))

    # --- the books agree -------------------------------------------------------------------

    @invariant()
    def same_books(self) -> None:
        on_sqlite = self.sqlite.snapshot()
        assert normalized(on_sqlite) == normalized(self.memory.snapshot())
        check_invariants(on_sqlite)
        orders = orders_of(self.sqlite)
        assert orders == orders_of(self.memory)
        # And what they agree on is right: an order holds exactly its
        # requirements, in its warehouse, while allocated (or picked, packed),
        # and nothing otherwise (brief invariant 6).
        for oid in ORDER_IDS:
            order, held = orders[oid], on_sqlite.reservations.get(oid, {})
            if order is not None and order["status"] in HOLDING:
                assert {k: r.qty for k, r in held.items()} == order["requirements"], oid
                assert {r.warehouse for r in held.values()} == {order["warehouse"]}, oid
            else:
                assert not held, oid


def orders_of(erp: ERP) -> dict[str, Any]:
    """Every order the sequence can name (read in one unit of work), and the
    ids the store lists per status (its status index)."""
    with erp.backend.uow_factory() as uow:
        found = uow.orders.find_many(ORDER_IDS)
        listed = {
            status: sorted(uow.orders.ids_with_status((status,)))
            for status in (OrderStatus.READY, OrderStatus.WAITING, OrderStatus.ALLOCATED)
        }
        return {"listed": listed, **{oid: order_fields(found.get(oid)) for oid in ORDER_IDS}}


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


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_an_order_named_twice_in_one_allocation_is_allocated_once(
    backend: str, tmp_path: Path
) -> None:
    url = "memory://" if backend == "memory" else sqlsupport.sqlite_url(tmp_path)
    with open_erp(url, clock=SimulatedClock(T0)) as erp:
        erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
        erp.inventory.add_warehouse(Warehouse("SH"))
        erp.inventory.receive("MUG", "SH", 1)
        draft = ChannelOrder(
            "shopify", "web", "E0", T0, "EUR", (ChannelLine("MUG", 1, PRICE),), paid=True
        )
        erp.orders.import_orders([draft])

        result = erp.orders.allocate([ORDER_IDS[0], ORDER_IDS[0]])

        assert {o.kind for o in result} == {OutcomeKind.ALLOCATED}
        assert erp.orders.get(ORDER_IDS[0]).status is OrderStatus.ALLOCATED
        assert erp.inventory.position("MUG", "SH").reserved == 1
