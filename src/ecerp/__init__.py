"""ecerp: an embeddable e-commerce ERP library.

Open an ERP with :func:`open_erp`; build catalog items, warehouses and
channel orders with the domain types re-exported here.  Everything a
public method takes, returns or documents under ``Raises:`` is importable
from here (``tests/unit/test_public_exports.py`` scans the facade for it),
and so is every error of the domain: catch ``EcerpError`` for all of them.
Nothing here needs an optional extra (the SQL backends' errors too).
"""

from ecerp.api import ERP, open_erp
from ecerp.domain.allocation.waiting import Shortage, WarehouseShortage
from ecerp.domain.carriers.errors import RateTableError
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import (
    AliasCycleError,
    BundleCycleError,
    CycleError,
    UnknownSkuError,
)
from ecerp.domain.catalog.products import EPOCH, Dimensions, Product, Shop, Sku, SplitPolicy
from ecerp.domain.inventory.errors import (
    ClosedPeriodError,
    HistoricalShortageError,
    InsufficientStockError,
    OverShipmentError,
)
from ecerp.domain.inventory.invariants import Discrepancy
from ecerp.domain.inventory.locations import Warehouse, WarehouseKind
from ecerp.domain.inventory.moves import Move, MoveReason, Reservation, StockLine, StockPosition
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import Stocktake, StocktakeStatus
from ecerp.domain.inventory.transfers import Transfer, TransferStatus
from ecerp.domain.orders.drafts import (
    Address,
    Buyer,
    ChannelLine,
    ChannelOrder,
    OrderLine,
    UnmappedSku,
)
from ecerp.domain.orders.errors import ConsolidationError, OrderLockedError, VersionConflictError
from ecerp.domain.orders.holds import ReviewPolicy
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldCode, HoldReason
from ecerp.domain.orders.status import OrderStatus, PaymentStatus
from ecerp.domain.routing.conditions import Conditions
from ecerp.domain.routing.dry_run import RouteChange
from ecerp.domain.routing.errors import RuleError
from ecerp.domain.routing.rules import Actions, Explanation, Rule, RuleSet
from ecerp.domain.settings import ExternalCheck, Settings, SettingsVersion
from ecerp.domain.shared.errors import (
    AuthenticationError,
    BackendError,
    ConcurrencyError,
    CurrencyMismatchError,
    DatabaseLockedError,
    DatabaseUnreachableError,
    DomainError,
    DuplicateError,
    EcerpError,
    FloatAmountError,
    IdempotencyConflictError,
    InvalidQuantityError,
    InvalidTransitionError,
    InvariantError,
    MissingDependencyError,
    NotFoundError,
    SchemaError,
    StoredDataError,
    UnknownCurrencyError,
    UnsupportedUrlError,
    ValidationError,
    WrongTypeError,
)
from ecerp.domain.shared.money import Money, allocate
from ecerp.ports.carrier_rates import CarrierRates, CarrierRatesUnavailableError
from ecerp.ports.clock import Clock
from ecerp.ports.dead_letters import DeadLetter
from ecerp.ports.events import EventPublisher
from ecerp.ports.payments import PaymentRecords
from ecerp.usecases.allocation.queries import WaitingAnswer
from ecerp.usecases.config import Config
from ecerp.usecases.orders.queries import UnmappedCode
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind

__version__ = "0.1.0"

__all__ = [
    "EPOCH",
    "ERP",
    "Actions",
    "Address",
    "Alias",
    "AliasCycleError",
    "AuthenticationError",
    "BackendError",
    "BatchResult",
    "Bundle",
    "BundleCycleError",
    "Buyer",
    "CarrierRates",
    "CarrierRatesUnavailableError",
    "Catalog",
    "ChannelLine",
    "ChannelOrder",
    "Clock",
    "ClosedPeriodError",
    "Component",
    "ConcurrencyError",
    "Conditions",
    "Config",
    "ConsolidationError",
    "CurrencyMismatchError",
    "CycleError",
    "DatabaseLockedError",
    "DatabaseUnreachableError",
    "DeadLetter",
    "Dimensions",
    "Discrepancy",
    "DomainError",
    "DuplicateError",
    "EcerpError",
    "EventPublisher",
    "Explanation",
    "ExternalCheck",
    "FloatAmountError",
    "HistoricalShortageError",
    "HoldCode",
    "HoldReason",
    "IdempotencyConflictError",
    "InsufficientStockError",
    "InvalidQuantityError",
    "InvalidTransitionError",
    "InvariantError",
    "MissingDependencyError",
    "Money",
    "Move",
    "MoveReason",
    "NotFoundError",
    "Order",
    "OrderLine",
    "OrderLockedError",
    "OrderStatus",
    "Outcome",
    "OutcomeKind",
    "OverShipmentError",
    "PaymentRecords",
    "PaymentStatus",
    "Product",
    "RateTable",
    "RateTableError",
    "Reservation",
    "ReviewPolicy",
    "RouteChange",
    "Rule",
    "RuleError",
    "RuleSet",
    "SchemaError",
    "Settings",
    "SettingsVersion",
    "Shop",
    "SplitPolicy",
    "Shortage",
    "Sku",
    "StockLine",
    "StockPosition",
    "StockState",
    "StoredDataError",
    "Stocktake",
    "StocktakeStatus",
    "Transfer",
    "TransferStatus",
    "UnknownCurrencyError",
    "UnknownSkuError",
    "UnmappedCode",
    "UnmappedSku",
    "UnsupportedUrlError",
    "ValidationError",
    "VersionConflictError",
    "WaitingAnswer",
    "Warehouse",
    "WarehouseKind",
    "WarehouseShortage",
    "WrongTypeError",
    "allocate",
    "open_erp",
]
