"""Stock documents in memory: stocktakes and transfers, cloned into a unit
of work on first read.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.shared.errors import DuplicateError
from ecerp.ports.documents import DocumentRepository


class MemoryDocumentRepository(DocumentRepository):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending_stocktakes: dict[str, Stocktake] = {}
        self.pending_transfers: dict[str, Transfer] = {}

    def add_stocktake(self, stocktake: Stocktake) -> None:
        if self.find_stocktake(stocktake.id) is not None:
            raise DuplicateError("stocktake", stocktake.id)
        self.pending_stocktakes[stocktake.id] = stocktake

    def find_stocktake(self, stocktake_id: str) -> Stocktake | None:
        found = self.pending_stocktakes.get(stocktake_id)
        if found is None and stocktake_id in self._store.stocktakes:
            found = self.pending_stocktakes[stocktake_id] = copy.deepcopy(
                self._store.stocktakes[stocktake_id]
            )
        return found

    def add_transfer(self, transfer: Transfer) -> None:
        if self.find_transfer(transfer.id) is not None:
            raise DuplicateError("transfer", transfer.id)
        self.pending_transfers[transfer.id] = transfer

    def find_transfer(self, transfer_id: str) -> Transfer | None:
        found = self.pending_transfers.get(transfer_id)
        if found is None and transfer_id in self._store.transfers:
            found = self.pending_transfers[transfer_id] = copy.deepcopy(
                self._store.transfers[transfer_id]
            )
        return found

    def transfers(self) -> Sequence[Transfer]:
        merged = {**self._store.transfers, **self.pending_transfers}
        return [merged[k] for k in sorted(merged)]
