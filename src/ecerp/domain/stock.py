"""The stock ledger: locations, moves, balances and reservations.

Stock is kept double-entry, as Tryton does.  Every **move** takes a positive
quantity of one SKU *from* a location *to* another; nothing is ever added or
subtracted in place.  Real locations belong to a warehouse (sellable ``stock``,
with optional bins below it, ``damaged`` for quarantine, ``transit`` for goods
on their way in).  Virtual locations stand for the outside world: the
``@supplier`` goods come from, the ``@customer`` they go to, and
``@adjustment`` (lost-and-found) that gains come from and losses go to.

Because each move leaves one place and enters another, the balances of all
locations of a SKU, virtual ones included, always sum to zero::

    >>> book = StockBook(StockState())
    >>> book.add_warehouse(Warehouse("SH"))
    >>> at = datetime(2026, 3, 1, tzinfo=UTC)
    >>> _ = book.receive("MUG", "SH", 10, at=at, actor="ann", document="PO-1")
    >>> book.on_hand("MUG", "SH")
    10
    >>> book.reserve("order-1", {(1, "MUG"): 4}, "SH")
    >>> book.available("MUG", "SH")
    6
    >>> _ = book.ship("order-1", at=at, actor="bob")
    >>> (book.on_hand("MUG", "SH"), book.balance("MUG", CUSTOMER), book.balance("MUG", SUPPLIER))
    (6, 4, -10)

A **reservation** holds stock for one order line in one warehouse; *available*
is on hand minus reserved.  Shipping consumes the reservation it ships.

:class:`StockState` holds committed balances, reservations and moves;
:class:`StockBook` is a unit of work's private overlay on it: it validates
every operation, records new moves and balance deltas, and only touches the
state when :meth:`StockState.apply` is given its changes.  A book that is
dropped leaves the state as it was.  :func:`check_invariants` proves the books
consistent.
"""

from __future__ import annotations

import bisect
import enum
import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache

import attrs

from ecerp.domain.errors import (
    ClosedPeriodError,
    DuplicateError,
    HistoricalShortageError,
    InsufficientStockError,
    InvariantError,
    NotFoundError,
    OverShipmentError,
    ValidationError,
)
from ecerp.domain.events import (
    Event,
    ReservationReleased,
    StockMoved,
    StockReserved,
)
from ecerp.domain.values import (
    MAX_QTY,
    code_validator,
    flag_validator,
    instance_validator,
    optional_text_validator,
    priority_validator,
    require_code,
    require_positive_qty,
    require_utc,
    text_validator,
    to_utc,
    utc_validator,
)


class LocationKind(enum.Enum):
    STOCK = "stock"
    """Sellable stock in a warehouse (bins are ``WH/stock/BIN``)."""
    DAMAGED = "damaged"
    """Non-sellable stock in a warehouse: damaged, defective, quarantined."""
    TRANSIT = "transit"
    """Goods transferred to a warehouse and not yet received there."""
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    """Lost-and-found: where losses go and gains come from."""

    @property
    def is_virtual(self) -> bool:
        return self in _VIRTUAL_KINDS


_VIRTUAL_KINDS = frozenset({LocationKind.SUPPLIER, LocationKind.CUSTOMER, LocationKind.ADJUSTMENT})


@attrs.frozen
class Location:
    """A place stock can be.  Codes are structured: ``@supplier``,
    ``@customer``, ``@adjustment``, ``WH/stock``, ``WH/stock/BIN``,
    ``WH/damaged``, ``WH/transit``."""

    code: str
    kind: LocationKind
    warehouse: str | None

    @staticmethod
    def parse(code: str) -> Location:
        """Raises:
        ValidationError: ``code`` is not a location code.
        """
        return _parse_location(code)

    @property
    def is_virtual(self) -> bool:
        return self.kind in _VIRTUAL_KINDS


SUPPLIER = "@supplier"
CUSTOMER = "@customer"
ADJUSTMENT = "@adjustment"
_VIRTUAL = {
    SUPPLIER: LocationKind.SUPPLIER,
    CUSTOMER: LocationKind.CUSTOMER,
    ADJUSTMENT: LocationKind.ADJUSTMENT,
}


@lru_cache(maxsize=65536)
def _parse_location(code: str) -> Location:
    if code in _VIRTUAL:
        return Location(code, _VIRTUAL[code], None)
    parts = code.split("/")
    if len(parts) >= 2 and parts[0]:
        kind_name = parts[1]
        if kind_name == "stock" and len(parts) <= 3 and all(parts):
            return Location(code, LocationKind.STOCK, parts[0])
        if kind_name in ("damaged", "transit") and len(parts) == 2:
            return Location(code, LocationKind(kind_name), parts[0])
    raise ValidationError("location", code, "not a location code")


def stock_location(warehouse: str, bin: str | None = None) -> str:
    return f"{warehouse}/stock" if bin is None else f"{warehouse}/stock/{bin}"


def damaged_location(warehouse: str) -> str:
    return f"{warehouse}/damaged"


def transit_location(warehouse: str) -> str:
    return f"{warehouse}/transit"


class WarehouseKind(enum.Enum):
    OWN = "own"
    THIRD_PARTY = "third_party"
    FBA = "fba"


@attrs.frozen
class Warehouse:
    """A warehouse.  ``allow_negative`` lets sellable stock go below zero (and
    reservations exceed on hand), for sellers who ship before booking receipts.
    ``priority``: lower is preferred when several warehouses can ship an order."""

    code: str = attrs.field(validator=code_validator)
    name: str = attrs.field(default="", validator=text_validator)
    kind: WarehouseKind = attrs.field(
        default=WarehouseKind.OWN, validator=instance_validator(WarehouseKind)
    )
    allow_negative: bool = attrs.field(default=False, validator=flag_validator)
    priority: int = attrs.field(default=0, validator=priority_validator)
    country: str | None = attrs.field(default=None, validator=optional_text_validator)

    def __attrs_post_init__(self) -> None:
        if "/" in self.code or self.code.startswith("@"):
            raise ValidationError(
                "code", self.code, "warehouse codes cannot contain '/' or start with '@'"
            )


class MoveReason(enum.Enum):
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    GAIN = "gain"
    LOSS = "loss"
    DAMAGE = "damage"
    REPAIR = "repair"
    SCRAP = "scrap"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    STOCKTAKE_GAIN = "stocktake_gain"
    STOCKTAKE_LOSS = "stocktake_loss"
    CUSTOMER_RETURN = "customer_return"
    RELOCATE = "relocate"


@attrs.frozen(slots=True)
class Move:
    """One done stock movement.  Immutable: corrections are new moves."""

    seq: int
    sku: str
    source: str
    dest: str
    qty: int
    reason: MoveReason
    document: str
    actor: str
    at: datetime
    note: str = ""


@attrs.frozen(slots=True)
class Reservation:
    """``qty`` of ``sku`` held in ``warehouse`` for line ``line`` of ``order``."""

    order: str
    line: int
    sku: str
    warehouse: str
    qty: int


BalanceKey = tuple[str, str]  # (sku, location code)
WarehouseKey = tuple[str, str]  # (sku, warehouse code)
LineKey = tuple[int, str]  # (order line number, sku)


@attrs.frozen
class StockLine:
    """One row of a stock report: a SKU in a warehouse."""

    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int


@attrs.frozen
class StockPosition:
    """The buckets of one SKU in one warehouse."""

    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    damaged: int
    in_transit: int


class StockState:
    """Committed stock: warehouses, the move ledger and the balances derived
    from it (a projection maintained move by move), and reservations.

    The in-memory adapter keeps one of these; SQL adapters load the slice a
    unit of work needs into one.
    """

    def __init__(self) -> None:
        self.warehouses: dict[str, Warehouse] = {}
        self.moves: list[Move] = []
        self.next_seq = 1
        self.on_hand: dict[BalanceKey, int] = {}
        self.sellable: dict[WarehouseKey, int] = {}
        self.reserved: dict[WarehouseKey, int] = {}
        self.reservations: dict[str, dict[LineKey, Reservation]] = {}
        self.closed_until: datetime | None = None
        #: closed periods: every non-zero balance as it stood at the period's
        #: end (summing the moves dated before it), by period end, ascending
        self.periods: dict[datetime, dict[BalanceKey, int]] = {}
        # The moves split by the closed periods' ends (_ends, ascending):
        # _segments[i] holds the moves dated in [_ends[i - 1], _ends[i]), the
        # first one from the beginning, the last one open-ended.  Kept by
        # :meth:`apply`, so closing a period sums only the moves since the
        # previous one, and an as-of read only the moves of its period.
        self._ends: list[datetime] = []
        self._segments: list[list[Move]] = [[]]
        # The same per SKU, and each period's snapshot per SKU: a one-SKU
        # as-of read touches only that SKU's rows.
        self._segment_skus: list[dict[str, list[Move]]] = [{}]
        self._period_skus: dict[datetime, dict[str, dict[BalanceKey, int]]] = {}
        # The latest date of a move touching each (SKU, location): a move
        # dated at or after it cannot change history, so most moves skip
        # the back-dating check at once.
        self._last_at: dict[BalanceKey, datetime] = {}

    # Reads used by StockBook.  A database-backed state overrides these to
    # load rows on demand (and in bulk through ``prefetch``).

    def find_warehouse(self, code: str) -> Warehouse | None:
        return self.warehouses.get(code)

    def seq_start(self) -> int:
        """The sequence number the next move gets."""
        return self.next_seq

    def seq_numbers(self) -> Iterable[int]:
        """Sequence numbers for a book's next moves, increasing.  Here (and on
        SQLite, whose writers hold the database lock) they follow on from
        the last committed move without end; a backend whose writers do not
        wait for each other (PostgreSQL) hands out numbers drawn from a
        shared counter instead, with gaps, and a book asks again when they
        run out."""
        return itertools.count(self.seq_start())

    def period_end(self) -> datetime | None:
        """Moves dated before this are refused (``None``: no closed period)."""
        return self.closed_until

    def all_warehouses(self) -> list[Warehouse]:
        return list(self.warehouses.values())

    def balance_of(self, key: BalanceKey) -> int:
        return self.on_hand.get(key, 0)

    def sellable_of(self, key: WarehouseKey) -> int:
        return self.sellable.get(key, 0)

    def reserved_of(self, key: WarehouseKey) -> int:
        return self.reserved.get(key, 0)

    def reservations_of(self, order: str) -> dict[LineKey, Reservation]:
        return dict(self.reservations.get(order, ()))

    def orders_holding(self, sku: str, warehouse: str) -> Iterable[str]:
        """Orders with a committed reservation of ``sku`` in ``warehouse``."""
        return [
            order
            for order, lines in self.reservations.items()
            if any(r.sku == sku and r.warehouse == warehouse for r in lines.values())
        ]

    def prefetch(self, keys: Iterable[WarehouseKey]) -> None:
        """Load the positions of ``keys`` ahead of use (nothing to do in memory)."""

    def prefetch_reservations(self, orders: Iterable[str]) -> None:
        """Load the reservations of ``orders`` ahead of use (nothing to do in memory)."""

    def prefetch_balances(self, keys: Iterable[BalanceKey]) -> None:
        """Load the balances of ``(sku, location)`` keys ahead of use (nothing
        to do in memory)."""

    def apply(self, changes: StockChanges) -> None:
        """Make a book's :meth:`StockBook.changes` (validated by it) part of this state."""
        self.warehouses.update((w.code, w) for w in changes.warehouses)
        self.moves.extend(changes.moves)
        for move in changes.moves:
            index = bisect.bisect_right(self._ends, move.at) if self._ends else 0
            self._segments[index].append(move)
            self._segment_skus[index].setdefault(move.sku, []).append(move)
            for key in ((move.sku, move.source), (move.sku, move.dest)):
                last = self._last_at.get(key)
                if last is None or move.at > last:
                    self._last_at[key] = move.at
        self.next_seq = changes.next_seq
        self.on_hand.update(changes.on_hand)
        self.sellable.update(changes.sellable)
        self.reserved.update(changes.reserved)
        for order, lines in changes.reservations.items():
            if lines:
                self.reservations[order] = dict(lines)
            else:
                self.reservations.pop(order, None)
        if changes.closed_until is not None:
            self.closed_until = changes.closed_until
            self._close(changes.closed_until)

    def _close(self, until: datetime) -> None:
        """Snapshot the balances at ``until`` from the previous snapshot and
        the moves of the open segment dated before ``until``."""
        if until in self.periods:
            return
        previous = self._ends[-1] if self._ends else None
        if previous is not None and until < previous:
            raise ValidationError("until", until, f"period already closed until {previous}")
        open_moves = self._segments[-1]
        closing = [m for m in open_moves if m.at < until]
        self.periods[until] = period_snapshot(
            self.periods[previous] if previous is not None else {},
            closing,
            since=previous,
            until=until,
        )
        self._segments[-1] = closing
        self._ends.append(until)
        self._segments.append([m for m in open_moves if m.at >= until])
        self._segment_skus[-1] = _by_sku(closing)
        self._segment_skus.append(_by_sku(self._segments[-1]))
        per_sku: dict[str, dict[BalanceKey, int]] = {}
        for key, qty in self.periods[until].items():
            per_sku.setdefault(key[0], {})[key] = qty
        self._period_skus[until] = per_sku

    def changes_after(self, key: BalanceKey, at: datetime) -> list[tuple[datetime, int]]:
        """Per moment dated after ``at``: how much the committed moves of
        ``key`` (SKU, location) changed its balance, ascending by moment
        (moments where they net to zero are left out).  Nothing when no
        move of ``key`` is dated after ``at`` (the usual case, answered at
        once); else reads only the moves of the period ``at`` falls in and
        after it."""
        last = self._last_at.get(key)
        if last is None or last <= at:
            return []
        index = bisect.bisect_right(self._ends, at) if self._ends else 0
        sku, location = key
        deltas: dict[datetime, int] = {}
        for segment in self._segment_skus[index:]:
            for m in segment.get(sku, ()):
                if m.at > at:
                    if m.dest == location:
                        deltas[m.at] = deltas.get(m.at, 0) + m.qty
                    if m.source == location:
                        deltas[m.at] = deltas.get(m.at, 0) - m.qty
        return sorted((moment, d) for moment, d in deltas.items() if d)

    def as_of(self, at: datetime) -> tuple[datetime | None, Mapping[BalanceKey, int], list[Move]]:
        """The latest closed period ending at or before ``at`` (``None``:
        none), its snapshot, and the moves dated from its end up to the next
        period's end (a superset of what :func:`balances_at` needs)."""
        index = bisect.bisect_right(self._ends, at)
        since = self._ends[index - 1] if index else None
        snapshot = self.periods[since] if since is not None else {}
        return since, snapshot, self._segments[index]

    def as_of_sku(
        self, at: datetime, sku: str
    ) -> tuple[datetime | None, Mapping[BalanceKey, int], list[Move]]:
        """:meth:`as_of` for one SKU: only its snapshot rows and moves."""
        index = bisect.bisect_right(self._ends, at)
        since = self._ends[index - 1] if index else None
        snapshot = self._period_skus[since].get(sku, {}) if since is not None else {}
        return since, snapshot, self._segment_skus[index].get(sku, [])


@attrs.frozen
class StockChanges:
    """What a :class:`StockBook` changed: new warehouses and moves, and the new
    absolute values of every balance, total and order reservation it touched
    (an order mapped to an empty dict holds nothing any more)."""

    warehouses: tuple[Warehouse, ...]
    moves: tuple[Move, ...]
    next_seq: int
    on_hand: Mapping[BalanceKey, int]
    sellable: Mapping[WarehouseKey, int]
    reserved: Mapping[WarehouseKey, int]
    reservations: Mapping[str, Mapping[LineKey, Reservation]]
    closed_until: datetime | None

    @property
    def is_empty(self) -> bool:
        return not (self.warehouses or self.moves or self.reservations or self.closed_until)


class StockBook:
    """A private, validating overlay on a :class:`StockState`.

    Every operation checks its rules first and changes nothing when it
    raises.  ``new_moves`` and the overlay dicts are what a unit of work
    persists on commit.
    """

    def __init__(self, state: StockState) -> None:
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


# --- stocktake ----------------------------------------------------------------


class StocktakeStatus(enum.Enum):
    COUNTING = "counting"
    POSTED = "posted"
    CANCELLED = "cancelled"


@attrs.frozen
class Variance:
    sku: str
    location: str
    book: int
    counted: int

    @property
    def delta(self) -> int:
        return self.counted - self.book


@attrs.define
class Stocktake:
    """A count sheet (盘点单) for sellable stock of one warehouse.

    Starting it snapshots the book quantity of each SKU to count.  Orders may
    keep shipping while people count: posting books ``counted - snapshot`` as
    a gain or loss, so after posting the book equals the count plus whatever
    moved since the snapshot (brief invariant 7).
    """

    id: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    started_at: datetime = attrs.field(converter=to_utc, validator=utc_validator)
    snapshot: dict[BalanceKey, int] = attrs.field(factory=dict)
    counts: dict[BalanceKey, int] = attrs.field(factory=dict)
    status: StocktakeStatus = StocktakeStatus.COUNTING

    @classmethod
    def start(
        cls,
        id: str,
        warehouse: str,
        skus: Iterable[str],
        book: StockBook,
        *,
        at: datetime,
        bin: str | None = None,
    ) -> Stocktake:
        book.warehouse(warehouse)
        loc = stock_location(warehouse, bin)
        snapshot = {(sku, loc): book.balance(sku, loc) for sku in sorted(set(skus))}
        if not snapshot:
            raise ValidationError("skus", [], "a stocktake needs at least one SKU")
        return cls(id, warehouse, at, snapshot)

    def count(self, sku: str, counted: int, *, bin: str | None = None) -> None:
        """Record the counted quantity (a recount replaces the earlier one).

        Raises:
            ValidationError: not counting, negative count, or SKU not on the sheet.
        """
        if self.status is not StocktakeStatus.COUNTING:
            raise ValidationError("status", self.status.value, f"stocktake {self.id} is closed")
        if type(counted) is not int or counted < 0:
            raise ValidationError("counted", counted, "must be an int >= 0")
        key = (sku, stock_location(self.warehouse, bin))
        if key not in self.snapshot:
            raise ValidationError("sku", sku, f"not on stocktake {self.id}")
        self.counts[key] = counted

    def variances(self) -> list[Variance]:
        return [
            Variance(sku, loc, self.snapshot[(sku, loc)], counted)
            for (sku, loc), counted in sorted(self.counts.items())
            if counted != self.snapshot[(sku, loc)]
        ]

    def post(self, book: StockBook, *, at: datetime, actor: str) -> list[Move]:
        """Book every variance as a stocktake gain or loss.

        Uncounted SKUs are left as they are.  A loss may push sellable stock
        below what is reserved: the caller must then release reservations
        (see :func:`shortfalls`).
        """
        if self.status is not StocktakeStatus.COUNTING:
            raise ValidationError("status", self.status.value, f"stocktake {self.id} is closed")
        at = require_utc("at", at)
        closed = book.closed_until
        if closed is not None and at < closed:
            raise ClosedPeriodError(at, closed)
        variances = self.variances()
        book.prefetch_balances(
            key for v in variances for key in ((v.sku, v.location), (v.sku, ADJUSTMENT))
        )
        for v in variances:
            # A loss larger than what is physically there now (goods shipped
            # since the snapshot) would make the bin negative: refuse it whole.
            too_big = v.delta < 0 and book.balance(v.sku, v.location) + v.delta < 0
            if too_big and not book.warehouse(self.warehouse).allow_negative:
                raise InsufficientStockError(
                    v.sku, v.location, -v.delta, book.balance(v.sku, v.location)
                )
        moves = [
            book.book_count(v.sku, v.location, part, at=at, actor=actor, document=self.id)
            for v in variances
            for part in _steps(v.delta)
        ]
        self.status = StocktakeStatus.POSTED
        return moves


def _steps(delta: int) -> list[int]:
    """``delta`` as moves of at most :data:`MAX_QTY` units each (a count can
    differ from a book of several receipts by more than one move carries)."""
    sign, rest, steps = (1 if delta > 0 else -1), abs(delta), []
    while rest > MAX_QTY:
        steps.append(sign * MAX_QTY)
        rest -= MAX_QTY
    return [*steps, sign * rest]


def shortfalls(book: StockBook, keys: Iterable[WarehouseKey]) -> dict[WarehouseKey, int]:
    """For each ``(sku, warehouse)``, how far reserved exceeds on hand (if it does
    and the warehouse does not allow negative stock)."""
    result = {}
    for sku, wh in keys:
        if book.warehouse(wh).allow_negative:
            continue
        gap = book.reserved(sku, wh) - book.on_hand(sku, wh)
        if gap > 0:
            result[(sku, wh)] = gap
    return result


# --- transfers ----------------------------------------------------------------------


class TransferStatus(enum.Enum):
    DRAFT = "draft"
    IN_TRANSIT = "in_transit"
    PARTIAL = "partially_received"
    RECEIVED = "received"


@attrs.define
class Transfer:
    """Stock sent from one warehouse to another (调拨), received in parts."""

    id: str = attrs.field(validator=code_validator)
    source: str = attrs.field(validator=code_validator)
    dest: str = attrs.field(validator=code_validator)
    lines: dict[str, int] = attrs.field(factory=dict)
    received: dict[str, int] = attrs.field(factory=dict)
    status: TransferStatus = TransferStatus.DRAFT

    def __attrs_post_init__(self) -> None:
        if self.source == self.dest:
            raise ValidationError("dest", self.dest, "a transfer needs two different warehouses")
        if not self.lines:
            raise ValidationError("lines", {}, f"transfer {self.id} has no lines")
        for sku, qty in self.lines.items():
            require_code("sku", sku)
            require_positive_qty(f"lines[{sku}]", qty)

    def outstanding(self) -> dict[str, int]:
        return {
            sku: qty - self.received.get(sku, 0)
            for sku, qty in sorted(self.lines.items())
            if qty > self.received.get(sku, 0)
        }

    def dispatch(self, book: StockBook, *, at: datetime, actor: str) -> list[Move]:
        """Send every line: all lines leave or none does."""
        if self.status is not TransferStatus.DRAFT:
            raise ValidationError("status", self.status.value, f"transfer {self.id} already sent")
        book.warehouse(self.dest)
        for sku, qty in sorted(self.lines.items()):
            if (
                book.available(sku, self.source) < qty
                and not book.warehouse(self.source).allow_negative
            ):
                raise InsufficientStockError(
                    sku, self.source, qty, max(book.available(sku, self.source), 0)
                )
        moves = [
            book.transfer_out(
                sku, self.source, self.dest, qty, at=at, actor=actor, document=self.id
            )
            for sku, qty in sorted(self.lines.items())
        ]
        self.status = TransferStatus.IN_TRANSIT
        return moves

    def receive(
        self,
        book: StockBook,
        quantities: Mapping[str, int],
        *,
        at: datetime,
        actor: str,
        damaged: bool = False,
    ) -> list[Move]:
        """Receive part or all of what is outstanding.

        Raises:
            ValidationError: not in transit, or a SKU that is not outstanding.
            InvalidQuantityError: a quantity is not positive.
        """
        if self.status not in (TransferStatus.IN_TRANSIT, TransferStatus.PARTIAL):
            raise ValidationError(
                "status", self.status.value, f"transfer {self.id} is not in transit"
            )
        outstanding = self.outstanding()
        for sku, qty in quantities.items():
            require_positive_qty(f"quantities[{sku}]", qty)
            if qty > outstanding.get(sku, 0):
                raise ValidationError(
                    "quantities", {sku: qty}, f"only {outstanding.get(sku, 0)} of {sku} outstanding"
                )
        moves = [
            book.transfer_in(
                sku, self.dest, qty, at=at, actor=actor, document=self.id, damaged=damaged
            )
            for sku, qty in sorted(quantities.items())
        ]
        for sku, qty in quantities.items():
            self.received[sku] = self.received.get(sku, 0) + qty
        self.status = TransferStatus.RECEIVED if not self.outstanding() else TransferStatus.PARTIAL
        return moves


# --- verification -------------------------------------------------------------------


@attrs.frozen
class Projection:
    """The derived stock figures: balances per (SKU, location), sellable on
    hand and reserved per (SKU, warehouse).  Zero entries are left out."""

    balances: Mapping[BalanceKey, int]
    on_hand: Mapping[WarehouseKey, int]
    reserved: Mapping[WarehouseKey, int]


@attrs.frozen
class Discrepancy:
    """A stored figure that differs from what the ledger says."""

    figure: str  # "balance", "on_hand" or "reserved"
    key: tuple[str, str]
    stored: int
    derived: int

    def __str__(self) -> str:
        return f"{self.figure} {self.key}: stored {self.stored}, ledger says {self.derived}"


def project(
    balances: Iterable[tuple[BalanceKey, int]], reservations: Iterable[Reservation]
) -> Projection:
    """Derive the projection from per-location sums of moves and the
    reservations (sellable on hand sums the warehouse's stock bins)."""
    bal: dict[BalanceKey, int] = {}
    on_hand: dict[WarehouseKey, int] = {}
    for (sku, loc), qty in balances:
        if not qty:
            continue
        bal[(sku, loc)] = bal.get((sku, loc), 0) + qty
        location = _parse_location(loc)
        if location.kind is LocationKind.STOCK:
            key = (sku, location.warehouse or "")
            on_hand[key] = on_hand.get(key, 0) + qty
    reserved: dict[WarehouseKey, int] = {}
    for r in reservations:
        reserved[(r.sku, r.warehouse)] = reserved.get((r.sku, r.warehouse), 0) + r.qty
    return Projection(
        {k: v for k, v in bal.items() if v},
        {k: v for k, v in on_hand.items() if v},
        {k: v for k, v in reserved.items() if v},
    )


def ledger_sums(moves: Iterable[Move]) -> dict[BalanceKey, int]:
    """Per (SKU, location): what the moves put in minus what they took out."""
    sums: dict[BalanceKey, int] = {}
    for m in moves:
        sums[(m.sku, m.source)] = sums.get((m.sku, m.source), 0) - m.qty
        sums[(m.sku, m.dest)] = sums.get((m.sku, m.dest), 0) + m.qty
    return sums


def compare(stored: Projection, derived: Projection) -> list[Discrepancy]:
    """Every figure where ``stored`` differs from ``derived``, sorted."""
    found = []
    for figure, have, want in (
        ("balance", stored.balances, derived.balances),
        ("on_hand", stored.on_hand, derived.on_hand),
        ("reserved", stored.reserved, derived.reserved),
    ):
        for key in sorted(set(have) | set(want)):
            if have.get(key, 0) != want.get(key, 0):
                found.append(Discrepancy(figure, key, have.get(key, 0), want.get(key, 0)))
    return found


def verify(state: StockState) -> list[Discrepancy]:
    """Recompute ``state``'s projections from its moves and reservations and
    report every difference (empty: the books agree with the ledger)."""
    stored = Projection(
        {k: v for k, v in state.on_hand.items() if v},
        {k: v for k, v in state.sellable.items() if v},
        {k: v for k, v in state.reserved.items() if v},
    )
    reservations = [r for lines in state.reservations.values() for r in lines.values()]
    derived = project(ledger_sums(state.moves).items(), reservations)
    return compare(stored, derived)


def rebuild(state: StockState) -> int:
    """Restore ``state``'s projections from its moves and reservations;
    returns how many figures were wrong."""
    problems = verify(state)
    reservations = [r for lines in state.reservations.values() for r in lines.values()]
    derived = project(ledger_sums(state.moves).items(), reservations)
    state.on_hand = dict(derived.balances)
    state.sellable = dict(derived.on_hand)
    state.reserved = dict(derived.reserved)
    return len(problems)


# --- closed periods, as-of and reports ------------------------------------------------


def _window(
    moves: Iterable[Move], since: datetime | None, until: datetime, *, inclusive: bool
) -> Iterable[Move]:
    for m in moves:
        if since is not None and m.at < since:
            continue
        if m.at > until or (m.at == until and not inclusive):
            continue
        yield m


def _add_moves(balances: dict[BalanceKey, int], moves: Iterable[Move]) -> dict[BalanceKey, int]:
    for m in moves:
        balances[(m.sku, m.source)] = balances.get((m.sku, m.source), 0) - m.qty
        balances[(m.sku, m.dest)] = balances.get((m.sku, m.dest), 0) + m.qty
    return {k: v for k, v in balances.items() if v}


def period_snapshot(
    previous: Mapping[BalanceKey, int],
    moves: Iterable[Move],
    *,
    since: datetime | None,
    until: datetime,
) -> dict[BalanceKey, int]:
    """The balances as they stand at ``until`` (summing the moves dated
    before it), from ``previous``, the snapshot at ``since`` (``None``: the
    beginning, an empty snapshot), plus the moves dated in ``[since, until)``;
    other moves are ignored.  Zero balances are left out::

        >>> t = datetime(2026, 3, 1, tzinfo=UTC)
        >>> m = Move(1, "MUG", SUPPLIER, "SH/stock", 5, MoveReason.RECEIPT, "", "ann", t)
        >>> period_snapshot({}, [m], since=None, until=t)
        {}
        >>> period_snapshot({("MUG", "SH/stock"): 2}, [m], since=t, until=t.replace(day=2))
        {('MUG', 'SH/stock'): 7, ('MUG', '@supplier'): -5}
    """
    return _add_moves(dict(previous), _window(moves, since, until, inclusive=False))


def _by_sku(moves: Iterable[Move]) -> dict[str, list[Move]]:
    found: dict[str, list[Move]] = {}
    for move in moves:
        found.setdefault(move.sku, []).append(move)
    return found


def balances_at(
    snapshot: Mapping[BalanceKey, int],
    moves: Iterable[Move],
    *,
    at: datetime,
    since: datetime | None = None,
    sku: str | None = None,
) -> dict[BalanceKey, int]:
    """The balances at the end of moment ``at`` (every move dated at or
    before it): ``snapshot``, the balances at ``since`` (a closed period's
    end; ``None`` and an empty snapshot: the beginning), plus the moves dated
    in ``[since, at]``.  With ``sku``, only that SKU's balances.  Zero
    balances are left out."""
    start = {k: v for k, v in snapshot.items() if sku is None or k[0] == sku}
    window = _window(moves, since, at, inclusive=True)
    return _add_moves(start, (m for m in window if sku is None or m.sku == sku))


def sellable_on_hand(
    balances: Mapping[BalanceKey, int], sku: str, warehouse: str | None = None
) -> int:
    """Sellable on hand of ``sku`` in ``warehouse`` (its stock location and
    bins; every warehouse when ``None``), as :meth:`StockBook.on_hand` counts."""
    total = 0
    for (s, loc), qty in balances.items():
        if s != sku:
            continue
        location = _parse_location(loc)
        if location.kind is LocationKind.STOCK and warehouse in (None, location.warehouse):
            total += qty
    return total


def stock_lines(
    on_hand: Mapping[WarehouseKey, int],
    reserved: Mapping[WarehouseKey, int] | None = None,
    *,
    warehouse: str | None = None,
) -> list[StockLine]:
    """Report lines from on hand and reserved per (SKU, warehouse), sorted by
    SKU then warehouse, only ``warehouse``'s when given; lines where both are
    zero are left out."""
    reserved = reserved or {}
    keys = sorted(
        k
        for k in set(on_hand) | set(reserved)
        if (warehouse is None or k[1] == warehouse) and (on_hand.get(k) or reserved.get(k))
    )
    lines = []
    for sku, wh in keys:
        have, held = on_hand.get((sku, wh), 0), reserved.get((sku, wh), 0)
        lines.append(StockLine(sku, wh, have, held, have - held))
    return lines


def stock_lines_at(
    balances: Mapping[BalanceKey, int] | Iterable[tuple[BalanceKey, int]],
    *,
    warehouse: str | None = None,
) -> list[StockLine]:
    """Report lines of sellable on hand from balances (as of a past moment):
    reservations have no history, so ``reserved`` is 0 and ``available``
    equals ``on_hand``."""
    items = balances.items() if isinstance(balances, Mapping) else balances
    return stock_lines(project(items, ()).on_hand, warehouse=warehouse)


# --- invariants ----------------------------------------------------------------------


def check_invariants(state: StockState) -> None:
    """Prove the committed stock consistent, or raise :class:`InvariantError`.

    1. Every balance, on hand and reserved figure equals what the moves and
       reservations say (:func:`verify`).
    2. Conservation: per SKU, all locations (virtual included) sum to zero.
    3. Reserved never exceeds on hand, and no real location is negative,
       unless the warehouse allows negative stock.
    4. Moves have positive quantities and increasing sequence numbers;
       reservations are positive and keyed by their own order, line and SKU.
    """
    problems: list[str] = [str(d) for d in verify(state)]
    problems.extend(_period_problems(state))
    last_seq = 0
    for m in state.moves:
        if m.qty <= 0:
            problems.append(f"move {m.seq} has qty {m.qty}")
        if m.seq <= last_seq:
            problems.append(f"move {m.seq} out of sequence after {last_seq}")
        last_seq = m.seq
    per_sku: dict[str, int] = {}
    for (sku, loc), qty in state.on_hand.items():
        per_sku[sku] = per_sku.get(sku, 0) + qty
        location = _parse_location(loc)
        if not location.is_virtual and qty < 0:
            wh = state.warehouses.get(location.warehouse or "")
            if wh is None or not wh.allow_negative:
                problems.append(f"{sku} at {loc} is negative ({qty})")
    problems.extend(
        f"{sku} is not conserved: locations sum to {s}" for sku, s in per_sku.items() if s
    )
    for order, lines in state.reservations.items():
        for (line, sku), res in lines.items():
            if res.qty <= 0 or res.order != order or (res.line, res.sku) != (line, sku):
                problems.append(f"bad reservation {res}")
    for (sku, wh_code), qty in state.reserved.items():
        wh = state.warehouses.get(wh_code)
        on_hand = state.sellable.get((sku, wh_code), 0)
        if (wh is None or not wh.allow_negative) and qty > on_hand:
            problems.append(f"{sku} in {wh_code}: reserved {qty} > on hand {on_hand}")
    if problems:
        raise InvariantError(problems)


def _period_problems(state: StockState) -> list[str]:
    """Each closed period's snapshot must equal the sums of the moves dated
    before its end (one pass over the moves sorted by date)."""
    problems = []
    ordered = sorted(state.moves, key=lambda m: m.at)
    running: dict[BalanceKey, int] = {}
    i = 0
    for until in sorted(state.periods):
        while i < len(ordered) and ordered[i].at < until:
            m = ordered[i]
            running[(m.sku, m.source)] = running.get((m.sku, m.source), 0) - m.qty
            running[(m.sku, m.dest)] = running.get((m.sku, m.dest), 0) + m.qty
            i += 1
        want = {k: v for k, v in running.items() if v}
        have = {k: v for k, v in state.periods[until].items() if v}
        for key in sorted(set(want) | set(have)):
            if want.get(key, 0) != have.get(key, 0):
                problems.append(
                    f"period {until.isoformat()} {key}: snapshot {have.get(key, 0)}, "
                    f"ledger says {want.get(key, 0)}"
                )
    return problems


__all__ = [
    "ADJUSTMENT",
    "CUSTOMER",
    "SUPPLIER",
    "Location",
    "LocationKind",
    "Move",
    "MoveReason",
    "Reservation",
    "StockBook",
    "StockChanges",
    "StockLine",
    "StockPosition",
    "StockState",
    "Stocktake",
    "StocktakeStatus",
    "Transfer",
    "TransferStatus",
    "Variance",
    "Warehouse",
    "WarehouseKind",
    "Discrepancy",
    "Projection",
    "balances_at",
    "check_invariants",
    "compare",
    "ledger_sums",
    "period_snapshot",
    "project",
    "rebuild",
    "sellable_on_hand",
    "stock_lines",
    "stock_lines_at",
    "verify",
    "damaged_location",
    "shortfalls",
    "stock_location",
    "transit_location",
]

_ = UTC  # re-exported for the module doctest
