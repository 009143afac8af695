"""A store an older ecerp wrote keeps working under the new limits.

Before the input limits, ecerp stored codes of up to 200 characters (the
SQL columns hold that many) and did not check a warehouse's priority.
Catalog items and warehouses are read back through the same value types
that check new input; so one such row made every later call that loads it
fail, even after reopening.  Now a value that only exceeds a limit newer
than the store is read as stored; a value that cannot be read at all (a
priority that is no number) is a ``StoredDataError`` naming the table, the
row and the value to correct, and the store works again once it is.
SQLite and PostgreSQL (the memory backend keeps nothing across opens).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sqlsupport
from ecerp import (
    ChannelLine,
    ChannelOrder,
    EcerpError,
    Money,
    Shop,
    Sku,
    StoredDataError,
    Warehouse,
    open_erp,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
#: A code an older ecerp accepted and this one refuses as new input.
LONG = "MUG-" + "X" * 140
assert 100 < len(LONG) <= 200


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        made = sqlsupport.sqlite_url(tmp_path)
        yield made
    else:
        admin = sqlsupport.require_postgres_admin_url()
        made = sqlsupport.fresh_postgres_url(admin)
        yield made
        sqlsupport.drop_postgres_database(made, admin)


def _shop(url: str) -> None:
    with open_erp(url) as erp:
        erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
        erp.inventory.add_warehouse(Warehouse("BER", priority=1))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _older_rows(url: str, *, priority: object) -> None:
    """What an older ecerp wrote: a SKU, a bundle and a warehouse with
    200-column codes, the warehouse's priority as given."""
    sku = {"code": LONG, "weight_g": 300, "tags": [], "titles": [], "attributes": []}
    warehouse = {"code": "W" * 150, "name": "Old hall", "kind": "own", "priority": priority}
    sqlsupport.run_sql(
        url,
        f"INSERT INTO skus (code, barcode, data) VALUES ({_quote(LONG)}, NULL, "
        f"{_quote(json.dumps(sku))})",
        f"INSERT INTO warehouses (code, data) VALUES ({_quote('W' * 150)}, "
        f"{_quote(json.dumps(warehouse))})",
    )


def _order(number: str) -> ChannelOrder:
    line = ChannelLine("MUG", 1, Money.of("9.90", "EUR"))
    return ChannelOrder("shopify", "web", number, T0, "EUR", (line,), paid=True)


def test_rows_beyond_the_new_limits_load_as_stored_and_work_goes_on(url: str) -> None:
    _shop(url)
    _older_rows(url, priority="7")  # a string holding a number: read as that number
    with open_erp(url) as erp:
        erp.inventory.receive("MUG", "BER", 4)
        assert erp.orders.process([_order("1")]).counts() == {"allocated": 1}
        assert [s.code for s in erp.catalog.view().skus()] == ["MUG", LONG]
        old = {w.code: w for w in erp.inventory.warehouses()}["W" * 150]
        assert (old.name, old.priority) == ("Old hall", 7)
        assert erp.inventory.verify() == []
        assert [line.sku for line in erp.inventory.report()] == ["MUG"]
    with open_erp(url) as again:  # and after reopening
        assert again.orders.accept([_order("2")]).counts() == {"allocated": 1}


def test_a_priority_too_large_for_new_input_loads_as_stored(url: str) -> None:
    _shop(url)
    _older_rows(url, priority=10**12)
    with open_erp(url) as erp:
        erp.inventory.receive("MUG", "BER", 1)
        assert erp.orders.process([_order("1")]).counts() == {"allocated": 1}
        assert max(w.priority for w in erp.inventory.warehouses()) == 10**12


def test_a_row_that_cannot_be_read_is_named_with_how_to_fix_it(url: str) -> None:
    _shop(url)
    _older_rows(url, priority="high")
    with open_erp(url) as erp:
        with pytest.raises(StoredDataError) as caught:
            erp.inventory.receive("MUG", "BER", 4)
        err = caught.value
        assert isinstance(err, EcerpError)
        assert (err.table, err.key, err.field) == ("warehouses", "W" * 150, "priority")
        assert "'high'" in str(err)
        assert "correct" in str(err)
    # the seller corrects the row as the message says; work goes on
    fixed = {"code": "W" * 150, "name": "Old hall", "kind": "own", "priority": 3}
    sqlsupport.run_sql(
        url,
        f"UPDATE warehouses SET data = {_quote(json.dumps(fixed))} "
        f"WHERE code = {_quote('W' * 150)}",
    )
    with open_erp(url) as erp:
        assert erp.inventory.position("MUG", "BER").on_hand == 0, "nothing was booked"
        erp.inventory.receive("MUG", "BER", 4)
        assert erp.orders.process([_order("1")]).counts() == {"allocated": 1}


def test_a_catalog_row_that_cannot_be_read_is_named(url: str) -> None:
    _shop(url)
    sqlsupport.run_sql(url, 'UPDATE skus SET data = \'{"code": "MUG", "weight_g": "heavy"}\'')
    with open_erp(url) as erp, pytest.raises(StoredDataError) as caught:
        erp.catalog.sku("MUG")
    assert (caught.value.table, caught.value.key, caught.value.field) == ("skus", "MUG", "weight_g")


def _order_priority(url: str, order_id: str, priority: object) -> None:
    """Rewrite a stored order's priority as an older ecerp could have."""
    [[(data,)]] = sqlsupport.run_sql(url, f"SELECT data FROM orders WHERE id = {_quote(order_id)}")
    doc = json.loads(data)
    doc["priority"] = priority
    sqlsupport.run_sql(
        url,
        f"UPDATE orders SET data = {_quote(json.dumps(doc))} WHERE id = {_quote(order_id)}",
    )


def test_an_order_priority_stored_as_a_numeric_string_is_read_as_its_number(url: str) -> None:
    _shop(url)
    with open_erp(url) as erp:
        assert erp.orders.process([_order("1")]).counts() == {"waiting": 1}
    _order_priority(url, "shopify/web/1", "7")
    with open_erp(url) as erp:
        erp.inventory.receive("MUG", "BER", 2)  # allocates the waiting order
        assert erp.orders.get("shopify/web/1").priority == 7
        assert erp.orders.process([_order("2")]).counts() == {"allocated": 1}


def test_an_order_whose_priority_is_no_number_is_named_not_a_type_error(url: str) -> None:
    _shop(url)
    with open_erp(url) as erp:
        assert erp.orders.process([_order("1")]).counts() == {"waiting": 1}
    _order_priority(url, "shopify/web/1", "high")
    with open_erp(url) as erp:
        with pytest.raises(StoredDataError) as caught:
            erp.orders.get("shopify/web/1")
        assert (caught.value.table, caught.value.key, caught.value.field) == (
            "orders",
            "shopify/web/1",
            "priority",
        )
        # receiving MUG allocates the waiting orders after the commit: the
        # receipt is booked, the failure is a dead letter, nothing raises
        erp.inventory.receive("MUG", "BER", 2)
        assert erp.inventory.position("MUG", "BER").on_hand == 2
        [letter] = erp.dead_letters.list()
        assert "StoredDataError" in letter.error_type, letter
    _order_priority(url, "shopify/web/1", 0)
    with open_erp(url) as erp:  # the older order is served first, then the new one
        assert erp.orders.process([_order("2")]).counts() == {"allocated": 2}
        assert erp.orders.get("shopify/web/1").status.value == "allocated"
