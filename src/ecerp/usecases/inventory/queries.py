"""Inventory queries: stock reports and positions, read in one unit of work."""

from __future__ import annotations

from datetime import datetime

from ecerp.domain.inventory.moves import StockLine, StockPosition
from ecerp.ports.unit_of_work import UnitOfWork

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
