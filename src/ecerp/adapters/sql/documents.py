"""Stock documents on SQL: stocktakes and transfers, stored as JSON by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    delete,
    insert,
    select,
)

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.serialization import CONVERTER
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.shared.errors import DuplicateError
from ecerp.ports.documents import DocumentRepository

T = TypeVar("T")


class SqlDocumentRepository(DocumentRepository):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.stocktakes: dict[str, Stocktake] = {}
        self.transfers_seen: dict[str, Transfer] = {}

    def _find(self, table: Any, cache: dict[str, Any], cls: type[T], key: str) -> T | None:
        if key in cache:
            found: T = cache[key]
            return found
        row = self._conn.execute(select(table.c.data).where(table.c.id == key)).first()
        if row is None:
            return None
        doc = CONVERTER.loads(row[0], cls)
        cache[key] = doc
        return doc

    def add_stocktake(self, stocktake: Stocktake) -> None:
        if self.find_stocktake(stocktake.id) is not None:
            raise DuplicateError("stocktake", stocktake.id)
        self.stocktakes[stocktake.id] = stocktake

    def find_stocktake(self, stocktake_id: str) -> Stocktake | None:
        return self._find(t.stocktakes, self.stocktakes, Stocktake, stocktake_id)

    def add_transfer(self, transfer: Transfer) -> None:
        if self.find_transfer(transfer.id) is not None:
            raise DuplicateError("transfer", transfer.id)
        self.transfers_seen[transfer.id] = transfer

    def find_transfer(self, transfer_id: str) -> Transfer | None:
        return self._find(t.transfers, self.transfers_seen, Transfer, transfer_id)

    def transfers(self) -> Sequence[Transfer]:
        for (data,) in self._conn.execute(select(t.transfers.c.data)):
            doc = CONVERTER.loads(data, Transfer)
            self.transfers_seen.setdefault(doc.id, doc)
        return [self.transfers_seen[k] for k in sorted(self.transfers_seen)]

    def write(self, conn: Connection) -> None:
        for table, docs in ((t.stocktakes, self.stocktakes), (t.transfers, self.transfers_seen)):
            if not docs:
                continue
            ids = sorted(docs)
            conn.execute(delete(table).where(table.c.id.in_(ids)))
            conn.execute(insert(table), [{"id": k, "data": CONVERTER.dumps(docs[k])} for k in ids])
