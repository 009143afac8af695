"""The stock document repository port: stocktakes and transfers.

Documents are loaded by id and are private to the unit of work like orders.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer


class DocumentRepository(abc.ABC):
    @abc.abstractmethod
    def add_stocktake(self, stocktake: Stocktake) -> None:
        """Raises:
        DuplicateError: the id is taken.
        """

    @abc.abstractmethod
    def find_stocktake(self, stocktake_id: str) -> Stocktake | None: ...

    @abc.abstractmethod
    def add_transfer(self, transfer: Transfer) -> None:
        """Raises:
        DuplicateError: the id is taken.
        """

    @abc.abstractmethod
    def find_transfer(self, transfer_id: str) -> Transfer | None: ...

    @abc.abstractmethod
    def transfers(self) -> Sequence[Transfer]:
        """Every transfer, by id."""
