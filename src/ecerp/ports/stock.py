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
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.invariants import Discrepancy
from ecerp.domain.inventory.moves import Move, StockLine
from ecerp.domain.inventory.state import StockState


class StockRepository(abc.ABC):
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
