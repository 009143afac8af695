"""The composition root: the one place that picks and wires adapters.

:func:`bootstrap` turns a backend URL into a ready :class:`MessageBus`,
wired with the handler maps of every use-case context (each context declares
its own in ``ecerp.usecases.<context>.handlers``; :func:`handler_maps` merges
them, so adding a context edits no central dict).
Nothing here runs at import time but installing the format readers that
``RuleSet``/``RateTable.from_json`` and friends delegate to (no I/O);
opening a backend happens when called.

Supported URLs: ``memory://`` (a fresh in-memory store),
``sqlite:///path.db`` (embedded, the default for apps) and
``postgresql+psycopg://user:pass@host/db`` (several processes).  Opening a
new SQLite file creates its schema; everything else about schemas is asked
for (``create=``, ``upgrade=``, or :func:`upgrade_database`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

import attrs

from ecerp.adapters.clock import SystemClock
from ecerp.adapters.formats import install_readers
from ecerp.adapters.memory import MemoryDeadLetters, MemoryStore, MemoryUnitOfWork
from ecerp.domain.inventory.invariants import Discrepancy
from ecerp.domain.inventory.state import StockState
from ecerp.domain.shared.errors import MissingDependencyError, UnsupportedUrlError
from ecerp.domain.shared.events import Event
from ecerp.ports.clock import Clock
from ecerp.ports.dead_letters import DeadLetters
from ecerp.ports.events import EventPublisher
from ecerp.ports.outbox import Outbox
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.bus import MessageBus
from ecerp.usecases.config import Config
from ecerp.usecases.library import LIBRARY
from ecerp.usecases.registry import HandlerMap
from ecerp.usecases.settings.source import SettingsSource

install_readers()  # the domain parses no formats: RuleSet/RateTable.from_* read through these

SUPPORTED_SCHEMES = ("memory://", "sqlite:///", "postgresql+psycopg://", "postgresql://")


@attrs.define
class Backend:
    """An opened backend: how to make units of work, and how to close it."""

    url: str
    uow_factory: Callable[[], UnitOfWork]
    snapshot: Callable[[], StockState]
    close: Callable[[], None]
    outbox: Outbox | None = None
    configure_outbox: Callable[[Callable[[Event], bool] | None], None] | None = None
    reader: Callable[[], UnitOfWork] | None = None
    """Units of work for reads only (on SQLite they do not queue behind
    writers); defaults to :attr:`uow_factory`."""
    dead_letters: DeadLetters | None = None
    """Where follow-up work that failed after its command committed is kept."""

    def read(self) -> UnitOfWork:
        """A unit of work to read in (never committed)."""
        return (self.reader or self.uow_factory)()

    def verify(self) -> list[Discrepancy]:
        """Every stored stock figure that differs from the ledger."""
        with self.read() as uow:
            return uow.stock.verify()

    def rebuild(self) -> int:
        """Restore the stock projections from the ledger; returns how many
        figures were wrong."""
        with self.uow_factory() as uow:
            fixed = uow.stock.rebuild()
            uow.commit()
        return fixed


#: The packages each SQL backend needs, and the extra that installs them.
SQL_PACKAGES = (("sqlalchemy", "sql"), ("alembic", "sql"), ("orjson", "sql"))
POSTGRES_PACKAGES = (*SQL_PACKAGES, ("psycopg", "postgres"))


def require_packages(url: str) -> None:
    """Check that the packages the backend of ``url`` needs can be imported.

    Raises:
        MissingDependencyError: one is missing (naming the extra to install).
    """
    postgres = url.startswith(("postgresql+psycopg://", "postgresql://"))
    for package, extra in POSTGRES_PACKAGES if postgres else SQL_PACKAGES:
        try:
            importlib.import_module(package)
        except ImportError as err:
            backend = "PostgreSQL" if postgres else "SQLite"
            raise MissingDependencyError(package, extra, backend) from err


def open_backend(url: str, *, create: bool | None = None, upgrade: bool = False) -> Backend:
    """Open the storage named by ``url``.

    Args:
        create: give an empty SQL database the ecerp schema (``None``, the
            default: on SQLite yes, so a new file works with one call; on
            PostgreSQL no).  ``False`` refuses an empty database (for
            production: a wrong path is an error, not a new empty shop).
        upgrade: upgrade a SQL database at an older ecerp schema (by
            default refused, saying how).

    Raises:
        UnsupportedUrlError: the scheme is not one ecerp knows.
        MissingDependencyError: the backend's optional packages are missing.
        SchemaError: see :func:`ecerp.adapters.sql.open_schema`.
    """
    if url.startswith("memory://"):
        store = MemoryStore()

        def snapshot() -> StockState:
            return MemoryUnitOfWork(store).stock.snapshot()

        return Backend(
            url,
            lambda: MemoryUnitOfWork(store),
            snapshot,
            lambda: None,
            dead_letters=MemoryDeadLetters(),
        )
    if url.startswith(SUPPORTED_SCHEMES[1:]):
        return _open_sql(url, create=create, upgrade=upgrade)
    raise UnsupportedUrlError(url, SUPPORTED_SCHEMES)


def _open_sql(url: str, *, create: bool | None, upgrade: bool) -> Backend:
    require_packages(url)
    from ecerp.adapters.sql import SqlUnitOfWork, make_engine, open_schema, read_state
    from ecerp.adapters.sql.outbox import SqlDeadLetters, SqlOutbox

    db = make_engine(url)
    try:
        open_schema(db, create=create, upgrade=upgrade)
    except BaseException:
        db.dispose()
        raise

    def snapshot() -> StockState:
        with SqlUnitOfWork(db, readonly=True) as uow:
            return read_state(uow.connection)

    def configure(wants: Callable[[Event], bool] | None) -> None:
        db.outbox_filter = wants

    return Backend(
        url,
        lambda: SqlUnitOfWork(db),
        snapshot,
        db.dispose,
        SqlOutbox(db),
        configure,
        lambda: SqlUnitOfWork(db, readonly=True),
        SqlDeadLetters(db),
    )


def upgrade_database(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema of a SQL database (explicit, never implied
    by opening it).

    Raises:
        UnsupportedUrlError: not a SQL URL.
        BackendError: the database cannot be reached or written.
    """
    if not url.startswith(SUPPORTED_SCHEMES[1:]):
        raise UnsupportedUrlError(url, SUPPORTED_SCHEMES[1:])
    require_packages(url)
    from ecerp.adapters.sql import upgrade

    upgrade(url, revision)


def downgrade_database(url: str, revision: str) -> None:
    """Downgrade a SQL schema to ``revision`` (``"base"``: remove it)."""
    if not url.startswith(SUPPORTED_SCHEMES[1:]):
        raise UnsupportedUrlError(url, SUPPORTED_SCHEMES[1:])
    require_packages(url)
    from ecerp.adapters.sql import downgrade

    downgrade(url, revision)


def handler_maps() -> HandlerMap:
    """The command handlers and event subscriptions the bus runs: every
    use-case context's ``HANDLERS``, merged
    (:data:`ecerp.usecases.library.LIBRARY`, found by
    :func:`ecerp.usecases.registry.library_handlers`)."""
    return LIBRARY


def bootstrap(
    url: str = "memory://",
    *,
    clock: Clock | None = None,
    publishers: Sequence[EventPublisher] = (),
    auto_allocate: bool = True,
    config: Config | None = None,
    settings: SettingsSource | None = None,
    create: bool | None = None,
    upgrade: bool = False,
    tune_gc: bool = False,
) -> tuple[MessageBus, Backend]:
    """Open ``url`` (``create`` and ``upgrade`` as for :func:`open_backend`)
    and wire a message bus over it (applying the store's settings when
    ``settings`` is given, else ``config``; ``tune_gc`` as for
    :class:`MessageBus`)."""
    backend = open_backend(url, create=create, upgrade=upgrade)
    bus = MessageBus(
        backend.uow_factory,
        clock or SystemClock(),
        publishers,
        auto_allocate=auto_allocate,
        outbox=backend.outbox,
        config=config,
        settings=settings,
        dead_letters=backend.dead_letters,
        reader=backend.reader,
        handlers=handler_maps(),
        tune_gc=tune_gc,
    )
    if backend.configure_outbox is not None:
        backend.configure_outbox(bus.outbox_filter())
    return bus, backend
