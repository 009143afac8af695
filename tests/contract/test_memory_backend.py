"""The in-memory backend passes the whole persistence contract suite."""

from __future__ import annotations

import pytest

from ecerp.adapters.memory import MemoryStore, MemoryUnitOfWork
from ecerp.testing.contracts import BackendContract, UowFactory
from ecerp.testing.inventory_contracts import InventoryContract


class TestMemoryBackend(BackendContract, InventoryContract):
    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        store = MemoryStore()
        return lambda: MemoryUnitOfWork(store)

    @pytest.fixture
    def supports_nested_units(self) -> bool:
        return True
