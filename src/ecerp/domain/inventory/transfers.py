"""Transfers: stock sent from one warehouse to another through transit."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.errors import InsufficientStockError
from ecerp.domain.inventory.moves import Move
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import code_validator, require_code, require_positive_qty
from ecerp.domain.shared.workflow import Workflow


class TransferStatus(enum.Enum):
    DRAFT = "draft"
    IN_TRANSIT = "in_transit"
    PARTIAL = "partially_received"
    RECEIVED = "received"


_T = TransferStatus

#: Sent once, then received in one go or in parts.
TRANSFER_WORKFLOW: Workflow[TransferStatus] = Workflow(
    "transfer",
    TransferStatus,
    {
        _T.DRAFT: {_T.IN_TRANSIT},
        _T.IN_TRANSIT: {_T.PARTIAL, _T.RECEIVED},
        _T.PARTIAL: {_T.PARTIAL, _T.RECEIVED},
        _T.RECEIVED: set(),
    },
)


@attrs.define
class Transfer:
    """Stock sent from one warehouse to another (调拨), received in parts."""

    id: str = attrs.field(validator=code_validator)
    source: str = attrs.field(validator=code_validator)
    dest: str = attrs.field(validator=code_validator)
    lines: dict[str, int] = attrs.field(factory=dict)
    received: dict[str, int] = attrs.field(factory=dict)
    status: TransferStatus = TransferStatus.DRAFT

    def __attrs_post_init__(self) -> None:
        if self.source == self.dest:
            raise ValidationError("dest", self.dest, "a transfer needs two different warehouses")
        if not self.lines:
            raise ValidationError("lines", {}, f"transfer {self.id} has no lines")
        for sku, qty in self.lines.items():
            require_code("sku", sku)
            require_positive_qty(f"lines[{sku}]", qty)

    def outstanding(self) -> dict[str, int]:
        return {
            sku: qty - self.received.get(sku, 0)
            for sku, qty in sorted(self.lines.items())
            if qty > self.received.get(sku, 0)
        }

    def dispatch(self, book: StockBook, *, at: datetime, actor: str) -> list[Move]:
        """Send every line: all lines leave or none does.

        Raises:
            InvalidTransitionError: the transfer was sent already.
            NotFoundError: an unknown warehouse.
            InsufficientStockError: a line is short at the source (nothing sent).
        """
        sent = TRANSFER_WORKFLOW.check(self.status, TransferStatus.IN_TRANSIT, self.id)
        book.warehouse(self.dest)
        for sku, qty in sorted(self.lines.items()):
            if (
                book.available(sku, self.source) < qty
                and not book.warehouse(self.source).allow_negative
            ):
                raise InsufficientStockError(
                    sku, self.source, qty, max(book.available(sku, self.source), 0)
                )
        moves = [
            book.transfer_out(
                sku, self.source, self.dest, qty, at=at, actor=actor, document=self.id
            )
            for sku, qty in sorted(self.lines.items())
        ]
        self.status = sent
        return moves

    def receive(
        self,
        book: StockBook,
        quantities: Mapping[str, int],
        *,
        at: datetime,
        actor: str,
        damaged: bool = False,
    ) -> list[Move]:
        """Receive part or all of what is outstanding.

        Raises:
            InvalidTransitionError: not in transit (not sent, or received in full).
            ValidationError: a SKU that is not outstanding.
            InvalidQuantityError: a quantity is not positive.
        """
        outstanding = self.outstanding()
        # received in full when every outstanding line is received (any
        # quantity beyond is refused below)
        whole = all(quantities.get(sku) == qty for sku, qty in outstanding.items())
        to = TransferStatus.RECEIVED if whole else TransferStatus.PARTIAL
        TRANSFER_WORKFLOW.check(self.status, to, self.id)
        for sku, qty in quantities.items():
            require_positive_qty(f"quantities[{sku}]", qty)
            if qty > outstanding.get(sku, 0):
                raise ValidationError(
                    "quantities", {sku: qty}, f"only {outstanding.get(sku, 0)} of {sku} outstanding"
                )
        moves = [
            book.transfer_in(
                sku, self.dest, qty, at=at, actor=actor, document=self.id, damaged=damaged
            )
            for sku, qty in sorted(quantities.items())
        ]
        for sku, qty in quantities.items():
            self.received[sku] = self.received.get(sku, 0) + qty
        self.status = to
        return moves
