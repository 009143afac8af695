"""Held orders and stock, for both values of ``Shop.reserve_held``.

A state machine holds, releases, allocates, cancels and edits orders of one
shop at random and keeps its own model of which orders hold stock, written
from the business rule, not from ecerp's code:

* a hold reserves nothing, unless the shop says so (``reserve_held``): then
  an allocated order put on hold keeps its stock, and an allocation run
  reserves stock for a paid held order that has none, leaving it on hold;
* releasing a held order that kept stock makes it allocated again (nothing
  reserved anew); one without stock goes back to ready;
* cancelling releases everything;
* an edit keeps the stock unless the warehouse cannot cover the new lines.

After every step: each order's status is what the model says, its
reservations are exactly its requirements in one warehouse when the model
says it holds stock and nothing otherwise, nothing else is reserved, and the
stock invariants hold (``erp.check()``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ecerp import (
    Address,
    Buyer,
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

T0 = datetime(2026, 7, 1, 8, tzinfo=UTC)
SKUS = ("MUG", "LID")
WAREHOUSES = ("BER", "PAR")
S = OrderStatus

lines_strategy = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3
)


@attrs.define
class Model:
    status: OrderStatus
    lines: list[tuple[str, int]]
    stock: str | None = None  # the warehouse it holds stock in

    def requirements(self) -> list[tuple[int, str, int]]:
        return sorted((n, sku, qty) for n, (sku, qty) in enumerate(self.lines, 1))


class HeldStockMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.models: dict[str, Model] = {}
        self.count = 0

    @initialize(
        reserve_held=st.booleans(),
        stock=st.fixed_dictionaries(
            {(sku, wh): st.integers(0, 8) for sku in SKUS for wh in WAREHOUSES}
        ),
    )
    def open(self, reserve_held: bool, stock: dict[tuple[str, str], int]) -> None:
        self.reserve_held = reserve_held
        self.erp = open_erp("memory://", clock=SimulatedClock(T0), actor="lea")
        self.erp.catalog.add(
            *(Sku(code) for code in SKUS),
            Shop("web", "shopify", currency="EUR", reserve_held=reserve_held),
        )
        for code in WAREHOUSES:
            self.erp.inventory.add_warehouse(Warehouse(code))
        for (sku, wh), qty in stock.items():
            if qty:
                self.erp.inventory.receive(sku, wh, qty)

    def settle(self) -> None:
        """Stock given back goes to waiting orders at once (ecerp allocates
        them when a release makes stock available): only waiting orders."""
        for oid, model in self.models.items():
            if model.status is S.WAITING:
                order = self.erp.orders.get(oid)
                if order.status is S.ALLOCATED:
                    assert order.warehouse is not None
                    model.status, model.stock = S.ALLOCATED, order.warehouse

    def ids(self, *statuses: OrderStatus) -> list[str]:
        return sorted(i for i, m in self.models.items() if m.status in statuses)

    # --- commands -----------------------------------------------------------------

    @rule(lines=lines_strategy)
    def import_order(self, lines: list[tuple[str, int]]) -> None:
        self.count += 1
        draft = ChannelOrder(
            "shopify",
            "web",
            str(self.count),
            T0 + timedelta(minutes=self.count),
            "EUR",
            tuple(ChannelLine(sku, qty, Money.of("5", "EUR")) for sku, qty in lines),
            paid=True,
            buyer=Buyer(f"b{self.count}"),
            address=Address("A", "Main 1", "", "Berlin", "", "10115", "DE"),
        )
        self.erp.orders.import_orders([draft])
        self.models[f"shopify/web/{self.count}"] = Model(S.READY, list(lines))

    @precondition(lambda self: self.ids(S.READY, S.WAITING, S.ALLOCATED, S.ON_HOLD))
    @rule(data=st.data())
    def hold(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.ids(S.READY, S.WAITING, S.ALLOCATED, S.ON_HOLD)))
        model = self.models[oid]
        self.erp.orders.hold(oid, "look at it")
        if (
            not (self.reserve_held and model.status is S.ALLOCATED)
            and model.status is not S.ON_HOLD
        ):
            model.stock = None
        model.status = S.ON_HOLD
        self.settle()

    @precondition(lambda self: self.ids(S.ON_HOLD))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.ids(S.ON_HOLD)))
        model = self.models[oid]
        self.erp.orders.release(oid)
        model.status = S.ALLOCATED if model.stock is not None else S.READY
        self.settle()

    @rule()
    def allocate(self) -> None:
        before = {oid: attrs.evolve(m) for oid, m in self.models.items()}
        result = self.erp.orders.allocate()
        for outcome in result:
            assert outcome.order is not None
            model, was = self.models[outcome.order], before[outcome.order]
            eligible = was.status in (S.READY, S.WAITING) or (
                self.reserve_held and was.status is S.ON_HOLD and was.stock is None
            )
            assert eligible, f"{outcome.order} ({was}) was allocated: {outcome}"
            placed = self.erp.orders.get(outcome.order).warehouse
            if outcome.kind.value == "allocated":
                assert placed is not None
                model.stock = placed
                model.status = S.ON_HOLD if was.status is S.ON_HOLD else S.ALLOCATED
            else:
                assert outcome.kind.value == "waiting", outcome
                model.status = S.ON_HOLD if was.status is S.ON_HOLD else S.WAITING
        for oid, was in before.items():
            if oid not in {o.order for o in result}:
                eligible = was.status in (S.READY, S.WAITING) or (
                    self.reserve_held and was.status is S.ON_HOLD and was.stock is None
                )
                assert not eligible, f"{oid} ({was}) was not looked at"

    @precondition(lambda self: self.ids(S.READY, S.WAITING, S.ALLOCATED, S.ON_HOLD))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.ids(S.READY, S.WAITING, S.ALLOCATED, S.ON_HOLD)))
        self.erp.orders.cancel(oid)
        self.models[oid].status, self.models[oid].stock = S.CANCELLED, None
        self.settle()

    @precondition(lambda self: self.ids(S.READY, S.WAITING, S.ALLOCATED, S.ON_HOLD))
    @rule(data=st.data(), lines=lines_strategy)
    def edit(self, data: st.DataObject, lines: list[tuple[str, int]]) -> None:
        oid = data.draw(st.sampled_from(self.ids(S.READY, S.WAITING, S.ALLOCATED, S.ON_HOLD)))
        model = self.models[oid]
        room: dict[str, int] = {}
        if model.stock is not None:  # what its warehouse could give it: free + its own
            for sku in SKUS:
                own = sum(q for s, q in model.lines if s == sku)
                room[sku] = self.erp.inventory.position(sku, model.stock).available + own
        self.erp.orders.edit_lines(
            oid, [ChannelLine(sku, qty, Money.of("5", "EUR")) for sku, qty in lines]
        )
        model.lines = list(lines)
        if model.stock is not None:
            need = {sku: sum(q for s, q in lines if s == sku) for sku in SKUS}
            fits = all(need[sku] <= room[sku] for sku in SKUS)
            if not fits:
                model.stock = None
                if model.status is S.ALLOCATED:
                    model.status = S.WAITING
        self.settle()

    @precondition(lambda self: self.ids(S.ALLOCATED, S.ON_HOLD))
    @rule(data=st.data())
    def pick(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.ids(S.ALLOCATED, S.ON_HOLD)))
        result = self.erp.orders.pick([oid])
        model = self.models[oid]
        if model.status is S.ON_HOLD:
            assert result.counts() == {"rejected": 1}, "a held order was picked"
        else:
            assert result.counts() == {"done": 1}
            model.status = S.PICKING

    # --- invariants ---------------------------------------------------------------

    @invariant()
    def reservations_are_exactly_the_requirements_of_orders_holding_stock(self) -> None:
        if not hasattr(self, "erp"):
            return
        reserved: dict[tuple[str, str], int] = {}
        for oid, model in self.models.items():
            order = self.erp.orders.get(oid)
            assert order.status is model.status, (oid, order.status, model)
            got = self.erp.inventory.reservations(oid)
            if model.stock is None:
                assert got == [], (oid, model, got)
            else:
                assert {r.warehouse for r in got} == {model.stock}
                assert sorted((r.line, r.sku, r.qty) for r in got) == model.requirements()
                for r in got:
                    reserved[(r.sku, r.warehouse)] = reserved.get((r.sku, r.warehouse), 0) + r.qty
        for sku in SKUS:
            for wh in WAREHOUSES:
                assert self.erp.inventory.position(sku, wh).reserved == reserved.get((sku, wh), 0)
        self.erp.check()


HeldStockMachine.TestCase.settings = settings(
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestHeldStock = HeldStockMachine.TestCase
