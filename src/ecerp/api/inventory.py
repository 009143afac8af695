"""``erp.inventory``: warehouses, the stock ledger, transfers and stocktakes.

>>> from ecerp import Sku, Warehouse, open_erp
>>> erp = open_erp("memory://")
>>> erp.catalog.add(Sku("MUG"))
>>> for code in ("SH", "HH"):
...     erp.inventory.add_warehouse(Warehouse(code))
>>> _ = erp.inventory.receive("MUG", "SH", 10)
>>> _ = erp.inventory.adjust("MUG", "SH", -1, note="dropped")
>>> _ = erp.inventory.transfer("T1", "SH", "HH", {"MUG": 4})
>>> erp.inventory.position("MUG", "SH").on_hand
5
>>> _ = erp.inventory.receive_transfer("T1", {"MUG": 4})
>>> [(line.warehouse, line.on_hand) for line in erp.inventory.report()]
[('HH', 4), ('SH', 5)]
>>> erp.inventory.verify()   # the cached balances agree with the ledger
[]

Every change is a move in the ledger (from one location to another, a
positive quantity); balances are kept from the moves, and :meth:`InventoryAPI.verify`
and :meth:`InventoryAPI.rebuild` check and repair them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from ecerp.api._base import ContextAPI
from ecerp.domain.inventory.invariants import Discrepancy
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.moves import Move, Reservation, StockLine, StockPosition
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.shared.values import (
    MAX_ORDER_ID_LEN,
    require_code,
    require_utc,
)
from ecerp.usecases.inventory.commands import (
    AddWarehouse,
    AdjustStock,
    ClosePeriod,
    MarkDamaged,
    PostStocktake,
    ReceiveStock,
    ReceiveTransfer,
    RecordCount,
    RepairDamaged,
    ScrapDamaged,
    SendTransfer,
    StartStocktake,
)
from ecerp.usecases.inventory.queries import stock_position, stock_report


class InventoryAPI(ContextAPI):
    """Warehouses, the stock ledger, transfers and stocktakes."""

    def add_warehouse(
        self, warehouse: Warehouse, actor: str | None = None, *, idempotency_key: str | None = None
    ) -> None:
        """Add ``warehouse`` to the books.

        Raises:
            DuplicateError: a warehouse has its code already.
        """
        self._run(
            AddWarehouse(warehouse, actor=self._actor(actor), idempotency_key=idempotency_key)
        )

    def warehouses(self) -> list[Warehouse]:
        """Every warehouse of the books."""
        with self._erp.backend.read() as uow:
            return uow.stock.book().warehouses()

    def receive(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        document: str = "",
        damaged: bool = False,
        actor: str | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        """Goods in from a supplier (to ``damaged`` stock if so).

        ``at`` back-dates the receipt (booked late): refused before the
        closed date or in the future.

        ``idempotency_key`` (on every method that books stock or creates a
        document): a retry with the same key and arguments returns the first
        result and books nothing again; the same key with other arguments
        raises :class:`~ecerp.domain.shared.errors.IdempotencyConflictError`.
        """
        result: Move = self._run(
            ReceiveStock(
                sku,
                warehouse,
                qty,
                document,
                damaged,
                actor=self._actor(actor),
                at=at,
                idempotency_key=idempotency_key,
            )
        )
        return result

    def adjust(
        self,
        sku: str,
        warehouse: str,
        delta: int,
        *,
        note: str,
        actor: str | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        """A gain or loss of sellable stock.

        ``at`` back-dates it (see :meth:`receive`).

        Raises:
            InsufficientStockError: a loss bigger than the unreserved stock.
            HistoricalShortageError: a back-dated loss would leave the
                balance below zero at some moment between ``at`` and now.
            ClosedPeriodError: ``at`` is in a closed period.
            ValidationError: ``at`` is naive or in the future.
        """
        result: Move = self._run(
            AdjustStock(
                sku,
                warehouse,
                delta,
                note,
                self._actor(actor),
                at,
                idempotency_key=idempotency_key,
            )
        )
        return result

    def damage(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        note: str = "",
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        """Move ``qty`` of sellable ``sku`` to the warehouse's damaged stock.

        Raises:
            InsufficientStockError: fewer unreserved sellable units than ``qty``.
            UnknownSkuError, NotFoundError: unknown SKU or warehouse.
        """
        result: Move = self._run(
            MarkDamaged(
                sku, warehouse, qty, note, self._actor(actor), idempotency_key=idempotency_key
            )
        )
        return result

    def repair(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        note: str = "",
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        """Move ``qty`` of damaged ``sku`` back to sellable stock (found fine).

        Raises:
            InsufficientStockError: fewer damaged units than ``qty``.
            UnknownSkuError, NotFoundError: unknown SKU or warehouse.
        """
        result: Move = self._run(
            RepairDamaged(
                sku, warehouse, qty, note, self._actor(actor), idempotency_key=idempotency_key
            )
        )
        return result

    def scrap(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        note: str = "",
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        """Write ``qty`` of damaged ``sku`` off.

        Raises:
            InsufficientStockError: fewer damaged units than ``qty``.
            UnknownSkuError, NotFoundError: unknown SKU or warehouse.
        """
        result: Move = self._run(
            ScrapDamaged(
                sku, warehouse, qty, note, self._actor(actor), idempotency_key=idempotency_key
            )
        )
        return result

    def transfer(
        self,
        transfer_id: str,
        source: str,
        dest: str,
        lines: Mapping[str, int],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Transfer:
        """Send stock from ``source`` to ``dest``; it is in transit until received.

        Raises:
            DuplicateError: a transfer has ``transfer_id`` already.
            InsufficientStockError: ``source`` has too few unreserved units.
            UnknownSkuError, NotFoundError: unknown SKU or warehouse.
            ValidationError: no lines, or ``source`` is ``dest``.
        """
        result: Transfer = self._run(
            SendTransfer(
                transfer_id,
                source,
                dest,
                lines,
                self._actor(actor),
                idempotency_key=idempotency_key,
            )
        )
        return result

    def receive_transfer(
        self,
        transfer_id: str,
        quantities: Mapping[str, int],
        *,
        damaged: bool = False,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Transfer:
        """Book what arrived of a transfer at its destination (to ``damaged`` stock if so).

        Raises:
            NotFoundError: no such transfer.
            ValidationError: the transfer is not in transit, or a quantity is
                more than is outstanding of its SKU.
            InvalidQuantityError: a quantity is not positive.
        """
        result: Transfer = self._run(
            ReceiveTransfer(
                transfer_id,
                quantities,
                damaged,
                self._actor(actor),
                idempotency_key=idempotency_key,
            )
        )
        return result

    def start_stocktake(
        self,
        stocktake_id: str,
        warehouse: str,
        skus: Iterable[str],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Stocktake:
        """Start counting ``skus`` in ``warehouse``: their book figures are taken now.

        Raises:
            DuplicateError: a stocktake has ``stocktake_id`` already.
            UnknownSkuError, NotFoundError: unknown SKU or warehouse.
            ValidationError: no SKUs.
        """
        result: Stocktake = self._run(
            StartStocktake(
                stocktake_id,
                warehouse,
                skus,
                self._actor(actor),
                idempotency_key=idempotency_key,
            )
        )
        return result

    def count(
        self,
        stocktake_id: str,
        counts: Mapping[str, int],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Stocktake:
        """Record what was counted (``{sku: units}``) on an open stocktake.

        Raises:
            NotFoundError: no such stocktake.
            ValidationError: the stocktake is closed, a SKU is not on it, or a
                count is not an int >= 0.
        """
        result: Stocktake = self._run(
            RecordCount(stocktake_id, counts, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result

    def post_stocktake(
        self, stocktake_id: str, actor: str | None = None, *, idempotency_key: str | None = None
    ) -> list[Move]:
        """Post a stocktake's variances as moves; returns them.

        Where a loss leaves less on the shelf than is reserved, the youngest,
        lowest-priority orders give their stock back and wait again.

        Raises:
            NotFoundError: no such stocktake.
            ValidationError: the stocktake is closed already.
            ClosedPeriodError: the count falls in a closed period.
        """
        result: list[Move] = self._run(
            PostStocktake(stocktake_id, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result

    def close_period(
        self, until: datetime, actor: str | None = None, *, idempotency_key: str | None = None
    ) -> None:
        """Close the books up to ``until``.

        Moves dated before ``until`` are refused from now on, and every
        balance is snapshotted as it stood then.

        Raises:
            ValidationError: ``until`` is naive, later than now, or earlier
                than the period already closed.
        """
        self._run(ClosePeriod(until, self._actor(actor), idempotency_key=idempotency_key))

    def verify(self) -> list[Discrepancy]:
        """Recompute balances and reservations from the ledger.

        Returns every stored figure that differs (empty when the books are
        sound).
        """
        return self._erp.backend.verify()

    def rebuild(self) -> int:
        """Repair the cached balances from the ledger; how many were wrong."""
        return self._erp.backend.rebuild()

    def position(self, sku: str, warehouse: str) -> StockPosition:
        """On hand, reserved, available, damaged and in transit of one SKU.

        Raises:
            UnknownSkuError: the catalog has no SKU ``sku``.
            NotFoundError: unknown warehouse.
        """
        require_code("sku", sku)
        require_code("warehouse", warehouse)
        with self._erp.backend.read() as uow:
            return stock_position(uow, sku, warehouse)

    def on_hand_at(self, sku: str, warehouse: str | None = None, *, at: datetime) -> int:
        """Sellable on hand of ``sku`` at the end of moment ``at``.

        Every move dated at or before ``at`` counts, in ``warehouse`` (its
        stock and bins) or in all warehouses.  Read from the latest closed
        period's snapshot plus the moves since.

        Raises:
            ValidationError: ``at`` is naive.
            NotFoundError: unknown warehouse.
        """
        require_code("sku", sku)
        if warehouse is not None:
            require_code("warehouse", warehouse)
        require_utc("at", at)
        with self._erp.backend.read() as uow:
            return uow.stock.on_hand_at(sku, warehouse, at)

    def report(
        self,
        warehouse: str | None = None,
        *,
        at: datetime | None = None,
        include_empty: bool = False,
        by_warehouse: bool = True,
    ) -> list[StockLine]:
        """The stock report, of one warehouse or all.

        One :class:`StockLine` per SKU and warehouse with stock (sorted by
        SKU, then warehouse).  With ``at``, on hand as of that moment; reservations have no history,
        so then ``reserved`` is 0 and ``available`` equals ``on_hand``.

        ``include_empty``: every SKU of the catalog in every warehouse asked
        for, sold-out ones (all zeros) included.  ``by_warehouse=False``: one
        line per SKU summed over the warehouses asked for, with warehouse
        ``"*"`` (:data:`~ecerp.usecases.inventory.queries.ALL_WAREHOUSES`).

        Raises:
            ValidationError: ``at`` is naive.
            NotFoundError: unknown warehouse.
        """
        if warehouse is not None:
            require_code("warehouse", warehouse)
        if at is not None:
            require_utc("at", at)
        with self._erp.backend.read() as uow:
            return stock_report(
                uow, warehouse, at=at, include_empty=include_empty, by_warehouse=by_warehouse
            )

    def totals(self, *, include_empty: bool = False) -> list[StockLine]:
        """One line per SKU summed over every warehouse (warehouse ``"*"``).

        The same as ``report(by_warehouse=False)``.
        """
        return self.report(include_empty=include_empty, by_warehouse=False)

    def moves(self, *, sku: str | None = None, location: str | None = None) -> Sequence[Move]:
        """The committed moves, in sequence order.

        All of them, or those of ``sku`` and/or leaving or entering
        ``location`` (a location code such as ``"SH/stock"``); an unknown
        SKU or location gives none.
        """
        if sku is not None:
            require_code("sku", sku)
        if location is not None:
            require_code("location", location, 2 * MAX_ORDER_ID_LEN)
        with self._erp.backend.read() as uow:
            return uow.stock.moves(sku=sku, location=location)

    def reservations(self, order_id: str) -> list[Reservation]:
        """The stock reserved for ``order_id``, by line and SKU (empty when none)."""
        require_code("order_id", order_id, MAX_ORDER_ID_LEN)
        with self._erp.backend.read() as uow:
            return [r for _, r in sorted(uow.stock.book().reservations_of(order_id).items())]
