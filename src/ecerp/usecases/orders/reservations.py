"""The reservation rule: an order holds exactly what its status calls for.

Reservations always follow the order's status and requirements through
:func:`sync_reservations`: an order that should hold stock
(:meth:`~ecerp.domain.orders.Order.holds_stock`: allocated, picking, packed,
or on hold in a warehouse when its shop reserves held orders) holds exactly
its requirements, any other holds nothing.  That one rule is how cancelling
or editing releases exactly what was reserved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ecerp.domain.allocation.policy import AllocationRequest
from ecerp.domain.allocation.serving import Holder, give_back_order
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.errors import InsufficientStockError
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.ports.unit_of_work import UnitOfWork


def sync_reservations(order: Order, book: StockBook, *, at: datetime, actor: str) -> None:
    """Make ``order``'s reservations match what its status and requirements
    call for, reserving or releasing only the difference.

    If more stock is needed than its warehouse has, the order gives back
    everything and waits (a held order gives it back and stays on hold).
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
            if order.status is OrderStatus.ON_HOLD:
                order.give_back_held_stock(at=at, actor=actor, note=f"short of {short.sku}")
            else:
                order.wait((short.sku,), at=at, actor=actor)


def shop_reserves_held(catalog: Catalog, shop: str) -> bool:
    """Whether ``shop`` keeps stock for held orders (unknown shop: no)."""
    found = catalog.find_shop(shop)
    return found is not None and found.reserve_held


def bump_reservations(
    uow: UnitOfWork, gaps: Mapping[tuple[str, str], int], *, at: datetime, actor: str, note: str
) -> list[str]:
    """Where reserved exceeds on hand by ``gaps[(sku, warehouse)]``, take stock
    back until it fits, in the order
    :func:`~ecerp.domain.allocation.serving.give_back_order` gives (held
    orders first, then by stage, the last in the serving queue first); they
    go back to waiting (held ones stay on hold).  Returns their ids."""
    if not gaps:
        return []
    book = uow.stock.book()
    bumped: list[str] = []
    for (sku, warehouse), gap in sorted(gaps.items()):
        holders = uow.orders.find_many({r.order for r in book.reservations_at(sku, warehouse)})
        queue = give_back_order(
            Holder(o.id, o.status, o.priority, o.ordered_at) for o in holders.values()
        )
        for order in (holders[oid] for oid in queue):
            if book.reserved(sku, warehouse) <= book.on_hand(sku, warehouse):
                break
            if order.status is OrderStatus.ON_HOLD:
                order.give_back_held_stock(at=at, actor=actor, note=note)
            else:
                order.deallocate(at=at, actor=actor, note=note)
            sync_reservations(order, book, at=at, actor=actor)
            bumped.append(order.id)
        _ = gap
    return bumped


def request_for(order: Order, warehouses: tuple[str, ...]) -> AllocationRequest:
    return AllocationRequest(
        order.id, order.priority, order.ordered_at, order.sku_totals(), warehouses
    )


def allocate_in_warehouse(
    order: Order,
    warehouse: str,
    book: StockBook,
    *,
    at: datetime,
    actor: str,
    reserve_held: bool = False,
) -> None:
    """Reserve ``order`` in ``warehouse`` and allocate it there, or let it
    wait.  ``reserve_held``: its shop's setting (see ``Shop.reserve_held``)."""
    try:
        book.reserve(order.id, order.requirements, warehouse)
    except InsufficientStockError as short:
        order.wait((short.sku,), at=at, actor=actor)
        return
    order.allocate(warehouse, at=at, actor=actor, reserve_held=reserve_held)
