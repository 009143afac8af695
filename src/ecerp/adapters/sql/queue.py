"""Pages of the serving queue read from the ``orders`` queue columns.

The serving order is highest priority first, then oldest, then by id
(``(-priority, ordered_at, id)``).  A page is read with a keyset cursor, so
walking a long queue costs what is walked, not what is stored: the webhook's
allocation stops as soon as no stock is left for its SKUs.

Ids and times are compared byte-wise (PostgreSQL ``COLLATE "C"``, SQLite's
default ``BINARY``), which is the order Python sorts ``str`` in; a database
collation that sorted ids differently would serve ties in another order than
the allocation policy does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.database import Database
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus

#: A queue place as stored: ``(-priority, ordered_at as text, id)``.
StoredPlace = tuple[int, str, str]

#: At most this many SKUs in one page query (one bound parameter each).
MAX_SKUS = 500


def stored_place(order: Order) -> StoredPlace:
    return (-order.priority, t.format_utc(order.ordered_at), order.id)


def queue_page(
    conn: Connection,
    db: Database,
    skus: Collection[str],
    statuses: Collection[OrderStatus],
    *,
    after: StoredPlace | None,
    limit: int,
    touched: Mapping[str, Order],
) -> list[str]:
    """Ids of up to ``limit`` orders in ``statuses`` needing any of ``skus``
    placed after ``after``, in serving order; fewer only when the queue ends.

    ``touched`` are the orders this unit of work holds: their current state
    counts, not the stored one (a status changed, a new order not yet
    stored).
    """
    wanted = sorted(set(skus))
    values = [s.value for s in statuses]
    if not wanted or not values or limit <= 0:
        return []
    collate = ' COLLATE "C"' if db.is_postgres else ""
    marks = ", ".join("?" * len(values))
    source = "orders o"
    if db.is_postgres and set(statuses) <= {OrderStatus.READY}:
        # Ready orders are few (imported, not yet allocated), while one SKU
        # may have 20,000 waiting: find them by status first.  Without this,
        # a planner without statistics yet (a backlog built a minute ago)
        # walks the SKU's every order instead.
        source = (
            "(SELECT id, priority, ordered_at, status FROM orders "
            f"WHERE status IN ({marks}) OFFSET 0) o"
        )
    base = (
        f"SELECT o.id, o.priority, o.ordered_at FROM {source} "
        f"WHERE o.status IN ({marks}) "
        "AND EXISTS (SELECT 1 FROM order_skus s WHERE s.order_id = o.id "
        f"AND s.sku IN ({', '.join('?' * len(wanted))}))"
    )
    first = values if source != "orders o" else []
    after_cond = (
        " AND (o.priority < ? OR (o.priority = ? AND "
        f"(o.ordered_at{collate} > ? OR (o.ordered_at = ? AND o.id{collate} > ?))))"
    )
    order_by = f" ORDER BY o.priority DESC, o.ordered_at{collate}, o.id{collate} LIMIT ?"
    mine = {
        oid: stored_place(order)
        for oid, order in touched.items()
        if order.status in statuses and not set(wanted).isdisjoint(s for _, s in order.requirements)
    }
    found: dict[str, StoredPlace] = {}
    cursor = after
    while True:
        params: list[Any] = [*first, *values, *wanted]
        sql = base
        if cursor is not None:
            priority, at, oid = -cursor[0], cursor[1], cursor[2]
            sql += after_cond
            params += [priority, priority, at, at, oid]
        rows = db.bulk.rows(conn, sql + order_by, [*params, limit])
        for oid, priority, at in rows:
            if str(oid) not in touched:
                found[str(oid)] = (-int(priority), str(at), str(oid))
        done = len(rows) < limit
        bound: StoredPlace | None = None
        if not done:
            last = rows[-1]
            bound = (-int(last[1]), str(last[2]), str(last[0]))
        places = [
            *found.values(),
            *(
                p
                for p in mine.values()
                if (after is None or p > after) and (bound is None or p <= bound)
            ),
        ]
        if done or len(places) >= limit:
            return [oid for *_, oid in sorted(places)[:limit]]
        cursor = bound
