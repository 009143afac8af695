"""The order repository on SQL: orders by id, key, former id and buyer,
the allocation queue, and writes of new and changed orders with the SKUs
they need.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    select,
)

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.bulk import Bulk
from ecerp.adapters.sql.database import Database
from ecerp.adapters.sql.queue import MAX_SKUS, queue_page
from ecerp.adapters.sql.serialization import dump_order, load_order
from ecerp.adapters.sql.stored import chunks, key_of, unreadable
from ecerp.domain.orders.drafts import order_id
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import DuplicateError
from ecerp.ports.orders import BuyerKey, OrderKey, OrderRepository, QueuePlace


class SqlOrderRepository(OrderRepository):
    def __init__(self, conn: Connection, db: Database, *, lock: bool) -> None:
        self._conn = conn
        self._db = db
        self._lock = lock
        self.seen: dict[str, Order] = {}
        self.loaded: dict[str, str] = {}
        #: the SKUs each loaded order needed (for the ``order_skus`` index)
        self.loaded_skus: dict[str, frozenset[str]] = {}
        self.new: dict[str, Order] = {}
        #: ids known not to be stored (looked up in this unit and not found)
        self.absent: set[str] = set()
        #: former ids looked up in this unit -> the order's id now
        self.former: dict[str, str] = {}
        #: ids looked up as former ids and not found
        self.no_former: set[str] = set()

    def _take(self, data: str) -> Order:
        try:
            order = load_order(data)
        except Exception as err:  # a row an older ecerp (or a hand edit) wrote
            raise unreadable("orders", key_of(data), err) from err
        self.seen[order.id] = order
        self.loaded[order.id] = data
        self.loaded_skus[order.id] = _skus_of(order)
        return order

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._db.bulk.rows(self._conn, sql + (" FOR UPDATE" if self._lock else ""), params)

    def add(self, order: Order) -> None:
        if order.id in self.new or order.id in self.seen:
            raise DuplicateError("order", order.id)
        self._load([order.id])  # by its id only: a former id it shadows is no duplicate
        if order.id in self.seen:
            raise DuplicateError("order", order.id)
        self.new[order.id] = order

    def find(self, order_id: str) -> Order | None:
        return self.find_many([order_id]).get(order_id)

    def find_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        ids = list(dict.fromkeys(order_ids))
        self._load(ids)
        self._resolve_former(
            i for i in ids if i in self.absent and i not in self.former and i not in self.no_former
        )
        found = {}
        for oid in ids:
            order = self.seen.get(oid) or self.new.get(oid)
            if order is None and oid in self.former:
                now = self.former[oid]
                order = self.seen.get(now) or self.new.get(now)
            if order is not None:
                found[oid] = order
        return found

    def _load(self, ids: Iterable[str]) -> None:
        """Load the stored orders among ``ids`` not known to this unit yet."""
        missing = sorted(
            {i for i in ids if i not in self.seen and i not in self.new and i not in self.absent}
        )
        for batch in chunks(missing):
            # in id order: units locking overlapping orders take them in one
            # order, so they wait for each other instead of deadlocking
            sql = f"SELECT data FROM orders WHERE id IN ({Bulk.marks(len(batch))}) ORDER BY id"
            for (data,) in self._rows(sql, batch):
                self._take(data)
            self.absent.update(i for i in batch if i not in self.seen)

    def _resolve_former(self, ids: Iterable[str]) -> None:
        """Ids an earlier ecerp handed out (``order_former_ids``) lead to the
        order that has them now; looked up only for ids no order has."""
        for batch in chunks(sorted(set(ids))):
            sql = (
                "SELECT former.former_id, orders.id, orders.data FROM order_former_ids former "
                "JOIN orders ON orders.id = former.order_id "
                f"WHERE former.former_id IN ({Bulk.marks(len(batch))}) ORDER BY orders.id"
            )
            for former, oid, data in self._rows(sql, batch):
                if oid not in self.seen and oid not in self.new:
                    self._take(data)
                self.former[str(former)] = str(oid)
            self.no_former.update(i for i in batch if i not in self.former)

    def find_by_keys(self, keys: Iterable[OrderKey]) -> dict[OrderKey, Order]:
        wanted = set(keys)
        found: dict[OrderKey, Order] = {}
        for order in (*self.new.values(), *self.seen.values()):
            if order.key in wanted and order.is_channel_order:
                found[order.key] = order
        # per (channel, shop), so the unique (channel, shop, external_id)
        # index answers it (external ids alone would scan every order)
        by_shop: dict[tuple[str, str], list[str]] = {}
        for channel, shop, external in sorted(k for k in wanted if k not in found):
            by_shop.setdefault((channel, shop), []).append(external)
        for (channel, shop), externals in by_shop.items():
            for batch in chunks(externals):
                sql = (
                    "SELECT id, data FROM orders WHERE channel = ? AND shop = ? "
                    f"AND external_id IN ({Bulk.marks(len(batch))}) ORDER BY id"
                )
                for oid, data in self._rows(sql, (channel, shop, *batch)):
                    loaded = self.seen.get(oid) or self._take(data)
                    found[loaded.key] = loaded
                self.absent.update(
                    order_id(channel, shop, e) for e in batch if (channel, shop, e) not in found
                )
        return found

    def _merge_touched(self, ids: set[str], keep: Any) -> list[str]:
        for oid, order in (*self.seen.items(), *self.new.items()):
            if keep(order):
                ids.add(oid)
            else:
                ids.discard(oid)
        return sorted(ids)

    def ids_with_status(self, statuses: Collection[OrderStatus]) -> Sequence[str]:
        values = [s.value for s in statuses]
        ids = {
            str(r[0])
            for r in self._conn.execute(select(t.orders.c.id).where(t.orders.c.status.in_(values)))
        }
        return self._merge_touched(ids, lambda o: o.status in statuses)

    def queue(self, statuses: Collection[OrderStatus]) -> Sequence[str]:
        values = [s.value for s in statuses]
        keys: dict[str, tuple[int, str, str]] = {
            str(oid): (-int(priority), str(at), str(oid))
            for oid, priority, at in self._conn.execute(
                select(t.orders.c.id, t.orders.c.priority, t.orders.c.ordered_at).where(
                    t.orders.c.status.in_(values)
                )
            )
        }
        for oid, order in (*self.seen.items(), *self.new.items()):
            if order.status in statuses:
                keys[oid] = (-order.priority, t.format_utc(order.ordered_at), oid)
            else:
                keys.pop(oid, None)
        return sorted(keys, key=keys.__getitem__)

    def ids_needing(
        self, skus: Collection[str], statuses: Collection[OrderStatus]
    ) -> Sequence[str]:
        wanted = set(skus)
        values = [s.value for s in statuses]
        ids: set[str] = set()
        for batch in chunks(sorted(wanted)):
            sql = (
                "SELECT DISTINCT orders.id FROM orders "
                "JOIN order_skus ON order_skus.order_id = orders.id "
                f"WHERE order_skus.sku IN ({Bulk.marks(len(batch))}) "
                f"AND orders.status IN ({Bulk.marks(len(values))})"
            )
            ids.update(str(oid) for (oid,) in self._db.bulk.rows(self._conn, sql, batch + values))
        return self._merge_touched(
            ids,
            lambda o: o.status in statuses and not wanted.isdisjoint(s for _, s in o.requirements),
        )

    def queue_needing(
        self,
        skus: Collection[str],
        statuses: Collection[OrderStatus],
        *,
        after: QueuePlace | None = None,
        limit: int = 1000,
    ) -> Sequence[str]:
        if len(skus) > MAX_SKUS:
            return super().queue_needing(skus, statuses, after=after, limit=limit)
        place = None if after is None else (after[0], t.format_utc(after[1]), after[2])
        touched = {**self.seen, **self.new}
        return queue_page(
            self._conn, self._db, skus, statuses, after=place, limit=limit, touched=touched
        )

    def find_by_buyers(self, keys: Iterable[BuyerKey]) -> dict[BuyerKey, list[Order]]:
        wanted = {k for k in keys if k[1]}
        found: dict[BuyerKey, dict[str, Order]] = {}
        by_shop: dict[str, list[str]] = {}
        for shop, key in sorted(wanted):
            by_shop.setdefault(shop, []).append(key)
        for shop, buyer_keys in by_shop.items():
            # shop first, so the (shop, buyer_key) index answers it
            for batch in chunks(buyer_keys):
                sql = (
                    "SELECT id, buyer_key, data FROM orders WHERE shop = ? "
                    f"AND buyer_key IN ({Bulk.marks(len(batch))})"
                )
                for oid, stored_key, data in self._db.bulk.rows(self._conn, sql, (shop, *batch)):
                    order = self.seen.get(oid) or self._take(data)
                    found.setdefault((shop, stored_key), {})[oid] = order
        for order in self.new.values():
            new_key = (order.shop, buyer_key(order))
            if new_key in wanted:
                found.setdefault(new_key, {})[order.id] = order
        return {key: list(orders.values()) for key, orders in found.items()}

    def count(self) -> int:
        return int(
            self._conn.execute(select(func.count()).select_from(t.orders)).scalar() or 0
        ) + len(self.new)

    def write(self, conn: Connection) -> None:
        with self._db.bulk.pipelined(conn, rows=len(self.new) + len(self.seen)):
            self._write_rows(conn)

    def _write_rows(self, conn: Connection) -> None:
        bulk = self._db.bulk
        bulk.insert(
            conn,
            t.orders,
            (
                "id",
                "channel",
                "shop",
                "external_id",
                "status",
                "data",
                "buyer_key",
                "priority",
                "ordered_at",
            ),
            [
                (
                    o.id,
                    o.channel,
                    o.shop,
                    o.external_id if o.is_channel_order else None,
                    o.status.value,
                    dump_order(o),
                    buyer_key(o),
                    o.priority,
                    t.format_utc(o.ordered_at),
                )
                for o in self.new.values()
            ],
        )
        changed = []
        needs: dict[str, frozenset[str]] = {o.id: _skus_of(o) for o in self.new.values()}
        for oid, order in self.seen.items():
            data = dump_order(order)
            if data != self.loaded[oid]:
                changed.append((order.status.value, order.priority, data, oid))
                skus = _skus_of(order)
                if skus != self.loaded_skus[oid]:
                    needs[oid] = skus
        bulk.update(conn, t.orders, ("status", "priority", "data"), "id", changed)
        bulk.delete(conn, t.order_skus, "order_id", sorted(o for o in needs if o in self.seen))
        bulk.insert(
            conn,
            t.order_skus,
            ("sku", "order_id"),
            [(sku, oid) for oid, skus in needs.items() for sku in sorted(skus)],
        )

    def touched(self) -> Iterable[Order]:
        yield from self.seen.values()
        yield from self.new.values()


def _skus_of(order: Order) -> frozenset[str]:
    return frozenset(sku for _, sku in order.requirements)
