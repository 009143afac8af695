"""Order use cases: import, edits, holds, cancel, pick and ship.

The batch ones (import, pick, ship) work set-first: one unit of work per
batch, the orders and stock positions they touch looked up in bulk,
decisions taken in memory, one commit.  Each item gets an outcome; an item
the domain refuses is reported with its error and leaves no trace, because
domain operations check everything before they change anything.

Allocation lives in :mod:`ecerp.usecases.allocation.handlers`, merge and split in
:mod:`ecerp.usecases.orders.consolidation`, the reservation rule in
:mod:`ecerp.usecases.orders.reservations`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import attrs

from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.orders.drafts import ChannelOrder, OrderLine, order_id
from ecerp.domain.orders.errors import ConsolidationError, VersionConflictError
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.review_rules import held_summary
from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.domain.orders.versions import channel_changes
from ecerp.domain.shared.errors import (
    ConcurrencyError,
    EcerpError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
)
from ecerp.domain.shared.money import Money
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.allocation.commands import AllocateOrders
from ecerp.usecases.allocation.handlers import allocate_in, allocate_orders
from ecerp.usecases.allocation.serving import older_to_allocate
from ecerp.usecases.context import Context
from ecerp.usecases.orders import consolidation
from ecerp.usecases.orders.commands import (
    AcceptOrders,
    CancelOrder,
    ChangeAddress,
    ChangeShippingService,
    EditOrderLines,
    HoldOrder,
    ImportOrders,
    MarkPaid,
    MergeOrders,
    ProcessOrders,
    ReleaseOrder,
    ShipOrders,
    SplitByAvailability,
    SplitOrder,
    StartPicking,
    UnmergeOrder,
)
from ecerp.usecases.orders.consolidation import auto_merge, load_orders
from ecerp.usecases.orders.reservations import sync_reservations
from ecerp.usecases.orders.review import Reviewer
from ecerp.usecases.orders.unmapped import edit_unmapped, keep_unmapped
from ecerp.usecases.registry import HandlerMap
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind, merged_detail
from ecerp.usecases.routing.routes import route_order

#: How many drafts an import takes into one unit of work: bounds memory for
#: streams of any length while keeping the per-batch bulk lookups.
IMPORT_CHUNK = 20_000


def _chunks(drafts: Sequence[ChannelOrder], size: int) -> Iterator[Sequence[ChannelOrder]]:
    for start in range(0, len(drafts), size):
        yield drafts[start : start + size]


def _ref(draft: ChannelOrder) -> str:
    # the key as a channel order's id spells it: distinct keys, distinct refs
    return order_id(*draft.key)


def import_orders(cmd: ImportOrders, ctx: Context) -> BatchResult:
    """Create or update orders from channel drafts, in chunks of
    :data:`IMPORT_CHUNK`, one unit of work each (run again, alone, when it
    lost a race).

    Per draft: ``created``; ``updated`` (a newer version, or the same
    version with content the channel changed, was applied); ``unchanged``
    (the same content again, or an older copy that would change nothing; a
    repeat within the batch); ``unmapped`` (kept, but a listing SKU resolves
    to nothing yet: see :mod:`ecerp.usecases.orders.unmapped`); ``rejected`` with
    the error (unknown shop, a change the order's status no longer allows,
    an older copy that differs:
    :class:`~ecerp.domain.orders.versions.VersionConflictError`; a
    :class:`ConcurrencyError` for each draft of a chunk that lost its race
    every time, which stored nothing).
    """
    outcomes: list[Outcome] = []
    first = cmd.first
    for chunk in _chunks(cmd.orders, IMPORT_CHUNK):
        outcomes.extend(_import_chunk(chunk, cmd.actor, ctx, first))
        first += len(chunk)
    return BatchResult(tuple(outcomes))


def process_orders(cmd: ProcessOrders, ctx: Context) -> BatchResult:
    """Import, review and route ``cmd.orders`` (in chunks), then allocate
    every ready and waiting order in serving order (in chunks): newly
    imported orders do not jump the queue ahead of older waiting ones.

    One outcome per draft (those of ``cmd.imported`` first), in input order,
    telling where it ended: ``allocated`` (detail: the warehouse),
    ``waiting`` (the SKUs short), ``held`` (the reasons), ``unmapped`` (the listing SKUs that
    resolve to nothing yet), ``rejected`` (the error), or the import outcome (``created`` for an unpaid order,
    ``unchanged``...).  An order merged on import reports the merged order's
    outcome.  Then one outcome for each other order the allocation changed:
    parts split off, and orders imported earlier that were allocated now.
    """
    imported = BatchResult(
        cmd.imported
        + import_orders(ImportOrders(cmd.orders, actor=cmd.actor, first=cmd.first), ctx).outcomes
    )
    try:
        allocated = allocate_orders(AllocateOrders(None, actor=cmd.actor), ctx)
    except ConcurrencyError:  # the queue could not even be read: nothing allocated
        return imported

    def where(uow: UnitOfWork) -> BatchResult:
        with uow:
            return _where_they_ended(uow, imported, allocated)

    try:
        return ctx.unit(where)
    except ConcurrencyError:  # tell what is known without the holds' lookup
        return _where_they_ended(None, imported, allocated)


def accept_orders(cmd: AcceptOrders, ctx: Context) -> BatchResult:
    """The web shop's webhook: import, review and route ``cmd.orders`` (a
    few) and allocate them, in one unit of work (one transaction), run again
    from scratch when it lost a race.

    Older orders ready or waiting for the same SKUs are allocated in the same
    run, ahead of the new ones (serving order), so a new order never takes
    stock an older one could ship with; other orders are not looked at (a
    whole day's batch is :func:`process_orders`).  The older orders are
    walked in serving order only until no stock for those SKUs is left
    (:mod:`ecerp.usecases.allocation.serving`), so a call costs what it can serve, not
    the length of the backlog.  A draft that changed
    nothing (a webhook delivered twice) is ``unchanged`` and allocates
    nothing.  Outcomes as :func:`process_orders` gives them, then one for
    each older order whose status the allocation changed; every draft is
    ``rejected`` with the :class:`ConcurrencyError` when every attempt lost
    its race (nothing stored).
    """

    def work(uow: UnitOfWork) -> BatchResult:
        with uow:
            result = _accept_in(uow, cmd, ctx)
            uow.commit()
        return result

    try:
        return ctx.unit(work)
    except ConcurrencyError as err:
        return BatchResult(tuple(_lost(_ref(d), err) for d in cmd.orders))


def _accept_in(uow: UnitOfWork, cmd: AcceptOrders, ctx: Context) -> BatchResult:
    at = ctx.now()
    imported = BatchResult(
        tuple(_import_in(uow, list(cmd.orders), cmd.actor, ctx, at, first=cmd.first))
    )
    targets = {
        o.merged_into or o.order
        for o in imported
        if o.kind in (OutcomeKind.CREATED, OutcomeKind.UPDATED) and o.order is not None
    }
    ready = [
        order
        for order in uow.orders.find_many(sorted(t for t in targets if t)).values()
        if order.status in ALLOCATABLE
    ]
    # the older orders served before stock for their SKUs runs out
    older = older_to_allocate(uow, ready, config=ctx.config)
    was = {  # the older orders' statuses, to report only those that changed
        oid: order.status
        for oid, order in uow.orders.find_many(older).items()
        if oid not in targets
    }
    allocated = allocate_in(
        uow, [*(o.id for o in ready), *older], at=at, actor=cmd.actor, config=ctx.config
    )
    now = uow.orders.find_many(was)
    allocated = BatchResult(
        tuple(o for o in allocated if o.order not in was or now[o.order].status is not was[o.order])
    )
    return _where_they_ended(uow, imported, allocated)


def _lost(ref: str, err: ConcurrencyError) -> Outcome:
    """The outcome of an item whose unit of work lost its race every time."""
    return Outcome(ref, OutcomeKind.REJECTED, error=err, detail=str(err))


def _where_they_ended(
    uow: UnitOfWork | None, imported: BatchResult, allocated: BatchResult
) -> BatchResult:
    """One outcome per imported draft, telling where it ended after
    allocation, then the other orders the allocation changed (without a
    unit of work to look them up, held orders keep their import outcome).

    An order named by several drafts of the batch (a repeat) is reported
    where it ended once, by the first of them; the later ones keep their
    import outcome (``unchanged``, ``updated``), so the counts add up to the
    orders stored."""
    after = {o.order: o for o in allocated if o.order is not None}
    merged_into = {
        o.order: o.merged_into
        for o in imported
        if o.order is not None and o.merged_into is not None
    }
    rest = sorted(
        {o.order for o in imported if o.ok and o.order is not None} - set(after) - set(merged_into)
    )
    held = {
        oid: order
        for oid, order in (uow.orders.find_many(rest).items() if uow is not None else ())
        if order.status is OrderStatus.ON_HOLD
    }
    outcomes: list[Outcome] = []
    reported: set[str] = set()
    named: set[str] = set()  # orders a draft before this one named
    for o in imported:
        target = merged_into.get(o.order or "", o.order)
        if not o.ok or target is None or o.order in named:
            outcomes.append(o)
            continue
        named.add(target if o.order is None else o.order)
        if target in after:
            done = after[target]
            into = None if target == o.order else target
            outcomes.append(
                Outcome(
                    o.ref,
                    done.kind,
                    target,
                    done.error,
                    merged_detail(into, done.detail),
                    merged_into=into,
                )
            )
            reported.add(target)
        elif target in held:
            outcomes.append(
                Outcome(
                    o.ref,
                    OutcomeKind.HELD,
                    target,
                    detail="; ".join(str(r) for r in held[target].hold_reasons),
                    merged_into=None if target == o.order else target,
                )
            )
        else:
            outcomes.append(o)
    outcomes.extend(
        o for o in allocated if o.order not in reported and o.kind is not OutcomeKind.REJECTED
    )
    return BatchResult(tuple(outcomes))


def _import_chunk(
    chunk: Sequence[ChannelOrder], actor: str, ctx: Context, first: int = 1
) -> list[Outcome]:
    """Import ``chunk`` (its first draft at position ``first`` of the call)
    in a unit of work of its own (run again when it lost a race); every
    draft ``rejected`` when no attempt won."""

    def work(uow: UnitOfWork) -> list[Outcome]:
        with uow:
            outcomes = _import_in(uow, list(chunk), actor, ctx, ctx.now(), first=first)
            uow.commit()
        return outcomes

    try:
        return ctx.unit(work)
    except ConcurrencyError as err:
        return [_lost(_ref(d), err) for d in chunk]


def _import_in(
    uow: UnitOfWork,
    chunk: Sequence[object],
    actor: str,
    ctx: Context,
    at: datetime,
    *,
    first: int = 1,
) -> list[Outcome]:
    """Import ``chunk`` inside an open unit of work (not committed).  An
    item that is not a :class:`ChannelOrder` is rejected (``ref``: its
    position in the caller's whole call, ``#<first>`` for the chunk's
    first item); the others go on."""
    outcomes: list[Outcome] = []
    drafts = [d for d in chunk if isinstance(d, ChannelOrder)]
    catalog = uow.catalog.view()
    uow.catalog.prefetch((d.channel, d.shop, line.listing_sku) for d in drafts for line in d.lines)
    existing = uow.orders.find_by_keys({d.key for d in drafts})
    book = uow.stock.book()
    # new orders' ids too: a database then knows they hold nothing
    uow.stock.prefetch_reservations(order_id(*d.key) for d in drafts)
    reviewer = Reviewer(uow, ctx.config, {(d.shop, buyer_key(d)) for d in drafts})
    for position, draft in enumerate(chunk, first):
        if not isinstance(draft, ChannelOrder):
            err = ValidationError(f"orders[#{position}]", draft, "must be a ChannelOrder")
            outcomes.append(
                Outcome(f"#{position}", OutcomeKind.REJECTED, error=err, detail=str(err))
            )
            continue
        ref = _ref(draft)
        try:
            outcome = _import_one(draft, existing, catalog, book, uow, at, actor, ref)
            if outcome.kind is not OutcomeKind.UNCHANGED:
                order = existing[draft.key]
                reviewer.note(order)
                route_order(order, uow, ctx.config, at=at, actor=actor)
                reviewer.review(order, at=at, actor=actor)
                if order.status is OrderStatus.ON_HOLD:
                    outcome = attrs.evolve(outcome, detail=held_summary(order, outcome.detail))
            outcomes.append(outcome)
        except UnknownSkuError as err:  # kept as an unmapped order when it can be
            kept = keep_unmapped(
                draft, existing, catalog, uow, at=at, actor=actor, ref=ref, error=err
            )
            outcomes.append(kept or Outcome(ref, OutcomeKind.REJECTED, error=err, detail=str(err)))
        except EcerpError as err:
            outcomes.append(Outcome(ref, OutcomeKind.REJECTED, error=err, detail=str(err)))
    merged = auto_merge(
        uow, catalog, [o for o in outcomes if o.kind is OutcomeKind.CREATED], at, actor
    )
    return [
        attrs.evolve(o, merged_into=merged[o.order], detail=merged_detail(merged[o.order]))
        if o.order in merged
        else o
        for o in outcomes
    ]


def _import_one(
    draft: ChannelOrder,
    existing: dict[tuple[str, str, str], Order],
    catalog: Catalog,
    book: StockBook,
    uow: UnitOfWork,
    at: datetime,
    actor: str,
    ref: str,
) -> Outcome:
    shop = catalog.shop(draft.shop)
    if shop.channel != draft.channel:
        raise NotFoundError("shop", f"{draft.channel}/{draft.shop}")
    order = existing.get(draft.key)
    if order is None:
        requirements = catalog.requirements(
            draft.channel, draft.shop, draft.order_lines(), at=draft.ordered_at
        )
        order = Order.from_channel(draft, requirements, at=at, actor=actor)
        uow.orders.add(order)
        existing[draft.key] = order
        return Outcome(ref, OutcomeKind.CREATED, order.id)
    if draft.version <= order.updated_at:
        # not newer: taken only when the channel changed its content (see
        # ecerp.domain.orders.versions); an older copy that differs is refused
        fields = channel_changes(order, draft)
        if not fields:
            return Outcome(ref, OutcomeKind.UNCHANGED, order.id)
        if draft.version < order.updated_at:
            raise VersionConflictError(order.id, draft.version, order.updated_at, tuple(fields))
    requirements = catalog.requirements(
        draft.channel, draft.shop, draft.order_lines(), at=draft.ordered_at
    )
    changed = order.apply_channel_version(draft, requirements, at=at, actor=actor)
    sync_reservations(order, book, at=at, actor=actor)
    return Outcome(ref, OutcomeKind.UPDATED, order.id, detail=", ".join(changed))


def cancel_order(cmd: CancelOrder, ctx: Context) -> Order:
    """Cancel an order and release what it held.  Cancelling a merged order
    cancels the orders it was made of too; an order folded into a merged one
    is cancelled through it (or unmerged first).

    Raises:
        InvalidTransitionError: shipped, cancelled or returned already.
        ConsolidationError: the order is folded into a merged order.
    """
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        if order.status is OrderStatus.MERGED:
            raise ConsolidationError(
                [order.id], f"is merged into {order.merged_into}: cancel or unmerge that order"
            )
        at, book = ctx.now(), uow.stock.book()
        originals = load_orders(uow, order.merged_from) if order.merged_from else []
        order.cancel(at=at, actor=cmd.actor, reason=cmd.reason)
        sync_reservations(order, book, at=at, actor=cmd.actor)
        for original in originals:
            if original.status is OrderStatus.MERGED:
                original.cancel(
                    at=at, actor=cmd.actor, reason=f"{cmd.reason} (with {order.id})".strip()
                )
        uow.commit()
    return order


def recheck(
    order: Order, uow: UnitOfWork, ctx: Context, *, at: datetime, actor: str, route: bool = True
) -> None:
    """After an order changed: reservations follow the difference, the
    routing rules (unless ``route`` is false) and the review checks run again."""
    sync_reservations(order, uow.stock.book(), at=at, actor=actor)
    if route:
        route_order(order, uow, ctx.config, at=at, actor=actor)
    Reviewer(uow, ctx.config, [(order.shop, buyer_key(order))]).review(order, at=at, actor=actor)


def mark_paid(cmd: MarkPaid, ctx: Context) -> Order:
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        order.mark_paid(at=at, actor=cmd.actor)
        recheck(order, uow, ctx, at=at, actor=cmd.actor)
        uow.commit()
    return order


def hold_order(cmd: HoldOrder, ctx: Context) -> Order:
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        order.hold(cmd.reasons, at=at, actor=cmd.actor)
        sync_reservations(order, uow.stock.book(), at=at, actor=cmd.actor)
        uow.commit()
    return order


def release_order(cmd: ReleaseOrder, ctx: Context) -> Order:
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        order.release_hold(at=at, actor=cmd.actor)
        sync_reservations(order, uow.stock.book(), at=at, actor=cmd.actor)
        uow.commit()
    return order


def edit_order_lines(cmd: EditOrderLines, ctx: Context) -> Order:
    """Replace the lines; reservations change by exactly the difference (or
    the order waits if its warehouse cannot cover the increase).  On an
    ``unmapped`` order (the seller fixing a listing SKU) lines that all
    resolve map it and it flows on; lines still unknown keep it unmapped
    with their codes (see :func:`~ecerp.usecases.orders.unmapped.edit_unmapped`).

    Raises:
        OrderLockedError: the order is picked or beyond.
        UnknownSkuError: a listing SKU the catalog cannot resolve (an order
            that is not unmapped; nothing changes).
    """
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        zero = Money.zero(order.currency)
        lines = [
            OrderLine(i, cl.listing_sku, cl.qty, cl.unit_price, cl.discount or zero, cl.title)
            for i, cl in enumerate(cmd.lines, 1)
        ]
        if order.status is OrderStatus.UNMAPPED:
            edit_unmapped(order, lines, uow, ctx.config, at=at, actor=cmd.actor)
            uow.commit()
            return order
        requirements = uow.catalog.view().requirements(
            order.channel, order.shop, lines, at=order.ordered_at
        )
        order.replace_lines(lines, requirements, at=at, actor=cmd.actor)
        recheck(order, uow, ctx, at=at, actor=cmd.actor)
        uow.commit()
    return order


def change_address(cmd: ChangeAddress, ctx: Context) -> Order:
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        order.change_address(cmd.address, at=at, actor=cmd.actor)
        recheck(order, uow, ctx, at=at, actor=cmd.actor)
        uow.commit()
    return order


def change_shipping_service(cmd: ChangeShippingService, ctx: Context) -> Order:
    """A person picks the carrier service (or clears it, so that ecerp
    chooses again at allocation); the review checks run again (a PO box
    may suit one carrier and not another).  Routing rules do not run: none
    of their conditions looks at the service, and a person's choice is not
    overridden by a rule's.

    Raises:
        OrderLockedError: the order is picked or beyond.
    """
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        order.set_shipping_service(cmd.service, at=at, actor=cmd.actor)
        recheck(order, uow, ctx, at=at, actor=cmd.actor, route=False)
        uow.commit()
    return order


def start_picking(cmd: StartPicking, ctx: Context) -> BatchResult:
    outcomes = []
    with ctx.uow as uow:
        orders = uow.orders.find_many(cmd.order_ids)
        at = ctx.now()
        for oid in cmd.order_ids:
            order = orders.get(oid)
            try:
                if order is None:
                    raise NotFoundError("order", oid)
                order.start_picking(at=at, actor=cmd.actor)
                outcomes.append(Outcome(oid, OutcomeKind.DONE, order.id))
            except EcerpError as err:
                outcomes.append(Outcome(oid, OutcomeKind.REJECTED, oid, err, str(err)))
        uow.commit()
    return BatchResult(tuple(outcomes))


def ship_orders(cmd: ShipOrders, ctx: Context) -> BatchResult:
    """Ship allocated (or picked, packed) orders: their reserved stock leaves
    for the customer and the reservations are consumed."""
    outcomes = []
    with ctx.uow as uow:
        orders = uow.orders.find_many(cmd.shipments)
        book = uow.stock.book()
        uow.stock.prefetch_shipping(o.id for o in orders.values())
        at = ctx.now()
        for oid, tracking in cmd.shipments.items():
            order = orders.get(oid)
            try:
                if order is None:
                    raise NotFoundError("order", oid)
                if not order.can_go(OrderStatus.SHIPPED):
                    raise InvalidTransitionError(
                        f"order {oid}", order.status.value, OrderStatus.SHIPPED.value
                    )
                # ``oid`` may be a former id (see docs/orders.md): stock
                # follows the order's id
                book.ship(order.id, at=at, actor=cmd.actor, document=order.id)
                order.ship(at=at, actor=cmd.actor, tracking=tracking)
                outcomes.append(Outcome(oid, OutcomeKind.DONE, order.id, detail=tracking or ""))
            except EcerpError as err:
                outcomes.append(Outcome(oid, OutcomeKind.REJECTED, oid, err, str(err)))
        uow.commit()
    return BatchResult(tuple(outcomes))


#: The orders' command handlers (merging and splitting:
#: :mod:`ecerp.usecases.orders.consolidation`).
HANDLERS = HandlerMap(
    {
        ImportOrders: import_orders,
        ProcessOrders: process_orders,
        AcceptOrders: accept_orders,
        CancelOrder: cancel_order,
        MarkPaid: mark_paid,
        HoldOrder: hold_order,
        ReleaseOrder: release_order,
        EditOrderLines: edit_order_lines,
        ChangeAddress: change_address,
        ChangeShippingService: change_shipping_service,
        StartPicking: start_picking,
        ShipOrders: ship_orders,
        MergeOrders: consolidation.merge,
        UnmergeOrder: consolidation.unmerge,
        SplitOrder: consolidation.split,
        SplitByAvailability: consolidation.split_by_availability,
    },
    batch={ImportOrders, ProcessOrders, AcceptOrders, StartPicking, ShipOrders},
    unit_by_unit={ImportOrders, ProcessOrders, AcceptOrders},
)
