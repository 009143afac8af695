"""Committed catalog rows shared by the units of work of one database.

Every unit of work reads the catalog (a webhook's single order resolves its
listing SKUs, SKUs and shop), and the catalog changes rarely.  So the rows a
unit loads are kept for the next units, for as long as the catalog does not
change: each unit that writes to the catalog stores a new random
``catalog_version`` in ``ledger_meta`` in the same transaction, and a unit
reads that one value before its first catalog read and uses the rows cached
under it (or starts a fresh cache).  A process that changes the catalog
therefore invalidates every other process's cache at its commit.

The warehouses ride along: every unit reads them too (allocation ranks them),
they change as rarely, and a unit that adds one stores a new version as well.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import attrs
from sqlalchemy import Connection, delete, insert

from ecerp.adapters.sql import schema as t
from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.domain.inventory.locations import Warehouse

VERSION_KEY = "catalog_version"


@attrs.define
class CatalogRows:
    """What units loaded of one catalog version (negative answers too)."""

    version: str
    skus: dict[str, Sku] = attrs.Factory(dict)
    bundles: dict[str, Bundle] = attrs.Factory(dict)
    shops: dict[str, Shop] = attrs.Factory(dict)
    products: dict[str, Product] = attrs.Factory(dict)
    aliases: dict[Any, tuple[Alias, ...]] = attrs.Factory(dict)
    alias_loaded: set[str] = attrs.Factory(set)
    alias_targets: dict[str, frozenset[str]] = attrs.Factory(dict)
    """Per listing SKU loaded: every target its aliases name (any scope)."""
    all_shops: list[Shop] | None = None
    missing: set[tuple[str, str]] = attrs.Factory(set)
    warehouses: dict[str, Warehouse] | None = None
    """Every warehouse, once a unit read them."""


class CatalogCache:
    """The rows of the latest catalog version this process has seen."""

    def __init__(self) -> None:
        self._rows: CatalogRows | None = None
        self._lock = threading.Lock()

    def rows_for(self, version: str) -> CatalogRows:
        with self._lock:
            if self._rows is None or self._rows.version != version:
                self._rows = CatalogRows(version)
            return self._rows


def new_catalog_version(conn: Connection) -> None:
    """Other units' cached catalog rows are stale from this commit on."""
    conn.execute(delete(t.ledger_meta).where(t.ledger_meta.c.key == VERSION_KEY))
    conn.execute(insert(t.ledger_meta), [{"key": VERSION_KEY, "value": uuid.uuid4().hex}])
