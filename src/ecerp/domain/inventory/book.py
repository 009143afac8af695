"""The stock book: the operations people book on the stock ledger, and reservations.

:class:`StockBook` is the :class:`~ecerp.domain.inventory.ledger.StockLedger`
a unit of work hands out, with every named stock operation (a receipt, a gain
or loss, damage and repair, scrapping, a transfer's two legs, a counted
variance) as one validated move, and the reservations an order holds in a
warehouse (reserve, release, ship)::

    >>> from datetime import UTC, datetime
    >>> from ecerp.domain.inventory.locations import Warehouse
    >>> from ecerp.domain.inventory.state import StockState
    >>> book = StockBook(StockState())
    >>> book.add_warehouse(Warehouse("SH"))
    >>> at = datetime(2026, 3, 1, tzinfo=UTC)
    >>> _ = book.receive("MUG", "SH", 10, at=at, actor="ann")
    >>> book.reserve("order-1", {(1, "MUG"): 4}, "SH")
    >>> _ = book.ship("order-1", at=at, actor="bob")
    >>> (book.on_hand("MUG", "SH"), book.reserved("MUG", "SH"), book.available("MUG", "SH"))
    (6, 0, 6)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ecerp.domain.inventory.errors import (
    InsufficientStockError,
    OverShipmentError,
)
from ecerp.domain.inventory.events import ReservationReleased, StockReserved
from ecerp.domain.inventory.ledger import StockLedger
from ecerp.domain.inventory.locations import (
    ADJUSTMENT,
    CUSTOMER,
    SUPPLIER,
    damaged_location,
    stock_location,
    transit_location,
)
from ecerp.domain.inventory.moves import (
    LineKey,
    Move,
    MoveReason,
    Reservation,
)
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import require_positive_qty


class StockBook(StockLedger):
    """The stock ledger with the named operations and reservations.

    Every operation checks its rules first and changes nothing when it
    raises.
    """

    def receive(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        at: datetime,
        actor: str,
        document: str = "",
        damaged: bool = False,
    ) -> Move:
        """Goods in from a supplier, to sellable stock or to ``damaged``."""
        dest = damaged_location(warehouse) if damaged else stock_location(warehouse)
        return self.move(
            sku, SUPPLIER, dest, qty, MoveReason.RECEIPT, at=at, actor=actor, document=document
        )

    def adjust(
        self,
        sku: str,
        warehouse: str,
        delta: int,
        *,
        at: datetime,
        actor: str,
        note: str,
        document: str = "",
    ) -> Move:
        """Book a gain (``delta`` > 0) or loss (< 0) of sellable stock, with a note.

        Raises:
            InvalidQuantityError: ``delta`` is zero or not an int.
            InsufficientStockError: a loss bigger than the unreserved stock.
        """
        if type(delta) is not int or delta == 0:
            require_positive_qty("delta", delta)
        loc = stock_location(warehouse)
        if delta > 0:
            return self.move(
                sku,
                ADJUSTMENT,
                loc,
                delta,
                MoveReason.GAIN,
                at=at,
                actor=actor,
                document=document,
                note=note,
            )
        return self.move(
            sku,
            loc,
            ADJUSTMENT,
            -delta,
            MoveReason.LOSS,
            at=at,
            actor=actor,
            document=document,
            note=note,
        )

    def damage(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        at: datetime,
        actor: str,
        note: str = "",
        document: str = "",
    ) -> Move:
        """Sellable → damaged (quarantine)."""
        return self.move(
            sku,
            stock_location(warehouse),
            damaged_location(warehouse),
            qty,
            MoveReason.DAMAGE,
            at=at,
            actor=actor,
            document=document,
            note=note,
        )

    def repair(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        at: datetime,
        actor: str,
        note: str = "",
        document: str = "",
    ) -> Move:
        """Damaged → sellable (inspected and found fine)."""
        return self.move(
            sku,
            damaged_location(warehouse),
            stock_location(warehouse),
            qty,
            MoveReason.REPAIR,
            at=at,
            actor=actor,
            document=document,
            note=note,
        )

    def scrap(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        at: datetime,
        actor: str,
        note: str = "",
        document: str = "",
    ) -> Move:
        """Damaged → written off."""
        return self.move(
            sku,
            damaged_location(warehouse),
            ADJUSTMENT,
            qty,
            MoveReason.SCRAP,
            at=at,
            actor=actor,
            document=document,
            note=note,
        )

    def transfer_out(
        self, sku: str, source: str, dest: str, qty: int, *, at: datetime, actor: str, document: str
    ) -> Move:
        """Sellable stock of ``source`` warehouse → in transit to ``dest``."""
        if source == dest:
            raise ValidationError("dest", dest, "a transfer needs two different warehouses")
        return self.move(
            sku,
            stock_location(source),
            transit_location(dest),
            qty,
            MoveReason.TRANSFER_OUT,
            at=at,
            actor=actor,
            document=document,
        )

    def transfer_in(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        at: datetime,
        actor: str,
        document: str,
        damaged: bool = False,
    ) -> Move:
        """In transit → sellable (or damaged) stock of ``warehouse``."""
        dest = damaged_location(warehouse) if damaged else stock_location(warehouse)
        return self.move(
            sku,
            transit_location(warehouse),
            dest,
            qty,
            MoveReason.TRANSFER_IN,
            at=at,
            actor=actor,
            document=document,
        )

    def book_count(
        self, sku: str, location: str, delta: int, *, at: datetime, actor: str, document: str
    ) -> Move:
        """Book a counted variance at a stock location: a stocktake gain
        (``delta`` > 0) or loss.  A count is the truth, so unlike :meth:`move`
        a loss may leave sellable stock below what is reserved; the caller
        releases reservations for the gap (see :func:`shortfalls`).

        Raises:
            ClosedPeriodError: ``at`` falls in a closed period.
        """
        if type(delta) is not int or delta == 0:
            require_positive_qty("delta", delta)
        if delta > 0:
            at = self._check_move(sku, ADJUSTMENT, location, delta, at, keep_reserved=False)
            return self._move(
                sku,
                ADJUSTMENT,
                location,
                delta,
                MoveReason.STOCKTAKE_GAIN,
                at=at,
                actor=actor,
                document=document,
            )
        at = self._check_move(sku, location, ADJUSTMENT, -delta, at, keep_reserved=False)
        return self._move(
            sku,
            location,
            ADJUSTMENT,
            -delta,
            MoveReason.STOCKTAKE_LOSS,
            at=at,
            actor=actor,
            document=document,
        )

    # --- writes: reservations ------------------------------------------------------

    def reserve(self, order: str, lines: Mapping[LineKey, int], warehouse: str) -> None:
        """Reserve every ``(line, sku): qty`` of ``order`` in ``warehouse``, all or none.

        Adds to what the lines already hold there.

        Raises:
            InvalidQuantityError: a quantity is not a positive int.
            NotFoundError: unknown warehouse.
            ValidationError: the order already holds stock in another warehouse.
            InsufficientStockError: the first SKU that is short (nothing reserved).
        """
        wh = self.warehouse(warehouse)
        need: dict[str, int] = {}
        for (_line, sku), qty in lines.items():
            require_positive_qty("qty", qty)
            need[sku] = need.get(sku, 0) + qty
        current = self.reservations_of(order)
        for held in current.values():
            if held.warehouse != warehouse:
                raise ValidationError(
                    "warehouse", warehouse, f"order {order} holds stock in {held.warehouse}"
                )
        if not wh.allow_negative:
            for sku in sorted(need):
                have = self.available(sku, warehouse)
                if need[sku] > have:
                    raise InsufficientStockError(sku, warehouse, need[sku], max(have, 0))
        for (line, sku), qty in lines.items():
            old = current.get((line, sku))
            current[(line, sku)] = Reservation(
                order, line, sku, warehouse, qty + (old.qty if old else 0)
            )
        for sku, qty in need.items():
            self._reserved[(sku, warehouse)] = self.reserved(sku, warehouse) + qty
        self._reservations[order] = current
        self._events.append(StockReserved(order, warehouse, tuple(sorted(lines.items()))))

    def release(self, order: str, lines: Mapping[LineKey, int] | None = None) -> dict[LineKey, int]:
        """Release ``lines`` of ``order`` (all it holds when ``None``); returns
        what was released per line.

        Raises:
            OverShipmentError: releasing more than a line holds (nothing released).
        """
        released = self._unreserve(order, lines)
        if released:
            self._events.append(ReservationReleased(order, tuple(sorted(released.items()))))
        return released

    def _unreserve(self, order: str, lines: Mapping[LineKey, int] | None) -> dict[LineKey, int]:
        current = self.reservations_of(order)
        if lines is None:
            lines = {key: r.qty for key, r in current.items()}
        for (line, sku), qty in lines.items():
            require_positive_qty("qty", qty)
            held = current.get((line, sku))
            if held is None or held.qty < qty:
                raise OverShipmentError(order, sku, qty, held.qty if held else 0)
        self._take(order, current, lines)
        return dict(lines)

    def _take(
        self, order: str, current: dict[LineKey, Reservation], lines: Mapping[LineKey, int]
    ) -> None:
        """Take ``lines`` (checked: each held in full) off ``current``, the
        order's reservations."""
        for key, qty in lines.items():
            held = current[key]
            self._reserved[(key[1], held.warehouse)] = self.reserved(key[1], held.warehouse) - qty
            if held.qty == qty:
                del current[key]
            else:
                current[key] = attrs.evolve(held, qty=held.qty - qty)
        self._reservations[order] = current

    def ship(
        self,
        order: str,
        lines: Mapping[LineKey, int] | None = None,
        *,
        at: datetime,
        actor: str,
        document: str = "",
        bin: str | None = None,
    ) -> list[Move]:
        """Ship reserved units of ``order`` (all it holds when ``None``):
        consume the reservation and move stock to the customer.

        Raises:
            OverShipmentError: a line ships more than it holds reserved.
            InsufficientStockError: the bin holds fewer than ships (negative
                stock not allowed).
            ClosedPeriodError: ``at`` is in a closed period.
        """
        current = self.reservations_of(order)
        if lines is None:
            lines = {key: r.qty for key, r in current.items()}
        if not lines:
            raise OverShipmentError(order, "*", 0, 0)
        per_location: dict[tuple[str, str], int] = {}
        for (line, sku), qty in lines.items():
            require_positive_qty("qty", qty)
            held = current.get((line, sku))
            if held is None or held.qty < qty:
                raise OverShipmentError(order, sku, qty, held.qty if held else 0)
            loc = stock_location(held.warehouse, bin)
            per_location[(sku, loc)] = per_location.get((sku, loc), 0) + qty
        at = self._check_at(at)
        for (sku, loc), qty in per_location.items():
            # Reserved units are consumed by this move, so only the bin's
            # physical balance limits it.
            self._check_places(sku, loc, CUSTOMER, qty, keep_reserved=False)
        self._take(order, current, lines)  # consumed, not freed: no release event
        return [
            self._move(
                sku,
                loc,
                CUSTOMER,
                qty,
                MoveReason.SHIPMENT,
                at=at,
                actor=actor,
                document=document or order,
            )
            for (sku, loc), qty in sorted(per_location.items())
        ]
