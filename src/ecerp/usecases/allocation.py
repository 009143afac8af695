"""Allocation use cases: reserve stock for ready and waiting orders, in
bulk, and again whenever stock becomes available."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from ecerp.domain.allocation import decide
from ecerp.domain.errors import (
    InvalidTransitionError,
    NotFoundError,
)
from ecerp.domain.events import Event, ReservationReleased, StockMoved
from ecerp.domain.orders import (
    ALLOCATABLE,
    Order,
    OrderStatus,
)
from ecerp.domain.stock import Location, LocationKind
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.commands import (
    AllocateOrders,
)
from ecerp.usecases.config import Config
from ecerp.usecases.consolidation import split_across
from ecerp.usecases.context import Context
from ecerp.usecases.reservations import request_for
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind
from ecerp.usecases.routing import choose_service, warehouse_order


def allocate_orders(cmd: AllocateOrders, ctx: Context) -> BatchResult:
    """Reserve stock for ready and waiting orders, highest priority then
    oldest first, each whole in one warehouse that can ship all of it: the
    one a routing rule assigned, else the cheapest by estimated freight, else
    the first by warehouse priority; the others wait."""
    with ctx.uow as uow:
        result = allocate_in(uow, cmd.order_ids, at=ctx.now(), actor=cmd.actor, config=ctx.config)
        uow.commit()
    return result


def allocate_in(
    uow: UnitOfWork,
    order_ids: Iterable[str] | None,
    *,
    at: datetime,
    actor: str,
    config: Config | None = None,
) -> BatchResult:
    """Allocation inside an open unit of work (shared with event handlers)."""
    ids = list(
        dict.fromkeys(order_ids)  # an id named twice is allocated once
        if order_ids is not None
        else uow.orders.ids_with_status(ALLOCATABLE)
    )
    orders = uow.orders.find_many(ids)
    config = config or Config()
    catalog = uow.catalog.view()
    outcomes: dict[str, Outcome] = {}
    book = uow.stock.book()
    warehouses = book.warehouses()
    all_codes = tuple(w.code for w in warehouses)
    negative_ok = {w.code for w in warehouses if w.allow_negative}
    requests = []
    for oid in ids:
        order = orders.get(oid)
        if order is None:
            outcomes[oid] = Outcome(oid, OutcomeKind.REJECTED, error=NotFoundError("order", oid))
        elif order.status not in ALLOCATABLE:
            err = InvalidTransitionError(
                f"order {oid}", order.status.value, OrderStatus.ALLOCATED.value
            )
            outcomes[oid] = Outcome(oid, OutcomeKind.REJECTED, oid, err, str(err))
        elif oid not in outcomes:
            requests.append(request_for(order, warehouse_order(order, all_codes, catalog, config)))
    keys = {(sku, wh) for r in requests for sku in r.needs for wh in r.warehouses}
    book.prefetch(keys)
    book.prefetch_reservations(r.order for r in requests)
    available = {key: book.available(*key) for key in keys}
    to_split: list[tuple[Order, tuple[str, ...]]] = []
    candidates = {r.order: r.warehouses for r in requests}
    for decision in decide(requests, available, negative_ok):
        order = orders[decision.order]
        if decision.warehouse is None:
            order.wait(decision.short, at=at, actor=actor)
            outcomes[order.id] = Outcome(
                order.id, OutcomeKind.WAITING, order.id, detail=", ".join(decision.short)
            )
            shop = catalog.find_shop(order.shop)
            if shop is not None and shop.split != "none":
                to_split.append((order, candidates[order.id]))
            continue
        book.reserve(order.id, order.requirements, decision.warehouse)
        order.allocate(decision.warehouse, at=at, actor=actor)
        if config.rate_tables or config.live_services:
            choose_service(order, catalog, config, at=at, actor=actor)
        outcomes[order.id] = Outcome(
            order.id, OutcomeKind.ALLOCATED, order.id, detail=decision.warehouse
        )
    extra: list[Outcome] = []
    for order, codes in to_split:
        shop = catalog.shop(order.shop)
        parts = split_across(uow, order, codes, shop.split, at=at, actor=actor)
        for part in parts:
            if config.rate_tables or config.live_services:
                choose_service(part, catalog, config, at=at, actor=actor)
            extra.append(
                Outcome(part.id, OutcomeKind.ALLOCATED, part.id, detail=part.warehouse or "")
            )
        if order.status is OrderStatus.ALLOCATED:
            outcomes[order.id] = Outcome(
                order.id, OutcomeKind.ALLOCATED, order.id, detail=order.warehouse or ""
            )
        elif parts:
            outcomes[order.id] = attrs.evolve(
                outcomes[order.id],
                detail=f"split: {', '.join(p.id for p in parts)} ship, the rest waits",
            )
    return BatchResult(tuple(outcomes[oid] for oid in dict.fromkeys(ids)) + tuple(extra))


def allocate_waiting(events: list[Event], ctx: Context) -> None:
    """Event handler: stock became available (a receipt, a gain, a release),
    so waiting orders that need those SKUs are allocated, oldest first."""
    skus: set[str] = set()
    for event in events:
        if isinstance(event, StockMoved):
            if Location.parse(event.move.dest).kind is LocationKind.STOCK:
                skus.add(event.move.sku)
        elif isinstance(event, ReservationReleased):
            skus.update(sku for (_, sku), _ in event.lines)
    if not skus:
        return
    with ctx.uow as uow:
        ids = uow.orders.ids_needing(skus, {OrderStatus.WAITING})
        if not ids:
            return
        allocate_in(uow, ids, at=ctx.now(), actor="auto-allocate", config=ctx.config)
        uow.commit()
