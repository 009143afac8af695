"""The stock state machine (brief invariants 1-7) on the SQL backends.

The same :class:`StockMachine` as in memory; every run gets its own freshly
migrated database (a copy of a template SQLite file; a truncated PostgreSQL
database).  SQL runs are slower, so CI runs fewer examples here than the
200 of the in-memory machine (``SQL_EXAMPLES``); the differential machine
(``test_differential.py``) covers memory-vs-SQLite equality on top.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from sqlalchemy import text

from ecerp import ERP, open_erp
from ecerp.adapters.sql import make_engine
from ecerp.adapters.sql import schema as sql_schema
from properties.test_stock_machine import StockMachine, machine_settings
from sqlsupport import (
    drop_postgres_database,
    fresh_postgres_url,
    postgres_admin_url,
    running_in_ci,
    sqlite_url,
)

SQL_EXAMPLES = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 8

_template_dir = Path(tempfile.mkdtemp(prefix="ecerp-machine-"))
_TEMPLATE = Path(sqlite_url(_template_dir, "template.db").removeprefix("sqlite:///"))


class SqliteStockMachine(StockMachine):
    url = "sqlite:///"

    def make_erp(self) -> ERP:
        self._dir = Path(tempfile.mkdtemp(prefix="ecerp-run-"))
        target = self._dir / "run.db"
        shutil.copy(_TEMPLATE, target)
        return open_erp(f"sqlite:///{target}", clock=self.clock)

    def teardown(self) -> None:
        super().teardown()
        shutil.rmtree(self._dir, ignore_errors=True)


SqliteStockMachine.TestCase.settings = settings(machine_settings(), max_examples=SQL_EXAMPLES)
TestStockMachineSqlite = SqliteStockMachine.TestCase


class _Postgres:
    url: str | None = None

    @classmethod
    def database(cls) -> str:
        if cls.url is None:
            cls.url = fresh_postgres_url()
        return cls.url


class PostgresStockMachine(StockMachine):
    url = "postgresql://"

    def make_erp(self) -> ERP:
        url = _Postgres.database()
        db = make_engine(url)
        names = ", ".join(t.name for t in sql_schema.metadata.sorted_tables)
        with db.engine.connect() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            conn.commit()
        db.dispose()
        return open_erp(url, clock=self.clock)


PostgresStockMachine.TestCase.settings = settings(
    machine_settings(), max_examples=max(SQL_EXAMPLES // 2, 4)
)

if postgres_admin_url() is not None or running_in_ci():
    TestStockMachinePostgres = PostgresStockMachine.TestCase


def teardown_module() -> None:
    shutil.rmtree(_template_dir, ignore_errors=True)
    if _Postgres.url is not None:
        drop_postgres_database(_Postgres.url)
