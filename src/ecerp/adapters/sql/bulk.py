"""Many rows in one statement, straight to the driver.

A batch writes tens of thousands of rows per table.  Through SQLAlchemy's
expression layer every row's parameters are processed in Python (measured:
about 13% of a 20,000-order import on SQLite); here the SQL text is built
once per table and shape and the rows go as tuples to the driver's
``executemany``.  The SQL is the portable subset SQLite and PostgreSQL share
(``INSERT ... ON CONFLICT (...) DO UPDATE``).  Values must already be what
the driver takes: ``str``, ``int`` or ``None`` (times formatted with
:func:`ecerp.adapters.sql.schema.format_utc`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


class Bulk:
    """Bulk statements for one database (its placeholder style)."""

    def __init__(self, *, postgres: bool) -> None:
        self._mark = "%s" if postgres else "?"
        self._sql: dict[tuple[Any, ...], str] = {}

    def _marks(self, n: int) -> str:
        return ", ".join([self._mark] * n)

    def insert(
        self, conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """``INSERT INTO table (columns) VALUES (...)`` for every row."""
        if not rows:
            return
        key = ("insert", table.name, tuple(columns))
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({self._marks(len(columns))})"
            )
        conn.exec_driver_sql(sql, rows)

    def add(
        self,
        conn: Connection,
        table: Table,
        keys: Sequence[str],
        deltas: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Insert ``(*keys, *deltas)`` rows, or add the deltas to the row
        that has those keys."""
        if not rows:
            return
        key = ("add", table.name, tuple(keys), tuple(deltas))
        sql = self._sql.get(key)
        if sql is None:
            columns = [*keys, *deltas]
            updates = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in deltas)
            sql = self._sql[key] = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({self._marks(len(columns))}) "
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
            )
        conn.exec_driver_sql(sql, rows)

    def update(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        where: str,
        rows: list[tuple[Any, ...]],
    ) -> None:
        """``UPDATE table SET columns... WHERE where = ?``; each row is the
        new values followed by the ``where`` value."""
        if not rows:
            return
        key = ("update", table.name, tuple(columns), where)
        sql = self._sql.get(key)
        if sql is None:
            sets = ", ".join(f"{c} = {self._mark}" for c in columns)
            sql = self._sql[key] = f"UPDATE {table.name} SET {sets} WHERE {where} = {self._mark}"
        conn.exec_driver_sql(sql, rows)

    def delete(self, conn: Connection, table: Table, where: str, values: Sequence[Any]) -> None:
        """``DELETE FROM table WHERE where = ?`` for each value."""
        if not values:
            return
        key = ("delete", table.name, where)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = f"DELETE FROM {table.name} WHERE {where} = {self._mark}"
        conn.exec_driver_sql(sql, [(v,) for v in values])
