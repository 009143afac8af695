"""Merging and splitting orders: by hand, automatically per shop setting,
and by availability across warehouses.  Reservations follow exactly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.orders.consolidation import (
    merge_key,
    merge_orders,
    merged_external_id,
    split_order,
    unmerge_orders,
)
from ecerp.domain.orders.errors import ConsolidationError
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.orders.ids import merged_order_id
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.splitting import best_part, is_whole, split_rounds
from ecerp.domain.orders.status import ALLOCATABLE, CONSOLIDATABLE, OrderStatus
from ecerp.domain.shared.errors import EcerpError, NotFoundError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.context import Context
from ecerp.usecases.orders.commands import (
    MergeOrders,
    SplitByAvailability,
    SplitOrder,
    UnmergeOrder,
)
from ecerp.usecases.orders.reservations import (
    allocate_in_warehouse,
    shop_reserves_held,
    sync_reservations,
)
from ecerp.usecases.results import Outcome


def auto_merge(
    uow: UnitOfWork, catalog: Catalog, created: list[Outcome], at: datetime, actor: str
) -> dict[str, str]:
    """Merge new orders of shops that ask for it with the buyer's other
    unpicked orders to the same address, including a merged parcel of
    theirs (the new order joins it: re-merge); returns ``{order id: merged
    id}``."""
    new = [
        o
        for o in uow.orders.find_many(c.order for c in created if c.order is not None).values()
        if o.status in CONSOLIDATABLE
        and not o.merged_from
        and buyer_key(o)  # an anonymous buyer is nobody's parcel
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
            if merge_key(peer) == key and peer.status in CONSOLIDATABLE:
                group[peer.id] = peer
        group[order.id] = order
    result: dict[str, str] = {}
    for group in groups.values():
        if len(group) >= 2:
            try:
                merged = _merge_in(
                    uow, sorted(group.values(), key=lambda o: o.id), at=at, actor=actor
                )
            except EcerpError:  # checked before anything changed: leave them apart
                continue
            result.update(dict.fromkeys(group, merged.id))
    return result


def load_orders(uow: UnitOfWork, ids: Iterable[str]) -> list[Order]:
    ids = list(ids)
    found = uow.orders.find_many(ids)
    for oid in ids:
        if oid not in found:
            raise NotFoundError("order", oid)
    orders = [found[oid] for oid in ids]
    uow.stock.prefetch_reservations(o.id for o in orders)
    return orders


def merge(cmd: MergeOrders, ctx: Context) -> Order:
    """Merge orders into one; if all were allocated in one warehouse the
    merged order holds their stock there, otherwise it is allocated anew.
    Merged parcels among them are flattened into their original orders and
    retired (see :func:`~ecerp.domain.orders.merge_orders`).

    Raises:
        ConsolidationError: the orders cannot be merged (nothing changes).
        NotFoundError: an unknown order id.
    """
    with ctx.uow as uow:
        merged = _merge_in(uow, load_orders(uow, cmd.order_ids), at=ctx.now(), actor=cmd.actor)
        uow.commit()
    return merged


def _merge_in(uow: UnitOfWork, originals: list[Order], *, at: datetime, actor: str) -> Order:
    book = uow.stock.book()
    uow.stock.prefetch_reservations(o.id for o in originals)
    folded_ids = [i for o in originals for i in o.merged_from]
    found = uow.orders.find_many(folded_ids)
    folded = [found[i] for i in folded_ids if i in found]
    places = {(o.status, o.warehouse) for o in originals}
    external: str | None = None
    if originals:  # the same orders may have been merged (and unmerged) before
        first, attempt = originals[0], 1
        while external is None:
            candidate = merged_external_id(originals, folded, attempt)
            if uow.orders.find(merged_order_id(first.channel, first.shop, candidate)) is None:
                external = candidate
            attempt += 1
    merged = merge_orders(originals, at=at, actor=actor, folded=folded, external_id=external)
    for original in originals:
        sync_reservations(original, book, at=at, actor=actor)
    uow.orders.add(merged)
    if len(places) == 1:
        status, warehouse = places.pop()
        if status is OrderStatus.ALLOCATED and warehouse is not None:
            allocate_in_warehouse(
                merged,
                warehouse,
                book,
                at=at,
                actor=actor,
                reserve_held=shop_reserves_held(uow.catalog.view(), merged.shop),
            )
    return merged


def unmerge(cmd: UnmergeOrder, ctx: Context) -> list[Order]:
    """Restore the originals of a merged order, with their reservations."""
    with ctx.uow as uow:
        merged = uow.orders.get(cmd.order_id)
        originals = load_orders(uow, merged.merged_from)
        at, book = ctx.now(), uow.stock.book()
        uow.stock.prefetch_reservations([merged.id])
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
        (order,) = load_orders(uow, [cmd.order_id])
        result = _split(uow, order, list(cmd.parts), at=ctx.now(), actor=cmd.actor)
        uow.commit()
    return result


def _split(
    uow: UnitOfWork, order: Order, parts: list[Mapping[int, int]], *, at: datetime, actor: str
) -> list[Order]:
    book = uow.stock.book()
    warehouse = order.warehouse if order.status is OrderStatus.ALLOCATED else None
    children = split_order(
        order, parts, at=at, actor=actor, in_use=lambda oid: uow.orders.find(oid) is not None
    )
    sync_reservations(order, book, at=at, actor=actor)
    keep = shop_reserves_held(uow.catalog.view(), order.shop)
    for child in children:
        uow.orders.add(child)
        if warehouse is not None:
            allocate_in_warehouse(child, warehouse, book, at=at, actor=actor, reserve_held=keep)
    return [order, *children]


def split_by_availability(cmd: SplitByAvailability, ctx: Context) -> list[Order]:
    """Split a ready or waiting order so that what a warehouse can ship now
    goes (allocated), and the rest waits.  Bundles split by whole bundles.

    Raises:
        ConsolidationError: nothing can ship now, or everything can (then
            allocate it instead), or the order is not ready or waiting.
    """
    with ctx.uow as uow:
        (order,) = load_orders(uow, [cmd.order_id])
        if order.status not in ALLOCATABLE:
            raise ConsolidationError(
                [order.id],
                f"only a ready or waiting order splits by stock, not {order.status.value}",
            )
        book, at = uow.stock.book(), ctx.now()
        candidates = [cmd.warehouse] if cmd.warehouse else [w.code for w in book.warehouses()]
        for code in candidates:
            book.warehouse(code)  # an unknown warehouse raises
        best = best_part(
            order.lines, order.requirements, ((c, _available(order, book, c)) for c in candidates)
        )
        if best is None:
            raise ConsolidationError([order.id], "no warehouse can ship any of it now")
        code, part = best
        if is_whole(order.lines, part):
            raise ConsolidationError([order.id], f"{code} can ship all of it: allocate it instead")
        rest = _split(uow, order, [part], at=at, actor=cmd.actor)
        shipping = rest[1]
        if shipping.status is OrderStatus.READY or shipping.status is OrderStatus.WAITING:
            keep = shop_reserves_held(uow.catalog.view(), order.shop)
            allocate_in_warehouse(shipping, code, book, at=at, actor=cmd.actor, reserve_held=keep)
        if order.status is OrderStatus.READY:
            order.wait((), at=at, actor=cmd.actor)
        uow.commit()
    return rest


def _available(order: Order, book: StockBook, warehouse: str) -> dict[str, int]:
    """What ``warehouse`` has available now of each SKU ``order`` needs."""
    return {sku: book.available(sku, warehouse) for _, sku in order.requirements}


def split_across(
    uow: UnitOfWork,
    order: Order,
    warehouses: tuple[str, ...],
    policy: str,
    *,
    at: datetime,
    actor: str,
) -> list[Order]:
    """Split a waiting order by what is in stock, as the shop's split
    ``policy`` says (:mod:`ecerp.domain.orders.splitting`: ``"availability"``
    takes one part from the warehouse that can ship the most;
    ``"warehouses"`` goes on with the next warehouse for what is left).
    Returns the allocated parts; if a remainder fits one warehouse whole, the
    order itself is allocated."""
    book = uow.stock.book()
    keep = shop_reserves_held(uow.catalog.view(), order.shop)
    made: list[Order] = []
    for _ in range(split_rounds(policy, len(warehouses))):
        best = best_part(
            order.lines, order.requirements, ((c, _available(order, book, c)) for c in warehouses)
        )
        if best is None:
            break
        code, part = best
        if is_whole(order.lines, part):
            allocate_in_warehouse(order, code, book, at=at, actor=actor, reserve_held=keep)
            break
        child = _split(uow, order, [part], at=at, actor=actor)[1]
        allocate_in_warehouse(child, code, book, at=at, actor=actor, reserve_held=keep)
        made.append(child)
    return made
