"""Every driver error comes out as an ecerp error, whichever path the
statement took: SQLAlchemy Core, the driver cursor (``adapters/sql/bulk.py``:
a statement per row, ``COPY``, pipeline mode), a commit, a locking read in
the middle of a unit of work.  Lost races (deadlock, serialization failure,
lock not available, a unique key taken first) are ``ConcurrencyError`` (the
bus runs the command again); values the database refuses are
``ValidationError`` naming the column; anything else is a ``BackendError``
naming the driver's error."""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs
import pytest
from sqlalchemy import Connection, insert, text

from ecerp import Sku, Warehouse, open_erp
from ecerp.adapters.sql import SqlUnitOfWork
from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.bulk import COPY_MIN_ROWS
from ecerp.adapters.sql.database import Database, make_engine, translate_errors
from ecerp.domain.shared.errors import BackendError, ConcurrencyError, ValidationError
from ecerp.usecases.base import Command
from ecerp.usecases.context import Context
from ecerp.usecases.library import COMMAND_HANDLERS


def rows_with_a_repeated_key(n: int) -> list[tuple[str, str]]:
    return [(f"key-{i}", "x") for i in range(n - 1)] + [("key-0", "again")]


@pytest.mark.parametrize("n", [2, COPY_MIN_ROWS + 5])
def test_a_key_written_twice_is_a_lost_race_to_retry(backend_url: str, n: int) -> None:
    db = make_engine(backend_url)
    with db.engine.connect() as conn:
        with pytest.raises(ConcurrencyError), translate_errors(db.url):
            db.bulk.insert(conn, t.ledger_meta, ("key", "value"), rows_with_a_repeated_key(n))
        conn.rollback()
    db.dispose()


def test_a_key_written_twice_in_pipeline_mode_is_a_lost_race_to_retry(backend_url: str) -> None:
    db = make_engine(backend_url)
    with db.engine.connect() as conn:
        with (
            pytest.raises(ConcurrencyError),
            translate_errors(db.url),
            db.bulk.pipelined(conn, rows=2),
        ):
            db.bulk.insert(conn, t.ledger_meta, ("key", "value"), rows_with_a_repeated_key(2))
        conn.rollback()
    db.dispose()


def test_a_bad_query_names_the_driver_error(backend_url: str) -> None:
    db = make_engine(backend_url)
    with db.engine.connect() as conn:
        with pytest.raises(BackendError, match="no_such_column"), translate_errors(db.url):
            db.bulk.rows(conn, "SELECT no_such_column FROM ledger_meta")
        conn.rollback()
    db.dispose()


# --- one translation, whichever path --------------------------------------------------------

RACES = {
    "40001": "serialization failure",
    "40P01": "deadlock",
    "55P03": "lock not available",
}


def raise_state(code: str) -> str:
    """A statement that fails with SQLSTATE ``code`` on PostgreSQL."""
    return f"DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '{code}'; END $$"


@pytest.mark.parametrize("code", sorted(RACES))
def test_lost_races_are_concurrency_errors_on_every_path(postgres_url: str, code: str) -> None:
    db = make_engine(postgres_url)
    try:
        with db.engine.connect() as conn:
            with pytest.raises(ConcurrencyError):
                db.bulk.rows(conn, raise_state(code))
            conn.rollback()
            with pytest.raises(ConcurrencyError):
                conn.execute(text(raise_state(code)))
            conn.rollback()
            with pytest.raises(ConcurrencyError):
                _pipelined(db, conn, raise_state(code), "SELECT 1")
            conn.rollback()
    finally:
        db.dispose()


def _pipelined(db: Database, conn: Connection, *statements: str) -> None:
    with db.bulk.pipelined(conn, rows=len(statements)):
        for statement in statements:
            db.bulk.execute(conn, statement)


def test_a_conflict_found_at_commit_is_a_concurrency_error(postgres_url: str) -> None:
    db = make_engine(postgres_url)
    try:
        with db.engine.connect() as conn:
            conn.execute(
                text(
                    "CREATE TEMPORARY TABLE claims (k int UNIQUE DEFERRABLE INITIALLY DEFERRED) "
                    "ON COMMIT DROP"
                )
            )
            conn.execute(text("INSERT INTO claims VALUES (1), (1)"))
            with pytest.raises(ConcurrencyError):
                conn.commit()
    finally:
        db.dispose()


def test_a_row_locked_elsewhere_read_nowait_is_a_concurrency_error(postgres_url: str) -> None:
    db = make_engine(postgres_url)
    try:
        with db.engine.connect() as holder, db.engine.connect() as other:
            db.bulk.execute(holder, "INSERT INTO ledger_meta (key, value) VALUES ('k', 'v')")
            holder.commit()
            db.bulk.rows(holder, "SELECT value FROM ledger_meta WHERE key = 'k' FOR UPDATE")
            with pytest.raises(ConcurrencyError, match="LockNotAvailable"):
                db.bulk.rows(
                    other, "SELECT value FROM ledger_meta WHERE key = 'k' FOR UPDATE NOWAIT"
                )
            other.rollback()
            holder.rollback()
    finally:
        db.dispose()


def _write_core(db: Database, conn: Connection, row: tuple[str, object]) -> None:
    conn.execute(insert(t.ledger_meta), {"key": row[0], "value": row[1]})


def _write_driver(db: Database, conn: Connection, row: tuple[str, object]) -> None:
    db.bulk.insert(conn, t.ledger_meta, ("key", "value"), [row])


def _write_pipelined(db: Database, conn: Connection, row: tuple[str, object]) -> None:
    with db.bulk.pipelined(conn, rows=1):
        db.bulk.insert(conn, t.ledger_meta, ("key", "value"), [row])


WRITES = {"core": _write_core, "driver": _write_driver, "pipeline": _write_pipelined}


@pytest.mark.parametrize("path", sorted(WRITES))
@pytest.mark.parametrize(
    ("row", "field"),
    [
        (("lone-\ud800-surrogate", "v"), "key"),
        (("k", "lone \udfff"), "value"),
    ],
)
def test_text_the_database_cannot_store_is_a_validation_error_naming_the_column(
    backend_url: str, path: str, row: tuple[str, object], field: str
) -> None:
    db = make_engine(backend_url)
    try:
        with db.engine.connect() as conn:
            with pytest.raises(ValidationError) as refused:
                WRITES[path](db, conn, row)
            conn.rollback()
        assert refused.value.field == field
    finally:
        db.dispose()


@pytest.mark.parametrize("path", sorted(WRITES))
def test_nul_bytes_postgresql_refuses_are_a_validation_error_naming_the_column(
    postgres_url: str, path: str
) -> None:
    db = make_engine(postgres_url)
    try:
        with db.engine.connect() as conn:
            with pytest.raises(ValidationError) as refused:
                WRITES[path](db, conn, ("k", "a\x00b"))
            conn.rollback()
        assert refused.value.field == "value"
    finally:
        db.dispose()


MOVE_COLUMNS = ("seq", "sku", "source", "dest", "qty", "reason", "document", "actor", "at", "note")


def a_move(**values: object) -> tuple[object, ...]:
    row: dict[str, object] = {
        "seq": 1,
        "sku": "MUG",
        "source": "supplier",
        "dest": "SH/stock",
        "qty": 1,
        "reason": "receipt",
        "document": "",
        "actor": "ann",
        "at": "2026-03-01T00:00:00.000000+00:00",
        "note": "",
    }
    row.update(values)
    return tuple(row[c] for c in MOVE_COLUMNS)


@pytest.mark.parametrize(
    ("backend", "values", "field"),
    [
        ("sqlite", {"qty": 2**64}, "qty"),
        ("postgres", {"qty": 2**40}, "qty"),  # an INTEGER column
        ("postgres", {"sku": "S" * 201}, "sku"),  # a VARCHAR(200) column
    ],
)
def test_values_out_of_a_columns_range_are_validation_errors_naming_it(
    request: pytest.FixtureRequest, backend: str, values: dict[str, object], field: str
) -> None:
    db = make_engine(request.getfixturevalue(f"{backend}_url"))
    try:
        with db.engine.connect() as conn:
            with pytest.raises(ValidationError) as refused:
                db.bulk.insert(
                    conn, t.moves, MOVE_COLUMNS, [a_move(seq=1), a_move(seq=2, **values)]
                )
            conn.rollback()
        assert refused.value.field == field
    finally:
        db.dispose()


# --- a real deadlock, through ecerp's repositories -----------------------------------------


def _stocked(url: str) -> None:
    with open_erp(url) as erp:
        erp.catalog.add(Sku("A"), Sku("B"))
        erp.inventory.add_warehouse(Warehouse("SH"))
        erp.inventory.receive("A", "SH", 10)
        erp.inventory.receive("B", "SH", 10)


def _both(first: Callable[[], object], second: Callable[[], object]) -> list[object]:
    """Run the two in threads at once; what each returned or raised."""
    results: list[object] = [None, None]

    def run(i: int, work: Callable[[], object]) -> None:
        try:
            results[i] = work()
        except BaseException as err:  # noqa: BLE001 - the test inspects it
            results[i] = err

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_deadlock_between_two_units_is_a_concurrency_error(postgres_url: str) -> None:
    _stocked(postgres_url)
    db = make_engine(postgres_url)
    both_locked_one = threading.Barrier(2, timeout=30)

    def lock_in_order(first: str, second: str) -> int:
        with SqlUnitOfWork(db) as uow:
            book = uow.stock.book()
            book.on_hand(first, "SH")  # read FOR UPDATE: the row is this unit's now
            both_locked_one.wait()
            return book.on_hand(second, "SH")

    try:
        results = _both(lambda: lock_in_order("A", "B"), lambda: lock_in_order("B", "A"))
    finally:
        db.dispose()
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(lost) == 1, results
    assert isinstance(lost[0], ConcurrencyError), repr(lost[0])
    assert "deadlock" in str(lost[0]).lower()
    assert 10 in results


@attrs.frozen
class ReceiveBothInOrder(Command):
    """Receive one unit of each SKU, locking them in the order given (a
    command no real handler would write, to provoke a deadlock)."""

    skus: tuple[str, str]


def test_the_bus_retries_a_deadlocked_command_to_success(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stocked(postgres_url)
    both_locked_one = threading.Barrier(2, timeout=30)
    attempts: list[tuple[str, str]] = []

    def handler(cmd: ReceiveBothInOrder, ctx: Context) -> None:
        first_attempt = cmd.skus not in attempts
        attempts.append(cmd.skus)
        with ctx.uow as uow:
            book = uow.stock.book()
            book.on_hand(cmd.skus[0], "SH")
            if first_attempt:
                both_locked_one.wait()
            for sku in cmd.skus:
                book.receive(sku, "SH", 1, at=ctx.now(), actor="ann")
            uow.commit()

    monkeypatch.setitem(COMMAND_HANDLERS, ReceiveBothInOrder, handler)
    with open_erp(postgres_url) as one, open_erp(postgres_url) as two:
        results = _both(
            lambda: one.handle(ReceiveBothInOrder(("A", "B"))),
            lambda: two.handle(ReceiveBothInOrder(("B", "A"))),
        )
        assert results == [None, None]
        assert len(attempts) == 3  # one of them deadlocked once and ran again
        assert one.inventory.position("A", "SH").on_hand == 12
        assert one.inventory.position("B", "SH").on_hand == 12
        assert one.inventory.verify() == []


@pytest.mark.parametrize("path", sorted(WRITES))
def test_a_missing_required_value_is_a_validation_error_naming_the_column(
    backend_url: str, path: str
) -> None:
    db = make_engine(backend_url)
    try:
        with db.engine.connect() as conn:
            with pytest.raises(ValidationError) as refused:
                WRITES[path](db, conn, ("k", None))
            conn.rollback()
        assert refused.value.field == "value"
    finally:
        db.dispose()
