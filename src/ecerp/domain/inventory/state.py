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

    >>> from datetime import UTC, datetime
    >>> from ecerp.domain.inventory.book import StockBook
    >>> from ecerp.domain.inventory.locations import CUSTOMER, SUPPLIER, Warehouse
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
:class:`StockSource` is the read side a book needs of committed stock (what
:class:`StockState` offers in memory, and what a database adapter implements
without subclassing it); :class:`StockBook` is a unit of work's private
overlay on a source: it validates
every operation, records new moves and balance deltas, and only touches the
state when :meth:`StockState.apply` is given its changes.  A book that is
dropped leaves the state as it was.  :func:`check_invariants` proves the books
consistent.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

import attrs

from ecerp.domain.inventory.history import _by_sku, period_snapshot
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.moves import BalanceKey, LineKey, Move, Reservation, WarehouseKey
from ecerp.domain.shared.errors import ValidationError


class StockSource(Protocol):
    """The committed stock a :class:`StockBook` reads: what it cannot know
    from its own overlay.  :class:`StockState` is one (in memory); a
    database adapter implements it by loading rows on demand.

    Persistence hints (loading rows in bulk ahead of use) are not part of
    it: they belong to the stock repository port (``uow.stock.prefetch(...)``).
    """

    @property
    def next_seq(self) -> int:
        """The sequence number after the last committed move, as known."""
        ...

    def find_warehouse(self, code: str) -> Warehouse | None:
        """The warehouse ``code``, ``None`` when there is none."""
        ...

    def all_warehouses(self) -> list[Warehouse]:
        """Every committed warehouse."""
        ...

    def seq_numbers(self) -> Iterable[int]:
        """Sequence numbers for a book's next moves, increasing."""
        ...

    def period_end(self) -> datetime | None:
        """Moves dated before this are refused (``None``: no closed period)."""
        ...

    def balance_of(self, key: BalanceKey) -> int:
        """The committed balance of ``(sku, location)`` (0 when none)."""
        ...

    def sellable_of(self, key: WarehouseKey) -> int:
        """Committed sellable on hand of ``(sku, warehouse)``."""
        ...

    def reserved_of(self, key: WarehouseKey) -> int:
        """Committed reserved quantity of ``(sku, warehouse)``."""
        ...

    def reservations_of(self, order: str) -> dict[LineKey, Reservation]:
        """The committed reservations of ``order`` (a fresh dict)."""
        ...

    def orders_holding(self, sku: str, warehouse: str) -> Iterable[str]:
        """Orders with a committed reservation of ``sku`` in ``warehouse``."""
        ...

    def changes_after(self, key: BalanceKey, at: datetime) -> list[tuple[datetime, int]]:
        """Per moment after ``at``, the net change of ``key``'s committed balance."""
        ...


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

    # The reads of :class:`StockSource`, used by StockBook.

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
