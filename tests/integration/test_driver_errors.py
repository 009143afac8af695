"""Statements sent straight to the driver (``adapters/sql/bulk.py``) fail
the way SQLAlchemy's do: as ecerp errors naming the problem, whichever path
the rows took (a statement per row, ``COPY``, pipeline mode)."""

from __future__ import annotations

import pytest

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.bulk import COPY_MIN_ROWS
from ecerp.adapters.sql.database import make_engine, translate_errors
from ecerp.domain.errors import BackendError, ConcurrencyError


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
