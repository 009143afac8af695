"""Allocation queries: why an order waits."""

from __future__ import annotations

import attrs

from ecerp.domain.allocation.waiting import WarehouseShortage, shortages
from ecerp.domain.orders.drafts import UnmappedSku
from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config
from ecerp.usecases.routing.routes import warehouse_order


@attrs.frozen
class WaitingAnswer:
    """Why ``order`` waits (or that it does not).

    ``waiting``: the order waits for stock.  ``warehouses``: for an order
    waiting (or ready, not allocated yet), each warehouse allocation would
    consider, in the order it would, with the SKUs it is short of now
    (needed vs available, bundles expanded); empty in any other status.
    """

    order: str
    status: OrderStatus
    waiting: bool
    warehouses: tuple[WarehouseShortage, ...] = ()
    unmapped: tuple[UnmappedSku, ...] = ()
    """For an ``unmapped`` order: the listing SKUs it waits to be linked."""

    @property
    def could_ship_now(self) -> tuple[str, ...]:
        """Warehouses that have everything now (the next allocation run
        takes one of them, unless an older order is served first)."""
        return tuple(w.warehouse for w in self.warehouses if w.can_ship)


def why_waiting(uow: UnitOfWork, order_id: str, config: Config | None = None) -> WaitingAnswer:
    """Why ``order_id`` waits, from the stock available when asked (not the
    reason stored when it last failed to allocate).

    An order ``waiting`` (or ``ready``: not allocated yet) is checked against
    every warehouse allocation would consider for it (a routing rule's
    warehouse only, else all, cheapest freight first with rate tables); any
    other status answers ``waiting=False`` with no warehouses.

    Raises:
        NotFoundError: no such order.
    """
    order = uow.orders.get(order_id)
    if order.status not in ALLOCATABLE:
        return WaitingAnswer(order.id, order.status, False, unmapped=order.unmapped)
    catalog = uow.catalog.view()
    book = uow.stock.book()
    warehouses = book.warehouses()
    codes = warehouse_order(order, tuple(w.code for w in warehouses), catalog, config or Config())
    needs = order.sku_totals()
    keys = [(sku, wh) for sku in needs for wh in codes]
    uow.stock.prefetch(keys)
    available = {key: book.available(*key) for key in keys}
    negative = [w.code for w in warehouses if w.allow_negative]
    return WaitingAnswer(
        order.id,
        order.status,
        order.status is OrderStatus.WAITING,
        shortages(needs, available, codes, negative),
    )
