"""The stock ledger a unit of work writes: balances, the move primitive, its checks.

:class:`StockLedger` is a unit of work's private, validating overlay on the
committed :class:`~ecerp.domain.inventory.state.StockState`: it reads through
to the state, keeps what this unit changed (balances per location, sellable
stock and reservations per warehouse, new moves, a period closed), and checks
every move before making it: known warehouses, enough stock at the source
(reserved units stay unless the move consumes them), no move dated into a
closed period, and no back-dated move that would have left a balance negative
at any later moment.  Nothing reaches the state until a unit of work applies
:meth:`StockLedger.changes`.

The operations people book (receipts, adjustments, transfers, counts) and
reservations are :class:`~ecerp.domain.inventory.book.StockBook`'s, built on
:meth:`StockLedger.move`::

    >>> from datetime import UTC, datetime
    >>> from ecerp.domain.inventory.locations import SUPPLIER, Warehouse
    >>> from ecerp.domain.inventory.state import StockState
    >>> ledger = StockLedger(StockState())
    >>> ledger.add_warehouse(Warehouse("SH"))
    >>> at = datetime(2026, 3, 1, tzinfo=UTC)
    >>> move = ledger.move("MUG", SUPPLIER, "SH/stock", 5, MoveReason.RECEIPT, at=at, actor="ann")
    >>> (ledger.balance("MUG", "SH/stock"), ledger.on_hand("MUG", "SH"), move.seq)
    (5, 5, 1)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ecerp.domain.inventory.errors import (
    ClosedPeriodError,
    HistoricalShortageError,
    InsufficientStockError,
)
from ecerp.domain.inventory.events import StockMoved
from ecerp.domain.inventory.locations import (
    LocationCache,
    LocationKind,
    Warehouse,
    damaged_location,
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


class StockLedger:
    """A private, validating overlay on a :class:`StockSource` (committed stock; :class:`StockState` in memory).

    Every operation checks its rules first and changes nothing when it
    raises.  ``new_moves`` and the overlay dicts are what a unit of work
    persists on commit.
    """

    def __init__(self, state: StockSource) -> None:
        self._state = state
        self._locations = LocationCache()
        self._warehouses: dict[str, Warehouse] = {}
        self._next_seq: int | None = None  # read from the state on first use
        self._seqs: Iterator[int] | None = None
        self.new_moves: list[Move] = []
        #: per (SKU, location): the balance (see :meth:`balance`)
        self._balances: dict[BalanceKey, int] = {}
        #: per (SKU, warehouse): sellable stock on hand (see :meth:`on_hand`)
        self._on_hand: dict[WarehouseKey, int] = {}
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
        """The balance of one location: what its moves in minus its moves
        out sum to (virtual locations go negative).  Per location, where
        :meth:`on_hand` is per warehouse."""
        key = (sku, location)
        value = self._balances.get(key)
        return self._state.balance_of(key) if value is None else value

    def on_hand(self, sku: str, warehouse: str) -> int:
        """Stock on hand: the sellable units physically in ``warehouse``, the
        balances of its stock location and bins summed (not damaged, not in
        transit, reserved units included)."""
        key = (sku, warehouse)
        value = self._on_hand.get(key)
        return self._state.sellable_of(key) if value is None else value

    def reserved(self, sku: str, warehouse: str) -> int:
        """Units of ``sku`` that orders hold reserved in ``warehouse``."""
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
            # the state's names: ``on_hand`` there is per location
            on_hand=dict(self._balances),
            sellable=dict(self._on_hand),
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
        self._balances[key] = self.balance(sku, location) + delta
        loc = self._locations.parse(location)
        if loc.kind is LocationKind.STOCK:
            wkey = (sku, loc.warehouse or "")
            self._on_hand[wkey] = self.on_hand(sku, loc.warehouse or "") + delta

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
        src, dst = self._locations.parse(source), self._locations.parse(dest)
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
        src = self._locations.parse(source)
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

    # --- whole-state views (for checks and reports) ----------------------------------

    def reservations_at(self, sku: str, warehouse: str) -> list[Reservation]:
        """Every reservation of ``sku`` in ``warehouse``, by order."""
        orders = set(self._state.orders_holding(sku, warehouse)) | set(self._reservations)
        found = []
        for order in sorted(orders):
            for _, res in sorted(self.reservations_of(order).items()):
                if res.sku == sku and res.warehouse == warehouse:
                    found.append(res)
        return found
