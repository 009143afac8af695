"""The persistence contract suite: what every storage backend must do.

A backend (the built-in in-memory and SQL ones, or a third party's) proves
itself by running these test classes.  Each class is plain pytest: its
fixtures raise :class:`NotImplementedError` until a subclass overrides them,
as in fsspec's abstract tests.  The one fixture a backend must provide is
``uow_factory``: a zero-argument callable that makes a fresh
:class:`~ecerp.ports.unit_of_work.UnitOfWork`, every call on the *same*
store (a new, empty store per test)::

    import pytest
    from ecerp.testing.contracts import BackendContract

    class TestMyBackend(BackendContract):
        @pytest.fixture
        def uow_factory(self, tmp_path):
            store = MyStore(tmp_path / "books.db")
            return lambda: MyUnitOfWork(store)

Optional capability fixtures switch on tests for behaviour not every
backend has (they skip otherwise):

* ``supports_nested_units`` (``False``): a second unit of work may be opened
  while another is open in the same thread.
* ``read_uow_factory`` (``None``): units of work for reading only, that may
  be open while a writer's unit is (SQL: another connection); without it,
  ``uow_factory`` when ``supports_nested_units``.
* ``flush_unit`` (``None``): sends a unit's changes to the store without
  committing them (SQL: the statements commit would run, inside the open
  transaction), so isolation is tested against written, uncommitted rows.
* ``reopen_uow_factory`` (``None``): a callable that opens the same store
  afresh (a new engine, a new connection) and returns a unit-of-work factory
  on it, for backends whose state outlives the objects that wrote it.

The in-memory and SQL backends must give the same results, so the suite
compares *full values* of what it stores and reloads, through
:func:`value_state`: every field, Decimal amounts by their exact digits,
datetimes by their ISO form (so a naive or non-UTC time never passes), and
lists, tuples and sets by their type.  :class:`BackendContract` aggregates
every class below.

The suites, one module per port (each re-exported here):

* :mod:`~ecerp.testing.contracts.unit_of_work`: all or nothing, isolation.
* :mod:`~ecerp.testing.contracts.catalog`, :mod:`~ecerp.testing.contracts.stock`,
  :mod:`~ecerp.testing.contracts.orders`, :mod:`~ecerp.testing.contracts.documents`,
  :mod:`~ecerp.testing.contracts.settings`: one repository each;
  :mod:`~ecerp.testing.contracts.order_identity` and
  :mod:`~ecerp.testing.contracts.order_queue` more of the order repository.
* :mod:`~ecerp.testing.contracts.inventory`, :mod:`~ecerp.testing.contracts.unmapped_edits`,
  :mod:`~ecerp.testing.contracts.idempotency`, :mod:`~ecerp.testing.contracts.reliability`:
  whole use cases through a backend (``erp_opener`` and ``dead_letters`` fixtures).
* :mod:`~ecerp.testing.contracts.backend`: :class:`BackendContract`, the
  persistence suites at once; ``_support`` holds the shared helpers.
"""

from ecerp.testing.contracts._support import (
    ALL_STATUSES,
    RICH_REQUIREMENTS,
    T0,
    UowFactory,
    add_order,
    balances_from_moves,
    channel_order,
    commit_work,
    dump,
    order_state,
    rich_channel_order,
    seed,
    seed_catalog,
    seed_warehouses,
    sellable_from_balances,
    stock_state,
    value_state,
)
from ecerp.testing.contracts.backend import BackendContract
from ecerp.testing.contracts.catalog import CatalogRepositoryContract
from ecerp.testing.contracts.documents import DocumentRepositoryContract
from ecerp.testing.contracts.idempotency import IdempotencyContract
from ecerp.testing.contracts.inventory import (
    InventoryContract,
    StockHistoryContract,
    StockReportContract,
    UnmappedOrdersContract,
    WhyWaitingContract,
)
from ecerp.testing.contracts.order_identity import OrderIdentityContract
from ecerp.testing.contracts.order_queue import OrderQueueContract
from ecerp.testing.contracts.orders import OrderRepositoryContract
from ecerp.testing.contracts.reliability import (
    AfterCommitContract,
    DeadLetterStoreContract,
    ErpOpener,
    ReliabilityContract,
    RetryContract,
)
from ecerp.testing.contracts.settings import SettingsRepositoryContract
from ecerp.testing.contracts.stock import StockRepositoryContract
from ecerp.testing.contracts.unit_of_work import UnitOfWorkContract
from ecerp.testing.contracts.unmapped_edits import UnmappedEditsContract

__all__ = [
    "ALL_STATUSES",
    "AfterCommitContract",
    "BackendContract",
    "CatalogRepositoryContract",
    "DeadLetterStoreContract",
    "DocumentRepositoryContract",
    "ErpOpener",
    "IdempotencyContract",
    "InventoryContract",
    "OrderIdentityContract",
    "OrderQueueContract",
    "OrderRepositoryContract",
    "RICH_REQUIREMENTS",
    "ReliabilityContract",
    "RetryContract",
    "SettingsRepositoryContract",
    "StockHistoryContract",
    "StockReportContract",
    "StockRepositoryContract",
    "T0",
    "UnitOfWorkContract",
    "UnmappedEditsContract",
    "UnmappedOrdersContract",
    "UowFactory",
    "WhyWaitingContract",
    "add_order",
    "balances_from_moves",
    "channel_order",
    "commit_work",
    "dump",
    "order_state",
    "rich_channel_order",
    "seed",
    "seed_catalog",
    "seed_warehouses",
    "sellable_from_balances",
    "stock_state",
    "value_state",
]
