"""Orders whose listing SKUs the catalog cannot resolve yet.

A channel sends an order for a listing the seller has not linked to a SKU
(a new product, a typo in the shop's back office).  Rather than refuse it,
the import keeps it ``unmapped``, with the (channel, shop, listing SKU)
codes that failed; it holds no stock and nothing is decided on it.  When
the catalog learns those codes (an alias, a SKU or a bundle added through
:func:`~ecerp.usecases.catalog.handlers.add_to_catalog`), the same unit of work maps
the orders waiting for them and lets them flow on as a newly imported order
does: reviewed, routed and allocated (older orders waiting for the same
SKUs first).  An order still missing another code keeps waiting for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ecerp.domain.catalog.aliases import ListingLine
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.orders.drafts import ChannelOrder, OrderLine, UnmappedSku
from ecerp.domain.orders.errors import VersionConflictError
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.domain.orders.versions import channel_changes, content_digest
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.allocation.handlers import allocate_in
from ecerp.usecases.config import Config
from ecerp.usecases.orders.review import Reviewer
from ecerp.usecases.results import Outcome, OutcomeKind
from ecerp.usecases.routing.routes import route_order


def missing_codes(
    catalog: Catalog, channel: str, shop: str, lines: Iterable[ListingLine], *, at: datetime
) -> tuple[UnmappedSku, ...]:
    """The listing SKUs of ``lines`` that resolve to nothing at ``at``, in
    line order, each once."""
    missing: dict[str, UnmappedSku] = {}
    for line in lines:
        code = line.listing_sku
        if code in missing:
            continue
        try:
            catalog.expand(catalog.resolve(channel, shop, code, at=at))
        except UnknownSkuError:
            missing[code] = UnmappedSku(channel, shop, code)
    return tuple(missing.values())


def keep_unmapped(
    draft: ChannelOrder,
    existing: dict[tuple[str, str, str], Order],
    catalog: Catalog,
    uow: UnitOfWork,
    *,
    at: datetime,
    actor: str,
    ref: str,
    error: UnknownSkuError,
) -> Outcome | None:
    """A draft whose import failed on an unknown listing SKU (``error``):
    keep it as an ``unmapped`` order (a new one, or a newer version of one
    still unmapped).  An order already mapped refuses a version with an
    unknown listing SKU (it may hold stock or be picked; nothing changes):
    a ``rejected`` outcome naming every unknown code and what to do.
    ``None`` when no listing SKU is unknown (the caller rejects it)."""
    missing = missing_codes(
        catalog, draft.channel, draft.shop, draft.order_lines(), at=draft.ordered_at
    )
    if not missing:
        return None
    codes = ", ".join(str(m) for m in missing)
    order = existing.get(draft.key)
    if order is not None and order.status is not OrderStatus.UNMAPPED:
        return Outcome(
            ref,
            OutcomeKind.REJECTED,
            order.id,
            error=error,
            detail=(
                f"order {order.id} is {order.status.value}; the channel's new version names "
                f"listing SKUs the catalog does not know: {codes}; nothing changed "
                "(link them to SKUs, then import the order again)"
            ),
        )
    detail = "unmapped: " + codes
    if order is None:
        order = Order.from_channel(draft, {}, at=at, actor=actor, unmapped=missing)
        uow.orders.add(order)
        existing[draft.key] = order
        kind = OutcomeKind.UNMAPPED if order.status is OrderStatus.UNMAPPED else OutcomeKind.CREATED
        return Outcome(ref, kind, order.id, detail=detail)
    same_version = False
    if draft.version <= order.updated_at:  # the version/content rule, as for any order
        fields = channel_changes(order, draft)
        if not fields:
            return Outcome(ref, OutcomeKind.UNCHANGED, order.id, detail=detail)
        if draft.version < order.updated_at:
            raise VersionConflictError(order.id, draft.version, order.updated_at, tuple(fields))
        same_version = True
    order.take_unmapped_version(draft, missing, at=at, actor=actor, same_version=same_version)
    if order.status is OrderStatus.UNMAPPED:
        order.channel_digest = content_digest(draft)
    kind = OutcomeKind.UNMAPPED if order.status is OrderStatus.UNMAPPED else OutcomeKind.UPDATED
    return Outcome(ref, kind, order.id, detail=detail)


def map_unmapped(uow: UnitOfWork, config: Config, *, at: datetime, actor: str) -> list[Order]:
    """Inside an open unit of work whose catalog just learned codes: every
    ``unmapped`` order whose lines all resolve now is mapped, reviewed,
    routed and allocated (older orders ready or waiting for the same SKUs
    are served first); the others keep the codes still missing.  Returns
    the orders mapped."""
    ids = uow.orders.ids_with_status({OrderStatus.UNMAPPED})
    if not ids:
        return []
    catalog = uow.catalog.view()
    orders = uow.orders.find_many(ids)
    mapped: list[Order] = []
    for oid in ids:
        order = orders[oid]
        missing = missing_codes(
            catalog, order.channel, order.shop, order.lines, at=order.ordered_at
        )
        if missing:
            order.still_unmapped(missing, at=at, actor=actor)
            continue
        requirements = catalog.requirements(
            order.channel, order.shop, order.lines, at=order.ordered_at
        )
        order.map_lines(requirements, at=at, actor=actor)
        mapped.append(order)
    flow_on(uow, config, mapped, at=at, actor=actor)
    return mapped


def edit_unmapped(
    order: Order,
    lines: list[OrderLine],
    uow: UnitOfWork,
    config: Config,
    *,
    at: datetime,
    actor: str,
) -> None:
    """A person replaced the lines of the ``unmapped`` ``order`` (inside an
    open unit of work, not committed): when every new line resolves, the
    order is mapped and flows on as when the catalog learns its codes
    (reviewed, routed, allocated after older orders waiting for the same
    SKUs); otherwise it stays ``unmapped`` with the new lines' unknown
    codes.  Audited either way.

    Raises:
        ValidationError: no lines.
        CurrencyMismatchError: a line priced in another currency.
        EcerpError: the catalog cannot expand a line (nothing changed).
    """
    catalog = uow.catalog.view()
    missing = missing_codes(catalog, order.channel, order.shop, lines, at=order.ordered_at)
    requirements = (
        None
        if missing
        else catalog.requirements(order.channel, order.shop, lines, at=order.ordered_at)
    )
    order.edit_unmapped_lines(lines, missing, at=at, actor=actor)
    if requirements is not None:
        order.map_lines(requirements, at=at, actor=actor)
        flow_on(uow, config, [order], at=at, actor=actor)


def flow_on(
    uow: UnitOfWork, config: Config, mapped: list[Order], *, at: datetime, actor: str
) -> None:
    """Orders just mapped go on as newly imported ones: reviewed, routed,
    and allocated (older orders ready or waiting for the same SKUs
    first)."""
    if not mapped:
        return
    reviewer = Reviewer(uow, config, {(o.shop, buyer_key(o)) for o in mapped})
    for order in mapped:
        reviewer.note(order)
    for order in mapped:
        route_order(order, uow, config, at=at, actor=actor)
        reviewer.review(order, at=at, actor=actor)
    ready = [o.id for o in mapped if o.status in ALLOCATABLE]
    if ready:
        skus = {sku for o in mapped if o.status in ALLOCATABLE for _, sku in o.requirements}
        older = [oid for oid in uow.orders.ids_needing(skus, ALLOCATABLE) if oid not in ready]
        allocate_in(uow, [*ready, *older], at=at, actor=actor, config=config)


__all__ = ["edit_unmapped", "flow_on", "keep_unmapped", "map_unmapped", "missing_codes"]
