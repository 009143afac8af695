"""Order use cases: import, allocate, edit, cancel, pick and ship.

The batch ones (import, allocate, pick, ship) work set-first: one unit of
work per batch, the orders and stock positions they touch looked up in bulk,
decisions taken in memory, one commit.  Each item gets an outcome; an item
the domain refuses is reported with its error and leaves no trace, because
domain operations check everything before they change anything.

Reservations always follow the order's status and requirements through
:func:`sync_reservations`: an order that should hold stock holds exactly its
requirements, any other holds nothing.  That one rule is how cancelling or
editing releases exactly what was reserved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from ecerp.domain.allocation import AllocationRequest, decide, queue_key
from ecerp.domain.catalog import Catalog
from ecerp.domain.errors import (
    EcerpError,
    InsufficientStockError,
    InvalidTransitionError,
    NotFoundError,
)
from ecerp.domain.events import Event, ReservationReleased, StockMoved
from ecerp.domain.holds import ReviewContext, buyer_key
from ecerp.domain.money import Money
from ecerp.domain.orders import (
    ALLOCATABLE,
    CONSOLIDATABLE,
    REVIEWABLE,
    ChannelLine,
    ChannelOrder,
    ConsolidationError,
    HoldReason,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    merge_key,
    merge_orders,
    split_order,
    unmerge_orders,
)
from ecerp.domain.routing import OrderFacts
from ecerp.domain.shipping import Parcel, cheapest
from ecerp.domain.stock import Location, LocationKind, StockBook
from ecerp.ports.orders import BuyerKey
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.commands import (
    AllocateOrders,
    CancelOrder,
    ChangeAddress,
    EditOrderLines,
    HoldOrder,
    ImportOrders,
    MarkPaid,
    MergeOrders,
    ReleaseOrder,
    ShipOrders,
    SplitByAvailability,
    SplitOrder,
    StartPicking,
    UnmergeOrder,
)
from ecerp.usecases.config import Config
from ecerp.usecases.context import Context
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind

#: How many drafts an import takes into one unit of work: bounds memory for
#: streams of any length while keeping the per-batch bulk lookups.
IMPORT_CHUNK = 20_000


# --- the reservation rule ----------------------------------------------------------------


def sync_reservations(order: Order, book: StockBook, *, at: datetime, actor: str) -> None:
    """Make ``order``'s reservations match what its status and requirements
    call for, reserving or releasing only the difference.

    If more stock is needed than its warehouse has, the order gives back
    everything and waits.
    """
    held = book.reservations_of(order.id)
    if not order.holds_stock():
        if held:
            book.release(order.id)
        return
    want = order.requirements
    less = {k: r.qty - want.get(k, 0) for k, r in held.items() if r.qty > want.get(k, 0)}
    more = {
        k: q - (held[k].qty if k in held else 0)
        for k, q in want.items()
        if q > (held[k].qty if k in held else 0)
    }
    if less:
        book.release(order.id, less)
    if more:
        assert order.warehouse is not None  # holding orders have a warehouse
        try:
            book.reserve(order.id, more, order.warehouse)
        except InsufficientStockError as short:
            book.release(order.id)
            order.wait((short.sku,), at=at, actor=actor)


def bump_reservations(
    uow: UnitOfWork, gaps: Mapping[tuple[str, str], int], *, at: datetime, actor: str, note: str
) -> list[str]:
    """Where reserved exceeds on hand by ``gaps[(sku, warehouse)]``, take stock
    back from the last orders in the serving queue (lowest priority, youngest)
    until it fits; they go back to waiting.  Returns their ids."""
    if not gaps:
        return []
    book = uow.stock.book()
    bumped: list[str] = []
    for (sku, warehouse), gap in sorted(gaps.items()):
        holders = uow.orders.find_many({r.order for r in book.reservations_at(sku, warehouse)})
        # Orders not yet started give way first, then those being picked,
        # then packed ones; within each, the last in the serving queue.
        stage = {OrderStatus.ALLOCATED: 0, OrderStatus.PICKING: 1, OrderStatus.PACKED: 2}
        queue = sorted(
            (o for o in holders.values() if o.status in stage),
            key=lambda o: queue_key(_request(o, ())),
            reverse=True,
        )
        queue.sort(key=lambda o: stage[o.status])
        for order in queue:
            if book.reserved(sku, warehouse) <= book.on_hand(sku, warehouse):
                break
            order.deallocate(at=at, actor=actor, note=note)
            sync_reservations(order, book, at=at, actor=actor)
            bumped.append(order.id)
        _ = gap
    return bumped


class Reviewer:
    """Runs the configured review checks on orders of one unit of work,
    knowing each buyer's other orders (looked up in bulk up front)."""

    def __init__(self, uow: UnitOfWork, config: Config, buyers: Iterable[BuyerKey]) -> None:
        self.uow = uow
        self.config = config
        wanted = {k for k in buyers if k[1]}
        self.peers: dict[BuyerKey, list[Order]] = (
            uow.orders.find_by_buyers(wanted) if config.review is not None and wanted else {}
        )

    def note(self, order: Order) -> None:
        """``order`` was just added: later orders of its buyer see it."""
        peers = self.peers.setdefault((order.shop, buyer_key(order)), [])
        if all(p.id != order.id for p in peers):
            peers.append(order)

    def review(self, order: Order, *, at: datetime, actor: str) -> None:
        """Hold ``order`` for every uncleared reason the checks find."""
        policy, config = self.config.review, self.config
        if policy is None or order.status not in REVIEWABLE:
            return
        # Merged orders and split parts were paid as their originals: their
        # payments were checked there.
        paid = (
            order.payment is PaymentStatus.PAID and not order.merged_from and not order.split_from
        )
        record, unverified = None, None
        if config.payments is not None and paid:
            try:
                record = config.payments.find(order)
            except EcerpError as err:  # cannot check the payment: a person should
                unverified = HoldReason("payment_unverified", str(err))
        context = ReviewContext(
            payment=record,
            payment_expected=config.payments is not None and paid and unverified is None,
            blacklist=config.blacklist,
            others=self.peers.get((order.shop, buyer_key(order)), ()),
        )
        reasons = policy.review(order, context)
        if unverified is not None and unverified.code not in order.cleared_holds:
            reasons = (*reasons, unverified)
        checked = [check.code for check in policy.checks] + ["payment_unverified"]
        order.apply_review(reasons, checked, at=at, actor=actor)
        sync_reservations(order, self.uow.stock.book(), at=at, actor=actor)


# --- routing and freight --------------------------------------------------------------


def parcel_of(order: Order, catalog: Catalog) -> Parcel:
    """The order as one parcel: SKU weights times quantities, to its address."""
    weight = 0
    for (_, sku_code), qty in order.requirements.items():
        sku = catalog.find_sku(sku_code)
        weight += (sku.weight_g if sku is not None else 0) * qty
    a = order.address
    return Parcel(weight, None, a.country, a.region, a.postcode)


#: Statuses in which routing rules may still change an order.
ROUTABLE = frozenset(
    {
        OrderStatus.UNPAID,
        OrderStatus.ON_HOLD,
        OrderStatus.READY,
        OrderStatus.WAITING,
        OrderStatus.ALLOCATED,
    }
)


def route_order(order: Order, uow: UnitOfWork, config: Config, *, at: datetime, actor: str) -> None:
    """Apply the routing rules to ``order`` (re-run whenever it changes).

    A rule's warehouse restricts allocation to it (an allocated order in
    another warehouse gives its stock back and waits); its service, tags and
    priority are set; its hold holds the order unless a person cleared it.
    """
    rules = config.rules
    if rules is None or order.status not in ROUTABLE:
        return
    decision = rules.decide(OrderFacts.of(order, uow.catalog.view()))
    order.route(
        rule=decision.rule,
        warehouse=decision.warehouse,
        service=decision.service,
        tags=decision.tags,
        priority=decision.priority,
        at=at,
        actor=actor,
    )
    book = uow.stock.book()
    if (
        order.status is OrderStatus.ALLOCATED
        and decision.warehouse is not None
        and order.warehouse != decision.warehouse
    ):
        order.deallocate(
            at=at, actor=actor, note=f"rule {decision.rule} routes it to {decision.warehouse}"
        )
        sync_reservations(order, book, at=at, actor=actor)
    if decision.hold is not None and decision.rule is not None:
        reason = HoldReason(f"rule:{decision.rule}", decision.hold)
        if reason.code not in order.cleared_holds and reason not in order.hold_reasons:
            order.hold([reason], at=at, actor=actor)
            sync_reservations(order, book, at=at, actor=actor)


def _warehouse_order(
    order: Order, codes: tuple[str, ...], catalog: Catalog, config: Config
) -> tuple[str, ...]:
    """Candidate warehouses for ``order``: the one a rule assigned, else all,
    cheapest estimated freight first (then warehouse priority)."""
    if order.route_warehouse is not None:
        return (order.route_warehouse,)
    if not config.rate_tables:
        return codes
    parcel = parcel_of(order, catalog)
    priced = []
    for rank, code in enumerate(codes):
        best = cheapest(config.tables_for(code), parcel)
        priced.append((best is None, best.amount.amount if best else 0, rank, code))
    return tuple(code for *_, code in sorted(priced))


def choose_service(
    order: Order, catalog: Catalog, config: Config, *, at: datetime, actor: str
) -> None:
    """Give an allocated order without a service the cheapest qualifying one
    from its warehouse's rate tables."""
    if order.shipping_service is not None or order.warehouse is None:
        return
    best = cheapest(config.tables_for(order.warehouse), parcel_of(order, catalog))
    if best is not None:
        order.set_shipping_service(f"{best.carrier}/{best.service}", at=at, actor=actor)


def _request(order: Order, warehouses: tuple[str, ...]) -> AllocationRequest:
    return AllocationRequest(
        order.id, order.priority, order.ordered_at, order.sku_totals(), warehouses
    )


# --- import ----------------------------------------------------------------------------


def _chunks(drafts: Iterable[ChannelOrder], size: int) -> Iterable[list[ChannelOrder]]:
    chunk: list[ChannelOrder] = []
    for draft in drafts:
        chunk.append(draft)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ref(draft: ChannelOrder) -> str:
    return "/".join(draft.key)


def import_orders(cmd: ImportOrders, ctx: Context) -> BatchResult:
    """Create or update orders from channel drafts.

    Per draft: ``created``; ``updated`` (a newer version was applied);
    ``unchanged`` (same or older version, or a repeat within the batch);
    ``rejected`` with the error (unknown shop or SKU, a change the order's
    status no longer allows...).
    """
    outcomes: list[Outcome] = []
    for chunk in _chunks(cmd.orders, IMPORT_CHUNK):
        outcomes.extend(_import_chunk(chunk, cmd.actor, ctx))
    return BatchResult(tuple(outcomes))


def _import_chunk(chunk: list[ChannelOrder], actor: str, ctx: Context) -> list[Outcome]:
    at = ctx.now()
    outcomes: list[Outcome] = []
    with ctx.uow as uow:
        catalog = uow.catalog.view()
        uow.catalog.prefetch(
            (d.channel, d.shop, line.listing_sku) for d in chunk for line in d.lines
        )
        existing = uow.orders.find_by_keys({d.key for d in chunk})
        book = uow.stock.book()
        book.prefetch_reservations(o.id for o in existing.values())
        reviewer = Reviewer(uow, ctx.config, {(d.shop, buyer_key(d)) for d in chunk})
        for draft in chunk:
            ref = _ref(draft)
            try:
                outcome = _import_one(draft, existing, catalog, book, uow, at, actor, ref)
                if outcome.kind is not OutcomeKind.UNCHANGED:
                    order = existing[draft.key]
                    reviewer.note(order)
                    route_order(order, uow, ctx.config, at=at, actor=actor)
                    reviewer.review(order, at=at, actor=actor)
                    if order.status is OrderStatus.ON_HOLD:
                        outcome = attrs.evolve(outcome, detail=_held(order, outcome.detail))
                outcomes.append(outcome)
            except EcerpError as err:
                outcomes.append(Outcome(ref, OutcomeKind.REJECTED, error=err, detail=str(err)))
        merged = _auto_merge(
            uow, catalog, [o for o in outcomes if o.kind is OutcomeKind.CREATED], at, actor
        )
        outcomes = [
            attrs.evolve(o, detail=f"merged into {merged[o.order]}") if o.order in merged else o
            for o in outcomes
        ]
        uow.commit()
    return outcomes


def _auto_merge(
    uow: UnitOfWork, catalog: Catalog, created: list[Outcome], at: datetime, actor: str
) -> dict[str, str]:
    """Merge new orders of shops that ask for it with the buyer's other
    unpicked orders to the same address; returns ``{order id: merged id}``."""
    new = [
        o
        for o in uow.orders.find_many(c.order for c in created if c.order is not None).values()
        if o.status in CONSOLIDATABLE
        and not o.merged_from
        and (shop := catalog.find_shop(o.shop)) is not None
        and shop.auto_merge
    ]
    if not new:
        return {}
    peers = uow.orders.find_by_buyers({(o.shop, buyer_key(o)) for o in new})
    groups: dict[tuple[object, ...], dict[str, Order]] = {}
    for order in new:
        key = merge_key(order)
        group = groups.setdefault(key, {})
        for peer in peers.get((order.shop, buyer_key(order)), []):
            if merge_key(peer) == key and peer.status in CONSOLIDATABLE and not peer.merged_from:
                group[peer.id] = peer
        group[order.id] = order
    result: dict[str, str] = {}
    for group in groups.values():
        if len(group) >= 2:
            try:
                merged = _merge_in(uow, sorted(group.values(), key=lambda o: o.id), at=at, actor=actor)
            except EcerpError:  # checked before anything changed: leave them apart
                continue
            result.update(dict.fromkeys(group, merged.id))
    return result


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
        return Outcome(ref, OutcomeKind.UNCHANGED, order.id)
    requirements = catalog.requirements(
        draft.channel, draft.shop, draft.order_lines(), at=draft.ordered_at
    )
    changed = order.apply_channel_version(draft, requirements, at=at, actor=actor)
    sync_reservations(order, book, at=at, actor=actor)
    return Outcome(ref, OutcomeKind.UPDATED, order.id, detail=", ".join(changed))


def _held(order: Order, detail: str) -> str:
    reasons = "; ".join(str(r) for r in order.hold_reasons)
    return f"{detail}; held: {reasons}" if detail else f"held: {reasons}"


# --- allocation --------------------------------------------------------------------------


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
    ids = (
        list(order_ids) if order_ids is not None else list(uow.orders.ids_with_status(ALLOCATABLE))
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
            requests.append(_request(order, _warehouse_order(order, all_codes, catalog, config)))
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
        if config.rate_tables:
            choose_service(order, catalog, config, at=at, actor=actor)
        outcomes[order.id] = Outcome(
            order.id, OutcomeKind.ALLOCATED, order.id, detail=decision.warehouse
        )
    extra: list[Outcome] = []
    for order, codes in to_split:
        shop = catalog.shop(order.shop)
        parts = split_across(uow, order, codes, shop.split, at=at, actor=actor)
        for part in parts:
            if config.rate_tables:
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


def split_across(
    uow: UnitOfWork,
    order: Order,
    warehouses: tuple[str, ...],
    policy: str,
    *,
    at: datetime,
    actor: str,
) -> list[Order]:
    """Split a waiting order by what is in stock: ``"availability"`` takes one
    part from the warehouse that can ship the most; ``"warehouses"`` goes on
    with the next warehouse for what is left (fewest parcels first; ties go to
    the earlier warehouse, i.e. cheaper freight).  Returns the allocated parts;
    if a remainder fits one warehouse whole, the order itself is allocated."""
    book = uow.stock.book()
    made: list[Order] = []
    rounds = 1 if policy == "availability" else len(warehouses)
    for _ in range(rounds):
        best: tuple[int, str, dict[int, int]] | None = None
        for code in warehouses:
            part = _shippable(order, book, code)
            units = sum(part.values())
            if units and (best is None or units > best[0]):
                best = (units, code, part)
        if best is None:
            break
        _, code, part = best
        if all(part.get(line.line_no, 0) == line.qty for line in order.lines):
            _hold_in(order, code, book, at=at, actor=actor)
            break
        child = _split(uow, order, [part], at=at, actor=actor)[1]
        _hold_in(child, code, book, at=at, actor=actor)
        made.append(child)
    return made


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


# --- single-order changes ------------------------------------------------------------------


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
        originals = _load(uow, order.merged_from) if order.merged_from else []
        order.cancel(at=at, actor=cmd.actor, reason=cmd.reason)
        sync_reservations(order, book, at=at, actor=cmd.actor)
        for original in originals:
            if original.status is OrderStatus.MERGED:
                original.cancel(
                    at=at, actor=cmd.actor, reason=f"{cmd.reason} (with {order.id})".strip()
                )
        uow.commit()
    return order


def mark_paid(cmd: MarkPaid, ctx: Context) -> Order:
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        order.mark_paid(at=at, actor=cmd.actor)
        Reviewer(uow, ctx.config, [(order.shop, buyer_key(order))]).review(
            order, at=at, actor=cmd.actor
        )
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
    the order waits if its warehouse cannot cover the increase).

    Raises:
        OrderLockedError: the order is picked or beyond.
        UnknownSkuError: a listing SKU the catalog cannot resolve.
    """
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        zero = Money.zero(order.currency)
        lines = [
            OrderLine(i, cl.listing_sku, cl.qty, cl.unit_price, cl.discount or zero, cl.title)
            for i, cl in enumerate(cmd.lines, 1)
        ]
        requirements = uow.catalog.view().requirements(
            order.channel, order.shop, lines, at=order.ordered_at
        )
        order.replace_lines(lines, requirements, at=at, actor=cmd.actor)
        sync_reservations(order, uow.stock.book(), at=at, actor=cmd.actor)
        route_order(order, uow, ctx.config, at=at, actor=cmd.actor)
        Reviewer(uow, ctx.config, [(order.shop, buyer_key(order))]).review(
            order, at=at, actor=cmd.actor
        )
        uow.commit()
    return order


def change_address(cmd: ChangeAddress, ctx: Context) -> Order:
    with ctx.uow as uow:
        order = uow.orders.get(cmd.order_id)
        at = ctx.now()
        order.change_address(cmd.address, at=at, actor=cmd.actor)
        route_order(order, uow, ctx.config, at=at, actor=cmd.actor)
        Reviewer(uow, ctx.config, [(order.shop, buyer_key(order))]).review(
            order, at=at, actor=cmd.actor
        )
        uow.commit()
    return order


# --- fulfilment ----------------------------------------------------------------------------


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
                outcomes.append(Outcome(oid, OutcomeKind.DONE, oid))
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
        book.prefetch_reservations(orders)
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
                book.ship(oid, at=at, actor=cmd.actor, document=oid)
                order.ship(at=at, actor=cmd.actor, tracking=tracking)
                outcomes.append(Outcome(oid, OutcomeKind.DONE, oid, detail=tracking or ""))
            except EcerpError as err:
                outcomes.append(Outcome(oid, OutcomeKind.REJECTED, oid, err, str(err)))
        uow.commit()
    return BatchResult(tuple(outcomes))


# --- merge and split --------------------------------------------------------------------


def _load(uow: UnitOfWork, ids: Iterable[str]) -> list[Order]:
    ids = list(ids)
    found = uow.orders.find_many(ids)
    for oid in ids:
        if oid not in found:
            raise NotFoundError("order", oid)
    uow.stock.book().prefetch_reservations(ids)
    return [found[oid] for oid in ids]


def _hold_in(order: Order, warehouse: str, book: StockBook, *, at: datetime, actor: str) -> None:
    """Reserve ``order`` in ``warehouse`` and allocate it there, or let it wait."""
    try:
        book.reserve(order.id, order.requirements, warehouse)
    except InsufficientStockError as short:
        order.wait((short.sku,), at=at, actor=actor)
        return
    order.allocate(warehouse, at=at, actor=actor)


def merge(cmd: MergeOrders, ctx: Context) -> Order:
    """Merge orders into one; if all were allocated in one warehouse the
    merged order holds their stock there, otherwise it is allocated anew.

    Raises:
        ConsolidationError: the orders cannot be merged (nothing changes).
        NotFoundError: an unknown order id.
    """
    with ctx.uow as uow:
        merged = _merge_in(uow, _load(uow, cmd.order_ids), at=ctx.now(), actor=cmd.actor)
        uow.commit()
    return merged


def _merge_in(uow: UnitOfWork, originals: list[Order], *, at: datetime, actor: str) -> Order:
    book = uow.stock.book()
    book.prefetch_reservations(o.id for o in originals)
    places = {(o.status, o.warehouse) for o in originals}
    merged = merge_orders(originals, at=at, actor=actor)
    for original in originals:
        sync_reservations(original, book, at=at, actor=actor)
    uow.orders.add(merged)
    if len(places) == 1:
        status, warehouse = places.pop()
        if status is OrderStatus.ALLOCATED and warehouse is not None:
            _hold_in(merged, warehouse, book, at=at, actor=actor)
    return merged


def unmerge(cmd: UnmergeOrder, ctx: Context) -> list[Order]:
    """Restore the originals of a merged order, with their reservations."""
    with ctx.uow as uow:
        merged = uow.orders.get(cmd.order_id)
        originals = _load(uow, merged.merged_from)
        at, book = ctx.now(), uow.stock.book()
        book.prefetch_reservations([merged.id])
        unmerge_orders(merged, originals, at=at, actor=cmd.actor)
        sync_reservations(merged, book, at=at, actor=cmd.actor)
        for original in originals:
            sync_reservations(original, book, at=at, actor=cmd.actor)
        uow.commit()
    return originals


def split(cmd: SplitOrder, ctx: Context) -> list[Order]:
    """Split parts off an order; an allocated order's parts keep their
    stock in the same warehouse (reservations move, exactly)."""
    with ctx.uow as uow:
        (order,) = _load(uow, [cmd.order_id])
        result = _split(uow, order, list(cmd.parts), at=ctx.now(), actor=cmd.actor)
        uow.commit()
    return result


def _split(
    uow: UnitOfWork, order: Order, parts: list[Mapping[int, int]], *, at: datetime, actor: str
) -> list[Order]:
    book = uow.stock.book()
    warehouse = order.warehouse if order.status is OrderStatus.ALLOCATED else None
    children = split_order(order, parts, at=at, actor=actor)
    sync_reservations(order, book, at=at, actor=actor)
    for child in children:
        uow.orders.add(child)
        if warehouse is not None:
            _hold_in(child, warehouse, book, at=at, actor=actor)
    return [order, *children]


def split_by_availability(cmd: SplitByAvailability, ctx: Context) -> list[Order]:
    """Split a ready or waiting order so that what a warehouse can ship now
    goes (allocated), and the rest waits.  Bundles split by whole bundles.

    Raises:
        ConsolidationError: nothing can ship now, or everything can (then
            allocate it instead), or the order is not ready or waiting.
    """
    with ctx.uow as uow:
        (order,) = _load(uow, [cmd.order_id])
        if order.status not in ALLOCATABLE:
            raise ConsolidationError(
                [order.id],
                f"only a ready or waiting order splits by stock, not {order.status.value}",
            )
        book, at = uow.stock.book(), ctx.now()
        candidates = [cmd.warehouse] if cmd.warehouse else [w.code for w in book.warehouses()]
        best: tuple[int, str, dict[int, int]] | None = None
        for code in candidates:
            book.warehouse(code)
            part = _shippable(order, book, code)
            units = sum(part.values())
            if units and (best is None or units > best[0]):
                best = (units, code, part)
        if best is None:
            raise ConsolidationError([order.id], "no warehouse can ship any of it now")
        _, code, part = best
        if all(part.get(line.line_no, 0) == line.qty for line in order.lines):
            raise ConsolidationError([order.id], f"{code} can ship all of it: allocate it instead")
        rest = _split(uow, order, [part], at=at, actor=cmd.actor)
        shipping = rest[1]
        if shipping.status is OrderStatus.READY or shipping.status is OrderStatus.WAITING:
            _hold_in(shipping, code, book, at=at, actor=cmd.actor)
        if order.status is OrderStatus.READY:
            order.wait((), at=at, actor=cmd.actor)
        uow.commit()
    return rest


def _shippable(order: Order, book: StockBook, warehouse: str) -> dict[int, int]:
    """Whole units per line that ``warehouse`` can cover now, lines in order."""
    left: dict[str, int] = {}
    part: dict[int, int] = {}
    for line in order.lines:
        per_unit = {
            sku: qty // line.qty
            for (n, sku), qty in order.requirements.items()
            if n == line.line_no
        }
        for sku in per_unit:
            if sku not in left:
                left[sku] = max(book.available(sku, warehouse), 0)
        units = min(line.qty, *(left[sku] // each for sku, each in per_unit.items()))
        if units > 0:
            part[line.line_no] = units
            for sku, each in per_unit.items():
                left[sku] -= each * units
    return part


__all__ = [
    "ChannelLine",
    "allocate_in",
    "allocate_orders",
    "allocate_waiting",
    "bump_reservations",
    "cancel_order",
    "change_address",
    "edit_order_lines",
    "hold_order",
    "import_orders",
    "parcel_of",
    "route_order",
    "mark_paid",
    "merge",
    "split",
    "split_by_availability",
    "unmerge",
    "release_order",
    "ship_orders",
    "start_picking",
    "split_across",
    "sync_reservations",
]
