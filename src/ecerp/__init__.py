"""ecerp: an embeddable e-commerce ERP library.

Open an ERP with :func:`open_erp`; build catalog items, warehouses and
channel orders with the domain types re-exported here.
"""

from ecerp.api import ERP, open_erp
from ecerp.domain.catalog import EPOCH, Alias, Bundle, Component, Dimensions, Product, Shop, Sku
from ecerp.domain.errors import (
    DomainError,
    EcerpError,
    InsufficientStockError,
    NotFoundError,
    ValidationError,
)
from ecerp.domain.money import Money, allocate
from ecerp.domain.order_versions import VersionConflictError
from ecerp.domain.orders import Address, Buyer, ChannelLine, ChannelOrder, Order, OrderStatus
from ecerp.domain.stock import StockLine, Warehouse, WarehouseKind
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind

__version__ = "0.1.0"

__all__ = [
    "EPOCH",
    "ERP",
    "Address",
    "Alias",
    "BatchResult",
    "Bundle",
    "Buyer",
    "ChannelLine",
    "ChannelOrder",
    "Component",
    "Dimensions",
    "DomainError",
    "EcerpError",
    "InsufficientStockError",
    "Money",
    "NotFoundError",
    "Order",
    "OrderStatus",
    "Outcome",
    "OutcomeKind",
    "Product",
    "Shop",
    "Sku",
    "StockLine",
    "ValidationError",
    "VersionConflictError",
    "Warehouse",
    "WarehouseKind",
    "allocate",
    "open_erp",
]
