"""The ceiling: raw ``sqlite3`` writing the rows ecerp's SQLite backend writes.

Every SQLite figure of the benchmark is reported as a ratio to what plain
``sqlite3`` ``executemany`` achieves with the same rows on the same machine,
in the same run.  The tables mirror ecerp's schema (``orders``,
``reservations``, ``moves``, ``balances``, ``positions``, with the same keys
and indexes) and the connection uses ecerp's settings (WAL journal,
``synchronous=NORMAL``, ``BEGIN IMMEDIATE``).

Per order, three row sets:

``ledger`` (the ledger rows and balance updates of shipping it)
    per shipped SKU 1 ``moves`` insert, 2 ``balances`` upserts (stock
    ``-q``, customer ``+q``) and 1 ``positions`` update
    (``on_hand -= q, reserved -= q``).

``reserve`` (what import + allocate must write)
    1 ``orders`` insert (a JSON document of the order), one ``reservations``
    insert and one ``positions`` update (``reserved += q``) per required
    (line, SKU), 1 ``orders`` status update.

``full`` (create, reserve and ship: the full cycle)
    ``reserve`` + ``ledger``, the order's reservations deleted, and 1 more
    ``orders`` status update.

Rows are built before the clock starts: the figure is the database's cost
alone, with no decisions (every order takes the first warehouse, no
availability is checked).  ``bulk`` writes all orders in one transaction, one
``executemany`` per statement; ``per_order`` commits a transaction per order.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from benchmarks.workload import RawOrder, Workload

DDL = """
CREATE TABLE orders (
    id VARCHAR(700) PRIMARY KEY, channel VARCHAR(200) NOT NULL, shop VARCHAR(200) NOT NULL,
    external_id VARCHAR(200) NOT NULL, status VARCHAR(20) NOT NULL, data TEXT NOT NULL,
    CONSTRAINT uq_orders_channel_key UNIQUE (channel, shop, external_id));
CREATE INDEX ix_orders_status ON orders (status);
CREATE TABLE moves (
    seq BIGINT PRIMARY KEY, sku VARCHAR(200) NOT NULL, source VARCHAR(300) NOT NULL,
    dest VARCHAR(300) NOT NULL, qty INTEGER NOT NULL, reason VARCHAR(40) NOT NULL,
    document VARCHAR(300) NOT NULL, actor VARCHAR(200) NOT NULL, at VARCHAR(32) NOT NULL,
    note TEXT NOT NULL);
CREATE INDEX ix_moves_sku_seq ON moves (sku, seq);
CREATE INDEX ix_moves_at ON moves (at);
CREATE TABLE balances (
    sku VARCHAR(200) NOT NULL, location VARCHAR(300) NOT NULL, qty BIGINT NOT NULL,
    PRIMARY KEY (sku, location));
CREATE TABLE positions (
    sku VARCHAR(200) NOT NULL, warehouse VARCHAR(200) NOT NULL, on_hand BIGINT NOT NULL,
    reserved BIGINT NOT NULL, PRIMARY KEY (sku, warehouse));
CREATE TABLE reservations (
    order_id VARCHAR(700) NOT NULL, line INTEGER NOT NULL, sku VARCHAR(200) NOT NULL,
    warehouse VARCHAR(200) NOT NULL, qty BIGINT NOT NULL, PRIMARY KEY (order_id, line, sku));
CREATE INDEX ix_reservations_sku_warehouse ON reservations (sku, warehouse);
"""

INSERT_ORDER = "INSERT INTO orders VALUES (?, ?, ?, ?, 'ready', ?)"
SET_STATUS = "UPDATE orders SET status = ? WHERE id = ?"
INSERT_RESERVATION = "INSERT INTO reservations VALUES (?, ?, ?, ?, ?)"
RESERVE = "UPDATE positions SET reserved = reserved + ? WHERE sku = ? AND warehouse = ?"
INSERT_MOVE = "INSERT INTO moves VALUES (?, ?, ?, '@customer', ?, 'shipment', ?, 'system', ?, '')"
ADD_BALANCE = (
    "INSERT INTO balances VALUES (?, ?, ?) "
    "ON CONFLICT (sku, location) DO UPDATE SET qty = qty + excluded.qty"
)
SHIP = (
    "UPDATE positions SET on_hand = on_hand - ?, reserved = reserved - ? "
    "WHERE sku = ? AND warehouse = ?"
)
DELETE_RESERVATIONS = "DELETE FROM reservations WHERE order_id = ?"

Rows = dict[str, list[tuple[Any, ...]]]


def connect(path: str) -> sqlite3.Connection:
    """A connection set up as ecerp sets up its own."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def prepare(path: str, workload: Workload) -> None:
    """A fresh database with the schema and the stocked positions and balances."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    conn = connect(path)
    conn.executescript(DDL)
    conn.execute("BEGIN IMMEDIATE")
    stock = workload.stock()
    conn.executemany(
        "INSERT INTO positions VALUES (?, ?, ?, 0)",
        [(sku, wh, qty) for wh, per_sku in stock.items() for sku, qty in per_sku.items()],
    )
    conn.executemany(
        "INSERT INTO balances VALUES (?, ?, ?)",
        [
            (sku, f"{wh}/stock", qty)
            for wh, per_sku in stock.items()
            for sku, qty in per_sku.items()
        ],
    )
    conn.execute("COMMIT")
    conn.close()


ROW_SETS = ("ledger", "reserve", "full")


def order_rows(order: RawOrder, warehouse: str, seq: int, rows_of: str) -> tuple[Rows, int]:
    """The rows of one order in row set ``rows_of``; returns them and the
    next move number."""
    oid = f"{order.shop.channel}/{order.shop.code}/{order.external_id}"
    rows: Rows = {}
    if rows_of in ("reserve", "full"):
        doc = json.dumps(
            {
                "id": oid,
                "currency": order.shop.currency,
                "ordered_at": order.ordered_at.isoformat(),
                "country": order.country,
                "lines": [
                    [i, ln.listing_sku, ln.qty, str(ln.unit_price), str(ln.discount)]
                    for i, ln in enumerate(order.lines, 1)
                ],
                "requirements": [[line, sku, q] for (line, sku), q in order.requirements.items()],
            }
        )
        rows[INSERT_ORDER] = [(oid, order.shop.channel, order.shop.code, order.external_id, doc)]
        rows[INSERT_RESERVATION] = [
            (oid, line, sku, warehouse, q) for (line, sku), q in order.requirements.items()
        ]
        rows[RESERVE] = [(q, sku, warehouse) for (_, sku), q in order.requirements.items()]
        rows[SET_STATUS] = [("allocated", oid)]
    if rows_of in ("ledger", "full"):
        per_sku: dict[str, int] = {}
        for (_, sku), q in order.requirements.items():
            per_sku[sku] = per_sku.get(sku, 0) + q
        at = datetime(2026, 3, 2, 12, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
        moves, balances, ships = [], [], []
        for sku, q in sorted(per_sku.items()):
            moves.append((seq, sku, f"{warehouse}/stock", q, oid, at))
            seq += 1
            balances += [(sku, f"{warehouse}/stock", -q), (sku, "@customer", q)]
            ships.append((q, q, sku, warehouse))
        rows[INSERT_MOVE] = moves
        rows[ADD_BALANCE] = balances
        rows[SHIP] = ships
    if rows_of == "full":
        rows[DELETE_RESERVATIONS] = [(oid,)]
        rows[SET_STATUS] = [("allocated", oid), ("shipped", oid)]
    return rows, seq


#: Statement order within a transaction (and within one order's rows).
ORDER = (
    INSERT_ORDER,
    INSERT_RESERVATION,
    RESERVE,
    INSERT_MOVE,
    ADD_BALANCE,
    SHIP,
    DELETE_RESERVATIONS,
    SET_STATUS,
)


def _all_rows(
    orders: Iterable[RawOrder], warehouse: str, rows_of: str
) -> tuple[list[Rows], int, int]:
    per_order, seq, n_rows = [], 1, 0
    for order in orders:
        rows, seq = order_rows(order, warehouse, seq, rows_of)
        per_order.append(rows)
        n_rows += sum(len(v) for v in rows.values())
    return per_order, len(per_order), n_rows


def bulk(
    path: str, workload: Workload, orders: Iterable[RawOrder], *, rows_of: str
) -> dict[str, Any]:
    """All orders in one transaction, one ``executemany`` per statement."""
    prepare(path, workload)
    warehouse = workload.warehouses[0].code
    per_order, n, n_rows = _all_rows(orders, warehouse, rows_of)
    merged: Rows = {stmt: [] for stmt in ORDER}
    for rows in per_order:
        for stmt, values in rows.items():
            merged[stmt].extend(values)
    # Statuses: every "allocated" update before every "shipped" one.
    merged[SET_STATUS].sort(key=lambda r: r[0] != "allocated")
    conn = connect(path)
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for stmt in ORDER:
        if merged[stmt]:
            conn.executemany(stmt, merged[stmt])
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return _figure(n, n_rows, seconds)


def per_order(
    path: str, workload: Workload, orders: Iterable[RawOrder], *, rows_of: str
) -> dict[str, Any]:
    """One transaction per order."""
    prepare(path, workload)
    warehouse = workload.warehouses[0].code
    all_rows, n, n_rows = _all_rows(orders, warehouse, rows_of)
    conn = connect(path)
    started = time.perf_counter()
    for rows in all_rows:
        conn.execute("BEGIN IMMEDIATE")
        for stmt in ORDER:
            values = rows.get(stmt)
            if values:
                conn.executemany(stmt, values)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return _figure(n, n_rows, seconds)


def _figure(n: int, n_rows: int, seconds: float) -> dict[str, Any]:
    return {
        "orders": n,
        "rows": n_rows,
        "seconds": round(seconds, 4),
        "orders_per_s": round(n / seconds, 1) if seconds > 0 else None,
    }


def run(workload: Workload, directory: str) -> dict[str, Any]:
    """Every ceiling figure: bulk and per order, for each row set.

    Bulk uses the batch orders; per order uses the single-order stream (as
    many orders as the one-per-call scenario sends).
    """
    path = os.path.join(directory, "ceiling.db")
    single = workload.size.single_orders
    result: dict[str, Any] = {"bulk": {}, "per_order": {}}
    for rows_of in ROW_SETS:
        result["bulk"][rows_of] = bulk(path, workload, workload.raw_orders(), rows_of=rows_of)
        result["per_order"][rows_of] = per_order(
            path, workload, workload.raw_orders(single, stream="S"), rows_of=rows_of
        )
    result["sqlite_version"] = sqlite3.sqlite_version
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return result


__all__ = ["ROW_SETS", "bulk", "per_order", "prepare", "run"]
