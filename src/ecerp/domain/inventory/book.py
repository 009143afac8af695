"""The stock book: a unit of work's validated overlay on the committed stock state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

import attrs

from ecerp.domain.inventory.errors import (
    ClosedPeriodError,
    HistoricalShortageError,
    InsufficientStockError,
    OverShipmentError,
)
from ecerp.domain.inventory.events import ReservationReleased, StockMoved, StockReserved
from ecerp.domain.inventory.locations import (
    ADJUSTMENT,
    CUSTOMER,
    SUPPLIER,
    LocationKind,
    Warehouse,
    _parse_location,
    damaged_location,
    stock_location,
    transit_location,
)
from ecerp.domain.inventory.moves import (
    BalanceKey,
    LineKey,
    Move,
    MoveReason,
    Reservation,
    StockPosition,
    WarehouseKey,
)
from ecerp.domain.inventory.state import StockChanges, StockSource
from ecerp.domain.shared.errors import DuplicateError, NotFoundError, ValidationError
from ecerp.domain.shared.events import Event
from ecerp.domain.shared.values import require_code, require_positive_qty, require_utc


class StockBook:
    """A private, validating overlay on a :class:`StockSource` (committed stock).

    Every operation checks its rules first and changes nothing when it
    raises.  ``new_moves`` and the overlay dicts are what a unit of work
    persists on commit.
    """

    def __init__(self, state: StockSource) -> None:
        self._state = state
        self._warehouses: dict[str, Warehouse] = {}
        self._next_seq: int | None = None  # read from the state on first use
        self._seqs: Iterator[int] | None = None
        self.new_moves: list[Move] = []
        self._on_hand: dict[BalanceKey, int] = {}
        self._sellable: dict[WarehouseKey, int] = {}
        self._reserved: dict[WarehouseKey, int] = {}
        self._reservations: dict[str, dict[LineKey, Reservation]] = {}
        self._closed_until: datetime | None = None
        self._events: list[Event] = []
        #: the latest date of this book's new moves per (SKU, location)
        self._new_last_at: dict[BalanceKey, datetime] = {}

    # --- reads ---------------------------------------------------------------

    def find_warehouse(self, code: str) -> Warehouse | None:
        return self._warehouses.get(code) or self._state.find_warehouse(code)

    def warehouse(self, code: str) -> Warehouse:
        """Raises:
        NotFoundError: no warehouse has ``code``.
        """
        wh = self.find_warehouse(code)
        if wh is None:
            raise NotFoundError("warehouse", code)
        return wh

    def warehouses(self) -> list[Warehouse]:
        merged = {w.code: w for w in self._state.all_warehouses()}
        merged.update(self._warehouses)
        return sorted(merged.values(), key=lambda w: (w.priority, w.code))

    def balance(self, sku: str, location: str) -> int:
        """Quantity at one location (virtual locations go negative)."""
        key = (sku, location)
        value = self._on_hand.get(key)
        return self._state.balance_of(key) if value is None else value

    def on_hand(self, sku: str, warehouse: str) -> int:
        """Sellable units physically in ``warehouse`` (all its stock bins)."""
        key = (sku, warehouse)
        value = self._sellable.get(key)
        return self._state.sellable_of(key) if value is None else value

    def reserved(self, sku: str, warehouse: str) -> int:
        key = (sku, warehouse)
        value = self._reserved.get(key)
        return self._state.reserved_of(key) if value is None else value

    def available(self, sku: str, warehouse: str) -> int:
        """On hand minus reserved: what can still be promised."""
        return self.on_hand(sku, warehouse) - self.reserved(sku, warehouse)

    def position(self, sku: str, warehouse: str) -> StockPosition:
        """Every bucket of ``sku`` in ``warehouse`` at once."""
        on_hand, reserved = self.on_hand(sku, warehouse), self.reserved(sku, warehouse)
        return StockPosition(
            sku,
            warehouse,
            on_hand,
            reserved,
            on_hand - reserved,
            self.damaged(sku, warehouse),
            self.in_transit(sku, warehouse),
        )

    def damaged(self, sku: str, warehouse: str) -> int:
        return self.balance(sku, damaged_location(warehouse))

    def in_transit(self, sku: str, warehouse: str) -> int:
        """Units transferred towards ``warehouse`` and not yet received."""
        return self.balance(sku, transit_location(warehouse))

    def reservations_of(self, order: str) -> dict[LineKey, Reservation]:
        lines = self._reservations.get(order)
        if lines is None:
            return self._state.reservations_of(order)
        return dict(lines)

    @property
    def closed_until(self) -> datetime | None:
        return self._closed_until or self._state.period_end()

    def changes(self) -> StockChanges:
        """Everything this book changed, for a unit of work to persist."""
        return StockChanges(
            warehouses=tuple(self._warehouses.values()),
            moves=tuple(self.new_moves),
            # no move made: nothing to number (and no need to ask the database)
            next_seq=self._next_seq if self._next_seq is not None else self._state.next_seq,
            on_hand=dict(self._on_hand),
            sellable=dict(self._sellable),
            reserved=dict(self._reserved),
            reservations={k: dict(v) for k, v in self._reservations.items()},
            closed_until=self._closed_until,
        )

    def collect_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    # --- writes: warehouses and periods ----------------------------------------

    def add_warehouse(self, warehouse: Warehouse) -> None:
        """Raises:
        DuplicateError: the code is taken.
        """
        if self.find_warehouse(warehouse.code) is not None:
            raise DuplicateError("warehouse", warehouse.code)
        self._warehouses[warehouse.code] = warehouse

    def close_period(self, until: datetime) -> None:
        """Refuse moves dated before ``until`` from now on."""
        until = require_utc("until", until)
        current = self.closed_until
        if current is not None and until < current:
            raise ValidationError("until", until, f"period already closed until {current}")
        self._closed_until = until

    # --- the one primitive ---------------------------------------------------------

    def _set_balance(self, sku: str, location: str, delta: int) -> None:
        key = (sku, location)
        self._on_hand[key] = self.balance(sku, location) + delta
        loc = _parse_location(location)
        if loc.kind is LocationKind.STOCK:
            wkey = (sku, loc.warehouse or "")
            self._sellable[wkey] = self.on_hand(sku, loc.warehouse or "") + delta

    def _move(
        self,
        sku: str,
        source: str,
        dest: str,
        qty: int,
        reason: MoveReason,
        *,
        at: datetime,
        actor: str,
        document: str,
        note: str = "",
    ) -> Move:
        # the balances first: a database state locks them as it reads them,
        # so moves changing the same stock are numbered in the order they
        # are booked even where numbers are drawn without waiting
        self._set_balance(sku, source, -qty)
        self._set_balance(sku, dest, qty)
        seq = next(self._seqs, None) if self._seqs is not None else None
        if seq is None:
            self._seqs = iter(self._state.seq_numbers())
            seq = next(self._seqs)
        self._next_seq = seq + 1
        move = Move(seq, sku, source, dest, qty, reason, document, actor, at, note)
        for key in ((sku, source), (sku, dest)):
            last = self._new_last_at.get(key)
            if last is None or at > last:
                self._new_last_at[key] = at
        self.new_moves.append(move)
        self._events.append(StockMoved(move))
        return move

    def _check_move(
        self, sku: str, source: str, dest: str, qty: int, at: datetime, *, keep_reserved: bool
    ) -> datetime:
        """Validate a move before making it; returns ``at`` in UTC."""
        require_code("sku", sku)
        require_positive_qty("qty", qty)
        at = self._check_at(at)
        self._check_places(sku, source, dest, qty, keep_reserved=keep_reserved)
        return at

    def _check_at(self, at: datetime) -> datetime:
        """``at`` in UTC, refused in a closed period."""
        at = require_utc("at", at)
        closed = self.closed_until
        if closed is not None and at < closed:
            raise ClosedPeriodError(at, closed)
        return at

    def _check_places(
        self, sku: str, source: str, dest: str, qty: int, *, keep_reserved: bool
    ) -> None:
        """The location half of :meth:`_check_move` (``sku`` and ``qty``
        already valid): known warehouses, and enough stock at ``source``."""
        src, dst = _parse_location(source), _parse_location(dest)
        if source == dest:
            raise ValidationError("dest", dest, "a move needs two different locations")
        # only warehouse locations have a warehouse; virtual ones have none
        wh = None if src.warehouse is None else self.warehouse(src.warehouse)
        if dst.warehouse is not None and dst.warehouse != src.warehouse:
            self.warehouse(dst.warehouse)
        if wh is not None and not wh.allow_negative:
            have = self.balance(sku, source)
            internal = dst.kind is LocationKind.STOCK and dst.warehouse == src.warehouse
            if src.kind is LocationKind.STOCK and keep_reserved and not internal:
                # Reserved units may not leave unless the move consumes them.
                spare = self.available(sku, wh.code)
                have = min(have, spare)
            if qty > have:
                raise InsufficientStockError(sku, source, qty, max(have, 0))

    def _check_history(self, sku: str, source: str, qty: int, at: datetime) -> None:
        """A move dated ``at`` takes ``qty`` from ``source`` at every moment
        from ``at`` on: refuse it if the balance there would go below zero at
        any of them (a back-dated loss under a later shipment).  Only real
        locations of warehouses that do not allow negative stock; the moves
        read are those dated after ``at`` (none for a move dated now)."""
        src = _parse_location(source)
        if src.warehouse is None:
            return
        wh = self.warehouse(src.warehouse)
        if wh.allow_negative:
            return
        key = (sku, source)
        deltas = dict(self._state.changes_after(key, at))
        last = self._new_last_at.get(key)
        if last is not None and last > at:  # this unit moved it later than ``at``
            for m in self.new_moves:
                if m.sku == sku and m.at > at and source in (m.source, m.dest):
                    sign = 1 if m.dest == source else -1
                    deltas[m.at] = deltas.get(m.at, 0) + sign * m.qty
        if not deltas:
            return
        # walk back from now: the balance at the end of each later moment,
        # then at the end of ``at`` itself
        running = self.balance(sku, source)
        lowest, lowest_at = running, max(deltas)
        for moment in sorted(deltas, reverse=True):
            if running < lowest:
                lowest, lowest_at = running, moment
            running -= deltas[moment]
        if running < lowest:
            lowest, lowest_at = running, at
        if qty > lowest:
            raise HistoricalShortageError(sku, source, qty, max(lowest, 0), lowest_at)

    # --- writes: movements -------------------------------------------------------

    def move(
        self,
        sku: str,
        source: str,
        dest: str,
        qty: int,
        reason: MoveReason,
        *,
        at: datetime,
        actor: str,
        document: str = "",
        note: str = "",
    ) -> Move:
        """Move ``qty`` of ``sku`` between two locations.

        Raises:
            InvalidQuantityError: ``qty`` is not a positive int.
            ValidationError: a location code is malformed, the two are equal, or
                ``at`` is naive.
            NotFoundError: a location names an unknown warehouse.
            ClosedPeriodError: ``at`` falls in a closed period.
            InsufficientStockError: the source would go negative, or sellable
                stock would fall below what is reserved.
        """
        at = self._check_move(sku, source, dest, qty, at, keep_reserved=True)
        self._check_history(sku, source, qty, at)
        return self._move(
            sku, source, dest, qty, reason, at=at, actor=actor, document=document, note=note
        )

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

    # --- whole-state views (for checks and reports) ----------------------------------

    def prefetch(self, keys: Iterable[WarehouseKey]) -> None:
        """Hint that ``(sku, warehouse)`` positions are about to be read, so a
        state backed by a database can load them in one query."""
        self._state.prefetch(keys)

    def prefetch_reservations(self, orders: Iterable[str]) -> None:
        """Hint that the reservations of ``orders`` are about to be read."""
        self._state.prefetch_reservations(o for o in orders if o not in self._reservations)

    def prefetch_balances(self, keys: Iterable[BalanceKey]) -> None:
        """Hint that the balances of ``(sku, location)`` keys are about to be read."""
        self._state.prefetch_balances(k for k in keys if k not in self._on_hand)

    def prefetch_shipping(self, orders: Iterable[str], *, bin: str | None = None) -> None:
        """Hint that ``orders`` are about to ship whole: their reservations,
        and the balances and positions their shipment touches, are loaded in
        bulk."""
        ids = list(orders)
        self.prefetch_reservations(ids)
        keys: set[BalanceKey] = set()
        positions: set[WarehouseKey] = set()
        for order in ids:
            for res in self.reservations_of(order).values():
                keys.add((res.sku, stock_location(res.warehouse, bin)))
                keys.add((res.sku, CUSTOMER))
                positions.add((res.sku, res.warehouse))
        self.prefetch_balances(keys)
        self.prefetch(positions)

    def reservations_at(self, sku: str, warehouse: str) -> list[Reservation]:
        """Every reservation of ``sku`` in ``warehouse``, by order."""
        orders = set(self._state.orders_holding(sku, warehouse)) | set(self._reservations)
        found = []
        for order in sorted(orders):
            for _, res in sorted(self.reservations_of(order).items()):
                if res.sku == sku and res.warehouse == warehouse:
                    found.append(res)
        return found
