"""Idempotency records in memory: results kept as private copies, so a
caller that changes a result it got back does not change the record.
"""

from __future__ import annotations

import copy
from typing import Any

import attrs

from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.inventory.moves import Move
from ecerp.domain.shared.errors import ConcurrencyError
from ecerp.ports.idempotency import IdempotencyRecord, IdempotencyRepository
from ecerp.usecases.results import BatchResult


def _private(result: Any) -> Any:
    """A copy of ``result`` that nobody else holds; values that cannot
    change (moves, batch results, ``None``) are shared as they are."""
    if result is None or isinstance(result, (Move, BatchResult)):
        return result
    if isinstance(result, list):
        return [_private(r) for r in result]
    return copy.deepcopy(result)


class MemoryIdempotencyRepository(IdempotencyRepository):
    """Keyed commands: committed records are private copies (a result the
    caller changes afterwards changes nothing recorded), and each lookup
    hands out a copy of its own."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending: dict[str, IdempotencyRecord] = {}

    def find(self, key: str) -> IdempotencyRecord | None:
        found = self.pending.get(key) or self._store.idempotency.get(key)
        return None if found is None else attrs.evolve(found, result=_private(found.result))

    def record(self, record: IdempotencyRecord) -> None:
        self.pending[record.key] = record

    def check(self) -> None:
        """Raises:
        ConcurrencyError: a key this unit records was committed meanwhile.
        """
        for key in self.pending:
            if key in self._store.idempotency:
                raise ConcurrencyError(
                    f"idempotency key {key!r} was recorded by another call first; retry"
                )

    def copies(self) -> dict[str, IdempotencyRecord]:
        return {key: attrs.evolve(r, result=_private(r.result)) for key, r in self.pending.items()}
