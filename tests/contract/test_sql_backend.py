"""The SQL backends pass the same persistence contract suite as memory.

SQLite: each test gets a copy of a freshly migrated database file.
PostgreSQL (when ``ECERP_TEST_POSTGRES_URL`` is set; required under CI): one
migrated database per session, emptied before each test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ecerp import open_erp
from ecerp.adapters.sql import Database, SqlUnitOfWork, make_engine
from ecerp.adapters.sql import schema as sql_schema
from ecerp.adapters.sql.outbox import SqlDeadLetters
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts import (
    BackendContract,
    ErpOpener,
    IdempotencyContract,
    InventoryContract,
    ReliabilityContract,
    UnmappedEditsContract,
    UowFactory,
)
from sqlsupport import (
    drop_postgres_database,
    fresh_postgres_url,
    require_postgres_admin_url,
    sqlite_url,
)


def _reopener(url: str) -> Iterator[Callable[[], UowFactory]]:
    engines: list[Database] = []

    def reopen() -> UowFactory:
        db = make_engine(url)
        engines.append(db)
        return lambda: SqlUnitOfWork(db)

    yield reopen
    for db in engines:
        db.dispose()


def _reader(uow_factory: UowFactory) -> UowFactory:
    """Read-only units on the database ``uow_factory``'s units use."""

    def reader() -> UnitOfWork:
        uow = uow_factory()
        assert isinstance(uow, SqlUnitOfWork)
        return SqlUnitOfWork(uow.db, readonly=True)

    return reader


def _flush(uow: UnitOfWork) -> None:
    assert isinstance(uow, SqlUnitOfWork)
    uow.flush()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    url = sqlite_url(tmp_path_factory.mktemp("template"), "template.db")
    return Path(url.removeprefix("sqlite:///"))


class TestSqliteBackend(
    BackendContract,
    IdempotencyContract,
    ReliabilityContract,
    InventoryContract,
    UnmappedEditsContract,
):
    @pytest.fixture
    def database_url(self, sqlite_template: Path, tmp_path: Path) -> str:
        target = tmp_path / "contract.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"

    @pytest.fixture
    def uow_factory(self, database_url: str) -> Iterator[UowFactory]:
        db = make_engine(database_url)
        yield lambda: SqlUnitOfWork(db)
        db.dispose()

    @pytest.fixture
    def reopen_uow_factory(self, database_url: str) -> Iterator[Callable[[], UowFactory]]:
        """A new engine on the same file: what another process would see."""
        yield from _reopener(database_url)

    @pytest.fixture
    def erp_opener(self, database_url: str) -> ErpOpener:
        return lambda **options: open_erp(database_url, **options)

    @pytest.fixture
    def dead_letters(self, database_url: str) -> Iterator[SqlDeadLetters]:
        db = make_engine(database_url)
        yield SqlDeadLetters(db)
        db.dispose()

    @pytest.fixture
    def read_uow_factory(self, uow_factory: UowFactory) -> UowFactory:
        """A reader on its own connection (WAL: it does not wait for the
        writer's lock, and reads the last committed state)."""
        return _reader(uow_factory)

    @pytest.fixture
    def flush_unit(self) -> Callable[[UnitOfWork], None]:
        return _flush


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    require_postgres_admin_url()
    url = fresh_postgres_url()
    yield url
    drop_postgres_database(url)


def _empty(db: Database) -> None:
    names = ", ".join(t.name for t in sql_schema.metadata.sorted_tables)
    with db.engine.connect() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        conn.commit()


class TestPostgresBackend(
    BackendContract,
    IdempotencyContract,
    ReliabilityContract,
    InventoryContract,
    UnmappedEditsContract,
):
    @pytest.fixture
    def uow_factory(self, postgres_session_url: str) -> Iterator[UowFactory]:
        db = make_engine(postgres_session_url)
        _empty(db)
        yield lambda: SqlUnitOfWork(db)
        db.dispose()

    @pytest.fixture
    def reopen_uow_factory(self, postgres_session_url: str) -> Iterator[Callable[[], UowFactory]]:
        yield from _reopener(postgres_session_url)

    @pytest.fixture
    def erp_opener(self, postgres_session_url: str, uow_factory: UowFactory) -> ErpOpener:
        # uow_factory emptied the database for this test
        return lambda **options: open_erp(postgres_session_url, **options)

    @pytest.fixture
    def dead_letters(
        self, postgres_session_url: str, uow_factory: UowFactory
    ) -> Iterator[SqlDeadLetters]:
        db = make_engine(postgres_session_url)
        yield SqlDeadLetters(db)
        db.dispose()

    @pytest.fixture
    def read_uow_factory(self, uow_factory: UowFactory) -> UowFactory:
        """A second session."""
        return _reader(uow_factory)

    @pytest.fixture
    def flush_unit(self) -> Callable[[UnitOfWork], None]:
        return _flush
