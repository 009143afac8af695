"""Allocation use cases: reserve stock for ready and waiting orders, in
bulk, and again whenever stock becomes available."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from ecerp.domain.allocation.policy import decide
from ecerp.domain.inventory.events import ReservationReleased, StockMoved
from ecerp.domain.inventory.locations import Location, LocationKind
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.splitting import splits
from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.domain.shared.errors import ConcurrencyError, InvalidTransitionError, NotFoundError
from ecerp.domain.shared.events import Event
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.allocation.commands import AllocateOrders
from ecerp.usecases.allocation.serving import waiting_to_allocate
from ecerp.usecases.config import Config
from ecerp.usecases.context import Context
from ecerp.usecases.orders.consolidation import split_across
from ecerp.usecases.orders.reservations import request_for
from ecerp.usecases.registry import HandlerMap, Subscription
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind
from ecerp.usecases.routing.routes import Freight, choose_service, warehouse_order

#: How many orders of the serving queue one unit of work allocates when
#: every ready and waiting order is allocated: bounds memory (and how long
#: one transaction holds its locks) for queues of any length.
ALLOCATE_CHUNK = 20_000


def allocate_orders(cmd: AllocateOrders, ctx: Context) -> BatchResult:
    """Reserve stock for ready and waiting orders, highest priority then
    oldest first, each whole in one warehouse that can ship all of it: the
    one a routing rule assigned, else the cheapest by estimated freight, else
    the first by warehouse priority; the others wait.

    Allocating every order (``order_ids`` ``None``) streams the serving queue
    in chunks of :data:`ALLOCATE_CHUNK`, one unit of work each, in serving
    order; the decisions are the same as in one unit because an order that
    cannot be served does not block the ones behind it.  Splitting (per
    shop) and the held orders of shops that reserve for them come last, in
    one more unit over what is still waiting, as they would in one unit.

    Each unit that loses a race is run again alone (units already committed
    keep their outcomes); the orders of a unit that lost every attempt are
    ``rejected`` with the :class:`ConcurrencyError`.

    Raises:
        ConcurrencyError: the serving queue could not be read (nothing done).
    """
    if cmd.order_ids is not None:
        return _allocate_unit(ctx, cmd.order_ids, cmd.actor, split=True)

    def read_queue(uow: UnitOfWork) -> list[str]:
        with uow:
            return list(uow.orders.queue(ALLOCATABLE))

    queue = ctx.unit(read_queue)
    outcomes: dict[str, Outcome] = {}
    starts = range(0, max(len(queue) - ALLOCATE_CHUNK, 0), ALLOCATE_CHUNK)
    for start in starts:
        chunk = queue[start : start + ALLOCATE_CHUNK]
        outcomes.update(
            (o.ref, o) for o in _allocate_unit(ctx, chunk, cmd.actor, split=False, queued=True)
        )
    rest = queue[len(starts) * ALLOCATE_CHUNK :]
    last = _allocate_unit(ctx, None, cmd.actor, split=True, lost=rest)
    outcomes.update((o.ref, o) for o in last)
    return BatchResult(tuple(outcomes.values()))


def _allocate_unit(
    ctx: Context,
    order_ids: Sequence[str] | None,
    actor: str,
    *,
    split: bool,
    lost: Sequence[str] = (),
    queued: bool = False,
) -> BatchResult:
    """Allocate ``order_ids`` (``None``: every allocatable order) in a unit of
    work of its own, run again when it lost a race; each order (of
    ``order_ids``, else of ``lost``) ``rejected`` with the
    :class:`ConcurrencyError` when no attempt won (nothing of the unit
    committed).  ``queued``: ``order_ids`` were read from the serving queue
    (not named by the caller), see :func:`allocate_in`."""

    def work(uow: UnitOfWork) -> BatchResult:
        with uow:
            result = allocate_in(
                uow,
                order_ids,
                at=ctx.now(),
                actor=actor,
                config=ctx.config,
                split=split,
                queued=queued,
            )
            uow.commit()
        return result

    try:
        return ctx.unit(work)
    except ConcurrencyError as err:
        refs = dict.fromkeys(order_ids if order_ids is not None else lost)
        return BatchResult(
            tuple(Outcome(oid, OutcomeKind.REJECTED, oid, err, str(err)) for oid in refs)
        )


def allocate_in(
    uow: UnitOfWork,
    order_ids: Iterable[str] | None,
    *,
    at: datetime,
    actor: str,
    config: Config | None = None,
    split: bool = True,
    queued: bool = False,
) -> BatchResult:
    """Allocation inside an open unit of work (shared with event handlers).
    With ``split`` false, orders that must wait are not split (per their
    shop's policy) in this run.

    An order named by the caller that cannot be allocated (not found, or in
    a status allocation does not take) is ``rejected``.  Orders the run found
    in the queue (``order_ids`` ``None``, or ``queued``: read from the queue
    in an earlier unit) are read by status before they are locked; one
    another process cancelled, shipped or removed in between is no longer
    allocatable and is left out, without an outcome.

    Without ``order_ids``: every ready and waiting order, and the paid held
    orders without stock of shops that reserve stock for held orders
    (``Shop.reserve_held``).  Such a held order is reserved in a warehouse
    but stays on hold (outcome ``allocated``, detail ``<warehouse> (on
    hold)``); if no warehouse can ship it, it stays on hold without stock
    (outcome ``waiting``) and is neither split nor moved to waiting.
    """
    catalog = uow.catalog.view()
    ids = list(
        dict.fromkeys(order_ids)  # an id named twice is allocated once
        if order_ids is not None
        else uow.orders.ids_with_status(ALLOCATABLE)
    )
    keeping = {shop.code for shop in catalog.shops() if shop.reserve_held}
    if order_ids is None and keeping:
        held_ids = uow.orders.ids_with_status({OrderStatus.ON_HOLD})
        held_orders = uow.orders.find_many(held_ids)
        ids = sorted(
            set(ids)
            | {
                oid
                for oid, o in held_orders.items()
                if o.shop in keeping and o.can_reserve_on_hold()
            }
        )
    orders = uow.orders.find_many(ids)
    config = config or Config()
    outcomes: dict[str, Outcome] = {}
    book = uow.stock.book()
    warehouses = book.warehouses()
    all_codes = tuple(w.code for w in warehouses)
    negative_ok = {w.code for w in warehouses if w.allow_negative}
    requests = []
    freight = Freight(catalog, config)
    from_queue = order_ids is None or queued
    for oid in ids:
        order = orders.get(oid)
        movable = order is not None and (
            order.status in ALLOCATABLE or (order.shop in keeping and order.can_reserve_on_hold())
        )
        if from_queue and not movable:
            continue  # moved on (or gone) since the queue was read: not ours to report
        if order is None:
            outcomes[oid] = Outcome(oid, OutcomeKind.REJECTED, error=NotFoundError("order", oid))
        elif order.status not in ALLOCATABLE and not (
            order.shop in keeping and order.can_reserve_on_hold()
        ):
            err = InvalidTransitionError(
                f"order {oid}", order.status.value, OrderStatus.ALLOCATED.value
            )
            outcomes[oid] = Outcome(oid, OutcomeKind.REJECTED, oid, err, str(err))
        elif oid not in outcomes:
            codes = warehouse_order(order, all_codes, catalog, config, freight)
            requests.append(request_for(order, codes))
    keys = {(sku, wh) for r in requests for sku in r.needs for wh in r.warehouses}
    uow.stock.prefetch(keys)
    uow.stock.prefetch_reservations(r.order for r in requests)
    available = {key: book.available(*key) for key in keys}
    to_split: list[tuple[Order, tuple[str, ...]]] = []
    candidates = {r.order: r.warehouses for r in requests}
    for decision in decide(requests, available, negative_ok):
        order = orders[decision.order]
        held = order.status is OrderStatus.ON_HOLD
        if decision.warehouse is None:
            short = ", ".join(decision.short)
            if held:  # stays on hold, without stock; the next run tries again
                outcomes[order.id] = Outcome(
                    order.id, OutcomeKind.WAITING, order.id, detail=f"on hold; short: {short}"
                )
                continue
            order.wait(decision.short, at=at, actor=actor)
            outcomes[order.id] = Outcome(order.id, OutcomeKind.WAITING, order.id, detail=short)
            shop = catalog.find_shop(order.shop)
            if split and shop is not None and splits(shop.split):
                to_split.append((order, candidates[order.id]))
            continue
        book.reserve(order.id, order.requirements, decision.warehouse)
        if held:
            order.reserve_while_held(decision.warehouse, at=at, actor=actor)
        else:
            order.allocate(
                decision.warehouse, at=at, actor=actor, reserve_held=order.shop in keeping
            )
        if config.rate_tables or config.live_services:
            choose_service(order, catalog, config, at=at, actor=actor, freight=freight)
        outcomes[order.id] = Outcome(
            order.id,
            OutcomeKind.ALLOCATED,
            order.id,
            detail=f"{decision.warehouse} (on hold)" if held else decision.warehouse,
        )
    extra: list[Outcome] = []
    for order, codes in to_split:
        shop = catalog.shop(order.shop)
        parts = split_across(uow, order, codes, shop.split, at=at, actor=actor)
        for part in parts:
            if config.rate_tables or config.live_services:
                choose_service(part, catalog, config, at=at, actor=actor, freight=freight)
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
    return BatchResult(
        tuple(outcomes[oid] for oid in dict.fromkeys(ids) if oid in outcomes) + tuple(extra)
    )


def frees_stock(event: Event) -> bool:
    """Whether ``event`` may let a waiting order go: stock arriving in a
    sellable location (a receipt, a gain, a transfer in), or a reservation
    given back.  Shipments and other moves out of stock never do."""
    if isinstance(event, StockMoved):
        return Location.parse(event.move.dest).kind is LocationKind.STOCK
    return isinstance(event, ReservationReleased)


def allocate_waiting(events: list[Event], ctx: Context) -> None:
    """Event handler: stock became available (a receipt, a gain, a release),
    so waiting orders that need those SKUs are allocated, oldest first."""
    skus: set[str] = set()
    for event in events:
        if isinstance(event, StockMoved):
            if frees_stock(event):
                skus.add(event.move.sku)
        elif isinstance(event, ReservationReleased):
            skus.update(sku for (_, sku), _ in event.lines)
    if not skus:
        return
    with ctx.uow as uow:
        # those served before the new stock runs out (see ecerp.usecases.allocation.serving)
        ids = waiting_to_allocate(uow, skus, config=ctx.config)
        if not ids:
            return
        allocate_in(uow, ids, at=ctx.now(), actor="auto-allocate", config=ctx.config)
        uow.commit()


#: Allocation's command handler, and the subscription that allocates waiting
#: orders when stock becomes available (named as before the move, so dead
#: letters stored then are replayed to it).
HANDLERS = HandlerMap(
    {AllocateOrders: allocate_orders},
    (
        Subscription(
            (StockMoved, ReservationReleased),
            allocate_waiting,
            frees_stock,
            name="handler:ecerp.usecases.allocation.allocate_waiting",
        ),
    ),
    batch={AllocateOrders},
    unit_by_unit={AllocateOrders},
)
