"""Which older orders a webhook's allocation (or a receipt's) has to look at.

A webhook (:func:`ecerp.usecases.orders.handlers.accept_orders`) allocates a few new
orders and, ahead of them, the older ready and waiting orders that need the
same SKUs, so that a new order never takes stock an older one could ship
with.  Looking at every such order makes each call cost as much as the
backlog: in a sold-out flash sale, 20,000 waiting orders for one SKU made
every webhook re-decide all 20,000.

The allocation policy (:func:`ecerp.domain.allocation.decide`) serves orders
one by one in serving order and never lets an order that cannot ship block
the ones behind it.  So the older orders can be walked lazily, a page of the
serving queue at a time, deciding as the allocation will; once no warehouse
has any of the new orders' SKUs left (none allows negative stock), no order
further down that queue can be allocated, since each of them needs one of
those SKUs.  Those orders would only be told to wait again, which changes
nothing for an order already waiting, so they are left alone.  Two kinds of
order further down do change when told to wait, and are still included:
ready orders (imported, never allocated: they move to waiting) and, when a
shop splits orders, that shop's waiting orders (a part may ship from stock
of other SKUs); with a shop that splits, or a warehouse that may go
negative, every older order is included, as before.

The same walk serves stock that arrives (:func:`waiting_to_allocate`, for
:func:`ecerp.usecases.allocation.handlers.allocate_waiting`): 2,000 mugs received
for 20,000 waiting orders serve the 2,000 first in the queue, and the walk
stops a page later instead of loading the other 18,000.

For example, with 3 mugs in stock and 20,000 orders waiting for one mug
each, an order for a mug walks the first page of the queue, sees the three
oldest take the three mugs, and stops: the new order waits, after looking at
a page of orders rather than 20,000.  With no mug in stock it looks at no
older order at all.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ecerp.domain.allocation.policy import AllocationRequest, decide, queue_key
from ecerp.domain.allocation.serving import place_of
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.splitting import splits
from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.ports.orders import QueuePlace
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config
from ecerp.usecases.orders.reservations import request_for
from ecerp.usecases.routing.routes import Freight, warehouse_order

#: The first page of the serving queue the walk reads; each next page is
#: four times larger, so a long walk takes few queries and decides each
#: order a bounded number of times.
FIRST_PAGE = 64


def older_to_allocate(uow: UnitOfWork, new: Sequence[Order], *, config: Config) -> list[str]:
    """Ids (sorted) of the older ready and waiting orders an allocation of
    ``new`` (orders ready to allocate, in this unit) must include to decide
    exactly as it would over every ready and waiting order needing their
    SKUs: the ones served before stock for those SKUs runs out, the ready
    ones (they move to waiting), and every one when a shop splits or a
    warehouse may go negative (see the module docstring).
    """
    skus = {sku for order in new for _, sku in order.requirements}
    return _served_first(uow, skus, new, ALLOCATABLE, config)


def waiting_to_allocate(uow: UnitOfWork, skus: Collection[str], *, config: Config) -> list[str]:
    """Ids (sorted) of the waiting orders needing any of ``skus`` that an
    allocation must include to decide exactly as it would over all of them
    (stock of ``skus`` arrived): those served before it runs out again, or
    every one when a shop splits or a warehouse may go negative."""
    return _served_first(uow, set(skus), (), {OrderStatus.WAITING}, config)


def _served_first(
    uow: UnitOfWork,
    skus: set[str],
    new: Sequence[Order],
    statuses: Collection[OrderStatus],
    config: Config,
) -> list[str]:
    if not skus:
        return []
    catalog = uow.catalog.view()
    book = uow.stock.book()
    warehouses = book.warehouses()
    if any(w.allow_negative for w in warehouses) or any(
        splits(shop.split) for shop in catalog.shops()
    ):
        return sorted(uow.orders.ids_needing(skus, statuses))
    codes = tuple(w.code for w in warehouses)
    freight = Freight(catalog, config)

    def request(order: Order) -> AllocationRequest:
        return request_for(order, warehouse_order(order, codes, catalog, config, freight))

    fresh = [request(order) for order in new]
    known = {order.id for order in new}
    walked: list[AllocationRequest] = []
    after: QueuePlace | None = None
    page = FIRST_PAGE
    while not _sold_out(skus, codes, book_available(uow, skus, codes, fresh, walked, after)):
        ids = uow.orders.queue_needing(skus, statuses, after=after, limit=page)
        orders = uow.orders.find_many(i for i in ids if i not in known)
        walked.extend(request(orders[i]) for i in ids if i in orders)
        known.update(ids)
        if len(ids) < page:  # the whole queue was walked
            break
        last = uow.orders.get(ids[-1])
        after = place_of(last)
        page *= 4
    ready = _all_needing(uow, skus, {OrderStatus.READY} & set(statuses))
    return sorted({r.order for r in walked} | (set(ready) - {o.id for o in new}))


def book_available(
    uow: UnitOfWork,
    skus: set[str],
    codes: tuple[str, ...],
    fresh: list[AllocationRequest],
    walked: list[AllocationRequest],
    after: QueuePlace | None,
) -> dict[tuple[str, str], int]:
    """What is left of every position the decisions so far read, and of each
    of ``skus`` in every warehouse, after deciding the walked orders and the
    new ones placed before ``after`` (nothing placed later can be missing)."""
    requests = [*walked, *(r for r in fresh if after is not None and queue_key(r) <= after)]
    keys = {(sku, wh) for sku in skus for wh in codes}
    keys |= {(sku, wh) for r in requests for sku in r.needs for wh in r.warehouses}
    book = uow.stock.book()
    uow.stock.prefetch(keys)
    left = {key: book.available(*key) for key in keys}
    needs = {r.order: r.needs for r in requests}
    for decision in decide(requests, left, set()):
        if decision.warehouse is not None:
            for sku, qty in needs[decision.order].items():
                left[(sku, decision.warehouse)] -= qty
    return left


def _sold_out(skus: set[str], codes: tuple[str, ...], left: dict[tuple[str, str], int]) -> bool:
    """Whether no warehouse has any of ``skus`` left."""
    return all(left[(sku, wh)] <= 0 for sku in skus for wh in codes)


def _all_needing(uow: UnitOfWork, skus: set[str], statuses: set[OrderStatus]) -> list[str]:
    ids: list[str] = []
    if not statuses:
        return ids
    after: QueuePlace | None = None
    while True:
        page = uow.orders.queue_needing(skus, statuses, after=after, limit=1000)
        ids.extend(page)
        if len(page) < 1000:
            return ids
        last = uow.orders.get(page[-1])
        after = place_of(last)
