"""Committed state of the in-memory backend."""

from __future__ import annotations

import threading

from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.memo import ResolutionMemo
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.settings import SettingsVersion
from ecerp.ports.idempotency import IdempotencyRecord


class MemoryStore:
    """Everything committed, plus indexes (order key → id, status → ids).

    One lock serialises commits, so several threads may share a store; each
    unit of work still belongs to one thread.
    """

    def __init__(self) -> None:
        #: the memo of the committed catalog's resolution, shared by every
        #: unit of work whose view has written nothing (emptied on any write)
        self.catalog_memo = ResolutionMemo()
        self.catalog = Catalog(memo=self.catalog_memo)
        self.stock = StockState()
        self.orders: dict[str, Order] = {}
        self.order_keys: dict[tuple[str, str, str], str] = {}
        self.by_status: dict[OrderStatus, set[str]] = {s: set() for s in OrderStatus}
        self.by_buyer: dict[tuple[str, str], set[str]] = {}
        self.stocktakes: dict[str, Stocktake] = {}
        self.transfers: dict[str, Transfer] = {}
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.settings: list[SettingsVersion] = []
        self.lock = threading.RLock()
