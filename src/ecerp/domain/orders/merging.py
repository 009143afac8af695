"""The order aggregate's side of merging and splitting.

:mod:`ecerp.domain.orders.consolidation` decides whether orders may be
merged or split and how lines, quantities and money are shared out; each
order involved then takes its step through one of these methods, which
record it in the order's own history and audit trail:

* the orders folded into a merged parcel wait in ``merged``
  (:meth:`Merging.fold_into`), remembering their status and warehouse, and
  get them back when the parcel is undone (:meth:`Merging.unfold`);
* a merged parcel that is merged again is retired
  (:meth:`Merging.retire_into`), and the orders folded into it follow the
  new parcel (:meth:`Merging.refold_into`);
* a new parcel or part takes its first status (:meth:`Merging.open_merged`,
  :meth:`Merging.open_part`), and the order a part was split off keeps the
  rest (:meth:`Merging.keep_rest`).

These are methods of :class:`~ecerp.domain.orders.order.Order` (this module
holds them so the aggregate stays readable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ecerp.domain.orders.drafts import OrderLine, describe_lines
from ecerp.domain.orders.events import OrderUpdated
from ecerp.domain.orders.status import PaymentStatus, Requirements, S
from ecerp.domain.shared.errors import InvalidTransitionError

if TYPE_CHECKING:
    from datetime import datetime

    from ecerp.domain.orders.status import OrderStatus
    from ecerp.domain.shared.events import Event


class Merging:
    """The steps an order takes when it is merged or split (a base of
    :class:`~ecerp.domain.orders.order.Order`, which declares the fields)."""

    if TYPE_CHECKING:  # the fields and steps of Order these methods use
        id: str
        status: OrderStatus
        payment: PaymentStatus
        warehouse: str | None
        lines: list[OrderLine]
        requirements: Requirements
        seller_note: str
        merged_from: tuple[str, ...]
        merged_into: str | None
        line_origins: dict[int, tuple[str, int]]
        split_from: str | None
        parts_made: int
        parked: tuple[OrderStatus, str | None] | None
        _events: list[Event]

        def _to(self, to: OrderStatus, at: datetime, actor: str, note: str = "") -> None: ...
        def _audit(
            self, at: datetime, actor: str, field: str, before: object, after: object
        ) -> None: ...
        def cancel(self, *, at: datetime, actor: str, reason: str = "") -> None: ...
    else:
        __slots__ = ()  # Order (attrs, slots=True) declares the fields

    def _opening(self, at: datetime, actor: str, to: OrderStatus, note: str) -> None:
        if self.status is not S.NEW:
            raise InvalidTransitionError(f"order {self.id}", self.status.value, to.value)
        self._to(to, at, actor, note)

    def open_merged(self, *, at: datetime, actor: str) -> None:
        """A new merged parcel goes on: ``ready`` when paid, else ``unpaid``.

        Raises:
            InvalidTransitionError: the order is not new.
        """
        to = S.READY if self.payment is PaymentStatus.PAID else S.UNPAID
        self._opening(at, actor, to, "merged " + ", ".join(self.merged_from))

    def open_part(self, *, waiting: bool, at: datetime, actor: str) -> None:
        """A new part split off an order goes on: ``ready``, then
        ``waiting`` when the order it came from waits.

        Raises:
            InvalidTransitionError: the order is not new.
        """
        self._opening(at, actor, S.READY, f"split from {self.split_from}")
        if waiting:
            self._to(S.WAITING, at, actor, "waits like the order it came from")

    def fold_into(self, parcel: str, *, at: datetime, actor: str) -> None:
        """Wait in ``merged`` inside the parcel ``parcel``, keeping the
        status and warehouse to go back to (:meth:`unfold`).

        Raises:
            InvalidTransitionError: the order cannot be merged from its status.
        """
        parked = (self.status, self.warehouse)
        self._to(S.MERGED, at, actor, parcel)
        self.parked = parked
        self.merged_into = parcel
        self.warehouse = None

    def retire_into(self, parcel: str, *, at: datetime, actor: str) -> None:
        """A merged parcel merged again: cancelled, replaced by ``parcel``.

        Raises:
            InvalidTransitionError: the order cannot be cancelled any more.
        """
        self.cancel(at=at, actor=actor, reason=f"merged again into {parcel}")
        self.merged_into = parcel

    def refold_into(self, parcel: str, *, at: datetime, actor: str) -> None:
        """An order folded into a parcel that was merged again now waits
        inside ``parcel``."""
        self._audit(at, actor, "merged_into", self.merged_into, parcel)
        self.merged_into = parcel

    def unfold(self, parcel: str, *, at: datetime, actor: str) -> None:
        """The parcel ``parcel`` is undone: back to the status and warehouse
        the order had before it was folded.

        Raises:
            InvalidTransitionError: the order is not folded (nothing to go
                back to), or cannot go back to that status.
        """
        if self.parked is None:
            raise InvalidTransitionError(f"order {self.id}", self.status.value, "unmerged")
        status, warehouse = self.parked
        self._to(status, at, actor, "unmerged from " + parcel)
        self.warehouse = warehouse
        self.merged_into = None
        self.parked = None

    def keep_rest(
        self,
        lines: list[OrderLine],
        requirements: Requirements,
        *,
        parts: Sequence[str],
        parts_made: int,
        at: datetime,
        actor: str,
    ) -> None:
        """Parts were split off: keep ``lines`` (what stays) with their
        ``requirements``; ``parts`` are the new parts' ids and
        ``parts_made`` how many numbers are taken now.  Audited as a split."""
        self._audit(at, actor, "split", describe_lines(self.lines), describe_lines(lines))
        self.parts_made = parts_made
        self.lines = lines
        self.requirements = requirements
        kept = {ln.line_no for ln in lines}
        self.line_origins = {n: o for n, o in self.line_origins.items() if n in kept}
        self.seller_note = (self.seller_note + f" split into {', '.join(parts)}").strip()
        self._events.append(OrderUpdated(self.id, ("lines",)))
