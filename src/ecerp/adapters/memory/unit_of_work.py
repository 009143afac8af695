"""The in-memory unit of work and repositories.

Reads go through private overlays (a child :class:`Catalog`, a
:class:`StockBook`, cloned orders and documents); commit applies them to the
:class:`MemoryStore` under its lock; rollback simply drops them.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from ecerp.adapters.memory.settings import MemorySettingsRepository
from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.history import (
    balances_at,
    sellable_on_hand,
    stock_lines,
    stock_lines_at,
)
from ecerp.domain.inventory.invariants import Discrepancy, rebuild, verify
from ecerp.domain.inventory.moves import Move, StockLine
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import ConcurrencyError, DuplicateError
from ecerp.domain.shared.events import Event
from ecerp.domain.shared.values import require_utc
from ecerp.ports.catalog import CatalogRepository
from ecerp.ports.documents import DocumentRepository
from ecerp.ports.idempotency import IdempotencyRecord, IdempotencyRepository
from ecerp.ports.orders import BuyerKey, OrderKey, OrderRepository, QueuePlace
from ecerp.ports.stock import StockRepository
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.results import BatchResult


class MemoryCatalogRepository(CatalogRepository):
    def __init__(self, store: MemoryStore) -> None:
        self._view = Catalog(parent=store.catalog)

    def view(self) -> Catalog:
        return self._view


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


def _queue_key(order: Order) -> tuple[int, datetime, str]:
    return (-order.priority, order.ordered_at, order.id)


class MemoryOrderRepository(OrderRepository):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.seen: dict[str, Order] = {}
        self.new: dict[str, Order] = {}

    def add(self, order: Order) -> None:
        if order.id in self.new or order.id in self._store.orders:
            raise DuplicateError("order", order.id)
        self.new[order.id] = order

    def find(self, order_id: str) -> Order | None:
        order = self.seen.get(order_id) or self.new.get(order_id)
        if order is None:
            stored = self._store.orders.get(order_id)
            if stored is None:
                return None
            order = self.seen[order_id] = stored.clone()
        return order

    def find_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        found = {}
        for oid in order_ids:
            order = self.find(oid)
            if order is not None:
                found[oid] = order
        return found

    def find_by_keys(self, keys: Iterable[OrderKey]) -> dict[OrderKey, Order]:
        found: dict[OrderKey, Order] = {}
        new_by_key = {o.key: o for o in self.new.values() if o.is_channel_order} if self.new else {}
        for key in keys:
            order = new_by_key.get(key)
            if order is None:
                oid = self._store.order_keys.get(key)
                order = self.find(oid) if oid is not None else None
            if order is not None:
                found[key] = order
        return found

    def ids_with_status(self, statuses: Collection[OrderStatus]) -> Sequence[str]:
        ids: set[str] = set()
        for status in statuses:
            ids |= self._store.by_status[status]
        for oid, order in (*self.seen.items(), *self.new.items()):
            if order.status in statuses:
                ids.add(oid)
            else:
                ids.discard(oid)
        return sorted(ids)

    def queue(self, statuses: Collection[OrderStatus]) -> Sequence[str]:
        ids = self.ids_with_status(statuses)
        return sorted(ids, key=lambda oid: _queue_key(self._current(oid)))

    def ids_needing(
        self, skus: Collection[str], statuses: Collection[OrderStatus]
    ) -> Sequence[str]:
        wanted = set(skus)
        return [
            oid
            for oid in self.ids_with_status(statuses)
            if not wanted.isdisjoint(sku for _, sku in self._current(oid).requirements)
        ]

    def queue_needing(
        self,
        skus: Collection[str],
        statuses: Collection[OrderStatus],
        *,
        after: QueuePlace | None = None,
        limit: int = 1000,
    ) -> Sequence[str]:
        places = (_queue_key(self._current(oid)) for oid in self.ids_needing(skus, statuses))
        page = heapq.nsmallest(limit, (p for p in places if after is None or p > after))
        return [oid for *_, oid in page]

    def _current(self, order_id: str) -> Order:
        """The unit's copy if it has one, else the committed order (read only)."""
        return self.seen.get(order_id) or self.new.get(order_id) or self._store.orders[order_id]

    def find_by_buyers(self, keys: Iterable[BuyerKey]) -> dict[BuyerKey, list[Order]]:
        wanted = {k for k in keys if k[1]}  # no buyer key: no peers
        found: dict[BuyerKey, dict[str, Order]] = {}
        for key in wanted:
            for oid in sorted(self._store.by_buyer.get(key, ())):
                order = self.find(oid)
                if order is not None:
                    found.setdefault(key, {})[oid] = order
        for order in self.new.values():
            key = (order.shop, buyer_key(order))
            if key in wanted:
                found.setdefault(key, {})[order.id] = order
        return {key: list(orders.values()) for key, orders in found.items()}

    def count(self) -> int:
        return len(self._store.orders) + len(self.new)

    def touched(self) -> Iterable[Order]:
        yield from self.seen.values()
        yield from self.new.values()


class MemoryDocumentRepository(DocumentRepository):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending_stocktakes: dict[str, Stocktake] = {}
        self.pending_transfers: dict[str, Transfer] = {}

    def add_stocktake(self, stocktake: Stocktake) -> None:
        if self.find_stocktake(stocktake.id) is not None:
            raise DuplicateError("stocktake", stocktake.id)
        self.pending_stocktakes[stocktake.id] = stocktake

    def find_stocktake(self, stocktake_id: str) -> Stocktake | None:
        found = self.pending_stocktakes.get(stocktake_id)
        if found is None and stocktake_id in self._store.stocktakes:
            found = self.pending_stocktakes[stocktake_id] = copy.deepcopy(
                self._store.stocktakes[stocktake_id]
            )
        return found

    def add_transfer(self, transfer: Transfer) -> None:
        if self.find_transfer(transfer.id) is not None:
            raise DuplicateError("transfer", transfer.id)
        self.pending_transfers[transfer.id] = transfer

    def find_transfer(self, transfer_id: str) -> Transfer | None:
        found = self.pending_transfers.get(transfer_id)
        if found is None and transfer_id in self._store.transfers:
            found = self.pending_transfers[transfer_id] = copy.deepcopy(
                self._store.transfers[transfer_id]
            )
        return found

    def transfers(self) -> Sequence[Transfer]:
        merged = {**self._store.transfers, **self.pending_transfers}
        return [merged[k] for k in sorted(merged)]


def _private(result: Any) -> Any:
    """A copy of ``result`` that nobody else holds; values that cannot
    change (moves, batch results, ``None``) are shared as they are."""
    if result is None or isinstance(result, (Move, BatchResult)):
        return result
    if isinstance(result, list):
        return [_private(r) for r in result]
    return copy.deepcopy(result)


class MemoryIdempotencyRepository(IdempotencyRepository):
    """Keyed commands: committed records are private copies (a result the
    caller changes afterwards changes nothing recorded), and each lookup
    hands out a copy of its own."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending: dict[str, IdempotencyRecord] = {}

    def find(self, key: str) -> IdempotencyRecord | None:
        found = self.pending.get(key) or self._store.idempotency.get(key)
        return None if found is None else attrs.evolve(found, result=_private(found.result))

    def record(self, record: IdempotencyRecord) -> None:
        self.pending[record.key] = record

    def check(self) -> None:
        """Raises:
        ConcurrencyError: a key this unit records was committed meanwhile.
        """
        for key in self.pending:
            if key in self._store.idempotency:
                raise ConcurrencyError(
                    f"idempotency key {key!r} was recorded by another call first; retry"
                )

    def copies(self) -> dict[str, IdempotencyRecord]:
        return {key: attrs.evolve(r, result=_private(r.result)) for key, r in self.pending.items()}


class MemoryUnitOfWork(UnitOfWork):
    """A unit of work over a :class:`MemoryStore`."""

    catalog: MemoryCatalogRepository
    stock: MemoryStockRepository
    orders: MemoryOrderRepository
    documents: MemoryDocumentRepository
    idempotency: MemoryIdempotencyRepository
    settings: MemorySettingsRepository

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self.store = store
        self._fresh()

    def _fresh(self) -> None:
        self.catalog = MemoryCatalogRepository(self.store)
        self.stock = MemoryStockRepository(self.store)
        self.orders = MemoryOrderRepository(self.store)
        self.documents = MemoryDocumentRepository(self.store)
        self.idempotency = MemoryIdempotencyRepository(self.store)
        self.settings = MemorySettingsRepository(self.store)

    def _gather_events(self) -> list[Event]:
        events = self.stock.book().collect_events()
        for order in self.orders.touched():
            events.extend(order.collect_events())
        return events

    def _commit(self) -> None:
        store = self.store
        with store.lock:
            self.idempotency.check()  # before anything is applied
            self.settings.write()  # first: it may refuse, before anything changed
            store.catalog.apply(self.catalog.view().changes())
            store.stock.apply(self.stock.book().changes())
            if self.stock.rebuild_requested:
                rebuild(store.stock)
            orders, by_status = store.orders, store.by_status
            for order in self.orders.touched():
                oid = order.id
                old = orders.get(oid)
                if order.is_channel_order:
                    store.order_keys[order.key] = oid
                if old is None:
                    buyer = buyer_key(order)
                    if buyer:
                        store.by_buyer.setdefault((order.shop, buyer), set()).add(oid)
                elif old.status is not order.status:
                    by_status[old.status].discard(oid)
                # A private copy: an order a caller still holds after the
                # unit ended must not change what is stored.
                orders[oid] = order.clone()
                by_status[order.status].add(oid)
            # Documents are kept as private copies: changing an object a
            # caller still holds after the unit ended changes nothing stored.
            store.stocktakes.update(copy.deepcopy(self.documents.pending_stocktakes))
            store.transfers.update(copy.deepcopy(self.documents.pending_transfers))
            store.idempotency.update(self.idempotency.copies())
        self._fresh()

    def _rollback(self) -> None:
        self._fresh()

    def _begin(self) -> None:
        # Units of work on one store run one at a time (the lock is
        # re-entrant, so a thread may nest them): what a unit decides on
        # cannot change under it, exactly as with the SQL backends' locks.
        self.store.lock.acquire()
        self._fresh()

    def _close(self) -> None:
        self.store.lock.release()
