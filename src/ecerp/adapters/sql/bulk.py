"""Hot statements straight to the driver.

A batch writes tens of thousands of rows per table.  Through SQLAlchemy's
expression layer every row's parameters are processed in Python (measured:
about 13% of a 20,000-order import on SQLite); here the SQL text is built
once per table and shape and the rows go as tuples to the driver's
``executemany``.  The hot queries of a unit of work (the catalog version,
orders by key, positions, reservations...) go the same way: a web shop's
order costs about twenty statements, and SQLAlchemy's Python per execution
(building the expression, its cache key, parameter and result processing)
was half of that order's time.

The SQL is the portable subset SQLite and PostgreSQL share (``INSERT ... ON
CONFLICT (...) DO UPDATE``), written with ``?`` marks, turned into ``%s`` for
PostgreSQL once per text.  Values must already be what the driver takes:
``str``, ``int`` or ``None`` (times formatted with
:func:`ecerp.adapters.sql.schema.format_utc`).  Driver errors leave already
translated, by the same :func:`ecerp.adapters.sql.errors.translate` that
SQLAlchemy's go through, so every path fails the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table

#: Turns a driver error raised by ``statement`` with ``params`` into the
#: error to raise (``None``: not a database error, raise it as it is).
Translate = Callable[[BaseException, str, Any], BaseException | None]


def _untranslated(err: BaseException, statement: str, params: Any) -> BaseException | None:
    return None


#: From how many rows an insert on PostgreSQL goes by ``COPY`` (one stream
#: instead of a statement per row: measured 5-10x faster for a batch).
COPY_MIN_ROWS = 100
#: Up to how many rows a unit's writes go in pipeline mode on PostgreSQL
#: (pipeline mode takes no ``COPY``; it pays where round trips dominate).
PIPELINE_MAX_ROWS = 100


class Bulk:
    """Driver statements for one database (its placeholder style)."""

    def __init__(self, *, postgres: bool, translate: Translate = _untranslated) -> None:
        self._postgres = postgres
        self._translate = translate
        self._mark = "%s" if postgres else "?"
        self._sql: dict[tuple[Any, ...], str] = {}
        self._texts: dict[str, str] = {}

    def _marks(self, n: int) -> str:
        return ", ".join([self._mark] * n)

    @staticmethod
    def marks(n: int) -> str:
        """``?, ?, ...``: ``n`` marks for an ``IN (...)`` list of a query."""
        return ", ".join(["?"] * n)

    def _text(self, sql: str) -> str:
        text = self._texts.get(sql)
        if text is None:
            text = self._texts[sql] = sql.replace("?", "%s") if self._postgres else sql
        return text

    def rows(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query written with ``?`` marks, run on the driver
        inside ``conn``'s transaction (begun if it is not yet)."""
        text = self._text(sql)
        with self._driver(conn, text, params) as cursor:
            self._execute(cursor, text, params)
            return list(cursor.fetchall())

    def execute(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement written with ``?`` marks (no rows wanted)."""
        text = self._text(sql)
        with self._driver(conn, text, params) as cursor:
            self._execute(cursor, text, params)

    def scalar(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (``None``: no row)."""
        found = self.rows(conn, sql, params)
        return found[0][0] if found else None

    def _execute(self, cursor: Any, text: str, params: Sequence[Any]) -> None:
        if self._postgres:
            # Not prepared: a prepared statement may switch to a generic plan
            # made while the table was small (a scan), and the IN lists here
            # differ in length and values on every call anyway.
            cursor.execute(text, params, prepare=False)
        else:
            cursor.execute(text, params)

    def _many(self, conn: Connection, text: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._driver(conn, text, rows) as cursor:
            cursor.executemany(text, rows)

    @contextmanager
    def pipelined(self, conn: Connection, *, rows: int) -> Iterator[None]:
        """Send the driver statements of the block without waiting for each
        answer (PostgreSQL's pipeline mode: one round trip to the server for
        a unit's writes instead of one per statement) when they write at most
        :data:`PIPELINE_MAX_ROWS` ``rows`` (more go by ``COPY``); nothing on
        SQLite, which has no round trips.  Errors surface at the block's end
        at the latest, translated, and once: the statements after the one
        that failed are not run, and the pipeline's own "pipeline aborted"
        (which psycopg would log as a warning for every such block) is
        collected here, never printed."""
        if not self._postgres or rows > PIPELINE_MAX_ROWS:
            yield
            return
        with self._driver(conn, "(pipeline)", None) as cursor:
            pipeline = cursor.connection.pipeline()
            pipeline.__enter__()
            try:
                yield
            except BaseException as err:
                self._end_aborted_pipeline(pipeline, conn, err)
                raise
            pipeline.__exit__(None, None, None)

    def _end_aborted_pipeline(self, pipeline: Any, conn: Connection, err: BaseException) -> None:
        """Leave pipeline mode after the block raised ``err``: the pending
        results are fetched (psycopg would log their error as "error ignored
        terminating"); when ``err`` only says the pipeline was aborted, the
        error that aborted it is raised instead."""
        dbapi = conn.dialect.loaded_dbapi
        try:
            pipeline.__exit__(None, None, None)
        except dbapi.Error as pending:
            if _aborted(err):
                raise (self._translate(pending, "(pipeline)", None) or pending) from pending
            return
        if _aborted(err):
            raise (self._translate(err, "(pipeline)", None) or err) from err

    def _copy(
        self, conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        text = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self._driver(conn, text, None) as cursor, cursor.copy(text) as copy:
            for row in rows:
                copy.write_row(row)

    def _big(self, conn: Connection, rows: Sequence[Any]) -> bool:
        """Whether ``rows`` go in one stream (``COPY``) rather than a
        statement each: on PostgreSQL, many of them, outside pipeline mode."""
        return self._postgres and len(rows) >= COPY_MIN_ROWS and not self._in_pipeline(conn)

    def _update_from_copy(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        where: str,
        rows: list[tuple[Any, ...]],
    ) -> None:
        temp = f"ecerp_update_{table.name}"
        names = [*columns, where]
        # the temporary table takes its column types from the table; it lives
        # until the commit (a second big update in the unit makes it anew)
        self.execute(conn, f"DROP TABLE IF EXISTS {temp}")
        self.execute(
            conn,
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
            f"SELECT {', '.join(names)} FROM {table.name} WITH NO DATA",
        )
        self._copy(conn, temp, names, rows)
        sets = ", ".join(f"{c} = {temp}.{c}" for c in columns)
        self.execute(
            conn,
            f"UPDATE {table.name} SET {sets} FROM {temp} "
            f"WHERE {table.name}.{where} = {temp}.{where}",
        )

    @staticmethod
    def _in_pipeline(conn: Connection) -> bool:
        return bool(conn.connection.dbapi_connection.pgconn.pipeline_status)  # type: ignore[union-attr]

    @contextmanager
    def _driver(self, conn: Connection, text: str, params: Any) -> Iterator[Any]:
        """A driver cursor inside ``conn``'s transaction; driver errors are
        raised as SQLAlchemy raises them (for ``translate_errors``)."""
        cursor = self._cursor(conn)
        try:
            yield cursor
        except Exception as err:
            if _aborted(err):
                raise  # the pipeline's end raises what aborted it
            translated = self._translate(err, text, params)
            if translated is None:
                raise
            raise translated from err
        finally:
            cursor.close()

    @staticmethod
    def _cursor(conn: Connection) -> Any:
        if not conn.in_transaction():
            conn.begin()  # as SQLAlchemy's autobegin would (BEGIN IMMEDIATE on SQLite)
        return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def insert(
        self, conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """``INSERT INTO table (columns) VALUES (...)`` for every row."""
        if not rows:
            return
        if self._big(conn, rows):
            self._copy(conn, table.name, columns, rows)
            return
        key = ("insert", table.name, tuple(columns))
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({self._marks(len(columns))})"
            )
        self._many(conn, sql, rows)

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
        self._many(conn, sql, rows)

    def update(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        where: str,
        rows: list[tuple[Any, ...]],
    ) -> None:
        """``UPDATE table SET columns... WHERE where = ?``; each row is the
        new values followed by the ``where`` value.  Many rows on PostgreSQL:
        copied into a temporary table, then one ``UPDATE ... FROM`` it."""
        if not rows:
            return
        if self._big(conn, rows):
            self._update_from_copy(conn, table, columns, where, rows)
            return
        key = ("update", table.name, tuple(columns), where)
        sql = self._sql.get(key)
        if sql is None:
            sets = ", ".join(f"{c} = {self._mark}" for c in columns)
            sql = self._sql[key] = f"UPDATE {table.name} SET {sets} WHERE {where} = {self._mark}"
        self._many(conn, sql, rows)

    def delete(self, conn: Connection, table: Table, where: str, values: Sequence[Any]) -> None:
        """``DELETE FROM table WHERE where = ?`` for each value (many on
        PostgreSQL: one statement, ``where = ANY(array)``)."""
        if not values:
            return
        if self._big(conn, values):
            self.execute(conn, f"DELETE FROM {table.name} WHERE {where} = ANY(?)", (list(values),))
            return
        key = ("delete", table.name, where)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = f"DELETE FROM {table.name} WHERE {where} = {self._mark}"
        self._many(conn, sql, [(v,) for v in values])


def _aborted(err: BaseException) -> bool:
    """Whether ``err`` is (or was caused by) psycopg's "pipeline aborted":
    the consequence of an earlier statement's error, not an error of its own."""
    cause: BaseException | None = err
    while cause is not None:
        if type(cause).__name__ == "PipelineAborted":
            return True
        cause = cause.__cause__
    return False
