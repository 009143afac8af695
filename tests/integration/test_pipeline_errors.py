"""A unit whose writes fail in PostgreSQL's pipeline mode fails once, with
one translated error, and prints nothing: psycopg's "error ignored
terminating <Pipeline>: pipeline aborted" (logged as a warning for every
such unit, so a busy importer losing races flooded stderr) is collected by
the adapter, never logged."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import warnings

import pytest
from sqlalchemy import Connection

from ecerp.adapters.sql import Database, SqlUnitOfWork, make_engine
from ecerp.domain.shared.errors import ConcurrencyError
from ecerp.testing.contracts import add_order, channel_order
from worlds import mug_shop


def lose_a_race_for_an_order(url: str) -> None:
    """Two units import order 1001; the second looked before the first
    committed, so its insert (in pipeline mode) hits the key."""
    db = make_engine(url)
    try:
        first, second = SqlUnitOfWork(db), SqlUnitOfWork(db)
        with first, second:
            assert second.orders.find("shopify/web/1001") is None
            add_order(first, channel_order("1001", ("MUG", 1, "1.00")))
            first.commit()
            add_order(second, channel_order("1001", ("MUG", 1, "1.00")))
            second.commit()
    finally:
        db.dispose()


class _InterruptedError(Exception):
    """Raised in a pipeline block while a statement's failure is pending."""


def _interrupt_a_failing_pipeline(db: Database, conn: Connection) -> None:
    with db.bulk.pipelined(conn, rows=1):
        db.bulk.execute(conn, "INSERT INTO ledger_meta (key, value) VALUES ('k', 'v')")
        raise _InterruptedError


def test_a_block_interrupted_while_a_pipeline_failure_is_pending_logs_nothing(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = make_engine(postgres_url)
    try:
        with db.engine.connect() as conn:
            db.bulk.execute(conn, "INSERT INTO ledger_meta (key, value) VALUES ('k', 'v')")
            conn.commit()
            with caplog.at_level(logging.DEBUG, logger="psycopg"), pytest.raises(_InterruptedError):
                _interrupt_a_failing_pipeline(db, conn)
            conn.rollback()
    finally:
        db.dispose()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_write_conflict_in_pipeline_mode_logs_and_warns_nothing(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    mug_shop(postgres_url, warehouse=None)
    with (
        caplog.at_level(logging.DEBUG, logger="psycopg"),
        warnings.catch_warnings(record=True) as warned,
    ):
        warnings.simplefilter("always")
        with pytest.raises(ConcurrencyError):
            lose_a_race_for_an_order(postgres_url)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [str(w.message) for w in warned] == []


def test_a_process_losing_pipeline_races_prints_nothing_to_stderr(postgres_url: str) -> None:
    mug_shop(postgres_url, warehouse=None)
    script = textwrap.dedent(
        f"""
        from ecerp.domain.shared.errors import ConcurrencyError
        from test_pipeline_errors import lose_a_race_for_an_order
        for _ in range(10):
            try:
                lose_a_race_for_an_order({postgres_url!r})
            except ConcurrencyError:
                print("lost")
            # the next race needs the order gone
            from sqlsupport import run_sql
            run_sql({postgres_url!r}, "DELETE FROM order_skus", "DELETE FROM orders")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_env_with_tests_on_path(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["lost"] * 10
    assert result.stderr == ""


def _env_with_tests_on_path() -> dict[str, str]:
    import os
    from pathlib import Path

    here = Path(__file__).parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(here), str(here.parent), env.get("PYTHONPATH", "")])
    return env
