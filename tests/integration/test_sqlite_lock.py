"""SQLite: readers never wait for the write lock; writers wait for it within
the busy timeout (``?timeout=SECONDS``, 30 by default), then get
``DatabaseLockedError`` with nothing written.

Another connection (another process, in real life) holds the write lock
with ``BEGIN IMMEDIATE``.  Opening the ERP, reading, and relaying an outbox
with nothing in it only read, so they go through at once; a command that
writes waits, and goes through if the lock is given up in time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator

import pytest

from ecerp import open_erp
from ecerp.adapters.sql.database import DatabaseLockedError
from sqlsupport import run_cli, sqlite_path
from worlds import mug_shop

#: Short enough that waiting for the lock would fail the test at once.
IMPATIENT = 0.2


@pytest.fixture
def locked(sqlite_url: str) -> Iterator[tuple[str, sqlite3.Connection]]:
    """The shop, and another connection holding its write lock."""
    mug_shop(sqlite_url)
    holder = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield sqlite_url, holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def test_opening_reading_and_relaying_nothing_do_not_wait_for_the_write_lock(
    locked: tuple[str, sqlite3.Connection],
) -> None:
    url, _ = locked
    with open_erp(f"{url}?timeout={IMPATIENT}") as erp:
        assert erp.inventory.position("MUG", "SH").on_hand == 5
        assert erp.inventory.verify() == []
        assert erp.bus.relay() == 0


def test_the_relay_command_with_nothing_pending_does_not_wait(
    locked: tuple[str, sqlite3.Connection],
) -> None:
    url, _ = locked
    result = run_cli("relay", "--once", f"{url}?timeout={IMPATIENT}")
    assert result.returncode == 0, result.stderr


def test_a_writer_gets_the_lock_given_up_within_the_busy_timeout(
    locked: tuple[str, sqlite3.Connection],
) -> None:
    url, holder = locked
    with open_erp(f"{url}?timeout=60") as erp:
        # the receipt below queues for the lock, then gets it
        releaser = threading.Timer(0.3, lambda: holder.execute("ROLLBACK"))
        releaser.start()
        try:
            erp.inventory.receive("MUG", "SH", 3)
        finally:
            releaser.join()
        assert erp.inventory.position("MUG", "SH").on_hand == 8


def test_a_writer_kept_waiting_past_the_busy_timeout_writes_nothing(
    locked: tuple[str, sqlite3.Connection],
) -> None:
    url, holder = locked
    with open_erp(f"{url}?timeout={IMPATIENT}") as erp:
        with pytest.raises(DatabaseLockedError):
            erp.inventory.receive("MUG", "SH", 3)
        holder.execute("ROLLBACK")
        assert erp.inventory.position("MUG", "SH").on_hand == 5
        assert len(erp.inventory.moves()) == 1


def test_a_replayed_keyed_receipt_returns_its_first_result_without_the_write_lock(
    sqlite_url: str,
) -> None:
    # the receipt was booked (its key recorded); the caller's connection dropped
    mug_shop(sqlite_url)
    with open_erp(sqlite_url) as erp:
        first = erp.inventory.receive("MUG", "SH", 3, idempotency_key="po-9")
    holder = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with open_erp(f"{sqlite_url}?timeout={IMPATIENT}") as erp:
            # the retry only replays: it reads the key, never queues for the lock
            again = erp.inventory.receive("MUG", "SH", 3, idempotency_key="po-9")
            assert again == first
            assert erp.inventory.position("MUG", "SH").on_hand == 8
    finally:
        holder.execute("ROLLBACK")
        holder.close()
