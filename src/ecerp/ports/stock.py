"""The stock repository port: the ledger, balances and reservations.

A unit of work's :meth:`StockRepository.book` is a validating overlay on the
committed stock (see :mod:`ecerp.domain.inventory`): operations on it check the
rules, record moves and new balances, and are saved on commit as one write.
History queries read committed moves only.

Closing a period (:meth:`StockBook.close_period`) stores, on commit, a
snapshot of every balance as it stood at the period's end, computed from the
previous snapshot and the moves since it.  As-of reads start from the latest
snapshot at or before the moment asked for, so their cost follows the moves
of one period, not the whole history.

Prefetch hints (:meth:`StockRepository.prefetch` and its siblings) tell a
database-backed repository which rows a use case is about to read, so it
loads them in one query each; they never change an answer, and the
in-memory repository ignores them.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from datetime import datetime

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.invariants import Discrepancy
from ecerp.domain.inventory.locations import CUSTOMER, stock_location
from ecerp.domain.inventory.moves import BalanceKey, Move, Reservation, StockLine, WarehouseKey
from ecerp.domain.inventory.state import StockState


def shipping_reads(
    reservations: Iterable[Reservation], *, bin: str | None = None
) -> tuple[set[BalanceKey], set[WarehouseKey]]:
    """The balances and positions shipping ``reservations`` whole touches:
    each line's stock location (or ``bin``) and the customer location, and
    its (SKU, warehouse) position.

    >>> res = Reservation("o-1", 1, "MUG", "SH", 2)
    >>> keys, positions = shipping_reads([res])
    >>> sorted(keys), sorted(positions)
    ([('MUG', '@customer'), ('MUG', 'SH/stock')], [('MUG', 'SH')])
    """
    keys: set[BalanceKey] = set()
    positions: set[WarehouseKey] = set()
    for res in reservations:
        keys.add((res.sku, stock_location(res.warehouse, bin)))
        keys.add((res.sku, CUSTOMER))
        positions.add((res.sku, res.warehouse))
    return keys, positions


class StockRepository(abc.ABC):
    """The unit of work's stock: its book, the committed ledger and history."""

    @abc.abstractmethod
    def book(self) -> StockBook:
        """The unit of work's stock book (the same object on every call)."""

    @abc.abstractmethod
    def moves(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        since_seq: int = 0,
        until: datetime | None = None,
    ) -> Sequence[Move]:
        """Committed moves in sequence order, filtered by SKU, by a location
        they leave or enter, by sequence number (exclusive) and by time
        (inclusive).  Never raises for an unknown SKU or location: returns
        nothing."""

    @abc.abstractmethod
    def snapshot(self) -> StockState:
        """A complete, independent copy of the committed stock (warehouses,
        moves, balances, reservations) for checks and reports.  Costs a full
        read: not for hot paths."""

    @abc.abstractmethod
    def verify(self) -> list[Discrepancy]:
        """Recompute every balance, on-hand and reserved figure from the
        committed moves and reservations; return each stored figure that
        differs (empty: the projections agree with the ledger)."""

    @abc.abstractmethod
    def rebuild(self) -> int:
        """Rewrite the projections from the ledger when this unit commits;
        returns how many figures were wrong."""

    @abc.abstractmethod
    def on_hand_at(self, sku: str, warehouse: str | None, at: datetime) -> int:
        """Sellable on hand of ``sku`` in ``warehouse`` (its stock location and
        bins; all warehouses when ``None``) at the end of moment ``at``: the
        committed moves dated at or before ``at``, read as the latest closed
        period's snapshot at or before ``at`` plus the moves dated since.
        An unknown SKU has 0.

        Raises:
            ValidationError: ``at`` is not an aware datetime.
            NotFoundError: ``warehouse`` is not a warehouse.
        """

    @abc.abstractmethod
    def report(
        self, warehouse: str | None = None, *, at: datetime | None = None
    ) -> list[StockLine]:
        """One line per (SKU, warehouse) with stock, sorted by SKU then
        warehouse; only ``warehouse``'s when given.  Lines where on hand and
        reserved are both zero are left out.

        Without ``at``: committed on hand, reserved and available, read from
        the maintained positions.  With ``at``: sellable on hand at the end of
        that moment (as :meth:`on_hand_at`); reservations have no history, so
        ``reserved`` is 0 and ``available`` equals ``on_hand``.

        Raises:
            ValidationError: ``at`` is not an aware datetime.
            NotFoundError: ``warehouse`` is not a warehouse.
        """

    # --- prefetch hints: optional, never change an answer ----------------------------

    def prefetch(self, keys: Iterable[WarehouseKey]) -> None:
        """Hint: the ``(sku, warehouse)`` positions of ``keys`` are about to
        be read.  The default does nothing."""
        return

    def prefetch_reservations(self, orders: Iterable[str]) -> None:
        """Hint: the reservations of ``orders`` are about to be read.  The
        default does nothing."""
        return

    def prefetch_balances(self, keys: Iterable[BalanceKey]) -> None:
        """Hint: the balances of ``(sku, location)`` keys are about to be
        read.  The default does nothing."""
        return

    def prefetch_shipping(self, orders: Iterable[str], *, bin: str | None = None) -> None:
        """Hint: ``orders`` are about to ship whole (from ``bin`` when
        given): their reservations, then the balances and positions their
        shipment touches (:func:`shipping_reads`).  The default does nothing."""
        return
