"""The committed stock a SQL unit of work reads: positions, balances and
reservations loaded on demand (and in bulk through the repository's prefetch
hints), move sequence numbers, closed periods, and the writes of a book's
changes (balances as deltas on PostgreSQL).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.bulk import Bulk
from ecerp.adapters.sql.catalog_cache import CatalogRows, new_catalog_version
from ecerp.adapters.sql.database import Database
from ecerp.adapters.sql.serialization import CONVERTER
from ecerp.adapters.sql.stored import chunks, read_value
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.moves import (
    BalanceKey,
    LineKey,
    Move,
    MoveReason,
    Reservation,
    WarehouseKey,
)
from ecerp.domain.inventory.state import StockChanges


class SqlStockState:
    """The committed stock, loaded on demand for one unit of work: a
    :class:`~ecerp.domain.inventory.state.StockSource`.

    Values it loads are kept as the *base* of the unit: commit writes the
    difference between the book's values and these as deltas.
    """

    def __init__(
        self,
        conn: Connection,
        db: Database,
        *,
        lock: bool,
        cached: Callable[[], CatalogRows | None] | None = None,
    ) -> None:
        self.warehouses: dict[str, Warehouse] = {}
        self.next_seq = 1
        self.on_hand: dict[BalanceKey, int] = {}
        self.sellable: dict[WarehouseKey, int] = {}
        self.reserved: dict[WarehouseKey, int] = {}
        self.reservations: dict[str, dict[LineKey, Reservation]] = {}
        self.closed_until: datetime | None = None
        self._conn = conn
        self._db = db
        self._lock = lock
        self._cached = cached
        self._positions_loaded: set[WarehouseKey] = set()
        self._balances_loaded: set[BalanceKey] = set()
        self._reservations_loaded: set[str] = set()
        self._warehouses_loaded = False
        self._seq_loaded = False
        self._period_loaded = False
        # The latest move date per SKU, loaded in bulk when first needed: a move
        # dated at or after it skips the back-dating check without a query.
        # Valid for a balance key only if loaded after that key's row was
        # read (and locked, on PostgreSQL): ``_reads`` orders the two.
        self._reads = 0
        self._balance_read: dict[BalanceKey, int] = {}
        self._last_at_sku: dict[str, tuple[int, datetime | None]] = {}

    def seq_start(self) -> int:
        if not self._seq_loaded:
            seq = self._db.bulk.scalar(self._conn, "SELECT MAX(seq) FROM moves")
            self.next_seq = int(seq or 0) + 1
            self._seq_loaded = True
        return self.next_seq

    def seq_numbers(self) -> Iterable[int]:
        """SQLite: on from the last move (the unit holds the write lock).
        PostgreSQL: drawn from the ``move_seq`` sequence, which never waits
        for other writers (units touching other SKUs do not serialise on
        it); numbers a unit drew and did not use, or rolled back, are gaps."""
        if not self._db.is_postgres:
            return itertools.count(self.seq_start())
        return self._drawn()

    def _drawn(self) -> Iterator[int]:
        # one number first (most units make one move or a few), then more
        # per round trip as a unit turns out to make many
        size = 1
        while True:
            rows = self._db.bulk.rows(
                self._conn,
                f"SELECT nextval('{t.MOVE_SEQUENCE}') FROM generate_series(1, ?)",
                (size,),
            )
            yield from sorted(int(n) for (n,) in rows)
            size = min(size * 8, 4096)

    def period_end(self) -> datetime | None:
        if not self._period_loaded:
            # Share-locked on PostgreSQL: a unit that checked its moves against
            # the closed date keeps a close (which rewrites the row, then
            # snapshots the period) waiting until it committed, so no move can
            # slip into a period after its snapshot was taken.
            closed = self._db.bulk.scalar(
                self._conn,
                'SELECT value FROM ledger_meta WHERE "key" = ?'
                + (" FOR SHARE" if self._lock else ""),
                ("closed_until",),
            )
            self.closed_until = t.parse_utc(closed) if closed else None
            self._period_loaded = True
        return self.closed_until

    @property
    def _for_update(self) -> str:
        return " FOR UPDATE" if self._lock else ""

    def _load_warehouses(self) -> None:
        if self._warehouses_loaded:
            return
        rows = self._cached() if self._cached is not None else None
        if rows is not None and rows.warehouses is not None:
            self.warehouses.update(rows.warehouses)
        else:
            for code, data in self._db.bulk.rows(self._conn, "SELECT code, data FROM warehouses"):
                wh = read_value("warehouses", code, data, Warehouse)
                self.warehouses[wh.code] = wh
            if rows is not None:
                rows.warehouses = dict(self.warehouses)
        self._warehouses_loaded = True

    def find_warehouse(self, code: str) -> Warehouse | None:
        self._load_warehouses()
        return self.warehouses.get(code)

    def all_warehouses(self) -> list[Warehouse]:
        self._load_warehouses()
        return list(self.warehouses.values())

    def balance_of(self, key: BalanceKey) -> int:
        if key not in self._balances_loaded:
            qty = self._db.bulk.scalar(
                self._conn,
                "SELECT qty FROM balances WHERE sku = ? AND location = ?" + self._for_update,
                key,
            )
            self.on_hand[key] = int(qty or 0)
            self._balances_loaded.add(key)
            self._reads += 1
            self._balance_read[key] = self._reads
        return self.on_hand[key]

    def _load_last_at(self, skus: Iterable[str]) -> None:
        """The latest move date of each of ``skus`` (the ``(sku, at)`` index)."""
        for batch in chunks(sorted(set(skus))):
            found: dict[str, datetime | None] = dict.fromkeys(batch)
            rows = self._conn.execute(
                select(t.moves.c.sku, func.max(t.moves.c.at))
                .where(t.moves.c.sku.in_(batch))
                .group_by(t.moves.c.sku)
            )
            for sku, last in rows:
                found[str(sku)] = (
                    last if isinstance(last, datetime) or last is None else t.parse_utc(last)
                )
            self._reads += 1
            for sku, last in found.items():
                self._last_at_sku[sku] = (self._reads, last)

    def changes_after(self, key: BalanceKey, at: datetime) -> list[tuple[datetime, int]]:
        """Per moment after ``at``, the net change of ``key``'s balance, summed
        in SQL from the moves dated after ``at`` (the ``(sku, at)`` index);
        nothing, without that query, when the SKU's latest move (loaded with
        its balances) is not later than ``at``."""
        sku, location = key
        known = self._last_at_sku.get(sku)
        if known is None or known[0] < self._balance_read.get(key, 0):
            # once for every SKU whose balances this unit read (a transfer's
            # or stocktake's lines were prefetched together), after the reads
            stale = {
                s
                for (s, _), read in self._balance_read.items()
                if self._last_at_sku.get(s, (-1, None))[0] < read
            }
            self._load_last_at(stale | {sku})
            known = self._last_at_sku[sku]
        if known[1] is None or known[1] <= at:
            return []  # no move of the SKU is dated after ``at``
        mv = t.moves.c
        later = [mv.sku == sku, mv.at > at]
        moved = union_all(
            select(mv.at.label("moment"), mv.qty.label("q")).where(*later, mv.dest == location),
            select(mv.at.label("moment"), (-mv.qty).label("q")).where(
                *later, mv.source == location
            ),
        ).subquery()
        rows = self._conn.execute(
            select(moved.c.moment, func.sum(moved.c.q))
            .group_by(moved.c.moment)
            .order_by(moved.c.moment)
        )
        return [
            (moment if isinstance(moment, datetime) else t.parse_utc(moment), int(q))
            for moment, q in rows
            if q
        ]

    def prefetch_balances(self, keys: Iterable[BalanceKey]) -> None:
        wanted = sorted(k for k in set(keys) if k not in self._balances_loaded)
        if not wanted:
            return
        by_location: dict[str, list[str]] = {}
        for sku, loc in wanted:
            by_location.setdefault(loc, []).append(sku)
        for loc, skus in sorted(by_location.items()):
            for batch in chunks(skus):
                sql = (
                    "SELECT sku, qty FROM balances WHERE location = ? "
                    f"AND sku IN ({Bulk.marks(len(batch))}) ORDER BY sku" + self._for_update
                )
                for sku, qty in self._db.bulk.rows(self._conn, sql, (loc, *batch)):
                    self.on_hand[(sku, loc)] = int(qty)
        self._reads += 1
        for key in wanted:
            self.on_hand.setdefault(key, 0)
            self._balances_loaded.add(key)
            self._balance_read[key] = self._reads

    def prefetch(self, keys: Iterable[WarehouseKey]) -> None:
        wanted = sorted(k for k in set(keys) if k not in self._positions_loaded)
        by_sku: dict[str, set[str]] = {}
        for sku, wh in wanted:
            by_sku.setdefault(sku, set()).add(wh)
        for batch in chunks(sorted(by_sku)):
            rows = self._db.bulk.rows(
                self._conn,
                "SELECT sku, warehouse, on_hand, reserved FROM positions "
                f"WHERE sku IN ({Bulk.marks(len(batch))}) ORDER BY sku, warehouse"
                + self._for_update,
                batch,
            )
            for sku, warehouse, on_hand, reserved in rows:
                key = (sku, warehouse)
                if key not in self._positions_loaded:
                    self.sellable[key] = int(on_hand)
                    self.reserved[key] = int(reserved)
                    self._positions_loaded.add(key)
        for key in wanted:
            if key not in self._positions_loaded:
                self.sellable[key] = 0
                self.reserved[key] = 0
                self._positions_loaded.add(key)

    def _position(self, key: WarehouseKey) -> None:
        if key not in self._positions_loaded:
            self.prefetch((key,))

    def sellable_of(self, key: WarehouseKey) -> int:
        self._position(key)
        return self.sellable[key]

    def reserved_of(self, key: WarehouseKey) -> int:
        self._position(key)
        return self.reserved[key]

    def reservations_of(self, order: str) -> dict[LineKey, Reservation]:
        if order not in self._reservations_loaded:
            self.load_reservations((order,))
        return dict(self.reservations.get(order, ()))

    def prefetch_reservations(self, orders: Iterable[str]) -> None:
        self.load_reservations(orders)

    def load_reservations(self, orders: Iterable[str]) -> None:
        wanted = sorted({o for o in orders if o not in self._reservations_loaded})
        for batch in chunks(wanted):
            rows = self._db.bulk.rows(
                self._conn,
                "SELECT order_id, line, sku, warehouse, qty FROM reservations "
                f"WHERE order_id IN ({Bulk.marks(len(batch))})" + self._for_update,
                batch,
            )
            for order, line, sku, warehouse, qty in rows:
                res = Reservation(order, int(line), sku, warehouse, int(qty))
                self.reservations.setdefault(order, {})[(res.line, sku)] = res
            self._reservations_loaded.update(batch)

    def orders_holding(self, sku: str, warehouse: str) -> Iterable[str]:
        rows = self._conn.execute(
            select(t.reservations.c.order_id)
            .where(t.reservations.c.sku == sku, t.reservations.c.warehouse == warehouse)
            .distinct()
        )
        return [str(r[0]) for r in rows]

    def write(self, changes: StockChanges) -> None:
        """Persist a book's changes as inserts and deltas against the base."""
        conn = self._conn
        if changes.warehouses:
            conn.execute(
                insert(t.warehouses),
                [{"code": w.code, "data": CONVERTER.dumps(w)} for w in changes.warehouses],
            )
            new_catalog_version(conn)
        rows = len(changes.moves) + len(changes.reservations) + len(changes.on_hand)
        with self._db.bulk.pipelined(conn, rows=rows):
            self._write_rows(changes)
        if changes.closed_until is not None:
            conn.execute(delete(t.ledger_meta).where(t.ledger_meta.c.key == "closed_until"))
            conn.execute(
                insert(t.ledger_meta),
                [{"key": "closed_until", "value": t.format_utc(changes.closed_until)}],
            )
            self._snapshot_period(changes.closed_until)

    def _write_rows(self, changes: StockChanges) -> None:
        """The ledger rows, projection deltas and reservations, straight to
        the driver."""
        conn = self._conn
        bulk = self._db.bulk
        bulk.insert(
            conn,
            t.moves,
            ("seq", "sku", "source", "dest", "qty", "reason", "document", "actor", "at", "note"),
            [
                (
                    m.seq,
                    m.sku,
                    m.source,
                    m.dest,
                    m.qty,
                    m.reason.value,
                    m.document,
                    m.actor,
                    t.format_utc(m.at),
                    m.note,
                )
                for m in changes.moves
            ],
        )
        balance_rows = [
            (sku, loc, new - self.on_hand.get((sku, loc), 0))
            for (sku, loc), new in sorted(changes.on_hand.items())
            if new != self.on_hand.get((sku, loc), 0)
        ]
        bulk.add(conn, t.balances, ("sku", "location"), ("qty",), balance_rows)
        position_keys = sorted(set(changes.sellable) | set(changes.reserved))
        position_rows = []
        for key in position_keys:
            d_on_hand = changes.sellable.get(key, self.sellable.get(key, 0)) - self.sellable.get(
                key, 0
            )
            d_reserved = changes.reserved.get(key, self.reserved.get(key, 0)) - self.reserved.get(
                key, 0
            )
            if d_on_hand or d_reserved:
                position_rows.append((key[0], key[1], d_on_hand, d_reserved))
        bulk.add(conn, t.positions, ("sku", "warehouse"), ("on_hand", "reserved"), position_rows)
        if changes.reservations:
            touched = sorted(changes.reservations)
            # orders that held nothing before this unit have no rows to delete
            bulk.delete(
                conn,
                t.reservations,
                "order_id",
                [
                    o
                    for o in touched
                    if self.reservations.get(o) or o not in self._reservations_loaded
                ],
            )
            bulk.insert(
                conn,
                t.reservations,
                ("order_id", "line", "sku", "warehouse", "qty"),
                [
                    (r.order, r.line, r.sku, r.warehouse, r.qty)
                    for o in touched
                    for _, r in sorted(changes.reservations[o].items())
                ],
            )

    def _snapshot_period(self, until: datetime) -> None:
        """Store the balances at ``until``: the previous period's snapshot
        plus the moves dated in [previous end, ``until``), in one
        ``INSERT ... SELECT ... GROUP BY`` (after this unit's moves were
        written, in the same transaction)."""
        conn = self._conn
        if conn.execute(select(t.periods.c.period).where(t.periods.c.period == until)).first():
            return  # closed at this very moment before: its snapshot stands
        previous = conn.execute(
            select(func.max(t.periods.c.period)).where(t.periods.c.period < until)
        ).scalar()
        window = [t.moves.c.at < until]
        parts: list[Select[Any]] = []
        if previous is not None:
            window.append(t.moves.c.at >= previous)
            pb = t.period_balances
            parts.append(
                select(pb.c.sku, pb.c.location.label("loc"), pb.c.qty.label("q")).where(
                    pb.c.period == previous
                )
            )
        moves = t.moves.c
        parts.append(
            select(moves.sku, moves.dest.label("loc"), moves.qty.label("q")).where(*window)
        )
        parts.append(
            select(moves.sku, moves.source.label("loc"), (-moves.qty).label("q")).where(*window)
        )
        moved = union_all(*parts).subquery()
        total = func.sum(moved.c.q)
        snapshot = (
            select(literal(t.format_utc(until), String(32)), moved.c.sku, moved.c.loc, total)
            .group_by(moved.c.sku, moved.c.loc)
            .having(total != 0)
        )
        conn.execute(insert(t.periods), [{"period": until}])
        conn.execute(
            insert(t.period_balances).from_select(["period", "sku", "location", "qty"], snapshot)
        )


def move_from_row(r: Any) -> Move:
    return Move(
        int(r["seq"]),
        r["sku"],
        r["source"],
        r["dest"],
        int(r["qty"]),
        MoveReason(r["reason"]),
        r["document"],
        r["actor"],
        r["at"],
        r["note"],
    )
