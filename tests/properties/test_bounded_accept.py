"""The webhook (and the automatic allocation when stock arrives) walks the
older orders only until stock runs out; it must decide exactly as looking at
every older order did.

The model is the exhaustive webhook as it was: every ready and waiting
order needing the new orders' SKUs goes into the allocation.  Two fresh ERPs
get the same catalog, stock and backlog (allocated, waiting, and ready
orders, stock left that the waiting ones cannot use); then the same
webhook deliveries and receipts arrive.  One ERP walks the serving queue in tiny pages,
the other looks at everything.  Every order must end exactly the same (status,
warehouse, audit trail), every position must show the same reserved
quantity, the outcomes must be the same, in the same order, and the books
must check.  A shop that splits orders is sometimes present: then every
older order is looked at, as before.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecerp import (
    ERP,
    Bundle,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts import order_state
from ecerp.usecases.allocation import handlers as allocation
from ecerp.usecases.allocation import serving
from ecerp.usecases.config import Config
from ecerp.usecases.orders import handlers as order_usecases
from sqlsupport import migrated_template

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SKUS = ("MUG", "LID", "TRAY")
WAREHOUSES = ("SH", "SZ")

OrderSpec = tuple[list[tuple[str, int]], int, int, str]

line_specs = st.lists(
    st.tuples(st.sampled_from((*SKUS, "SET")), st.integers(1, 3)),
    min_size=1,
    max_size=3,
    unique_by=lambda t: t[0],
)
shops = st.sampled_from(("web", "web", "web", "split"))
order_specs = st.tuples(line_specs, st.integers(0, 2), st.integers(0, 30), shops)
stock_specs = st.dictionaries(
    st.tuples(st.sampled_from(SKUS), st.sampled_from(WAREHOUSES)), st.integers(1, 6), max_size=6
)


def exhaustive(uow: UnitOfWork, new: Sequence[Order], *, config: Config) -> list[str]:
    """The model: every older ready and waiting order needing the SKUs."""
    skus = {sku for order in new for _, sku in order.requirements}
    return sorted(uow.orders.ids_needing(skus, ALLOCATABLE)) if skus else []


def exhaustive_waiting(uow: UnitOfWork, skus: Collection[str], *, config: Config) -> list[str]:
    """The model when stock arrives: every waiting order needing the SKUs."""
    return list(uow.orders.ids_needing(skus, {OrderStatus.WAITING}))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("template"))


@contextmanager
def fresh_erp(backend: str, template: Path, auto_allocate: bool) -> Iterator[ERP]:
    """A new ERP; without automatic allocation, stock that arrives stays
    free while orders wait for it, until a webhook serves them."""
    clock = SimulatedClock(T0)
    if backend == "memory":
        with open_erp("memory://", clock=clock, auto_allocate=auto_allocate) as erp:
            yield erp
        return
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "shop.db"
        shutil.copyfile(template, path)
        with open_erp(f"sqlite:///{path}", clock=clock, auto_allocate=auto_allocate) as erp:
            yield erp


def draft(ref: str, spec: OrderSpec) -> ChannelOrder:
    lines, priority, minutes, shop = spec
    return ChannelOrder(
        "shopify",
        shop,
        ref,
        T0 + timedelta(minutes=minutes),
        "EUR",
        tuple(ChannelLine(code, qty, Money.of("5", "EUR")) for code, qty in lines),
        paid=True,
        priority=priority,
    )


def build(
    erp: ERP,
    served: list[OrderSpec],
    stock: dict[tuple[str, str], int],
    restock: dict[tuple[str, str], int],
    ready: list[OrderSpec],
    split_shop: bool,
) -> None:
    """Allocated and waiting orders from a first allocation, stock arriving
    for some of them, then orders imported and not yet allocated."""
    erp.catalog.add(
        *(Sku(code) for code in SKUS),
        Bundle("SET", (Component("MUG", 1), Component("LID", 1))),
        Shop("web", "shopify", currency="EUR"),
        Shop("split", "shopify", currency="EUR", split="availability" if split_shop else "none"),
    )
    for code in WAREHOUSES:
        erp.inventory.add_warehouse(Warehouse(code))
    for (sku, wh), qty in sorted(stock.items()):
        erp.inventory.receive(sku, wh, qty)
    erp.orders.process([draft(f"B{i}", spec) for i, spec in enumerate(served)])
    for (sku, wh), qty in sorted(restock.items()):
        erp.inventory.receive(sku, wh, qty)
    erp.orders.import_orders([draft(f"R{i}", spec) for i, spec in enumerate(ready)])


def state(erp: ERP) -> tuple[dict[str, object], dict[tuple[str, str], int]]:
    orders = {oid: order_state(erp.orders.get(oid)) for oid in erp.orders.ids()}
    reserved = {
        (sku, wh): erp.inventory.position(sku, wh).reserved for sku in SKUS for wh in WAREHOUSES
    }
    return orders, reserved


Event = tuple[str, object]
webhook_events = st.tuples(st.just("webhook"), st.lists(order_specs, min_size=1, max_size=2))
receipt_events = st.tuples(
    st.just("receipt"),
    st.tuples(st.sampled_from(SKUS), st.sampled_from(WAREHOUSES), st.integers(1, 4)),
)


def run(erp: ERP, events: list[Event]) -> list[object]:
    """Webhooks (their outcomes) and receipts (what they allocated)."""
    seen: list[object] = []
    for n, (kind, what) in enumerate(events):
        if kind == "webhook":
            specs = cast(list[OrderSpec], what)
            drafts = [draft(f"N{n}-{i}", spec) for i, spec in enumerate(specs)]
            seen.append([(o.ref, o.kind, o.order, o.detail) for o in erp.orders.accept(drafts)])
        else:
            sku, wh, qty = cast(tuple[str, str, int], what)
            erp.inventory.receive(sku, wh, qty)
            seen.append(erp.orders.ids(OrderStatus.ALLOCATED))
    return seen


@contextmanager
def walking(bounded: bool, page: int) -> Iterator[None]:
    """The bounded walk (pages of ``page`` orders), or the exhaustive model
    in both places that choose older orders: the webhook and the automatic
    allocation of waiting orders when stock arrives."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(serving, "FIRST_PAGE", page)
        if not bounded:
            patch.setattr(order_usecases, "older_to_allocate", exhaustive)
            patch.setattr(allocation, "waiting_to_allocate", exhaustive_waiting)
        yield


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    served=st.lists(order_specs, max_size=12),
    stock=stock_specs,
    restock=stock_specs,
    ready=st.lists(order_specs, max_size=3),
    events=st.lists(st.one_of(webhook_events, receipt_events), min_size=1, max_size=4),
    split_shop=st.booleans(),
    page=st.integers(1, 3),
    auto_allocate=st.sampled_from((False, False, True)),
)
def test_the_webhook_decides_as_if_it_looked_at_every_older_order(
    template: Path,
    backend: str,
    served: list[OrderSpec],
    stock: dict[tuple[str, str], int],
    restock: dict[tuple[str, str], int],
    ready: list[OrderSpec],
    events: list[Event],
    split_shop: bool,
    page: int,
    auto_allocate: bool,
) -> None:
    results = []
    for bounded in (False, True):
        with fresh_erp(backend, template, auto_allocate) as erp, walking(bounded, page):
            build(erp, served, stock, restock, ready, split_shop)
            outcomes = run(erp, events)
            erp.check()
            results.append((outcomes, state(erp)))
    (model_outcomes, model_state), (outcomes, after) = results
    assert outcomes == model_outcomes
    assert after == model_state
