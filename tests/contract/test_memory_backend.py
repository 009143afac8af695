"""The in-memory backend passes the whole persistence contract suite."""

from __future__ import annotations

import pytest

from ecerp import open_erp
from ecerp.adapters.memory import MemoryDeadLetters, MemoryStore, MemoryUnitOfWork
from ecerp.testing.contracts import (
    BackendContract,
    ErpOpener,
    IdempotencyContract,
    InventoryContract,
    ReliabilityContract,
    UnmappedEditsContract,
    UowFactory,
)


class TestMemoryBackend(
    BackendContract,
    IdempotencyContract,
    ReliabilityContract,
    InventoryContract,
    UnmappedEditsContract,
):
    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        store = MemoryStore()
        return lambda: MemoryUnitOfWork(store)

    @pytest.fixture
    def supports_nested_units(self) -> bool:
        return True

    @pytest.fixture
    def erp_opener(self) -> ErpOpener:
        return lambda **options: open_erp("memory://", **options)

    @pytest.fixture
    def dead_letters(self) -> MemoryDeadLetters:
        return MemoryDeadLetters()
