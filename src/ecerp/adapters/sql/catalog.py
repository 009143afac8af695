"""The catalog on SQL: products, SKUs, shops, bundles and aliases.

:class:`SqlCatalogSource` loads catalog rows on demand (and in bulk through
``prefetch``), through the adapter-scoped :class:`~ecerp.adapters.sql.catalog_cache.CatalogCache`
when the store's catalog version has not moved; :class:`SqlCatalogRepository`
hands a unit of work its view and writes what it added.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    insert,
    select,
)

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.bulk import Bulk
from ecerp.adapters.sql.catalog_cache import (
    VERSION_KEY,
    CatalogCache,
    CatalogRows,
    new_catalog_version,
)
from ecerp.adapters.sql.serialization import CONVERTER
from ecerp.adapters.sql.stored import chunks, read_row, read_value
from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.memo import ResolutionMemo
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.ports.catalog import CatalogRepository

T = TypeVar("T")


class SqlCatalogSource:
    """The committed catalog, loaded row by row on demand (and cached for the
    unit of work): the :class:`~ecerp.domain.catalog.catalog.CatalogSource`
    under the unit's writable view."""

    def __init__(self, conn: Connection, cache: CatalogCache | None, bulk: Bulk) -> None:
        self._skus: dict[str, Sku] = {}
        self._bundles: dict[str, Bundle] = {}
        self._shops: dict[str, Shop] = {}
        self._products: dict[str, Product] = {}
        self._aliases: dict[tuple[str, str, str], tuple[Alias, ...]] = {}
        self._conn = conn
        self._bulk = bulk
        self._versions: tuple[Any, int] | None = None
        self._missing: set[tuple[str, str]] = set()
        self._alias_loaded: set[str] = set()
        self._alias_targets: dict[str, frozenset[str]] = {}
        self._rows: CatalogRows | None = None
        self._all_shops: list[Shop] | None = None
        self._cache = cache

    def versions(self) -> tuple[Any, int]:
        """The committed catalog version and settings version, read once per
        unit in one round trip (every command needs both)."""
        if self._versions is None:
            ((catalog, settings),) = self._bulk.rows(
                self._conn,
                'SELECT (SELECT value FROM ledger_meta WHERE "key" = ?), '
                "(SELECT MAX(version) FROM settings_versions)",
                (VERSION_KEY,),
            )
            self._versions = (catalog, int(settings or 0))
        return self._versions

    def _bind(self) -> None:
        """Before the first read: use the rows cached for the committed
        catalog version (see :mod:`ecerp.adapters.sql.catalog_cache`)."""
        if self._cache is None:
            return
        version, _ = self.versions()
        rows = self._cache.rows_for(str(version or ""))
        self._cache = None
        self._skus, self._bundles, self._shops = rows.skus, rows.bundles, rows.shops
        self._products, self._aliases = rows.products, rows.aliases
        self._alias_loaded, self._missing = rows.alias_loaded, rows.missing
        self._alias_targets = rows.alias_targets
        self._rows, self._all_shops = rows, rows.all_shops

    def _load(self, kind: str, table: Any, cls: type[Any], codes: Iterable[str]) -> None:
        self._bind()
        caches: dict[str, dict[str, Any]] = {
            "sku": self._skus,
            "bundle": self._bundles,
            "shop": self._shops,
            "product": self._products,
        }
        cache = caches[kind]
        wanted = [c for c in codes if c not in cache and (kind, c) not in self._missing]
        if not wanted:
            return
        for batch in chunks(wanted):
            rows = self._bulk.rows(
                self._conn,
                f"SELECT code, data FROM {table.name} WHERE code IN ({Bulk.marks(len(batch))})",
                batch,
            )
            for code, data in rows:
                cache[code] = read_value(table.name, code, data, cls)
            for code in batch:
                if code not in cache:
                    self._missing.add((kind, code))

    def find_sku(self, code: str) -> Sku | None:
        found = self._skus.get(code)
        if found is None:
            self._load("sku", t.skus, Sku, (code,))
            found = self._skus.get(code)
        return found

    def find_bundle(self, code: str) -> Bundle | None:
        found = self._bundles.get(code)
        if found is None:
            self._load("bundle", t.bundles, Bundle, (code,))
            found = self._bundles.get(code)
        return found

    def find_shop(self, code: str) -> Shop | None:
        found = self._shops.get(code)
        if found is None:
            self._load("shop", t.shops, Shop, (code,))
            found = self._shops.get(code)
        return found

    def find_product(self, code: str) -> Product | None:
        found = self._products.get(code)
        if found is None:
            self._load("product", t.products, Product, (code,))
            found = self._products.get(code)
        return found

    def find_barcode(self, barcode: str) -> str | None:
        row = self._conn.execute(select(t.skus.c.code).where(t.skus.c.barcode == barcode)).first()
        return None if row is None else str(row[0])

    def _load_aliases(self, listing_skus: Iterable[str]) -> None:
        self._bind()
        wanted = [s for s in listing_skus if s not in self._alias_loaded]
        for batch in chunks(wanted):
            rows = self._bulk.rows(
                self._conn,
                "SELECT channel, shop, listing_sku, target, effective_from FROM aliases "
                f"WHERE listing_sku IN ({Bulk.marks(len(batch))})",
                batch,
            )
            found: dict[tuple[str, str, str], list[Alias]] = {}
            for channel, shop, listing, target, effective in rows:
                alias = _alias(channel, shop, listing, target, t.parse_utc(effective))
                found.setdefault((channel, shop, listing), []).append(alias)
            targets: dict[str, set[str]] = {code: set() for code in batch}
            for key, versions in found.items():
                self._aliases[key] = tuple(sorted(versions, key=lambda a: a.effective_from))
                targets[key[2]].update(a.target for a in versions)
            self._alias_targets.update((k, frozenset(v)) for k, v in targets.items())
            self._alias_loaded.update(batch)

    def cached_rows(self) -> CatalogRows | None:
        """The rows shared under the committed catalog version (``None``:
        this unit has no cache)."""
        self._bind()
        return self._rows

    def alias_versions(
        self, channel: str | None, shop: str | None, listing_sku: str
    ) -> tuple[Alias, ...]:
        if listing_sku not in self._alias_loaded:
            self._load_aliases((listing_sku,))
        return self._aliases.get((channel or "", shop or "", listing_sku), ())

    def prefetch(self, keys: Iterable[tuple[str, str, str]]) -> None:
        listing = {k[2] for k in keys}
        self._load_aliases(listing)
        found = {target for code in listing for target in self._alias_targets.get(code, ())}
        # a target may itself be a listing SKU with aliases (and is looked up so)
        self._load_aliases(found)
        # the targets, then the components of the bundles among them, down
        # every level of nesting (only these: the cache may hold thousands)
        pending = listing | found
        seen: set[str] = set()
        while pending:
            self._load("sku", t.skus, Sku, pending)
            self._load("bundle", t.bundles, Bundle, pending)
            seen |= pending
            pending = {
                c.code
                for code in pending
                if (b := self._bundles.get(code)) is not None
                for c in b.components
                if c.code not in seen
            }

    def _all(self, table: Any, cls: type[T]) -> list[T]:
        rows = self._conn.execute(select(table.c.code, table.c.data))
        return [read_value(table.name, code, data, cls) for code, data in rows]

    def products(self) -> list[Product]:
        return sorted(self._all(t.products, Product), key=lambda p: p.code)

    def skus(self) -> list[Sku]:
        return sorted(self._all(t.skus, Sku), key=lambda s: s.code)

    def bundles(self) -> list[Bundle]:
        return sorted(self._all(t.bundles, Bundle), key=lambda b: b.code)

    def shops(self) -> list[Shop]:
        self._bind()
        if self._all_shops is None:
            self._all_shops = sorted(self._all(t.shops, Shop), key=lambda s: s.code)
            if self._rows is not None:
                self._rows.all_shops = self._all_shops
        return list(self._all_shops)

    def aliases(self) -> list[Alias]:
        rows = self._conn.execute(select(t.aliases)).mappings()
        found = [
            _alias(r["channel"], r["shop"], r["listing_sku"], r["target"], r["effective_from"])
            for r in rows
        ]
        return sorted(found, key=lambda a: (a.scope, a.listing_sku, a.effective_from))


class SqlCatalogRepository(CatalogRepository):
    def __init__(self, conn: Connection, cache: CatalogCache | None, bulk: Bulk) -> None:
        self.source = SqlCatalogSource(conn, cache, bulk)
        """The committed catalog (its rows cached between units)."""
        #: this unit's memo of resolution (the unit's view answers through it)
        self.memo = ResolutionMemo()
        self._view = Catalog(source=self.source, memo=self.memo)

    def view(self) -> Catalog:
        return self._view

    def prefetch(self, listing_skus: Iterable[tuple[str, str, str]]) -> None:
        self.source.prefetch(listing_skus)

    def write(self, conn: Connection) -> None:
        rows: dict[str, list[dict[str, Any]]] = {}
        for item in self._view.changes():
            if isinstance(item, Product):
                rows.setdefault("products", []).append(
                    {"code": item.code, "data": CONVERTER.dumps(item)}
                )
            elif isinstance(item, Sku):
                rows.setdefault("skus", []).append(
                    {"code": item.code, "barcode": item.barcode, "data": CONVERTER.dumps(item)}
                )
            elif isinstance(item, Shop):
                rows.setdefault("shops", []).append(
                    {"code": item.code, "channel": item.channel, "data": CONVERTER.dumps(item)}
                )
            elif isinstance(item, Bundle):
                rows.setdefault("bundles", []).append(
                    {"code": item.code, "data": CONVERTER.dumps(item)}
                )
            else:
                rows.setdefault("aliases", []).append(
                    {
                        "channel": item.channel or "",
                        "shop": item.shop or "",
                        "listing_sku": item.listing_sku,
                        "effective_from": item.effective_from,
                        "target": item.target,
                    }
                )
        for name in ("products", "skus", "shops", "bundles", "aliases"):
            if name in rows:
                conn.execute(insert(t.metadata.tables[name]), rows[name])
        if rows:
            new_catalog_version(conn)


def _alias(channel: str, shop: str, listing: str, target: str, effective: datetime) -> Alias:
    """An alias from its row (read as :func:`_read` reads items)."""
    return read_row(
        "aliases",
        f"{channel}/{shop}/{listing}",
        lambda: Alias(channel or None, shop or None, listing, target, effective),
    )
