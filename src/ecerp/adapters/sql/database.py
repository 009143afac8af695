"""Opening a SQL database: URLs, connection settings, errors, schema checks.

Supported URLs:

* ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` — the
  embedded default.  WAL journal, ``BEGIN IMMEDIATE`` transactions, a busy
  timeout (``?timeout=30`` seconds by default).
* ``postgresql+psycopg://user:password@host:port/dbname`` (also
  ``postgresql://``, which means psycopg 3 here) — for several processes.

Driver exceptions never escape: :func:`translate_errors` turns them into
:class:`~ecerp.domain.shared.errors.BackendError` subclasses that name the problem,
or :class:`~ecerp.domain.shared.errors.ConcurrencyError` when a command lost a race
and may be retried.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ecerp.adapters.sql import schema
from ecerp.adapters.sql.bulk import Bulk
from ecerp.adapters.sql.catalog_cache import CatalogCache
from ecerp.adapters.sql.errors import (
    AuthenticationError as AuthenticationError,
)
from ecerp.adapters.sql.errors import (
    DatabaseLockedError as DatabaseLockedError,
)
from ecerp.adapters.sql.errors import (
    DatabaseUnreachableError as DatabaseUnreachableError,
)
from ecerp.adapters.sql.errors import (
    SchemaError as SchemaError,
)
from ecerp.adapters.sql.errors import safe_url, translate
from ecerp.domain.shared.errors import (
    BackendError,
    EcerpError,
    MissingDependencyError,
    UnsupportedUrlError,
)
from ecerp.domain.shared.events import Event

SCHEMES = ("sqlite:///", "postgresql+psycopg://", "postgresql://")


_safe = safe_url


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn driver errors raised in the block into ecerp errors naming the
    problem (see :func:`ecerp.adapters.sql.errors.translate`)."""
    try:
        yield
    except EcerpError:
        raise
    except Exception as err:
        translated = translate(err, url)
        if translated is None:
            raise
        raise translated from err


@attrs.define
class Database:
    """An engine plus what the adapter needs to know about it."""

    url: str
    engine: Engine
    is_postgres: bool
    outbox_filter: Callable[[Event], bool] | None = None
    """Which events the unit of work stores in the outbox (those something
    takes, see ``MessageBus.wants``); ``None``: none."""
    busy_timeout: float = 30.0
    """SQLite: seconds a writer waits for the database lock (``?timeout=``)
    before :class:`DatabaseLockedError`."""
    catalog_cache: CatalogCache = attrs.field(factory=CatalogCache)
    """Committed catalog rows shared by this database's units of work."""
    bulk: Bulk = attrs.field(init=False)
    """Many-row statements in this database's placeholder style."""

    def __attrs_post_init__(self) -> None:
        url = self.url

        def translated(err: BaseException, statement: str, params: Any) -> EcerpError | None:
            return translate(err, url, statement=statement, params=params)

        self.bulk = Bulk(postgres=self.is_postgres, translate=translated)
        _translate_engine_errors(self.engine, url)

    @property
    def outbox(self) -> bool:
        return self.outbox_filter is not None

    def wants(self, event: Event) -> bool:
        return self.outbox_filter is not None and self.outbox_filter(event)

    @property
    def is_sqlite(self) -> bool:
        return not self.is_postgres

    def clock_now(self) -> datetime:
        return datetime.now(UTC)

    def read(self) -> Connection:
        """A connection for reading only: on SQLite its transaction is a plain
        ``BEGIN`` (a WAL snapshot that never waits for, nor blocks, a writer),
        not ``BEGIN IMMEDIATE``; roll it back (leaving its ``with`` does)."""
        return self.engine.connect().execution_options(ecerp_readonly=True)

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, *, busy_timeout: float = 30.0) -> Database:
    """Build (but do not yet connect) the engine for ``url``.

    Raises:
        UnsupportedUrlError: not a sqlite or postgresql URL.
    """
    if not url.startswith(SCHEMES):
        raise UnsupportedUrlError(url, ("memory://", *SCHEMES))
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedUrlError(url, ("memory://", *SCHEMES)) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.drivername.startswith("sqlite"):
            raw = parsed.query.get("timeout", busy_timeout)
            try:
                timeout = float(raw)  # type: ignore[arg-type]
            except ValueError:
                raise BackendError(
                    f"{_safe(url)}: timeout={raw!r} must be a number of seconds",
                    url=_safe(url),
                    field="timeout",
                    value=raw,
                ) from None
            parsed = parsed.difference_update_query(["timeout"])
            engine = create_engine(
                parsed, connect_args={"timeout": timeout, "check_same_thread": False}
            )
            _sqlite_setup(engine, timeout)
            return Database(url, engine, is_postgres=False, busy_timeout=timeout)
        engine = create_engine(
            parsed,
            isolation_level="READ COMMITTED",
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10},
        )
        return Database(url, engine, is_postgres=True)
    except ImportError as err:
        raise MissingDependencyError(
            err.name or "psycopg", "postgres" if "psycopg" in str(err) else "sql", "PostgreSQL"
        ) from err
    except (NoSuchModuleError, ArgumentError) as err:
        raise UnsupportedUrlError(url, ("memory://", *SCHEMES)) from err


def _translate_engine_errors(engine: Engine, url: str) -> None:
    """Every error SQLAlchemy sees on ``engine`` (statements, ``BEGIN``,
    commit, rollback, connecting) leaves it already translated."""

    @event.listens_for(engine, "handle_error")
    def on_error(ctx: ExceptionContext) -> BaseException | None:
        return translate(
            ctx.original_exception, url, statement=ctx.statement, params=ctx.parameters
        )


def _sqlite_setup(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # Writers take the database lock up front (they queue, up to the busy
        # timeout, instead of failing halfway); readers share a WAL snapshot.
        readonly = conn.get_execution_options().get("ecerp_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def current_revision(db: Database) -> str | None:
    """The schema revision stored in the database (``None``: no ecerp schema).
    A read: it never takes SQLite's write lock."""
    with translate_errors(db.url), db.read() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


def is_empty(db: Database) -> bool:
    """Whether the database has no tables at all (SQLite: or no file yet)."""
    path = db.engine.url.database
    if db.is_sqlite and path and path != ":memory:" and not os.path.exists(path):
        return True
    with translate_errors(db.url), db.read() as conn:
        return not inspect(conn).get_table_names()


def check_schema(db: Database) -> None:
    """Refuse a database this version of ecerp cannot use as it is.

    Raises:
        SchemaError: no schema (create it), an older one (upgrade it), or a
            newer one (upgrade ecerp).
        DatabaseUnreachableError, AuthenticationError: cannot connect.
    """
    open_schema(db, create=False, upgrade=False)


def open_schema(db: Database, *, create: bool | None, upgrade: bool) -> None:
    """Make sure ``db`` has the schema this ecerp expects, creating or
    upgrading it only as allowed.

    Args:
        create: an empty database (SQLite: also a file that does not exist
            yet) gets the schema; ``None``: yes on SQLite (the embedded
            default works with one call), no on PostgreSQL (a server's
            database is created on purpose).  A database that has tables
            but no ecerp schema is never changed on opening.
        upgrade: a database at an older ecerp schema is upgraded (otherwise
            refused, saying how to upgrade it).

    Raises:
        SchemaError: no schema and ``create`` is false, an older one and
            ``upgrade`` is false, a newer one (upgrade ecerp), or only
            tables ecerp did not make.
        DatabaseUnreachableError, AuthenticationError, DatabaseLockedError.
    """
    from ecerp.adapters.sql.migrations_api import known_revisions

    expected = schema.SCHEMA_REVISION
    shown = _safe(db.url)
    how = f"`python -m ecerp db upgrade {shown}`"
    path = db.engine.url.database
    missing_file = db.is_sqlite and path and path != ":memory:" and not os.path.exists(path)
    found = None if missing_file else current_revision(db)
    if found == expected:
        return
    if create is None:
        create = db.is_sqlite
    if found is None:
        if create and is_empty(db):
            _migrate_to_head(db)
            return
        if create:
            raise SchemaError(
                f"{shown} has tables but no ecerp schema, so ecerp does not add its own "
                f"on opening; to add them anyway run {how}",
                found=None,
                expected=expected,
            )
        what = "no such database file" if missing_file else "has no ecerp schema"
        raise SchemaError(
            f"{shown}: {what}; create it with {how} (or open_erp(url, create=True))",
            found=None,
            expected=expected,
        )
    if found in known_revisions():
        if upgrade:
            _migrate_to_head(db)
            return
        raise SchemaError(
            f"{shown} has schema {found}, this ecerp needs {expected}: upgrade it with "
            f"{how} (or open_erp(url, upgrade=True))",
            found=found,
            expected=expected,
        )
    raise SchemaError(
        f"{shown} has schema {found}, newer than this ecerp knows ({expected}): upgrade ecerp",
        found=found,
        expected=expected,
    )


def _migrate_to_head(db: Database) -> None:
    """Run the migrations; another process doing the same at the same time
    is fine (whoever finishes first made the schema)."""
    from ecerp.adapters.sql.migrations_api import upgrade

    try:
        upgrade(db.url)
    except EcerpError:
        if current_revision(db) != schema.SCHEMA_REVISION:
            raise
