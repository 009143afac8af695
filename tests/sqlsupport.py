"""Helpers for tests of the SQL backends: fresh SQLite files and PostgreSQL
databases, each with the ecerp schema (or deliberately without it).

PostgreSQL tests need ``ECERP_TEST_POSTGRES_URL``: a URL to an *admin*
database of a server where the user may ``CREATE DATABASE`` (``.ci/run``
starts a throwaway cluster and sets it), e.g.::

    ECERP_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Each test gets its own uniquely named database, dropped afterwards.  Without
the variable those tests skip, saying why; with ``CI=true`` they fail,
because CI must never pass by skipping PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from ecerp import ERP, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database

POSTGRES_ENV = "ECERP_TEST_POSTGRES_URL"
DATABASE_PREFIX = "ecerp_test_"

MISSING_POSTGRES = (
    f"PostgreSQL tests need {POSTGRES_ENV}=postgresql+psycopg://USER@HOST:PORT/postgres "
    "(a database where USER may CREATE DATABASE); .ci/run starts a throwaway cluster and sets it"
)


# --- the command line ------------------------------------------------------------------


def run_cli(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """``python -m ecerp ARGS`` in a fresh interpreter (exit code, stdout, stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "ecerp", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with exit code 2 and a single ``ecerp: ...`` line
    (no traceback) mentioning every one of ``words``; returns that line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ecerp: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- SQLite --------------------------------------------------------------------------------


def sqlite_url(tmp_path: Path, name: str = "ecerp.db", *, upgrade: bool = True) -> str:
    """A SQLite file in ``tmp_path`` with the ecerp schema at head (or, with
    ``upgrade=False``, a URL naming a file that does not exist yet)."""
    path = tmp_path / name
    if path.exists():
        raise FileExistsError(path)
    url = f"sqlite:///{path}"
    if upgrade:
        upgrade_database(url)
    return url


def sqlite_path(url: str) -> Path:
    """The file a ``sqlite:///`` URL names."""
    database = make_url(url).database
    if not database:
        raise ValueError(f"{url} names no file")
    return Path(database)


def run_sql(url: str, *statements: str) -> list[list[tuple[Any, ...]]]:
    """Run raw SQL on the database ``url`` names, in one committed
    transaction, behind ecerp's back (to tamper, stamp or look); returns
    each statement's rows."""
    engine = create_engine(_sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            found = []
            for statement in statements:
                result = conn.execute(text(statement))
                found.append([tuple(row) for row in result] if result.returns_rows else [])
            return found
    finally:
        engine.dispose()


def table_columns(url: str) -> dict[str, set[str]]:
    """Every table in the database and its column names."""
    engine = create_engine(_sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            return {
                name: {col["name"] for col in found.get_columns(name)}
                for name in found.get_table_names()
            }
    finally:
        engine.dispose()


# --- PostgreSQL ----------------------------------------------------------------------------


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_admin_url() -> str | None:
    """The admin URL from ``ECERP_TEST_POSTGRES_URL`` (``None`` when unset)."""
    value = os.environ.get(POSTGRES_ENV, "").strip()
    return value or None


def require_postgres_admin_url() -> str:
    """The admin URL, or skip the test (fail it under ``CI=true``)."""
    url = postgres_admin_url()
    if url is None:
        if running_in_ci():
            pytest.fail(f"CI=true but PostgreSQL is not configured: {MISSING_POSTGRES}")
        pytest.skip(MISSING_POSTGRES)
    return url


def _sqlalchemy_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _admin_execute(admin_url: str, statement: str) -> None:
    engine = create_engine(_sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def admin_execute(statement: str, admin_url: str | None = None) -> None:
    """Run one statement (outside a transaction) on the admin database."""
    _admin_execute(admin_url or require_postgres_admin_url(), statement)


def database_url(admin_url: str, database: str) -> str:
    """The admin URL with another database name (password kept)."""
    return _sqlalchemy_url(admin_url).set(database=database).render_as_string(hide_password=False)


def create_postgres_database(admin_url: str | None = None) -> str:
    """CREATE a uniquely named, empty database; returns its URL."""
    admin = admin_url or require_postgres_admin_url()
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    _admin_execute(admin, f'CREATE DATABASE "{name}"')
    return database_url(admin, name)


def fresh_postgres_url(admin_url: str | None = None, *, upgrade: bool = True) -> str:
    """A new database with the ecerp schema at head (empty with ``upgrade=False``).
    Drop it with :func:`drop_postgres_database`."""
    url = create_postgres_database(admin_url)
    if upgrade:
        try:
            upgrade_database(url)
        except BaseException:
            drop_postgres_database(url, admin_url)
            raise
    return url


def drop_postgres_database(url: str, admin_url: str | None = None) -> None:
    """DROP the database ``url`` names, disconnecting whoever is still on it."""
    name = make_url(url).database
    if not name or not name.startswith(DATABASE_PREFIX):
        raise ValueError(f"refusing to drop {name!r}: not a test database")
    admin = admin_url or postgres_admin_url()
    if admin is None:
        raise RuntimeError(f"{POSTGRES_ENV} is not set")
    _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_database(*, upgrade: bool = True) -> Iterator[str]:
    """A fresh database for the ``with`` block, dropped afterwards."""
    url = fresh_postgres_url(upgrade=upgrade)
    try:
        yield url
    finally:
        drop_postgres_database(url)


__all__ = [
    "MISSING_POSTGRES",
    "POSTGRES_ENV",
    "admin_execute",
    "assert_one_line_error",
    "create_postgres_database",
    "database_url",
    "drop_postgres_database",
    "fresh_postgres_url",
    "postgres_admin_url",
    "postgres_database",
    "require_postgres_admin_url",
    "run_sql",
    "run_cli",
    "running_in_ci",
    "sqlite_path",
    "sqlite_url",
    "table_columns",
]


# --- one fresh ERP per hypothesis example ---------------------------------------------------


@contextmanager
def fresh_erp(backend: str, template: Path, start: datetime) -> Iterator[ERP]:
    """A new, empty ERP with a simulated clock at ``start``: in memory, or on
    a copy of ``template`` (an empty SQLite file already at the current
    schema, so no example pays for the migrations)."""
    if backend == "memory":
        with open_erp("memory://", clock=SimulatedClock(start)) as erp:
            yield erp
        return
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "shop.db"
        shutil.copyfile(template, path)
        with open_erp(f"sqlite:///{path}", clock=SimulatedClock(start)) as erp:
            yield erp


def migrated_template(directory: Path) -> Path:
    """An empty SQLite database at the current schema in ``directory``."""
    path = directory / "empty.db"
    upgrade_database(f"sqlite:///{path}")
    return path
