"""The unit of work port: one atomic change to the books.

Use cases open a unit of work, work through its repositories, and call
:meth:`UnitOfWork.commit`.  Leaving the ``with`` block without committing,
or with an exception, rolls everything back: a use case commits whole or
leaves nothing.  After commit, :meth:`UnitOfWork.collect_events` gives the
domain events the work produced::

    with uow:
        book = uow.stock.book()
        book.receive("MUG", "SH", 10, at=now, actor="ann")
        uow.commit()
    events = uow.collect_events()

A unit of work is single-use and not thread-safe; open one per command.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from ecerp.domain.shared.events import Event
from ecerp.ports.catalog import CatalogRepository
from ecerp.ports.documents import DocumentRepository
from ecerp.ports.idempotency import IdempotencyRepository
from ecerp.ports.orders import OrderRepository
from ecerp.ports.settings import SettingsRepository
from ecerp.ports.stock import StockRepository


class UnitOfWork(abc.ABC):
    catalog: CatalogRepository
    stock: StockRepository
    orders: OrderRepository
    documents: DocumentRepository
    idempotency: IdempotencyRepository
    settings: SettingsRepository

    def __init__(self) -> None:
        self._committed = False
        self._events: list[Event] = []
        #: Events of the unit being committed, for adapters that store them
        #: in the same transaction (an outbox).
        self.pending_events: list[Event] = []
        #: Called with the unit's events once its work ran, just before its
        #: changes are made durable; whatever it raises abandons the commit
        #: (the unit rolls back on leaving its block).  ``ecerp.testing.faults``
        #: uses it to make commits lose races on purpose, on any backend.
        self.before_commit: Callable[[Sequence[Event]], None] | None = None

    def __enter__(self) -> Self:
        self._committed = False
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self._rollback()
        finally:
            self._close()

    def commit(self) -> None:
        """Make every change of this unit durable and visible, atomically.

        Raises:
            ConcurrencyError: another writer changed what this one read.
        """
        self.pending_events = self._gather_events()
        if self.before_commit is not None:
            try:
                self.before_commit(self.pending_events)
            except BaseException:
                self.pending_events = []
                raise
        self._commit()
        self._committed = True
        self._events.extend(self.pending_events)
        self.pending_events = []

    def rollback(self) -> None:
        """Drop every change (also done on leaving the block uncommitted)."""
        self._rollback()

    def collect_events(self) -> list[Event]:
        """Events of committed work, oldest first; each is returned once."""
        events, self._events = self._events, []
        return events

    @abc.abstractmethod
    def _begin(self) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def _rollback(self) -> None: ...

    def _close(self) -> None:
        """Release what :meth:`_begin` took (connections, locks)."""
        return

    @abc.abstractmethod
    def _gather_events(self) -> list[Event]:
        """Drain events from every aggregate this unit touched."""
