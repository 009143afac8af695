"""Schema migrations: creating, upgrading and downgrading, and refusing a
database whose schema does not match this version of ecerp.

Opening creates a schema only where it is safe to: a new or empty SQLite
file gets one (the embedded default works with one call), a PostgreSQL
database only with ``create=True``, and ``create=False`` refuses an empty
database everywhere (production: a mistyped path is an error, not a new
empty shop).  An older schema is upgraded only when asked
(``upgrade=True`` or ``python -m ecerp db upgrade``); otherwise it is
refused with what to run.  A newer one (written by a later ecerp) is refused
with the advice to upgrade ecerp.  The same holds on SQLite and PostgreSQL,
and through ``python -m ecerp db ...`` (which never creates a schema unless
told to ``upgrade``).
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import sqlsupport
from ecerp import (
    Address,
    Buyer,
    ChannelLine,
    ChannelOrder,
    Money,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.adapters.sql.database import SchemaError
from ecerp.adapters.sql.migrations_api import known_revisions
from ecerp.adapters.sql.schema import SCHEMA_REVISION, metadata
from ecerp.bootstrap import downgrade_database, upgrade_database
from sqlsupport import assert_one_line_error, run_cli, run_sql, table_columns

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
FUTURE = "9999_from_a_later_ecerp"


def stored_revision(url: str) -> list[str]:
    (rows,) = run_sql(url, "SELECT version_num FROM alembic_version")
    return [str(r[0]) for r in rows]


def book_some_stock(url: str) -> None:
    with open_erp(url, clock=SimulatedClock(T0)) as erp:
        erp.catalog.add(Sku("MUG"))
        erp.inventory.add_warehouse(Warehouse("SH"))
        erp.inventory.receive("MUG", "SH", 7)


def on_hand(url: str) -> int:
    with open_erp(url) as erp:
        return erp.inventory.position("MUG", "SH").on_hand


def test_the_shipped_revisions_end_at_the_one_this_ecerp_expects() -> None:
    revisions = known_revisions()
    assert revisions
    assert revisions[-1] == SCHEMA_REVISION
    assert len(set(revisions)) == len(revisions)


def test_one_upgrade_turns_an_empty_database_into_a_working_ledger(
    empty_backend_url: str,
) -> None:
    with pytest.raises(SchemaError):
        open_erp(empty_backend_url, create=False)

    upgrade_database(empty_backend_url)

    assert stored_revision(empty_backend_url) == [SCHEMA_REVISION]
    # The migrations build exactly the tables and columns the code maps.
    expected = {name: {c.name for c in table.columns} for name, table in metadata.tables.items()}
    found = table_columns(empty_backend_url)
    assert found.pop("alembic_version") == {"version_num"}
    assert found == expected
    book_some_stock(empty_backend_url)
    assert on_hand(empty_backend_url) == 7


def test_upgrading_a_current_database_again_changes_nothing(backend_url: str) -> None:
    book_some_stock(backend_url)
    upgrade_database(backend_url)
    assert stored_revision(backend_url) == [SCHEMA_REVISION]
    assert on_hand(backend_url) == 7


def test_downgrade_to_base_removes_the_schema_and_upgrade_builds_it_again(
    backend_url: str,
) -> None:
    book_some_stock(backend_url)

    downgrade_database(backend_url, "base")

    assert set(table_columns(backend_url)) <= {"alembic_version"}
    with pytest.raises(SchemaError) as refused:
        open_erp(backend_url)
    assert refused.value.fields["found"] is None
    assert "ecerp db upgrade" in str(refused.value)

    upgrade_database(backend_url)

    assert stored_revision(backend_url) == [SCHEMA_REVISION]
    with open_erp(backend_url) as erp:
        assert erp.inventory.warehouses() == []  # a fresh ledger, not the old one
        assert erp.inventory.verify() == []
    book_some_stock(backend_url)
    assert on_hand(backend_url) == 7


def test_a_database_without_the_ecerp_schema_is_refused_when_creating_is_refused(
    empty_backend_url: str,
) -> None:
    with pytest.raises(SchemaError) as refused:
        open_erp(empty_backend_url, create=False)
    message = str(refused.value)
    assert "no ecerp schema" in message or "no such database file" in message
    assert "ecerp db upgrade" in message
    assert "create=True" in message
    assert refused.value.fields["expected"] == SCHEMA_REVISION


def test_opening_a_missing_sqlite_file_refusing_creation_does_not_create_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(SchemaError, match="no such database file"):
        open_erp(f"sqlite:///{path}", create=False)
    assert not path.exists()


def test_opening_a_new_sqlite_file_creates_the_shop_with_one_call(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    book_some_stock(url)
    assert on_hand(url) == 7
    assert stored_revision(url) == [SCHEMA_REVISION]


def test_opening_an_empty_sqlite_file_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    path.touch()
    book_some_stock(f"sqlite:///{path}")
    assert on_hand(f"sqlite:///{path}") == 7


def test_an_empty_postgresql_database_gets_a_schema_only_when_asked(
    empty_postgres_url: str,
) -> None:
    with pytest.raises(SchemaError, match="create=True"):
        open_erp(empty_postgres_url)
    assert table_columns(empty_postgres_url) == {}

    open_erp(empty_postgres_url, create=True).close()
    book_some_stock(empty_postgres_url)
    assert on_hand(empty_postgres_url) == 7


def test_a_database_with_tables_ecerp_did_not_make_is_never_given_a_schema_on_opening(
    empty_backend_url: str,
) -> None:
    run_sql(empty_backend_url, "CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    with pytest.raises(SchemaError, match="ecerp db upgrade"):
        open_erp(empty_backend_url, create=True)
    assert set(table_columns(empty_backend_url)) == {"customers"}


@pytest.mark.parametrize("older", known_revisions()[:-1])
def test_a_database_at_an_earlier_revision_asks_for_the_upgrade_and_then_works(
    empty_backend_url: str, older: str
) -> None:
    upgrade_database(empty_backend_url, older)

    for create in (None, True, False):
        with pytest.raises(SchemaError) as refused:
            open_erp(empty_backend_url, create=create)
        assert refused.value.fields["found"] == older
        assert "ecerp db upgrade" in str(refused.value)
        assert "upgrade=True" in str(refused.value)
    assert stored_revision(empty_backend_url) == [older]

    open_erp(empty_backend_url, upgrade=True).close()
    assert stored_revision(empty_backend_url) == [SCHEMA_REVISION]
    book_some_stock(empty_backend_url)
    assert on_hand(empty_backend_url) == 7


def test_a_database_written_by_a_newer_ecerp_is_refused(backend_url: str) -> None:
    book_some_stock(backend_url)
    run_sql(backend_url, f"UPDATE alembic_version SET version_num = '{FUTURE}'")

    with pytest.raises(SchemaError) as refused:
        open_erp(backend_url)

    assert refused.value.fields["found"] == FUTURE
    assert refused.value.fields["expected"] == SCHEMA_REVISION
    assert "newer" in str(refused.value)
    assert "upgrade ecerp" in str(refused.value)


def test_upgrading_a_database_written_by_a_newer_ecerp_is_refused_and_changes_nothing(
    backend_url: str,
) -> None:
    book_some_stock(backend_url)
    run_sql(backend_url, f"UPDATE alembic_version SET version_num = '{FUTURE}'")

    with pytest.raises(SchemaError, match="newer"):
        upgrade_database(backend_url)

    assert stored_revision(backend_url) == [FUTURE]


# --- the command line ----------------------------------------------------------------------


def test_the_db_commands_create_check_and_verify_a_database(empty_backend_url: str) -> None:
    url = empty_backend_url

    refused = run_cli("db", "check", url)
    assert_one_line_error(refused, "ecerp db upgrade")

    upgraded = run_cli("db", "upgrade", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert stored_revision(url) == [SCHEMA_REVISION]

    checked = run_cli("db", "check", url)
    assert checked.returncode == 0, checked.stderr
    assert "ok" in checked.stdout

    book_some_stock(url)
    verified = run_cli("db", "verify", url)
    assert verified.returncode == 0, verified.stderr
    assert "0 difference(s)" in verified.stdout


def test_db_verify_reports_a_tampered_balance_and_fails(backend_url: str) -> None:
    book_some_stock(backend_url)
    run_sql(backend_url, "UPDATE positions SET on_hand = on_hand + 5")

    verified = run_cli("db", "verify", backend_url)

    assert verified.returncode == 1, verified.stderr
    assert "MUG" in verified.stdout
    assert "1 difference(s)" in verified.stdout


def test_db_downgrade_to_base_and_upgrade_back(backend_url: str) -> None:
    down = run_cli("db", "downgrade", backend_url, "base")
    assert down.returncode == 0, down.stderr
    assert_one_line_error(run_cli("db", "check", backend_url), "no ecerp schema")

    up = run_cli("db", "upgrade", backend_url)
    assert up.returncode == 0, up.stderr
    assert stored_revision(backend_url) == [SCHEMA_REVISION]
    open_erp(backend_url).close()


@pytest.mark.parametrize(
    ("action", "url"),
    [
        ("check", "mysql://root@localhost/shop"),
        ("check", "sqlite://"),
        ("check", "postgresql+asyncpg://u@localhost/shop"),
        ("check", "not a url"),
        ("upgrade", "mysql://root@localhost/shop"),
        ("verify", "mysql://root@localhost/shop"),
    ],
)
def test_db_commands_refuse_a_bad_url_in_one_line(action: str, url: str) -> None:
    assert_one_line_error(run_cli("db", action, url), "cannot open")


def test_db_check_names_a_newer_schema_in_one_line(sqlite_url: str) -> None:
    run_sql(sqlite_url, f"UPDATE alembic_version SET version_num = '{FUTURE}'")
    assert_one_line_error(run_cli("db", "check", sqlite_url), FUTURE, "upgrade ecerp")


def test_db_upgrade_and_downgrade_refuse_unknown_revisions_in_one_line(sqlite_url: str) -> None:
    assert_one_line_error(run_cli("db", "downgrade", sqlite_url, "no-such-revision"))
    run_sql(sqlite_url, f"UPDATE alembic_version SET version_num = '{FUTURE}'")
    assert_one_line_error(run_cli("db", "upgrade", sqlite_url), FUTURE)


def test_postgres_fixture_databases_are_dropped_by_name_only() -> None:
    with pytest.raises(ValueError, match="not a test database"):
        sqlsupport.drop_postgres_database("postgresql+psycopg://u@localhost/postgres")


def _open_when_told(url: str, start: Any, results: Any) -> None:
    """Child process: open ``url`` (creating its schema) when ``start`` opens."""
    try:
        start.wait(60)
        open_erp(url, create=True).close()
        results.put("ok")
    except BaseException as err:  # noqa: BLE001 - the parent reports it
        results.put(f"{type(err).__name__}: {err}")


def test_two_processes_opening_a_new_database_at_once_both_succeed(
    empty_backend_url: str,
) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_open_when_told, args=(empty_backend_url, start, results))
        for _ in range(2)
    ]
    for proc in workers:
        proc.start()
    try:
        said = [results.get(timeout=120) for _ in workers]
    finally:
        for proc in workers:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    assert said == ["ok", "ok"]
    assert stored_revision(empty_backend_url) == [SCHEMA_REVISION]
    book_some_stock(empty_backend_url)
    assert on_hand(empty_backend_url) == 7


def _buyer_order(
    number: str, mugs: int, channel: str = "ebay", shop: str = "eb-de"
) -> ChannelOrder:
    return ChannelOrder(
        channel,
        shop,
        number,
        T0,
        "EUR",
        (ChannelLine("MUG", mugs, Money.of("9.90", "EUR")),),
        paid=True,
        buyer=Buyer("ann"),
        address=Address("Ann", "Main 1", city="Berlin"),
    )


def _as_an_earlier_ecerp_named_them(url: str, renames: dict[str, str]) -> None:
    """Give orders the ids ecerp gave them before revision 0009, everywhere
    it stored them (rows, links in other orders, reservations, SKU index)."""
    statements = []
    for new, old in renames.items():
        statements += [
            f"UPDATE orders SET id = '{old}' WHERE id = '{new}'",
            f"UPDATE orders SET data = REPLACE(data, '\"{new}\"', '\"{old}\"')",
            f"UPDATE reservations SET order_id = '{old}' WHERE order_id = '{new}'",
            f"UPDATE order_skus SET order_id = '{old}' WHERE order_id = '{new}'",
        ]
    run_sql(url, *statements)


def test_ids_an_earlier_ecerp_handed_out_keep_finding_their_orders_after_the_upgrade(
    backend_url: str,
) -> None:
    # A store written by ecerp before revision 0009: a channel code with a
    # slash, an order number with a percent sign, a merged parcel and a split part.
    with open_erp(backend_url, clock=SimulatedClock(T0)) as erp:
        erp.catalog.add(
            Sku("MUG"), Shop("eb-de", "ebay", currency="EUR"), Shop("c", "a/b", currency="EUR")
        )
        erp.inventory.add_warehouse(Warehouse("BER"))
        erp.inventory.receive("MUG", "BER", 100)
        erp.orders.process(
            [
                _buyer_order("1", 1, channel="a/b", shop="c"),
                _buyer_order("50%", 1),
                _buyer_order("5", 1),
                _buyer_order("6", 1),
                _buyer_order("302-1", 3),
            ]
        )
        parcel = erp.orders.merge(["ebay/eb-de/5", "ebay/eb-de/6"])
        _, part = erp.orders.split("ebay/eb-de/302-1", {1: 1})
    assert parcel.id == "ebay/eb-de/#M-5+6"
    assert part.id == "ebay/eb-de/302-1#2"
    downgrade_database(backend_url, "0004")
    _as_an_earlier_ecerp_named_them(
        backend_url,
        {
            "a%2Fb/c/1": "a/b/c/1",
            "ebay/eb-de/50%25": "ebay/eb-de/50%",
            "ebay/eb-de/#M-5+6": "ebay/eb-de/M-5+6",
        },
    )

    upgrade_database(backend_url)

    with open_erp(backend_url, clock=SimulatedClock(T0)) as erp:
        slash = erp.orders.get("a/b/c/1")
        assert (slash.id, slash.key) == ("a%2Fb/c/1", ("a/b", "c", "1"))
        assert erp.orders.get("ebay/eb-de/50%").id == "ebay/eb-de/50%25"
        merged = erp.orders.get("ebay/eb-de/M-5+6")
        assert merged.id == "ebay/eb-de/#M-5+6"
        assert merged.merged_from == ("ebay/eb-de/5", "ebay/eb-de/6")
        assert erp.orders.get("ebay/eb-de/5").merged_into == merged.id
        assert erp.orders.get(part.id).split_from == "ebay/eb-de/302-1"
        assert erp.orders.find_by_key("ebay", "eb-de", "M-5+6") is None
        assert erp.orders.get_by_key("a/b", "c", "1").id == "a%2Fb/c/1"
        assert sum(r.qty for r in erp.inventory.reservations(merged.id)) == 2

        shipped = erp.orders.ship(["a/b/c/1", "ebay/eb-de/M-5+6"])
        assert shipped.counts() == {"done": 2}
        assert erp.orders.get("a/b/c/1").status is OrderStatus.SHIPPED
        assert erp.orders.cancel("ebay/eb-de/50%").status is OrderStatus.CANCELLED
        assert erp.orders.pick([part.id]).counts() == {"done": 1}

        # A marketplace order that really is numbered M-5+6 takes its id.
        assert erp.orders.process([_buyer_order("M-5+6", 1)]).counts() == {"allocated": 1}
        real = erp.orders.get("ebay/eb-de/M-5+6")
        assert real.merged_from == ()
        assert real.key == ("ebay", "eb-de", "M-5+6")
        assert erp.orders.get(merged.id).status is OrderStatus.SHIPPED
        assert erp.inventory.verify() == []
        erp.check()
