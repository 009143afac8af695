"""The catalog in memory: a unit of work's private child of the store's
:class:`~ecerp.domain.catalog.catalog.Catalog`.
"""

from __future__ import annotations

from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.catalog.catalog import Catalog
from ecerp.ports.catalog import CatalogRepository


class MemoryCatalogRepository(CatalogRepository):
    def __init__(self, store: MemoryStore) -> None:
        self._view = Catalog(parent=store.catalog)

    def view(self) -> Catalog:
        return self._view
