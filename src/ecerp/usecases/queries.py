"""Read-only questions a seller asks, answered fresh from committed data
in one unit of work: the stock report (with sold-out SKUs, or totals over
every warehouse), one SKU's position, why an order waits, and which listing
SKUs keep orders unmapped.

Each works through the ports only, so every backend gives the same answer.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ecerp.domain.allocation.waiting import WarehouseShortage, shortages
from ecerp.domain.inventory.moves import StockLine, StockPosition
from ecerp.domain.orders.drafts import UnmappedSku
from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config
from ecerp.usecases.routing import warehouse_order

#: The ``warehouse`` of a report line that totals every warehouse.
ALL_WAREHOUSES = "*"


def stock_report(
    uow: UnitOfWork,
    warehouse: str | None = None,
    *,
    at: datetime | None = None,
    include_empty: bool = False,
    by_warehouse: bool = True,
) -> list[StockLine]:
    """The stock report (see :meth:`StockRepository.report`), sorted by SKU
    then warehouse.

    ``include_empty``: every SKU of the catalog gets a line for every
    warehouse asked for (``warehouse``, or all), zeros included, so sold-out
    SKUs show.  ``by_warehouse`` false: one line per SKU summed over the
    warehouses asked for, its warehouse :data:`ALL_WAREHOUSES`.

    Raises:
        ValidationError: ``at`` is naive.
        NotFoundError: unknown warehouse.
    """
    lines = uow.stock.report(warehouse, at=at)
    if include_empty:
        codes = (
            [warehouse]
            if warehouse is not None
            else [w.code for w in uow.stock.book().warehouses()]
        )
        have = {(line.sku, line.warehouse) for line in lines}
        lines = sorted(
            [
                *lines,
                *(
                    StockLine(sku.code, wh, 0, 0, 0)
                    for sku in uow.catalog.view().skus()
                    for wh in codes
                    if (sku.code, wh) not in have
                ),
            ],
            key=lambda line: (line.sku, line.warehouse),
        )
    if by_warehouse:
        return lines
    totals: dict[str, StockLine] = {}
    for line in lines:
        sum_ = totals.get(line.sku) or StockLine(line.sku, ALL_WAREHOUSES, 0, 0, 0)
        totals[line.sku] = StockLine(
            line.sku,
            ALL_WAREHOUSES,
            sum_.on_hand + line.on_hand,
            sum_.reserved + line.reserved,
            sum_.available + line.available,
        )
    return [totals[sku] for sku in sorted(totals)]


def stock_position(uow: UnitOfWork, sku: str, warehouse: str) -> StockPosition:
    """On hand, reserved, available, damaged and in transit of ``sku`` in
    ``warehouse``.

    Raises:
        UnknownSkuError: the catalog has no SKU ``sku``.
        NotFoundError: unknown warehouse.
    """
    book = uow.stock.book()
    book.warehouse(warehouse)
    uow.catalog.view().sku(sku)
    return book.position(sku, warehouse)


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


@attrs.frozen
class UnmappedCode:
    """A listing SKU of a shop that keeps ``orders`` orders unmapped, for
    ``units`` units in all."""

    channel: str
    shop: str
    listing_sku: str
    orders: int
    units: int


def unmapped_codes(uow: UnitOfWork) -> list[UnmappedCode]:
    """Every listing SKU that keeps orders ``unmapped``, sorted by channel,
    shop and listing SKU, with how many orders and units wait for it."""
    ids = uow.orders.ids_with_status({OrderStatus.UNMAPPED})
    counts: dict[tuple[str, str, str], list[int]] = {}
    for order in uow.orders.find_many(ids).values():
        for code in order.unmapped:
            key = (code.channel, code.shop, code.listing_sku)
            units = sum(ln.qty for ln in order.lines if ln.listing_sku == code.listing_sku)
            tally = counts.setdefault(key, [0, 0])
            tally[0] += 1
            tally[1] += units
    return [UnmappedCode(*key, *counts[key]) for key in sorted(counts)]


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
    book.prefetch(keys)
    available = {key: book.available(*key) for key in keys}
    negative = [w.code for w in warehouses if w.allow_negative]
    return WaitingAnswer(
        order.id,
        order.status,
        order.status is OrderStatus.WAITING,
        shortages(needs, available, codes, negative),
    )


__all__ = [
    "ALL_WAREHOUSES",
    "UnmappedCode",
    "WaitingAnswer",
    "stock_position",
    "stock_report",
    "unmapped_codes",
    "why_waiting",
]
