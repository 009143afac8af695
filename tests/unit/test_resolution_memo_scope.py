"""Who keeps the resolution memo: the in-memory store keeps one for the
committed catalog, shared by every unit of work that has written nothing to
the catalog; a SQL unit of work keeps one for its view.  A committed catalog
write empties the store's memo at the next answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ecerp.adapters.memory import MemoryStore, MemoryUnitOfWork
from ecerp.adapters.sql import SqlUnitOfWork, make_engine
from ecerp.adapters.sql.catalog import SqlCatalogRepository
from ecerp.domain.catalog.aliases import Alias
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.products import EPOCH, Shop, Sku
from sqlsupport import sqlite_url

LATER = EPOCH + timedelta(days=1)


def _seed(view: Catalog) -> None:
    view.add_shop(Shop("web", channel="shopify"))
    view.add_sku(Sku("MUG-RED"))
    view.add_sku(Sku("MUG-BLUE"))
    view.add_alias(Alias("shopify", "web", "red-mug", "MUG-RED"))


def test_memory_units_share_the_store_memo_until_a_catalog_write_commits() -> None:
    store = MemoryStore()
    with MemoryUnitOfWork(store) as uow:
        _seed(uow.catalog.view())
        uow.commit()
    with MemoryUnitOfWork(store) as uow:
        assert uow.catalog.view().resolve("shopify", "web", "red-mug", at=EPOCH) == "MUG-RED"
    assert ("shopify", "web", "red-mug") in store.catalog_memo.timelines
    with MemoryUnitOfWork(store) as uow:
        uow.catalog.view().add_alias(Alias("shopify", "web", "red-mug", "MUG-BLUE", LATER))
        uow.commit()
    with MemoryUnitOfWork(store) as uow:
        assert uow.catalog.view().expand("MUG-RED") == {"MUG-RED": 1}
    assert store.catalog_memo.timelines == {}  # emptied by the write, then not asked again
    with MemoryUnitOfWork(store) as uow:
        assert uow.catalog.view().resolve("shopify", "web", "red-mug", at=LATER) == "MUG-BLUE"


def test_a_sql_unit_keeps_its_own_memo(tmp_path: Path) -> None:
    db = make_engine(sqlite_url(tmp_path))
    try:
        with SqlUnitOfWork(db) as uow:
            _seed(uow.catalog.view())
            uow.commit()
        memos = []
        for _ in range(2):
            with SqlUnitOfWork(db) as uow:
                view = uow.catalog.view()
                assert view.resolve("shopify", "web", "red-mug", at=EPOCH) == "MUG-RED"
                assert isinstance(uow.catalog, SqlCatalogRepository)
                assert ("shopify", "web", "red-mug") in uow.catalog.memo.timelines
                memos.append(uow.catalog.memo)
        assert memos[0] is not memos[1]
    finally:
        db.dispose()
