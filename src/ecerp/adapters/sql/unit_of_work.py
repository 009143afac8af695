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

from sqlalchemy import (
    Connection,
    insert,
)

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.catalog import SqlCatalogRepository
from ecerp.adapters.sql.database import Database, DatabaseLockedError, translate_errors
from ecerp.adapters.sql.documents import SqlDocumentRepository
from ecerp.adapters.sql.idempotency import SqlIdempotencyRepository
from ecerp.adapters.sql.inventory import SqlStockRepository
from ecerp.adapters.sql.orders import SqlOrderRepository
from ecerp.adapters.sql.serialization import dump_event
from ecerp.adapters.sql.settings import SqlSettingsRepository
from ecerp.domain.shared.errors import BackendError
from ecerp.domain.shared.events import Event
from ecerp.ports.unit_of_work import UnitOfWork


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
