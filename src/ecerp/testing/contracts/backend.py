"""Every persistence contract at once: :class:`BackendContract`.

Subclass it and override ``uow_factory``; see :mod:`ecerp.testing.contracts`.
"""

from __future__ import annotations

from ecerp.testing.contracts.catalog import CatalogRepositoryContract
from ecerp.testing.contracts.documents import DocumentRepositoryContract
from ecerp.testing.contracts.order_identity import OrderIdentityContract
from ecerp.testing.contracts.order_queue import OrderQueueContract
from ecerp.testing.contracts.orders import OrderRepositoryContract
from ecerp.testing.contracts.settings import SettingsRepositoryContract
from ecerp.testing.contracts.stock import StockRepositoryContract
from ecerp.testing.contracts.unit_of_work import UnitOfWorkContract


class BackendContract(
    OrderIdentityContract,
    UnitOfWorkContract,
    CatalogRepositoryContract,
    StockRepositoryContract,
    OrderRepositoryContract,
    DocumentRepositoryContract,
    OrderQueueContract,
    SettingsRepositoryContract,
):
    """Every persistence contract at once: subclass it, override ``uow_factory``."""
