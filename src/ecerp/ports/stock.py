"""The stock repository port: the ledger, balances and reservations.

A unit of work's :meth:`StockRepository.book` is a validating overlay on the
committed stock (see :mod:`ecerp.domain.stock`): operations on it check the
rules, record moves and new balances, and are saved on commit as one write.
History queries read committed moves only.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from ecerp.domain.stock import Discrepancy, Move, StockBook, StockState


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
