"""A seller's stock, driven at random through the facade, against a model.

:class:`StockMachine` runs random commands (receipts, adjustments, damage,
imports and re-imports of channel orders, newer channel versions, allocation,
cancellation, edits, picking, shipping, transfers with partial receipt, and
stocktakes counted while orders keep shipping) over a random catalog with
nested and overlapping bundles, two channels and two or three warehouses
(sometimes one that allows negative stock).

Commands the domain refuses (a ``DomainError``) are legitimate outcomes; the
machine then asserts that nothing changed.  After every step it calls
``erp.check()`` and compares the books with its own model:

* per SKU and warehouse, sellable, damaged and in-transit stock as the
  commands it issued imply them (receipts, adjustments, shipments and
  stocktakes change the totals; transfers only move them: invariant 3);
* every order holds exactly its requirements (worked out from the catalog
  spec, not by ecerp) in one warehouse while allocated, picked or packed,
  and nothing otherwise: bundles all-or-nothing (invariant 4);
* re-importing a draft changes nothing (invariant 5); cancelling or editing
  releases exactly what the order held (invariant 6); a posted stocktake
  leaves the book at the count plus what moved since its snapshot
  (invariant 7).

The machine is parametrised by backend: subclass it with another ``url``
(or override :meth:`StockMachine.make_erp`) and expose
``Subclass.TestCase`` with :func:`machine_settings`, or call
:meth:`StockMachine.for_backend`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar, TypeVar, cast

import attrs
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ecerp import (
    ERP,
    ChannelLine,
    ChannelOrder,
    Money,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.inventory.locations import stock_location
from ecerp.domain.inventory.moves import StockPosition
from ecerp.domain.orders.drafts import order_id
from ecerp.domain.orders.errors import VersionConflictError
from ecerp.domain.orders.status import EDITABLE, HOLDING
from ecerp.domain.shared.errors import DomainError
from ecerp.testing.strategies import (
    CatalogSpec,
    catalog_specs,
    channel_lines,
    channel_orders,
    newer_versions,
    warehouse_codes,
)
from ecerp.usecases.results import OutcomeKind

T = TypeVar("T")
LineKey = tuple[int, str]
Holding = dict[LineKey, tuple[str, int]]  # (line, sku) -> (warehouse, qty)

#: Statuses a cancel is refused in (the goods are gone, or it is cancelled already).
NOT_CANCELLABLE = frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED})
#: Statuses an order can be shipped from.
SHIPPABLE = HOLDING
#: Statuses a person can hold an order in for review (holding a held order adds reasons).
HOLDABLE = frozenset(
    {
        OrderStatus.UNPAID,
        OrderStatus.READY,
        OrderStatus.WAITING,
        OrderStatus.ALLOCATED,
        OrderStatus.ON_HOLD,
    }
)


def machine_settings() -> settings:
    """Settings for the stock machine: examples from the loaded profile
    (``ci``: 200), runs of 35 steps."""
    return settings(
        stateful_step_count=35,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# --- the model ---------------------------------------------------------------------


@attrs.define
class Buckets:
    on_hand: int = 0
    damaged: int = 0
    in_transit: int = 0


@attrs.define
class OrderModel:
    first: ChannelOrder
    latest: ChannelOrder
    lines: tuple[ChannelLine, ...]

    @property
    def channel(self) -> str:
        return self.latest.channel

    @property
    def shop(self) -> str:
        return self.latest.shop


@attrs.define
class TransferModel:
    id: str
    source: str
    dest: str
    outstanding: dict[str, int]


@attrs.define
class StocktakeModel:
    id: str
    warehouse: str
    snapshot: dict[str, int]
    start_seq: int
    counts: dict[str, int] = attrs.field(factory=dict)
    open: bool = True


@attrs.frozen
class OrderView:
    status: OrderStatus
    updated_at: datetime
    lines: tuple[tuple[str, int, str, str], ...]
    requirements: tuple[tuple[LineKey, int], ...]
    warehouse: str | None


@attrs.frozen
class World:
    """What a refused command must leave exactly as it was."""

    positions: Mapping[tuple[str, str], StockPosition]
    holdings: Mapping[str, Holding]
    moves: int
    orders: Mapping[str, OrderView]


def _same_lines(a: Sequence[ChannelLine], b: Sequence[ChannelLine]) -> bool:
    """Lines equal as a buyer sees them: SKU, quantity, price and discount."""

    def facts(lines: Sequence[ChannelLine]) -> list[tuple[str, int, object, object]]:
        return [
            (ln.listing_sku, ln.qty, ln.unit_price.amount, ln.discount.amount if ln.discount else 0)
            for ln in lines
        ]

    return facts(a) == facts(b)


# --- the machine ----------------------------------------------------------------------


class StockMachine(RuleBasedStateMachine):
    """Random commands through the facade of the ERP at :attr:`url`."""

    url: ClassVar[str] = "memory://"
    start: ClassVar[datetime] = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __init__(self) -> None:
        super().__init__()
        self.clock = SimulatedClock(self.start)
        self.erp = self.make_erp()
        self.spec: CatalogSpec | None = None
        self.warehouses: list[Warehouse] = []
        self.buckets: dict[tuple[str, str], Buckets] = {}
        self.orders: dict[str, OrderModel] = {}
        self.transfers: dict[str, TransferModel] = {}
        self.stocktakes: dict[str, StocktakeModel] = {}
        self.shipped: set[str] = set()
        #: Per SKU, what came in (receipts, gains, stocktake gains) minus what
        #: went out (shipments, losses, scrap): never touched by transfers.
        self.net_in: dict[str, int] = {}
        self.serial = 0

    # --- backend --------------------------------------------------------------------

    def make_erp(self) -> ERP:
        """Open a fresh ERP on :attr:`url` (SQL subclasses override this to
        give every run its own database)."""
        return open_erp(self.url, clock=self.clock)

    @classmethod
    def for_backend(cls, url: str) -> type[StockMachine]:
        """A subclass of this machine running on ``url``, settings applied."""
        name = f"{cls.__name__}At{url.split(':')[0].title()}"
        machine = cast("type[StockMachine]", type(name, (cls,), {"url": url}))
        machine.TestCase.settings = machine_settings()
        return machine

    def teardown(self) -> None:
        self.erp.close()

    # --- helpers ----------------------------------------------------------------------

    @property
    def catalog(self) -> CatalogSpec:
        assert self.spec is not None
        return self.spec

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def wh(self, code: str) -> Warehouse:
        return next(w for w in self.warehouses if w.code == code)

    def bucket(self, sku: str, warehouse: str) -> Buckets:
        return self.buckets.setdefault((sku, warehouse), Buckets())

    def book_in(self, sku: str, qty: int) -> None:
        """Stock entered (``qty`` > 0) or left (< 0) the company."""
        self.net_in[sku] = self.net_in.get(sku, 0) + qty

    def requirements(self, oid: str) -> dict[LineKey, int]:
        model = self.orders[oid]
        return self.catalog.requirements(model.channel, model.shop, model.lines)

    def status(self, oid: str) -> OrderStatus:
        return self.erp.orders.get(oid).status

    def positions(self) -> dict[tuple[str, str], StockPosition]:
        """Every bucket of every SKU in every warehouse, as the facade reports it."""
        return {
            (sku, w.code): self.erp.inventory.position(sku, w.code)
            for sku in self.catalog.sku_codes
            for w in self.warehouses
        }

    def holdings(self) -> dict[str, Holding]:
        """What each order holds, as the facade reports it."""
        result = {}
        for oid in self.orders:
            held = self.erp.inventory.reservations(oid)
            if held:
                result[oid] = {(r.line, r.sku): (r.warehouse, r.qty) for r in held}
        return result

    def reserved_totals(self) -> dict[tuple[str, str], int]:
        return {k: p.reserved for k, p in self.positions().items() if p.reserved}

    def physical_per_sku(self) -> dict[str, int]:
        """On hand + damaged + in transit of each SKU over all warehouses, from the books."""
        totals: dict[str, int] = {}
        for (sku, _), pos in self.positions().items():
            totals[sku] = totals.get(sku, 0) + pos.on_hand + pos.damaged + pos.in_transit
        return totals

    def world(self) -> World:
        orders = {}
        for oid in self.erp.orders.ids():
            o = self.erp.orders.get(oid)
            orders[oid] = OrderView(
                o.status,
                o.updated_at,
                tuple(
                    (ln.listing_sku, ln.qty, str(ln.unit_price.amount), str(ln.discount.amount))
                    for ln in o.lines
                ),
                tuple(sorted(o.requirements.items())),
                o.warehouse,
            )
        return World(self.positions(), self.holdings(), len(self.erp.inventory.moves()), orders)

    def attempt(self, action: Callable[[], T]) -> T | None:
        """Run ``action``; a refusal by the domain must leave the world as it was."""
        before = self.world()
        try:
            return action()
        except DomainError as err:
            refused = err
        event(f"refused: {type(refused).__name__}")
        assert self.world() == before, f"refused ({refused!r}) but the books changed"
        return None

    def assert_only_waiting_orders_picked_up(
        self,
        before: Mapping[str, Holding],
        statuses_before: Mapping[str, OrderStatus],
        exempt: Iterable[str],
    ) -> list[str]:
        """Orders other than ``exempt`` hold what they held, except waiting or
        ready ones that got allocated (they hold their requirements, which the
        invariants check).  Returns those newly allocated."""
        after = self.holdings()
        exempt = set(exempt)
        picked_up = []
        for oid in self.orders:
            if oid in exempt:
                continue
            if after.get(oid, {}) == before.get(oid, {}):
                continue
            was, now = statuses_before[oid], self.status(oid)
            assert was in (OrderStatus.WAITING, OrderStatus.READY), (
                f"{oid} ({was.value}) changed its reservations though untouched"
            )
            assert now is OrderStatus.ALLOCATED
            assert not before.get(oid)
            picked_up.append(oid)
            event("freed stock allocated a waiting order")
        return picked_up

    def assert_reserved_moved_by_exactly(
        self,
        totals_before: Mapping[tuple[str, str], int],
        released: Holding,
        reserved: Iterable[Holding],
    ) -> None:
        """Reserved totals after == before - ``released`` + each of ``reserved``."""
        expected = dict(totals_before)
        for (_, sku), (wh, qty) in released.items():
            expected[(sku, wh)] = expected.get((sku, wh), 0) - qty
        for holding in reserved:
            for (_, sku), (wh, qty) in holding.items():
                expected[(sku, wh)] = expected.get((sku, wh), 0) + qty
        expected = {k: v for k, v in expected.items() if v}
        assert self.reserved_totals() == expected

    def assert_no_waiting_order_could_ship(
        self, skus: Iterable[str] | None = None, among: Iterable[str] | None = None
    ) -> None:
        """After stock became available (of ``skus``; ``None``: any) or orders
        were allocated (``among``; ``None``: all), no waiting order concerned
        could be shipped whole from what some warehouse now has available."""
        wanted = None if skus is None else set(skus)
        if wanted is not None and not wanted:
            return
        positions = self.positions()
        waiting = self.erp.orders.ids(OrderStatus.WAITING)
        for oid in waiting if among is None else set(waiting) & set(among):
            model = self.orders[oid]
            needs = self.catalog.sku_totals(model.channel, model.shop, model.lines)
            if wanted is not None and wanted.isdisjoint(needs):
                continue
            for w in self.warehouses:
                fits = w.allow_negative or all(
                    positions[(sku, w.code)].available >= q for sku, q in needs.items()
                )
                assert not fits, f"{oid} still waits although {w.code} could ship all of it"

    def statuses(self) -> dict[str, OrderStatus]:
        return {oid: self.status(oid) for oid in self.orders}

    # --- set-up ---------------------------------------------------------------------------

    @initialize(
        spec=catalog_specs(max_skus=4, max_bundles=3),
        codes=st.lists(warehouse_codes(), min_size=2, max_size=3, unique=True),
        negative=st.booleans(),
        data=st.data(),
    )
    def set_up(
        self, spec: CatalogSpec, codes: list[str], negative: bool, data: st.DataObject
    ) -> None:
        """The catalog, the warehouses and some opening stock."""
        self.spec = spec
        self.erp.catalog.add(*spec.items())
        for i, code in enumerate(codes):
            # The last warehouse may allow negative stock; it is the fallback.
            last = i == len(codes) - 1
            wh = Warehouse(code, allow_negative=negative and last, priority=9 if last else i)
            self.erp.inventory.add_warehouse(wh)
            self.warehouses.append(wh)
        for wh in self.warehouses:
            for sku in spec.sku_codes:
                qty = data.draw(st.integers(0, 12), label=f"opening {sku}@{wh.code}")
                if qty:
                    self.erp.inventory.receive(sku, wh.code, qty, document="opening")
                    self.bucket(sku, wh.code).on_hand += qty
                    self.book_in(sku, qty)

    # --- stock ------------------------------------------------------------------------------

    def draw_sku(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(self.catalog.sku_codes), label="sku")

    def draw_wh(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from([w.code for w in self.warehouses]), label="warehouse")

    @rule(data=st.data(), damaged=st.sampled_from((False, False, False, True)))
    def receive_delivery(self, data: st.DataObject, damaged: bool) -> None:
        """A supplier delivery of one or more SKUs, each received on its own."""
        wh = self.draw_wh(data)
        delivery = data.draw(
            st.dictionaries(
                st.sampled_from(self.catalog.sku_codes), st.integers(1, 15), min_size=1
            ),
            label="delivery",
        )
        for sku, qty in delivery.items():
            self.erp.inventory.receive(sku, wh, qty, damaged=damaged, document="PO")
            self.book_in(sku, qty)
            if damaged:
                self.bucket(sku, wh).damaged += qty
            else:
                self.bucket(sku, wh).on_hand += qty
                self.assert_no_waiting_order_could_ship({sku})

    @rule(data=st.data(), delta=st.integers(-6, 5).map(lambda d: d if d < 0 else d + 1))
    def adjust(self, data: st.DataObject, delta: int) -> None:
        sku, wh = self.draw_sku(data), self.draw_wh(data)
        if self.attempt(lambda: self.erp.inventory.adjust(sku, wh, delta, note="found/lost")):
            self.bucket(sku, wh).on_hand += delta
            self.book_in(sku, delta)
            if delta > 0:
                self.assert_no_waiting_order_could_ship({sku})

    @rule(data=st.data(), qty=st.integers(1, 4))
    def damage(self, data: st.DataObject, qty: int) -> None:
        sku, wh = self.draw_sku(data), self.draw_wh(data)
        if self.attempt(lambda: self.erp.inventory.damage(sku, wh, qty, note="dropped")):
            self.bucket(sku, wh).on_hand -= qty
            self.bucket(sku, wh).damaged += qty

    @rule(data=st.data(), qty=st.integers(1, 4))
    def repair(self, data: st.DataObject, qty: int) -> None:
        sku, wh = self.draw_sku(data), self.draw_wh(data)
        if self.attempt(lambda: self.erp.inventory.repair(sku, wh, qty, note="fine after all")):
            self.bucket(sku, wh).damaged -= qty
            self.bucket(sku, wh).on_hand += qty
            self.assert_no_waiting_order_could_ship({sku})

    @rule(data=st.data(), qty=st.integers(1, 4))
    def scrap(self, data: st.DataObject, qty: int) -> None:
        sku, wh = self.draw_sku(data), self.draw_wh(data)
        if self.attempt(lambda: self.erp.inventory.scrap(sku, wh, qty, note="broken")):
            self.bucket(sku, wh).damaged -= qty
            self.book_in(sku, -qty)

    @rule(minutes=st.integers(1, 180))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    # --- transfers ---------------------------------------------------------------------------

    @rule(data=st.data())
    def send_transfer(self, data: st.DataObject) -> None:
        source, dest = data.draw(
            st.lists(
                st.sampled_from([w.code for w in self.warehouses]),
                min_size=2,
                max_size=2,
                unique=True,
            ),
            label="source, dest",
        )
        lines = data.draw(
            st.dictionaries(
                st.sampled_from(self.catalog.sku_codes), st.integers(1, 5), min_size=1, max_size=2
            ),
            label="lines",
        )
        tid = self.next_id("T")
        before = self.physical_per_sku()
        if self.attempt(lambda: self.erp.inventory.transfer(tid, source, dest, lines)) is None:
            return
        for sku, qty in lines.items():
            self.bucket(sku, source).on_hand -= qty
            self.bucket(sku, dest).in_transit += qty
        self.transfers[tid] = TransferModel(tid, source, dest, dict(lines))
        event("transfer sent")
        assert self.physical_per_sku() == before, "a transfer changed the stock it moved"

    @precondition(lambda self: any(t.outstanding for t in self.transfers.values()))
    @rule(data=st.data(), damaged=st.sampled_from((False, False, True)))
    def receive_transfer(self, data: st.DataObject, damaged: bool) -> None:
        open_ = sorted(t.id for t in self.transfers.values() if t.outstanding)
        transfer = self.transfers[data.draw(st.sampled_from(open_), label="transfer")]
        skus = data.draw(
            st.lists(st.sampled_from(sorted(transfer.outstanding)), min_size=1, unique=True),
            label="skus",
        )
        # Mostly a part of what is outstanding; now and then one too many (refused).
        quantities = {
            sku: data.draw(st.integers(1, transfer.outstanding[sku] + 1), label=f"qty {sku}")
            for sku in skus
        }
        before = self.physical_per_sku()
        result = self.attempt(
            lambda: self.erp.inventory.receive_transfer(transfer.id, quantities, damaged=damaged)
        )
        over = any(q > transfer.outstanding[s] for s, q in quantities.items())
        assert (result is None) == over, "receipt refused iff more than outstanding"
        if result is None:
            return
        for sku, qty in quantities.items():
            transfer.outstanding[sku] -= qty
            if not transfer.outstanding[sku]:
                del transfer.outstanding[sku]
            self.bucket(sku, transfer.dest).in_transit -= qty
            if damaged:
                self.bucket(sku, transfer.dest).damaged += qty
            else:
                self.bucket(sku, transfer.dest).on_hand += qty
        assert self.physical_per_sku() == before, "receiving a transfer changed the stock"
        if not damaged:
            self.assert_no_waiting_order_could_ship(quantities)

    # --- orders ----------------------------------------------------------------------------------

    @rule(
        data=st.data(),
        n=st.integers(1, 3),
        repeat_in_batch=st.booleans(),
        allocate_now=st.booleans(),
    )
    def import_new_orders(
        self, data: st.DataObject, n: int, repeat_in_batch: bool, allocate_now: bool
    ) -> None:
        """Import a batch of new drafts (one maybe twice in the batch) and,
        as a seller with automatic allocation would, allocate the ready ones."""
        drafts = [
            data.draw(
                channel_orders(
                    self.catalog,
                    external_ids=st.just(self.next_id("E")),
                    ordered_at=st.just(self.clock.now()),
                    cancelled=st.sampled_from((False,) * 9 + (True,)),
                    max_lines=2,
                    max_qty=2,
                ),
                label="draft",
            )
            for _ in range(n)
        ]
        batch = drafts + drafts[:1] if repeat_in_batch else drafts
        stock_before = self.world()
        result = self.erp.orders.import_orders(batch)
        kinds = [o.kind for o in result]
        assert kinds == [OutcomeKind.CREATED] * n + [OutcomeKind.UNCHANGED] * (len(batch) - n)
        for draft in drafts:
            oid = order_id(*draft.key)
            self.orders[oid] = OrderModel(draft, draft, draft.lines)
            expected = (
                OrderStatus.CANCELLED
                if draft.cancelled
                else OrderStatus.READY
                if draft.paid
                else OrderStatus.UNPAID
            )
            assert self.status(oid) is expected
        after = self.world()
        assert (after.positions, after.holdings, after.moves) == (
            stock_before.positions,
            stock_before.holdings,
            stock_before.moves,
        ), "importing orders moved or reserved stock"
        ready = [order_id(*d.key) for d in drafts if d.paid and not d.cancelled]
        if allocate_now and ready:
            self.allocate(ready)

    def draw_orders(
        self, data: st.DataObject, prefer: Iterable[OrderStatus], max_size: int = 1
    ) -> list[str]:
        """Mostly orders in one of the ``prefer`` statuses (if any), otherwise any."""
        wanted = set(prefer)
        preferred = sorted(oid for oid, st_ in self.statuses().items() if st_ in wanted)
        use_preferred = data.draw(st.sampled_from((True, True, True, False)), label="prefer")
        pool = preferred if preferred and use_preferred else sorted(self.orders)
        return data.draw(
            st.lists(st.sampled_from(pool), min_size=1, max_size=max_size, unique=True),
            label="orders",
        )

    def draw_order(self, data: st.DataObject, prefer: Iterable[OrderStatus] = HOLDING) -> str:
        return self.draw_orders(data, prefer)[0]

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), which=st.sampled_from(("latest", "first", "twice")))
    def reimport_same_draft(self, data: st.DataObject, which: str) -> None:
        """Invariant 5: the same (or an older) version changes nothing; an
        older one that differs is refused as a version conflict."""
        oid = self.draw_order(data)
        model = self.orders[oid]
        batch = {
            "latest": [model.latest],
            "first": [model.first],
            "twice": [model.latest, model.latest],
        }[which]
        before = self.world()
        result = self.erp.orders.import_orders(batch)
        if which == "first" and model.first is not model.latest:
            for o in result:
                conflict = isinstance(o.error, VersionConflictError)
                assert o.kind is OutcomeKind.UNCHANGED or conflict
        else:
            assert [o.kind for o in result] == [OutcomeKind.UNCHANGED] * len(batch)
        assert all(o.order in (oid, None) for o in result)
        assert self.world() == before
        assert len(self.erp.orders.ids()) == len(self.orders)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def import_newer_version(self, data: st.DataObject) -> None:
        oid = self.draw_order(data)
        model = self.orders[oid]
        draft = data.draw(
            newer_versions(self.catalog, model.latest, max_lines=2, max_qty=2),
            label="newer version",
        )
        was = self.status(oid)
        lines_changed = not _same_lines(draft.lines, model.lines)
        address_changed = draft.address != self.erp.orders.get(oid).address
        if draft.cancelled:
            refused = was is OrderStatus.SHIPPED
        else:
            refused = (lines_changed or address_changed) and was not in EDITABLE
        before, held_before = self.world(), self.holdings()
        totals_before, statuses_before = self.reserved_totals(), self.statuses()

        (outcome,) = self.erp.orders.import_orders([draft])

        if refused:
            assert outcome.kind is OutcomeKind.REJECTED
            assert isinstance(outcome.error, DomainError)
            assert self.world() == before
            return
        assert outcome.kind is OutcomeKind.UPDATED, outcome
        event(f"newer version applied to a {was.value} order")
        model.latest = draft
        if not draft.cancelled:
            model.lines = draft.lines
        now = self.status(oid)
        if draft.cancelled:
            assert now is OrderStatus.CANCELLED
        assert len(self.erp.orders.ids()) == len(self.orders)
        self.check_release_and_pickup(oid, held_before, totals_before, statuses_before)

    def check_release_and_pickup(
        self,
        oid: str,
        held_before: Mapping[str, Holding],
        totals_before: Mapping[tuple[str, str], int],
        statuses_before: Mapping[str, OrderStatus],
    ) -> None:
        """Invariant 6: ``oid`` gave back exactly what it held and took its new
        requirements (if it still holds stock); other orders only changed by
        being allocated from what was freed."""
        picked_up = self.assert_only_waiting_orders_picked_up(
            held_before, statuses_before, exempt={oid}
        )
        after = self.holdings()
        own_now = after.get(oid, {})
        if self.status(oid) in HOLDING:
            assert {k: q for k, (_, q) in own_now.items()} == self.requirements(oid)
        else:
            assert own_now == {}, f"{oid} is {self.status(oid).value} but still holds stock"
        self.assert_reserved_moved_by_exactly(
            totals_before,
            held_before.get(oid, {}),
            [own_now, *(after[p] for p in picked_up)],
        )

    def allocate(self, oids: Sequence[str] | None) -> None:
        """Allocate ``oids`` (``None``: every ready and waiting order) and check
        the outcome against the rules: each becomes allocated or waits, nothing
        outside the batch moves, and no order waits that a warehouse could
        ship whole from what is left."""
        allocatable = set(self.erp.orders.ids(OrderStatus.READY, OrderStatus.WAITING))
        batch = allocatable if oids is None else set(oids)
        assert batch <= allocatable
        held_before = self.holdings()
        result = self.erp.orders.allocate(oids)
        assert {o.ref for o in result} == batch
        for outcome in result:
            assert outcome.kind in (OutcomeKind.ALLOCATED, OutcomeKind.WAITING), outcome
            event(f"allocate: {outcome.kind.value}")
            expected = (
                OrderStatus.ALLOCATED
                if outcome.kind is OutcomeKind.ALLOCATED
                else OrderStatus.WAITING
            )
            assert self.status(outcome.ref) is expected
        after = self.holdings()
        for oid, held in held_before.items():
            assert after.get(oid) == held, "allocation touched an order outside its batch"
        if oids is None:
            assert not self.erp.orders.ids(OrderStatus.READY)
        self.assert_no_waiting_order_could_ship(among=batch)

    @precondition(lambda self: self.orders)
    @rule()
    def allocate_everything(self) -> None:
        self.allocate(None)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        oid = self.draw_order(data)
        was = self.status(oid)
        held_before, totals_before = self.holdings(), self.reserved_totals()
        statuses_before = self.statuses()
        result = self.attempt(lambda: self.erp.orders.cancel(oid, reason="buyer asked"))
        assert (result is None) == (was in NOT_CANCELLABLE), f"cancel from {was.value}"
        if result is None:
            return
        assert self.status(oid) is OrderStatus.CANCELLED
        self.check_release_and_pickup(oid, held_before, totals_before, statuses_before)
        self.assert_no_waiting_order_could_ship(sku for (_, sku) in held_before.get(oid, {}))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def edit_lines(self, data: st.DataObject) -> None:
        oid = self.draw_order(data)
        model = self.orders[oid]
        lines = data.draw(
            channel_lines(self.catalog, model.shop, max_lines=2, max_qty=2), label="new lines"
        )
        was = self.status(oid)
        held_before, totals_before = self.holdings(), self.reserved_totals()
        statuses_before = self.statuses()
        result = self.attempt(lambda: self.erp.orders.edit_lines(oid, lines))
        assert (result is None) == (was not in EDITABLE), f"edit from {was.value}"
        if result is None:
            return
        model.lines = lines
        event(f"lines edited on a {was.value} order")
        assert self.erp.orders.get(oid).requirements == self.requirements(oid)
        self.check_release_and_pickup(oid, held_before, totals_before, statuses_before)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def hold_for_review(self, data: st.DataObject) -> None:
        """A person holds an order (e.g. an unusual value): it gives back its stock."""
        oid = self.draw_order(data)
        was = self.status(oid)
        held_before, totals_before = self.holdings(), self.reserved_totals()
        statuses_before = self.statuses()
        result = self.attempt(lambda: self.erp.orders.hold(oid, "unusual value"))
        assert (result is None) == (was not in HOLDABLE), f"hold from {was.value}"
        if result is None:
            return
        assert self.status(oid) is OrderStatus.ON_HOLD
        event(f"held a {was.value} order")
        self.check_release_and_pickup(oid, held_before, totals_before, statuses_before)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def release_hold(self, data: st.DataObject) -> None:
        oid = self.draw_order(data, prefer={OrderStatus.ON_HOLD})
        was = self.status(oid)
        before = self.world()
        result = self.attempt(lambda: self.erp.orders.release(oid))
        assert (result is None) == (was is not OrderStatus.ON_HOLD), f"release from {was.value}"
        if result is None:
            return
        assert self.status(oid) in (OrderStatus.READY, OrderStatus.UNPAID)
        after = self.world()
        assert (after.positions, after.holdings) == (before.positions, before.holdings)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def pick(self, data: st.DataObject) -> None:
        oids = self.draw_orders(data, {OrderStatus.ALLOCATED}, max_size=2)
        was = {oid: self.status(oid) for oid in oids}
        held_before = self.holdings()
        result = self.erp.orders.pick(oids)
        for outcome in result:
            ok = was[outcome.ref] is OrderStatus.ALLOCATED
            assert outcome.ok == ok, (outcome, was[outcome.ref])
            assert self.status(outcome.ref) is (OrderStatus.PICKING if ok else was[outcome.ref])
        assert self.holdings() == held_before, "picking changed reservations"

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        oids = self.draw_orders(data, SHIPPABLE, max_size=3)
        orders = {oid: self.erp.orders.get(oid) for oid in oids}
        held_before = self.holdings()
        result = self.erp.orders.ship({oid: f"TRK-{oid}" for oid in oids})
        for outcome in result:
            order = orders[outcome.ref]
            ok = order.status in SHIPPABLE
            assert outcome.ok == ok, (outcome, order.status)
            if not ok:
                assert self.status(outcome.ref) is order.status
                continue
            assert self.status(outcome.ref) is OrderStatus.SHIPPED
            assert order.warehouse is not None
            model = self.orders[outcome.ref]
            for sku, qty in self.catalog.sku_totals(model.channel, model.shop, model.lines).items():
                self.bucket(sku, order.warehouse).on_hand -= qty
                self.book_in(sku, -qty)
            self.shipped.add(outcome.ref)
            event(f"shipped from {order.status.value}")
        after = self.holdings()
        for oid, held in held_before.items():
            if oid in self.shipped and oid in oids:
                assert oid not in after, "a shipped order still holds stock"
            else:
                assert after.get(oid) == held, "shipping touched another order's stock"

    # --- stocktakes ----------------------------------------------------------------------------

    def last_moves_since(self, sheet: StocktakeModel) -> list[object]:
        loc = stock_location(sheet.warehouse)
        return [
            m
            for m in self.erp.inventory.moves(location=loc)
            if m.seq > sheet.start_seq and m.document != sheet.id
        ]

    def last_seq(self) -> int:
        moves = self.erp.inventory.moves()
        return max((m.seq for m in moves), default=0)

    @rule(data=st.data())
    def start_stocktake(self, data: st.DataObject) -> None:
        wh = self.draw_wh(data)
        skus = data.draw(
            st.lists(st.sampled_from(self.catalog.sku_codes), min_size=1, unique=True), label="skus"
        )
        sid = self.next_id("ST")
        start_seq = self.last_seq()
        sheet = self.erp.inventory.start_stocktake(sid, wh, skus)
        snapshot = {sku: self.bucket(sku, wh).on_hand for sku in skus}
        assert sheet.snapshot == {
            (sku, stock_location(wh)): qty for sku, qty in snapshot.items()
        }, "the count sheet's snapshot is not the book"
        self.stocktakes[sid] = StocktakeModel(sid, wh, snapshot, start_seq)

    def draw_open_stocktake(self, data: st.DataObject) -> StocktakeModel:
        open_ = sorted(s.id for s in self.stocktakes.values() if s.open)
        return self.stocktakes[data.draw(st.sampled_from(open_), label="stocktake")]

    @precondition(lambda self: any(s.open for s in self.stocktakes.values()))
    @rule(data=st.data())
    def count(self, data: st.DataObject) -> None:
        sheet = self.draw_open_stocktake(data)
        skus = data.draw(
            st.lists(st.sampled_from(sorted(sheet.snapshot)), min_size=1, unique=True),
            label="counted skus",
        )
        counts = {
            sku: max(0, sheet.snapshot[sku] + data.draw(st.integers(-3, 3), label=f"off {sku}"))
            for sku in skus
        }
        self.erp.inventory.count(sheet.id, counts)
        sheet.counts.update(counts)

    @precondition(lambda self: any(s.open for s in self.stocktakes.values()))
    @rule(data=st.data())
    def post_stocktake(self, data: st.DataObject) -> None:
        sheet = self.draw_open_stocktake(data)
        loc = stock_location(sheet.warehouse)
        variances = {
            sku: counted - sheet.snapshot[sku]
            for sku, counted in sheet.counts.items()
            if counted != sheet.snapshot[sku]
        }
        # A loss larger than what is on the shelf now is refused (unless negative is allowed).
        refused = not self.wh(sheet.warehouse).allow_negative and any(
            self.bucket(sku, sheet.warehouse).on_hand + delta < 0
            for sku, delta in variances.items()
        )
        held_before, statuses_before = self.holdings(), self.statuses()
        result = self.attempt(lambda: self.erp.inventory.post_stocktake(sheet.id))
        assert (result is None) == refused
        if result is None:
            return
        sheet.open = False
        event(
            f"stocktake posted with {len(variances)} variances, {len(self.last_moves_since(sheet))} moves since"
        )
        # Invariant 7: book == counted + what moved at the location since the snapshot.
        since = [
            m
            for m in self.erp.inventory.moves(location=loc)
            if m.seq > sheet.start_seq and m.document != sheet.id
        ]
        for sku, counted in sheet.counts.items():
            net = sum((m.qty if m.dest == loc else -m.qty) for m in since if m.sku == sku)
            on_hand = self.erp.inventory.position(sku, sheet.warehouse).on_hand
            assert on_hand == counted + net, f"{sku}: book {on_hand} != {counted} counted + {net}"
        for sku, delta in variances.items():
            self.bucket(sku, sheet.warehouse).on_hand += delta
            self.book_in(sku, delta)
        # Orders that had to give stock back wait again and hold nothing.
        after = self.holdings()
        for oid, held in held_before.items():
            if after.get(oid) != held:
                now = self.status(oid)
                assert statuses_before[oid] in HOLDING
                assert now in (OrderStatus.WAITING, OrderStatus.ALLOCATED), now

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def books_are_consistent(self) -> None:
        """Invariants 1 and 2, as the domain checks them."""
        self.erp.check()

    @invariant()
    def stock_is_where_the_model_says(self) -> None:
        """Every bucket of every SKU in every warehouse matches the commands
        issued; no oversell where negative stock is not allowed; and
        (invariant 3) on hand + damaged + in transit over all warehouses is,
        per SKU, what came in minus what went out: transfers never change it.
        """
        totals: dict[str, int] = {}
        for (sku, wh), pos in self.positions().items():
            model = self.bucket(sku, wh)
            booked = Buckets(pos.on_hand, pos.damaged, pos.in_transit)
            assert booked == model, f"{sku}@{wh}: books {booked}, model {model}"
            assert pos.available == pos.on_hand - pos.reserved
            if not self.wh(wh).allow_negative:
                assert 0 <= pos.reserved <= pos.on_hand, f"{sku}@{wh} oversold"
                assert pos.damaged >= 0
            totals[sku] = totals.get(sku, 0) + pos.on_hand + pos.damaged + pos.in_transit
        for sku in self.catalog.sku_codes:
            assert totals.get(sku, 0) == self.net_in.get(sku, 0), f"{sku} appeared or vanished"

    @invariant()
    def orders_hold_all_or_nothing(self) -> None:
        """Invariant 4 (and 5: one order per channel order, ever)."""
        ids = self.erp.orders.ids()
        assert sorted(ids) == sorted(self.orders)
        holdings = self.holdings()
        for oid in ids:
            order = self.erp.orders.get(oid)
            expected = self.requirements(oid)
            assert order.requirements == expected, f"{oid} requirements"
            held = holdings.get(oid, {})
            if order.status in HOLDING:
                assert {k: q for k, (_, q) in held.items()} == expected, f"{oid} holds part"
                assert {wh for wh, _ in held.values()} == {order.warehouse}
            else:
                assert not held, f"{oid} is {order.status.value} but holds stock"
            if oid in self.shipped:
                assert order.status is OrderStatus.SHIPPED


StockMachine.TestCase.settings = machine_settings()
TestStockMachineMemory = StockMachine.TestCase


def test_the_machine_can_be_pointed_at_another_backend() -> None:
    machine = StockMachine.for_backend("memory://other")
    assert issubclass(machine, StockMachine)
    assert machine.url == "memory://other"
    assert machine.TestCase.settings.stateful_step_count == 35


def test_a_newer_version_with_the_same_lines_written_differently_changes_no_lines() -> None:
    """A channel that re-sends an order being picked with only a new note, its
    price written ``9.9`` instead of ``9.90``, has not changed the lines:
    the version is taken, not refused as an edit after picking."""
    clock = SimulatedClock(StockMachine.start)
    erp = open_erp("memory://", clock=clock)
    erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.inventory.receive("MUG", "SH", 3)
    first = ChannelOrder(
        "shopify",
        "web",
        "W1",
        clock.now(),
        "EUR",
        (ChannelLine("MUG", 2, Money.of("9.90", "EUR")),),
        paid=True,
    )
    erp.orders.import_orders([first])
    erp.orders.allocate()
    erp.orders.pick(["shopify/web/W1"])
    newer = attrs.evolve(
        first,
        lines=(ChannelLine("MUG", 2, Money.of("9.9", "EUR")),),
        updated_at=first.version + timedelta(minutes=5),
        buyer_note="leave at the door",
    )
    (outcome,) = erp.orders.import_orders([newer])
    assert outcome.kind is OutcomeKind.UPDATED, outcome.detail
    order = erp.orders.get("shopify/web/W1")
    assert order.buyer_note == "leave at the door"
    assert order.status is OrderStatus.PICKING
    assert not [c for c in order.changes if c.field == "lines"]
