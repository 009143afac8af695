"""Bad backends give clear ecerp errors, never a raw driver exception.

A URL ecerp does not support, a server that does not answer, credentials it
refuses, a SQLite file another process keeps locked past the busy timeout:
each raises a :class:`~ecerp.domain.shared.errors.BackendError` subclass whose
message names the problem (and never shows the password), and leaves
nothing half-written.  The command line prints the same in one line.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import sqlsupport
from ecerp import ChannelLine, ChannelOrder, EcerpError, Money, open_erp
from ecerp.adapters.sql.database import (
    AuthenticationError,
    DatabaseLockedError,
    DatabaseUnreachableError,
)
from ecerp.bootstrap import downgrade_database, upgrade_database
from ecerp.domain.shared.errors import BackendError, UnsupportedUrlError
from sqlsupport import assert_one_line_error, run_cli, sqlite_path
from worlds import mug_shop

SECRET = "s3cret-Pa55"
#: Set by .ci/run, whose cluster checks passwords for every role but the admin.
PASSWORDS_CHECKED_ENV = "ECERP_TEST_POSTGRES_CHECKS_PASSWORDS"


def assert_ecerp_error(err: BaseException) -> None:
    """An ecerp backend error, not a driver's, that does not leak the password."""
    assert isinstance(err, BackendError), type(err)
    assert type(err).__module__.startswith("ecerp."), type(err)
    assert SECRET not in str(err)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- unsupported URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/shop",
        "oracle://scott:tiger@db/shop",
        "sqlite://",  # SQLite in memory: gone at close, so not a store for the books
        "postgresql+asyncpg://u@localhost/shop",
        "postgresql+psycopg2://u@localhost/shop",
        "shop.db",
        "",
    ],
)
def test_an_unsupported_url_is_refused_naming_it_and_the_supported_schemes(url: str) -> None:
    with pytest.raises(UnsupportedUrlError) as refused:
        open_erp(url)
    assert_ecerp_error(refused.value)
    assert repr(url) in str(refused.value)
    assert "sqlite:///" in str(refused.value)
    assert "postgresql+psycopg://" in str(refused.value)


@pytest.mark.parametrize("url", ["memory://", "mysql://root@localhost/shop"])
def test_only_sql_databases_have_a_schema_to_upgrade(url: str) -> None:
    with pytest.raises(UnsupportedUrlError):
        upgrade_database(url)
    with pytest.raises(UnsupportedUrlError):
        downgrade_database(url, "base")


def test_a_malformed_sqlite_timeout_is_a_clear_error(sqlite_url: str) -> None:
    with pytest.raises(BackendError) as refused:
        open_erp(f"{sqlite_url}?timeout=soon")
    assert "timeout" in str(refused.value)


# --- unreachable servers -----------------------------------------------------------------


def test_a_server_that_does_not_answer_is_named_as_unreachable() -> None:
    port = closed_port()
    url = f"postgresql+psycopg://shop:{SECRET}@127.0.0.1:{port}/books"
    started = time.monotonic()
    with pytest.raises(DatabaseUnreachableError) as refused:
        open_erp(url)
    assert time.monotonic() - started < 15
    assert_ecerp_error(refused.value)
    assert "cannot reach" in str(refused.value)
    assert str(port) in str(refused.value)
    with pytest.raises(DatabaseUnreachableError):
        upgrade_database(url)


def test_the_command_line_names_an_unreachable_server_without_a_traceback() -> None:
    port = closed_port()
    url = f"postgresql+psycopg://shop:{SECRET}@127.0.0.1:{port}/books"
    for args in (("db", "check", url), ("db", "upgrade", url), ("relay", "--once", url)):
        result = run_cli(*args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("ecerp: ")
        assert "Traceback" not in result.stderr
        assert "cannot reach" in result.stderr
        assert str(port) in result.stderr
        assert SECRET not in result.stderr


def test_the_command_line_names_an_unreachable_server_in_one_line() -> None:
    url = f"postgresql+psycopg://shop@127.0.0.1:{closed_port()}/books"
    assert_one_line_error(run_cli("db", "check", url), "cannot reach")


def test_an_unknown_host_is_named_as_unreachable() -> None:
    with pytest.raises(DatabaseUnreachableError):
        open_erp("postgresql+psycopg://shop@no-such-host.invalid:5432/books")


def test_a_missing_sqlite_directory_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'shop.db'}"
    with pytest.raises(BackendError) as refused:
        upgrade_database(url)
    assert_ecerp_error(refused.value)
    assert "cannot open the database file" in str(refused.value)
    assert not (tmp_path / "no").exists()


# --- credentials --------------------------------------------------------------------------------


@pytest.fixture
def role_with_password(postgres_admin_url: str) -> Iterator[str]:
    role = f"ecerp_test_role_{uuid.uuid4().hex[:12]}"
    sqlsupport.admin_execute(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'", postgres_admin_url)
    yield role
    sqlsupport.admin_execute(f"DROP ROLE IF EXISTS {role}", postgres_admin_url)


def _connects(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def test_a_wrong_password_is_refused_as_an_authentication_error(
    postgres_url: str, role_with_password: str
) -> None:
    right = make_url(postgres_url).set(username=role_with_password, password=SECRET)
    wrong = right.set(password=SECRET + "-wrong")
    right_url = right.render_as_string(hide_password=False)
    wrong_url = wrong.render_as_string(hide_password=False)
    if _connects(wrong_url):
        message = "this PostgreSQL server trusts every role on 127.0.0.1, so no password is checked"
        if os.environ.get(PASSWORDS_CHECKED_ENV) == "1":
            pytest.fail(f"{PASSWORDS_CHECKED_ENV}=1 but {message}")
        pytest.skip(f"{message} (.ci/run's cluster checks them)")
    assert _connects(right_url)

    with pytest.raises(AuthenticationError) as refused:
        open_erp(wrong_url)
    assert_ecerp_error(refused.value)
    assert "refused the credentials" in str(refused.value)
    assert role_with_password in str(refused.value)

    line = assert_one_line_error(run_cli("db", "check", wrong_url), "refused the credentials")
    assert SECRET not in line


def test_an_unknown_role_is_refused_as_an_authentication_error(postgres_url: str) -> None:
    url = make_url(postgres_url).set(username="ecerp_no_such_role").render_as_string(False)
    with pytest.raises(AuthenticationError) as refused:
        open_erp(url)
    assert "ecerp_no_such_role" in str(refused.value)


def test_an_unknown_role_is_a_backend_error_naming_it(postgres_url: str) -> None:
    url = make_url(postgres_url).set(username="ecerp_no_such_role").render_as_string(False)
    with pytest.raises(BackendError) as refused:
        open_erp(url)
    assert_ecerp_error(refused.value)
    assert "ecerp_no_such_role" in str(refused.value)


def test_an_unknown_database_is_a_backend_error_naming_it(postgres_url: str) -> None:
    url = make_url(postgres_url).set(database="ecerp_no_such_db").render_as_string(False)
    with pytest.raises(BackendError) as refused:
        open_erp(url)
    assert_ecerp_error(refused.value)
    assert '"ecerp_no_such_db" does not exist' in str(refused.value)


# --- a locked SQLite file ------------------------------------------------------------------


def _rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    conn.close()
    return int(count)


@pytest.fixture
def lock_holder(sqlite_url: str) -> Iterator[tuple[str, sqlite3.Connection]]:
    """The shop's SQLite file, and another connection to it that takes the
    write lock when told (``BEGIN IMMEDIATE``) and gives it up at the end."""
    mug_shop(sqlite_url)
    holder = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
    try:
        yield sqlite_url, holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def test_a_writer_waiting_past_the_busy_timeout_gets_a_lock_error_and_writes_nothing(
    lock_holder: tuple[str, sqlite3.Connection],
) -> None:
    url, holder = lock_holder
    path = sqlite_path(url)
    draft = ChannelOrder(
        "shopify",
        "web",
        "1001",
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        "EUR",
        (ChannelLine("MUG", 2, Money.of("9.90", "EUR")),),
        paid=True,
    )
    with open_erp(f"{url}?timeout=0.2") as erp:
        holder.execute("BEGIN IMMEDIATE")
        for attempt in (
            lambda: erp.inventory.receive("MUG", "SH", 3),
            lambda: erp.orders.import_orders([draft]),
        ):
            started = time.monotonic()
            with pytest.raises(DatabaseLockedError) as refused:
                attempt()
            assert 0.15 <= time.monotonic() - started < 10
            assert_ecerp_error(refused.value)
            assert "locked" in str(refused.value)

        holder.execute("ROLLBACK")

        assert _rows(path, "moves") == 1
        assert _rows(path, "orders") == 0
        assert _rows(path, "outbox WHERE delivered_at IS NULL") == 0
        assert erp.inventory.position("MUG", "SH").on_hand == 5
        assert erp.inventory.verify() == []
        # Once the lock is gone the same command goes through.
        erp.inventory.receive("MUG", "SH", 3)
        assert erp.inventory.position("MUG", "SH").on_hand == 8


def test_opening_a_locked_file_only_reads_so_it_does_not_wait(
    lock_holder: tuple[str, sqlite3.Connection],
) -> None:
    url, holder = lock_holder
    holder.execute("BEGIN IMMEDIATE")
    open_erp(f"{url}?timeout=0.2").close()


def test_the_command_line_names_a_locked_file_in_one_line(
    lock_holder: tuple[str, sqlite3.Connection],
) -> None:
    url, holder = lock_holder
    holder.execute("BEGIN IMMEDIATE")
    # verifying only reads; upgrading writes (its version row, at least)
    assert run_cli("db", "verify", f"{url}?timeout=0.2").returncode == 0
    assert_one_line_error(run_cli("db", "upgrade", f"{url}?timeout=0.2"), "locked")


def test_errors_cross_process_boundaries_intact() -> None:
    err = DatabaseLockedError("sqlite:///x.db: database is locked", url="sqlite:///x.db")
    clone = pickle_roundtrip(err)
    assert type(clone) is DatabaseLockedError
    assert str(clone) == str(err)
    assert clone.fields == {"url": "sqlite:///x.db"}
    assert isinstance(clone, EcerpError)


def pickle_roundtrip(err: EcerpError) -> EcerpError:
    import pickle

    clone = pickle.loads(pickle.dumps(err))
    assert isinstance(clone, EcerpError)
    return clone
