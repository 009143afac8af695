"""Events an order records through its life: imported, updated, allocated, waiting, shipped, cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    pass
from ecerp.domain.shared.events import Event


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
