"""Stocktakes: counting what is on a shelf and booking the difference."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.errors import ClosedPeriodError, InsufficientStockError
from ecerp.domain.inventory.locations import stock_location
from ecerp.domain.inventory.moves import BalanceKey, Move, WarehouseKey
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import MAX_QTY, code_validator, require_utc, to_utc, utc_validator
from ecerp.domain.shared.workflow import Workflow


class StocktakeStatus(enum.Enum):
    COUNTING = "counting"
    POSTED = "posted"
    CANCELLED = "cancelled"


#: A count sheet is posted or cancelled once, while counting.
STOCKTAKE_WORKFLOW: Workflow[StocktakeStatus] = Workflow(
    "stocktake",
    StocktakeStatus,
    {
        StocktakeStatus.COUNTING: {StocktakeStatus.POSTED, StocktakeStatus.CANCELLED},
        StocktakeStatus.POSTED: set(),
        StocktakeStatus.CANCELLED: set(),
    },
)


@attrs.frozen
class Variance:
    sku: str
    location: str
    book: int
    counted: int

    @property
    def delta(self) -> int:
        return self.counted - self.book


@attrs.define
class Stocktake:
    """A count sheet (盘点单) for sellable stock of one warehouse.

    Starting it snapshots the book quantity of each SKU to count.  Orders may
    keep shipping while people count: posting books ``counted - snapshot`` as
    a gain or loss, so after posting the book equals the count plus whatever
    moved since the snapshot (brief invariant 7).
    """

    id: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    started_at: datetime = attrs.field(converter=to_utc, validator=utc_validator)
    snapshot: dict[BalanceKey, int] = attrs.field(factory=dict)
    counts: dict[BalanceKey, int] = attrs.field(factory=dict)
    status: StocktakeStatus = StocktakeStatus.COUNTING

    @classmethod
    def start(
        cls,
        id: str,
        warehouse: str,
        skus: Iterable[str],
        book: StockBook,
        *,
        at: datetime,
        bin: str | None = None,
    ) -> Stocktake:
        book.warehouse(warehouse)
        loc = stock_location(warehouse, bin)
        snapshot = {(sku, loc): book.balance(sku, loc) for sku in sorted(set(skus))}
        if not snapshot:
            raise ValidationError("skus", [], "a stocktake needs at least one SKU")
        return cls(id, warehouse, at, snapshot)

    def count(self, sku: str, counted: int, *, bin: str | None = None) -> None:
        """Record the counted quantity (a recount replaces the earlier one).

        Raises:
            ValidationError: not counting, negative count, or SKU not on the sheet.
        """
        if self.status is not StocktakeStatus.COUNTING:
            raise ValidationError("status", self.status.value, f"stocktake {self.id} is closed")
        if type(counted) is not int or counted < 0:
            raise ValidationError("counted", counted, "must be an int >= 0")
        key = (sku, stock_location(self.warehouse, bin))
        if key not in self.snapshot:
            raise ValidationError("sku", sku, f"not on stocktake {self.id}")
        self.counts[key] = counted

    def variances(self) -> list[Variance]:
        return [
            Variance(sku, loc, self.snapshot[(sku, loc)], counted)
            for (sku, loc), counted in sorted(self.counts.items())
            if counted != self.snapshot[(sku, loc)]
        ]

    def post(self, book: StockBook, *, at: datetime, actor: str) -> list[Move]:
        """Book every variance as a stocktake gain or loss.

        Uncounted SKUs are left as they are.  A loss may push sellable stock
        below what is reserved: the caller must then release reservations
        (see :func:`shortfalls`).

        Raises:
            InvalidTransitionError: the stocktake is not counting.
            ClosedPeriodError: ``at`` falls in a closed period.
            InsufficientStockError: a loss bigger than the shelf now holds.
        """
        posted = STOCKTAKE_WORKFLOW.check(self.status, StocktakeStatus.POSTED, self.id)
        at = require_utc("at", at)
        closed = book.closed_until
        if closed is not None and at < closed:
            raise ClosedPeriodError(at, closed)
        variances = self.variances()
        for v in variances:
            # A loss larger than what is physically there now (goods shipped
            # since the snapshot) would make the bin negative: refuse it whole.
            too_big = v.delta < 0 and book.balance(v.sku, v.location) + v.delta < 0
            if too_big and not book.warehouse(self.warehouse).allow_negative:
                raise InsufficientStockError(
                    v.sku, v.location, -v.delta, book.balance(v.sku, v.location)
                )
        moves = [
            book.book_count(v.sku, v.location, part, at=at, actor=actor, document=self.id)
            for v in variances
            for part in _steps(v.delta)
        ]
        self.status = posted
        return moves


def _steps(delta: int) -> list[int]:
    """``delta`` as moves of at most :data:`MAX_QTY` units each (a count can
    differ from a book of several receipts by more than one move carries)."""
    sign, rest, steps = (1 if delta > 0 else -1), abs(delta), []
    while rest > MAX_QTY:
        steps.append(sign * MAX_QTY)
        rest -= MAX_QTY
    return [*steps, sign * rest]


def shortfalls(book: StockBook, keys: Iterable[WarehouseKey]) -> dict[WarehouseKey, int]:
    """For each ``(sku, warehouse)``, how far reserved exceeds on hand (if it does
    and the warehouse does not allow negative stock)."""
    result = {}
    for sku, wh in keys:
        if book.warehouse(wh).allow_negative:
            continue
        gap = book.reserved(sku, wh) - book.on_hand(sku, wh)
        if gap > 0:
            result[(sku, wh)] = gap
    return result
