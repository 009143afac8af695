"""The stock repository in memory: a unit of work's book over the store's
:class:`~ecerp.domain.inventory.state.StockState`, history and reports, and
``verify``/``rebuild`` of the balance projection.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.history import (
    balances_at,
    sellable_on_hand,
    stock_lines,
    stock_lines_at,
)
from ecerp.domain.inventory.invariants import Discrepancy, verify
from ecerp.domain.inventory.moves import Move, StockLine
from ecerp.domain.inventory.state import StockState
from ecerp.domain.shared.values import require_utc
from ecerp.ports.stock import StockRepository


class MemoryStockRepository(StockRepository):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._book = StockBook(store.stock)
        self.rebuild_requested = False

    def book(self) -> StockBook:
        return self._book

    def moves(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        since_seq: int = 0,
        until: datetime | None = None,
    ) -> Sequence[Move]:
        return [
            m
            for m in self._store.stock.moves
            if m.seq > since_seq
            and (sku is None or m.sku == sku)
            and (location is None or location in (m.source, m.dest))
            and (until is None or m.at <= until)
        ]

    def snapshot(self) -> StockState:
        return copy.deepcopy(self._store.stock)

    def on_hand_at(self, sku: str, warehouse: str | None, at: datetime) -> int:
        at = require_utc("at", at)
        if warehouse is not None:
            self._book.warehouse(warehouse)
        since, snapshot, moves = self._store.stock.as_of_sku(at, sku)
        balances = balances_at(snapshot, moves, at=at, since=since, sku=sku)
        return sellable_on_hand(balances, sku, warehouse)

    def report(
        self, warehouse: str | None = None, *, at: datetime | None = None
    ) -> list[StockLine]:
        if warehouse is not None:
            self._book.warehouse(warehouse)
        state = self._store.stock
        if at is None:
            return stock_lines(state.sellable, state.reserved, warehouse=warehouse)
        at = require_utc("at", at)
        since, snapshot, moves = state.as_of(at)
        return stock_lines_at(balances_at(snapshot, moves, at=at, since=since), warehouse=warehouse)

    def verify(self) -> list[Discrepancy]:
        return verify(self._store.stock)

    def rebuild(self) -> int:
        self.rebuild_requested = True
        return len(self.verify())
