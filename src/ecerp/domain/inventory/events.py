"""Events the stock ledger records: moves, reservations and their release."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ecerp.domain.inventory.moves import Move
from ecerp.domain.shared.events import Event


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
