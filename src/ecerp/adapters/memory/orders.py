"""The order repository in memory: orders cloned into a unit of work on
first read, the allocation queue from the store's queue keys.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import DuplicateError
from ecerp.ports.orders import BuyerKey, OrderKey, OrderRepository, QueuePlace


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
