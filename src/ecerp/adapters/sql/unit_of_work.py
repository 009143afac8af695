"""The SQL unit of work: one database transaction per unit.

Reads load rows on demand, and in bulk through ``prefetch``; the domain
decides in memory; commit writes every change with one ``executemany`` per
table.  On SQLite the transaction is ``BEGIN IMMEDIATE`` (writers queue on the
database lock, with a busy timeout); on PostgreSQL the rows a unit decides on
(stock positions, orders, reservations) are read ``FOR UPDATE``, and stock
projections are written as deltas, so concurrent units serialise exactly on
what they share.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Select,
    String,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.bulk import Bulk
from ecerp.adapters.sql.catalog_cache import VERSION_KEY, CatalogCache, CatalogRows
from ecerp.adapters.sql.database import Database, DatabaseLockedError, translate_errors
from ecerp.adapters.sql.idempotency import SqlIdempotencyRepository
from ecerp.adapters.sql.queue import MAX_SKUS, queue_page
from ecerp.adapters.sql.serialization import CONVERTER, dump_event, dump_order, load_order
from ecerp.adapters.sql.settings import SqlSettingsRepository
from ecerp.adapters.sql.stored import key_of, read_row, unreadable
from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.history import sellable_on_hand, stock_lines, stock_lines_at
from ecerp.domain.inventory.invariants import Discrepancy, Projection, compare, project
from ecerp.domain.inventory.locations import Warehouse, stock_location
from ecerp.domain.inventory.moves import (
    BalanceKey,
    LineKey,
    Move,
    MoveReason,
    Reservation,
    StockLine,
    WarehouseKey,
)
from ecerp.domain.inventory.state import StockChanges, StockState
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.orders.drafts import order_id
from ecerp.domain.orders.holds import buyer_key
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import BackendError, DuplicateError
from ecerp.domain.shared.events import Event
from ecerp.domain.shared.values import require_utc
from ecerp.ports.catalog import CatalogRepository
from ecerp.ports.documents import DocumentRepository
from ecerp.ports.orders import BuyerKey, OrderKey, OrderRepository, QueuePlace
from ecerp.ports.stock import StockRepository
from ecerp.ports.unit_of_work import UnitOfWork

CHUNK = 500
T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- catalog -----------------------------------------------------------------------------


class SqlCatalogSource(Catalog):
    """The committed catalog, loaded row by row on demand (and cached for the
    unit of work); the parent of the unit's writable view."""

    def __init__(self, conn: Connection, cache: CatalogCache | None, bulk: Bulk) -> None:
        super().__init__()
        self._conn = conn
        self._bulk = bulk
        self._versions: tuple[Any, int] | None = None
        self._missing: set[tuple[str, str]] = set()
        self._alias_loaded: set[str] = set()
        self._alias_targets: dict[str, frozenset[str]] = {}
        self._rows: CatalogRows | None = None
        self._all_shops: list[Shop] | None = None
        self._cache = cache

    def versions(self) -> tuple[Any, int]:
        """The committed catalog version and settings version, read once per
        unit in one round trip (every command needs both)."""
        if self._versions is None:
            ((catalog, settings),) = self._bulk.rows(
                self._conn,
                'SELECT (SELECT value FROM ledger_meta WHERE "key" = ?), '
                "(SELECT MAX(version) FROM settings_versions)",
                (VERSION_KEY,),
            )
            self._versions = (catalog, int(settings or 0))
        return self._versions

    def _bind(self) -> None:
        """Before the first read: use the rows cached for the committed
        catalog version (see :mod:`ecerp.adapters.sql.catalog_cache`)."""
        if self._cache is None:
            return
        version, _ = self.versions()
        rows = self._cache.rows_for(str(version or ""))
        self._cache = None
        self._skus, self._bundles, self._shops = rows.skus, rows.bundles, rows.shops
        self._products, self._aliases = rows.products, rows.aliases
        self._alias_loaded, self._missing = rows.alias_loaded, rows.missing
        self._alias_targets = rows.alias_targets
        self._rows, self._all_shops = rows, rows.all_shops

    def _load(self, kind: str, table: Any, cls: type[Any], codes: Iterable[str]) -> None:
        self._bind()
        caches: dict[str, dict[str, Any]] = {
            "sku": self._skus,
            "bundle": self._bundles,
            "shop": self._shops,
            "product": self._products,
        }
        cache = caches[kind]
        wanted = [c for c in codes if c not in cache and (kind, c) not in self._missing]
        if not wanted:
            return
        for batch in chunks(wanted):
            rows = self._bulk.rows(
                self._conn,
                f"SELECT code, data FROM {table.name} WHERE code IN ({Bulk.marks(len(batch))})",
                batch,
            )
            for code, data in rows:
                cache[code] = _read(table.name, code, data, cls)
            for code in batch:
                if code not in cache:
                    self._missing.add((kind, code))

    def find_sku(self, code: str) -> Sku | None:
        found = self._skus.get(code)
        if found is None:
            self._load("sku", t.skus, Sku, (code,))
            found = self._skus.get(code)
        return found

    def find_bundle(self, code: str) -> Bundle | None:
        found = self._bundles.get(code)
        if found is None:
            self._load("bundle", t.bundles, Bundle, (code,))
            found = self._bundles.get(code)
        return found

    def find_shop(self, code: str) -> Shop | None:
        found = self._shops.get(code)
        if found is None:
            self._load("shop", t.shops, Shop, (code,))
            found = self._shops.get(code)
        return found

    def find_product(self, code: str) -> Product | None:
        found = self._products.get(code)
        if found is None:
            self._load("product", t.products, Product, (code,))
            found = self._products.get(code)
        return found

    def find_barcode(self, barcode: str) -> str | None:
        row = self._conn.execute(select(t.skus.c.code).where(t.skus.c.barcode == barcode)).first()
        return None if row is None else str(row[0])

    def _load_aliases(self, listing_skus: Iterable[str]) -> None:
        self._bind()
        wanted = [s for s in listing_skus if s not in self._alias_loaded]
        for batch in chunks(wanted):
            rows = self._bulk.rows(
                self._conn,
                "SELECT channel, shop, listing_sku, target, effective_from FROM aliases "
                f"WHERE listing_sku IN ({Bulk.marks(len(batch))})",
                batch,
            )
            found: dict[tuple[str, str, str], list[Alias]] = {}
            for channel, shop, listing, target, effective in rows:
                alias = _alias(channel, shop, listing, target, t.parse_utc(effective))
                found.setdefault((channel, shop, listing), []).append(alias)
            targets: dict[str, set[str]] = {code: set() for code in batch}
            for key, versions in found.items():
                self._aliases[key] = tuple(sorted(versions, key=lambda a: a.effective_from))
                targets[key[2]].update(a.target for a in versions)
            self._alias_targets.update((k, frozenset(v)) for k, v in targets.items())
            self._alias_loaded.update(batch)

    def cached_rows(self) -> CatalogRows | None:
        """The rows shared under the committed catalog version (``None``:
        this unit has no cache)."""
        self._bind()
        return self._rows

    def alias_versions(
        self, channel: str | None, shop: str | None, listing_sku: str
    ) -> tuple[Alias, ...]:
        if listing_sku not in self._alias_loaded:
            self._load_aliases((listing_sku,))
        return self._aliases.get((channel or "", shop or "", listing_sku), ())

    def prefetch(self, keys: Iterable[tuple[str, str, str]]) -> None:
        listing = {k[2] for k in keys}
        self._load_aliases(listing)
        found = {target for code in listing for target in self._alias_targets.get(code, ())}
        # a target may itself be a listing SKU with aliases (and is looked up so)
        self._load_aliases(found)
        # the targets, then the components of the bundles among them, down
        # every level of nesting (only these: the cache may hold thousands)
        pending = listing | found
        seen: set[str] = set()
        while pending:
            self._load("sku", t.skus, Sku, pending)
            self._load("bundle", t.bundles, Bundle, pending)
            seen |= pending
            pending = {
                c.code
                for code in pending
                if (b := self._bundles.get(code)) is not None
                for c in b.components
                if c.code not in seen
            }

    def _all(self, table: Any, cls: type[T]) -> list[T]:
        rows = self._conn.execute(select(table.c.code, table.c.data))
        return [_read(table.name, code, data, cls) for code, data in rows]

    def products(self) -> list[Product]:
        return sorted(self._all(t.products, Product), key=lambda p: p.code)

    def skus(self) -> list[Sku]:
        return sorted(self._all(t.skus, Sku), key=lambda s: s.code)

    def bundles(self) -> list[Bundle]:
        return sorted(self._all(t.bundles, Bundle), key=lambda b: b.code)

    def shops(self) -> list[Shop]:
        self._bind()
        if self._all_shops is None:
            self._all_shops = sorted(self._all(t.shops, Shop), key=lambda s: s.code)
            if self._rows is not None:
                self._rows.all_shops = self._all_shops
        return list(self._all_shops)

    def aliases(self) -> list[Alias]:
        rows = self._conn.execute(select(t.aliases)).mappings()
        found = [
            _alias(r["channel"], r["shop"], r["listing_sku"], r["target"], r["effective_from"])
            for r in rows
        ]
        return sorted(found, key=lambda a: (a.scope, a.listing_sku, a.effective_from))


class SqlCatalogRepository(CatalogRepository):
    def __init__(self, conn: Connection, cache: CatalogCache | None, bulk: Bulk) -> None:
        self.source = SqlCatalogSource(conn, cache, bulk)
        """The committed catalog (its rows cached between units)."""
        self._view = Catalog(parent=self.source)

    def view(self) -> Catalog:
        return self._view

    def prefetch(self, listing_skus: Iterable[tuple[str, str, str]]) -> None:
        self.source.prefetch(listing_skus)

    def write(self, conn: Connection) -> None:
        rows: dict[str, list[dict[str, Any]]] = {}
        for item in self._view.changes():
            if isinstance(item, Product):
                rows.setdefault("products", []).append(
                    {"code": item.code, "data": CONVERTER.dumps(item)}
                )
            elif isinstance(item, Sku):
                rows.setdefault("skus", []).append(
                    {"code": item.code, "barcode": item.barcode, "data": CONVERTER.dumps(item)}
                )
            elif isinstance(item, Shop):
                rows.setdefault("shops", []).append(
                    {"code": item.code, "channel": item.channel, "data": CONVERTER.dumps(item)}
                )
            elif isinstance(item, Bundle):
                rows.setdefault("bundles", []).append(
                    {"code": item.code, "data": CONVERTER.dumps(item)}
                )
            else:
                rows.setdefault("aliases", []).append(
                    {
                        "channel": item.channel or "",
                        "shop": item.shop or "",
                        "listing_sku": item.listing_sku,
                        "effective_from": item.effective_from,
                        "target": item.target,
                    }
                )
        for name in ("products", "skus", "shops", "bundles", "aliases"):
            if name in rows:
                conn.execute(insert(t.metadata.tables[name]), rows[name])
        if rows:
            new_catalog_version(conn)


def new_catalog_version(conn: Connection) -> None:
    """Other units' cached catalog rows are stale from this commit on."""
    conn.execute(delete(t.ledger_meta).where(t.ledger_meta.c.key == VERSION_KEY))
    conn.execute(insert(t.ledger_meta), [{"key": VERSION_KEY, "value": uuid.uuid4().hex}])


# --- stock -----------------------------------------------------------------------------------


class SqlStockState(StockState):
    """The committed stock, loaded on demand for one unit of work.

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
        super().__init__()
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
            return super().seq_numbers()
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
                wh = _read("warehouses", code, data, Warehouse)
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


def _read(table: str, code: str, data: str, cls: type[T]) -> T:
    """A catalog item or warehouse from its row: read as stored (limits
    added since an older ecerp wrote it are not applied).

    Raises:
        StoredDataError: the row cannot be read (naming it and the field).
    """
    return read_row(table, code, lambda: CONVERTER.loads(data, cls))


def _alias(channel: str, shop: str, listing: str, target: str, effective: datetime) -> Alias:
    """An alias from its row (read as :func:`_read` reads items)."""
    return read_row(
        "aliases",
        f"{channel}/{shop}/{listing}",
        lambda: Alias(channel or None, shop or None, listing, target, effective),
    )


def _move_from_row(r: Any) -> Move:
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


def read_state(conn: Connection) -> StockState:
    """Every committed stock row, as an independent :class:`StockState`."""
    state = StockState()
    for code, data in conn.execute(select(t.warehouses.c.code, t.warehouses.c.data)):
        wh = _read("warehouses", code, data, Warehouse)
        state.warehouses[wh.code] = wh
    state.moves = [
        _move_from_row(r) for r in conn.execute(select(t.moves).order_by(t.moves.c.seq)).mappings()
    ]
    state.next_seq = (state.moves[-1].seq + 1) if state.moves else 1
    for sku, loc, qty in conn.execute(
        select(t.balances.c.sku, t.balances.c.location, t.balances.c.qty)
    ):
        if qty:
            state.on_hand[(sku, loc)] = int(qty)
    for r in conn.execute(select(t.positions)).mappings():
        if r["on_hand"]:
            state.sellable[(r["sku"], r["warehouse"])] = int(r["on_hand"])
        if r["reserved"]:
            state.reserved[(r["sku"], r["warehouse"])] = int(r["reserved"])
    for r in conn.execute(select(t.reservations)).mappings():
        res = Reservation(r["order_id"], int(r["line"]), r["sku"], r["warehouse"], int(r["qty"]))
        state.reservations.setdefault(res.order, {})[(res.line, res.sku)] = res
    closed = conn.execute(
        select(t.ledger_meta.c.value).where(t.ledger_meta.c.key == "closed_until")
    ).scalar()
    state.closed_until = t.parse_utc(closed) if closed else None
    for (period,) in conn.execute(select(t.periods.c.period).order_by(t.periods.c.period)):
        state.periods[period] = {}
    pb = t.period_balances
    for period, sku, loc, qty in conn.execute(
        select(pb.c.period, pb.c.sku, pb.c.location, pb.c.qty)
    ):
        state.periods.setdefault(period, {})[(sku, loc)] = int(qty)
    return state


class SqlStockRepository(StockRepository):
    def __init__(
        self,
        conn: Connection,
        db: Database,
        *,
        lock: bool,
        cached: Callable[[], CatalogRows | None] | None = None,
    ) -> None:
        self._conn = conn
        self.state = SqlStockState(conn, db, lock=lock, cached=cached)
        self._book = StockBook(self.state)

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
        stmt = select(t.moves).where(t.moves.c.seq > since_seq).order_by(t.moves.c.seq)
        if sku is not None:
            stmt = stmt.where(t.moves.c.sku == sku)
        if location is not None:
            stmt = stmt.where(or_(t.moves.c.source == location, t.moves.c.dest == location))
        if until is not None:
            stmt = stmt.where(t.moves.c.at <= until)
        return [_move_from_row(r) for r in self._conn.execute(stmt).mappings()]

    def snapshot(self) -> StockState:
        return read_state(self._conn)

    def _balances_at(
        self, at: datetime, sku: str | None, warehouse: str | None
    ) -> dict[BalanceKey, int]:
        """Balances of stock locations at the end of ``at``: the latest
        snapshot at or before it plus the moves dated since, summed in SQL
        per (SKU, location).  Only stock locations (of ``warehouse`` when
        given) are read; the caller classifies them exactly."""
        conn = self._conn
        since = conn.execute(
            select(func.max(t.periods.c.period)).where(t.periods.c.period <= at)
        ).scalar()
        pb, mv = t.period_balances, t.moves.c

        def stock_only(column: Any) -> Any:
            if warehouse is None:
                return or_(column.like("%/stock"), column.like("%/stock/%"))
            home = stock_location(warehouse)
            return or_(column == home, column.startswith(f"{home}/", autoescape=True))

        window = [mv.at <= at]
        if since is not None:
            window.append(mv.at >= since)
        if sku is not None:
            window.append(mv.sku == sku)
        parts: list[Select[Any]] = [
            select(mv.sku, mv.dest.label("loc"), mv.qty.label("q")).where(
                *window, stock_only(mv.dest)
            ),
            select(mv.sku, mv.source.label("loc"), (-mv.qty).label("q")).where(
                *window, stock_only(mv.source)
            ),
        ]
        if since is not None:
            kept = [pb.c.period == since, stock_only(pb.c.location)]
            if sku is not None:
                kept.append(pb.c.sku == sku)
            parts.append(
                select(pb.c.sku, pb.c.location.label("loc"), pb.c.qty.label("q")).where(*kept)
            )
        moved = union_all(*parts).subquery()
        rows = conn.execute(
            select(moved.c.sku, moved.c.loc, func.sum(moved.c.q)).group_by(moved.c.sku, moved.c.loc)
        )
        return {(str(s), str(loc)): int(q) for s, loc, q in rows if q}

    def on_hand_at(self, sku: str, warehouse: str | None, at: datetime) -> int:
        at = require_utc("at", at)
        if warehouse is not None:
            self._book.warehouse(warehouse)
        return sellable_on_hand(self._balances_at(at, sku, warehouse), sku, warehouse)

    def report(
        self, warehouse: str | None = None, *, at: datetime | None = None
    ) -> list[StockLine]:
        if warehouse is not None:
            self._book.warehouse(warehouse)
        if at is not None:
            at = require_utc("at", at)
            return stock_lines_at(self._balances_at(at, None, warehouse), warehouse=warehouse)
        p = t.positions.c
        stmt = select(p.sku, p.warehouse, p.on_hand, p.reserved).where(
            or_(p.on_hand != 0, p.reserved != 0)
        )
        if warehouse is not None:
            stmt = stmt.where(p.warehouse == warehouse)
        on_hand: dict[WarehouseKey, int] = {}
        reserved: dict[WarehouseKey, int] = {}
        for sku, wh, have, held in self._conn.execute(stmt):
            on_hand[(sku, wh)] = int(have)
            reserved[(sku, wh)] = int(held)
        return stock_lines(on_hand, reserved, warehouse=warehouse)

    def _stored_and_derived(self) -> tuple[Projection, Projection]:
        conn = self._conn
        moved = union_all(
            select(t.moves.c.sku, t.moves.c.dest.label("loc"), t.moves.c.qty.label("q")),
            select(t.moves.c.sku, t.moves.c.source.label("loc"), (-t.moves.c.qty).label("q")),
        ).subquery()
        sums = conn.execute(
            select(moved.c.sku, moved.c.loc, func.sum(moved.c.q)).group_by(moved.c.sku, moved.c.loc)
        )
        reservations = [
            Reservation(r["order_id"], int(r["line"]), r["sku"], r["warehouse"], int(r["qty"]))
            for r in conn.execute(select(t.reservations)).mappings()
        ]
        derived = project((((sku, loc), int(q)) for sku, loc, q in sums), reservations)
        stored_bal = {
            (sku, loc): int(q)
            for sku, loc, q in conn.execute(
                select(t.balances.c.sku, t.balances.c.location, t.balances.c.qty)
            )
            if q
        }
        on_hand, reserved = {}, {}
        for r in conn.execute(select(t.positions)).mappings():
            if r["on_hand"]:
                on_hand[(r["sku"], r["warehouse"])] = int(r["on_hand"])
            if r["reserved"]:
                reserved[(r["sku"], r["warehouse"])] = int(r["reserved"])
        return Projection(stored_bal, on_hand, reserved), derived

    def verify(self) -> list[Discrepancy]:
        return compare(*self._stored_and_derived())

    def rebuild(self) -> int:
        stored, derived = self._stored_and_derived()
        problems = compare(stored, derived)
        conn = self._conn
        conn.execute(delete(t.balances))
        conn.execute(delete(t.positions))
        if derived.balances:
            conn.execute(
                insert(t.balances),
                [
                    {"sku": s, "location": loc, "qty": q}
                    for (s, loc), q in sorted(derived.balances.items())
                ],
            )
        keys = sorted(set(derived.on_hand) | set(derived.reserved))
        if keys:
            conn.execute(
                insert(t.positions),
                [
                    {
                        "sku": s,
                        "warehouse": w,
                        "on_hand": derived.on_hand.get((s, w), 0),
                        "reserved": derived.reserved.get((s, w), 0),
                    }
                    for s, w in keys
                ],
            )
        return len(problems)


# --- orders ----------------------------------------------------------------------------------


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


# --- documents ---------------------------------------------------------------------------------


class SqlDocumentRepository(DocumentRepository):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.stocktakes: dict[str, Stocktake] = {}
        self.transfers_seen: dict[str, Transfer] = {}

    def _find(self, table: Any, cache: dict[str, Any], cls: type[T], key: str) -> T | None:
        if key in cache:
            found: T = cache[key]
            return found
        row = self._conn.execute(select(table.c.data).where(table.c.id == key)).first()
        if row is None:
            return None
        doc = CONVERTER.loads(row[0], cls)
        cache[key] = doc
        return doc

    def add_stocktake(self, stocktake: Stocktake) -> None:
        if self.find_stocktake(stocktake.id) is not None:
            raise DuplicateError("stocktake", stocktake.id)
        self.stocktakes[stocktake.id] = stocktake

    def find_stocktake(self, stocktake_id: str) -> Stocktake | None:
        return self._find(t.stocktakes, self.stocktakes, Stocktake, stocktake_id)

    def add_transfer(self, transfer: Transfer) -> None:
        if self.find_transfer(transfer.id) is not None:
            raise DuplicateError("transfer", transfer.id)
        self.transfers_seen[transfer.id] = transfer

    def find_transfer(self, transfer_id: str) -> Transfer | None:
        return self._find(t.transfers, self.transfers_seen, Transfer, transfer_id)

    def transfers(self) -> Sequence[Transfer]:
        for (data,) in self._conn.execute(select(t.transfers.c.data)):
            doc = CONVERTER.loads(data, Transfer)
            self.transfers_seen.setdefault(doc.id, doc)
        return [self.transfers_seen[k] for k in sorted(self.transfers_seen)]

    def write(self, conn: Connection) -> None:
        for table, docs in ((t.stocktakes, self.stocktakes), (t.transfers, self.transfers_seen)):
            if not docs:
                continue
            ids = sorted(docs)
            conn.execute(delete(table).where(table.c.id.in_(ids)))
            conn.execute(insert(table), [{"id": k, "data": CONVERTER.dumps(docs[k])} for k in ids])


# --- the unit of work ----------------------------------------------------------------------------


class SqlUnitOfWork(UnitOfWork):
    """One transaction on a :class:`Database`."""

    catalog: SqlCatalogRepository
    stock: SqlStockRepository
    orders: SqlOrderRepository
    documents: SqlDocumentRepository
    idempotency: SqlIdempotencyRepository
    settings: SqlSettingsRepository

    def __init__(self, db: Database, *, readonly: bool = False) -> None:
        super().__init__()
        self.db = db
        self.readonly = readonly
        self._conn: Connection | None = None
        self._flushed_events: list[Event] = []

    def _begin(self) -> None:
        """Open the transaction.  A SQLite writer takes the database lock
        here: SQLite's busy handler waits for it with growing pauses, and
        should SQLite answer busy at once (it may, while another connection
        checkpoints or recovers the WAL) the whole ``BEGIN IMMEDIATE`` is
        tried again, with backoff, until the busy timeout has passed;
        then :class:`DatabaseLockedError`."""
        started = time.monotonic()
        pause = 0.01
        while True:
            try:
                conn = self._connect()
            except DatabaseLockedError:
                waited = time.monotonic() - started
                if self.readonly or waited + pause >= self.db.busy_timeout:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
                continue
            self._conn = conn
            self._fresh(conn)
            return

    def _connect(self) -> Connection:
        with translate_errors(self.db.url):
            conn = self.db.engine.connect()
            try:
                if self.readonly:
                    conn = conn.execution_options(ecerp_readonly=True)
                conn.begin()
            except BaseException:
                conn.close()
                raise
        return conn

    def _fresh(self, conn: Connection) -> None:
        lock = self.db.is_postgres and not self.readonly
        self.catalog = SqlCatalogRepository(conn, self.db.catalog_cache, self.db.bulk)
        self.stock = SqlStockRepository(
            conn, self.db, lock=lock, cached=self.catalog.source.cached_rows
        )
        self.orders = SqlOrderRepository(conn, self.db, lock=lock)
        self.documents = SqlDocumentRepository(conn)
        self.idempotency = SqlIdempotencyRepository(conn, self.db.clock_now)
        self.settings = SqlSettingsRepository(conn, self.catalog.source.versions)

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def _gather_events(self) -> list[Event]:
        events, self._flushed_events = self._flushed_events, []
        events.extend(self.stock.book().collect_events())
        for order in self.orders.touched():
            events.extend(order.collect_events())
        return events

    def flush(self) -> None:
        """Write this unit's changes so far into its open transaction without
        committing: its own later reads see them, no other connection does
        until :meth:`commit` (which then commits them with whatever follows);
        leaving the block without committing drops them.

        Raises:
            BackendError: the unit is read-only; a driver error, translated.
        """
        if self.readonly:
            raise BackendError("a read-only unit of work cannot write", url=self.db.url)
        self._flushed_events.extend(self._gather_events())
        self._write(self.connection)
        self._fresh(self.connection)

    def _write(self, conn: Connection) -> None:
        with translate_errors(self.db.url):
            self.catalog.write(conn)
            self.stock.state.write(self.stock.book().changes())
            self.orders.write(conn)
            self.documents.write(conn)
            self.idempotency.write(conn)
            self.settings.write(conn)

    def _commit(self) -> None:
        if self.readonly:
            raise BackendError("a read-only unit of work cannot commit", url=self.db.url)
        conn = self.connection
        self._write(conn)
        with translate_errors(self.db.url):
            stored = [e for e in self.pending_events if self.db.wants(e)] if self.db.outbox else []
            if stored:
                at = self.db.clock_now()
                conn.execute(
                    insert(t.outbox),
                    [
                        {"recorded_at": at, "kind": kind, "payload": payload, "delivered_at": None}
                        for kind, payload in map(dump_event, stored)
                    ],
                )
            conn.commit()
        # Work may go on in the same block: fresh repositories (what was just
        # written is now the committed base); the next statement begins a new
        # transaction (none is taken, nor the SQLite write lock, until then).
        self._fresh(conn)

    def _rollback(self) -> None:
        self._flushed_events = []
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
