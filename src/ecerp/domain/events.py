"""Domain events: frozen, past-tense facts that aggregates record.

Aggregates append events as they change; a unit of work collects them after
commit and the message bus hands them to handlers (for example, stock that
arrives lets waiting orders be allocated) and to publishers::

    >>> OrderCancelled("amazon/amz-de/111-222", reason="buyer asked")
    OrderCancelled(order='amazon/amz-de/111-222', reason='buyer asked')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ecerp.domain.stock import Move


@attrs.frozen
class Event:
    """Base of all domain events."""


# --- stock ---------------------------------------------------------------------


@attrs.frozen
class StockMoved(Event):
    move: Move


@attrs.frozen
class StockReserved(Event):
    order: str
    warehouse: str
    lines: tuple[tuple[tuple[int, str], int], ...]


@attrs.frozen
class ReservationReleased(Event):
    order: str
    lines: tuple[tuple[tuple[int, str], int], ...]


# --- orders ----------------------------------------------------------------------


@attrs.frozen
class OrderImported(Event):
    order: str


@attrs.frozen
class OrderUpdated(Event):
    order: str
    fields: tuple[str, ...]


@attrs.frozen
class OrderStatusChanged(Event):
    order: str
    from_: str
    to: str


@attrs.frozen
class OrderAllocated(Event):
    order: str
    warehouse: str


@attrs.frozen
class OrderWaiting(Event):
    order: str
    short: tuple[str, ...]


@attrs.frozen
class OrderShipped(Event):
    order: str
    warehouse: str
    tracking: str | None


@attrs.frozen
class OrderCancelled(Event):
    order: str
    reason: str = ""
