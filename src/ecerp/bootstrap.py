"""The composition root: the one place that picks and wires adapters.

:func:`bootstrap` turns a backend URL into a ready :class:`MessageBus`.
Nothing here runs at import time; opening a backend happens when called.

Supported URLs: ``memory://`` (a fresh in-memory store).  The SQL backends
(``sqlite:///path.db``, ``postgresql+psycopg://...``) plug in here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from ecerp.adapters.clock import SystemClock
from ecerp.adapters.memory import MemoryStore, MemoryUnitOfWork
from ecerp.domain.errors import UnsupportedUrlError
from ecerp.domain.stock import StockState
from ecerp.ports.clock import Clock
from ecerp.ports.events import EventPublisher
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.messagebus import MessageBus

SUPPORTED_SCHEMES = ("memory://",)


@attrs.define
class Backend:
    """An opened backend: how to make units of work, and how to close it."""

    url: str
    uow_factory: Callable[[], UnitOfWork]
    snapshot: Callable[[], StockState]
    close: Callable[[], None]


def open_backend(url: str) -> Backend:
    """Open the storage named by ``url``.

    Raises:
        UnsupportedUrlError: the scheme is not one ecerp knows.
    """
    if url.startswith("memory://"):
        store = MemoryStore()

        def snapshot() -> StockState:
            return MemoryUnitOfWork(store).stock.snapshot()

        return Backend(url, lambda: MemoryUnitOfWork(store), snapshot, lambda: None)
    raise UnsupportedUrlError(url, SUPPORTED_SCHEMES)


def bootstrap(
    url: str = "memory://",
    *,
    clock: Clock | None = None,
    publishers: Sequence[EventPublisher] = (),
    auto_allocate: bool = True,
) -> tuple[MessageBus, Backend]:
    """Open ``url`` and wire a message bus over it."""
    backend = open_backend(url)
    bus = MessageBus(
        backend.uow_factory,
        clock or SystemClock(),
        publishers,
        auto_allocate=auto_allocate,
    )
    return bus, backend
