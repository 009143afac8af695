"""The in-memory unit of work: one private overlay per repository.

Reads go through private overlays (a child :class:`Catalog`, a
:class:`StockBook`, cloned orders and documents); commit applies them to the
:class:`MemoryStore` under its lock; rollback simply drops them.
"""

from __future__ import annotations

import copy

from ecerp.adapters.memory.catalog import MemoryCatalogRepository
from ecerp.adapters.memory.documents import MemoryDocumentRepository
from ecerp.adapters.memory.idempotency import MemoryIdempotencyRepository
from ecerp.adapters.memory.inventory import MemoryStockRepository
from ecerp.adapters.memory.orders import MemoryOrderRepository
from ecerp.adapters.memory.settings import MemorySettingsRepository
from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.inventory.invariants import rebuild
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.shared.events import Event
from ecerp.ports.unit_of_work import UnitOfWork


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
