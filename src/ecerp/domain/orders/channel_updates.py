"""What an order takes from its channel after the import: later versions, and
the lines of an ``unmapped`` order once its listing SKUs resolve.

A channel sends the same order again when it changes (paid, cancelled, an
edited address or lines); :meth:`ChannelUpdates.apply_channel_version`
decides what the copy may change (the comparison itself lives in
:mod:`ecerp.domain.orders.versions`).  An order whose listing SKUs resolve to
nothing yet is kept ``unmapped``, requiring nothing; it takes newer versions
whole (:meth:`ChannelUpdates.take_unmapped_version`), a person may fix its
lines (:meth:`ChannelUpdates.edit_unmapped_lines`), and once every line
resolves it goes on (:meth:`ChannelUpdates.map_lines`)::

    >>> from datetime import UTC, datetime
    >>> from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder, UnmappedSku
    >>> from ecerp.domain.orders.order import Order
    >>> from ecerp.domain.shared.money import Money
    >>> at = datetime(2026, 5, 1, tzinfo=UTC)
    >>> draft = ChannelOrder("shopify", "web", "1001", at, "EUR",
    ...     (ChannelLine("MUG-RED", 2, Money.of("9.90", "EUR")),), paid=True)
    >>> order = Order.from_channel(draft, {}, at=at, actor="import",
    ...     unmapped=(UnmappedSku("shopify", "web", "MUG-RED"),))
    >>> order.status.value
    'unmapped'
    >>> order.map_lines({(1, "MUG"): 2}, at=at, actor="ann")
    >>> order.status.value, order.requirements
    ('ready', {(1, 'MUG'): 2})

These are methods of :class:`~ecerp.domain.orders.order.Order` (this module
holds them so the aggregate stays readable); they change the order only
through its own state and audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ecerp.domain.orders.drafts import (
    ChannelOrder,
    OrderLine,
    UnmappedSku,
    check_requirements,
    describe_lines,
    line_values,
)
from ecerp.domain.orders.errors import VersionConflictError
from ecerp.domain.orders.events import OrderUpdated
from ecerp.domain.orders.status import PaymentStatus, Requirements, S
from ecerp.domain.orders.versions import channel_changes, content_digest
from ecerp.domain.shared.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    ValidationError,
)
from ecerp.domain.shared.values import require_utc

if TYPE_CHECKING:
    from datetime import datetime

    from ecerp.domain.orders.drafts import Address, Change
    from ecerp.domain.orders.status import OrderStatus
    from ecerp.domain.shared.events import Event
    from ecerp.domain.shared.money import Money


def describe_unmapped(unmapped: Iterable[UnmappedSku]) -> str:
    """The listing SKUs that resolve to nothing, for the audit trail.

    >>> describe_unmapped([UnmappedSku("shopify", "web", "A"), UnmappedSku("shopify", "web", "B")])
    'shopify/web/A, shopify/web/B'
    """
    return ", ".join(str(u) for u in unmapped)


class ChannelUpdates:
    """The part of the order aggregate that takes what the channel sends
    later (a base of :class:`~ecerp.domain.orders.order.Order`, which
    declares the fields)."""

    if TYPE_CHECKING:  # the fields and steps of Order these methods use
        id: str
        updated_at: datetime
        currency: str
        lines: list[OrderLine]
        requirements: Requirements
        address: Address
        payment: PaymentStatus
        status: OrderStatus
        buyer_note: str
        unmapped: tuple[UnmappedSku, ...]
        channel_digest: str | None
        changes: list[Change]
        _events: list[Event]

        @property
        def key(self) -> tuple[str, str, str]: ...
        @property
        def is_channel_order(self) -> bool: ...
        def can_go(self, to: OrderStatus) -> bool: ...
        def _to(self, to: OrderStatus, at: datetime, actor: str, note: str = "") -> None: ...
        def _require_editable(self, change: str) -> None: ...
        def _audit(
            self, at: datetime, actor: str, field: str, before: object, after: object
        ) -> None: ...
        def cancel(self, *, at: datetime, actor: str, reason: str = "") -> None: ...
        def mark_paid(self, *, at: datetime, actor: str, amount: Money | None = None) -> None: ...
        def change_address(self, address: Address, *, at: datetime, actor: str) -> None: ...
        def replace_lines(
            self, lines: list[OrderLine], requirements: Requirements, *, at: datetime, actor: str
        ) -> None: ...

    else:
        __slots__ = ()  # Order (attrs, slots=True) declares the fields

    # --- later versions from the channel -------------------------------------------

    def apply_channel_version(
        self, draft: ChannelOrder, requirements: Requirements, *, at: datetime, actor: str
    ) -> list[str]:
        """Take a copy of this order the channel sent again; returns the
        changed field names (empty when there is nothing to take).

        A newer version is applied.  The same version is applied when the
        channel changed its content (a channel that sends no modification
        time), and only in the fields it changed (see
        :mod:`ecerp.domain.orders.versions`).  An older version with the
        same content changes nothing; one that differs is refused.

        Checks everything before changing anything.

        Raises:
            ValidationError: ``draft`` is a different order.
            VersionConflictError: ``draft`` is older and differs.
            OrderLockedError: lines or address changed after picking.
            InvalidTransitionError: cancelled on the channel after shipping.
        """
        if draft.key != self.key or not self.is_channel_order:
            raise ValidationError("external_id", draft.key, f"is not order {self.id}")
        take: frozenset[str] | None = None  # every field (a newer version)
        if draft.version <= self.updated_at:
            fields = channel_changes(self, draft)
            if fields and draft.version < self.updated_at:
                raise VersionConflictError(self.id, draft.version, self.updated_at, tuple(fields))
            if not fields:
                return []
            take = frozenset(fields)
        if self.status is S.UNMAPPED:  # every line resolves now: take it whole, then map
            if not draft.cancelled:
                check_requirements(draft.order_lines(), requirements)
            taken = self.take_unmapped_version(
                draft, self.unmapped, at=at, actor=actor, same_version=take is not None
            )
            if self.status is S.UNMAPPED:
                self.map_lines(requirements, at=at, actor=actor)
                taken.append("requirements")
            if taken:
                self.channel_digest = content_digest(draft)
            return taken
        new_lines = draft.order_lines()
        lines_changed = line_values(new_lines) != line_values(self.lines)
        if take is not None:
            lines_changed = lines_changed and "lines" in take
        address_changed = draft.address != self.address and (take is None or "address" in take)
        note_changed = draft.buyer_note != self.buyer_note and (
            take is None or "buyer_note" in take
        )
        changed: list[str] = []
        if draft.cancelled and self.status is not S.CANCELLED:
            if not self.can_go(S.CANCELLED):
                raise InvalidTransitionError(
                    f"order {self.id}", self.status.value, S.CANCELLED.value
                )
        elif not draft.cancelled:
            if lines_changed or address_changed:
                self._require_editable("take the channel's new lines or address")
            if lines_changed:
                check_requirements(new_lines, requirements)
        self.updated_at = draft.version
        self.channel_digest = content_digest(draft)
        if draft.cancelled:
            if self.status is not S.CANCELLED:
                self.cancel(at=at, actor=actor, reason="cancelled on channel")
                changed.append("status")
            return changed
        if draft.paid and self.payment is PaymentStatus.UNPAID:
            self.mark_paid(at=at, actor=actor, amount=draft.paid_amount)
            changed.append("payment")
        if address_changed:
            self.change_address(draft.address, at=at, actor=actor)
            changed.append("address")
        if lines_changed:
            self.replace_lines(new_lines, requirements, at=at, actor=actor)
            changed.append("lines")
        if note_changed:
            self._audit(at, actor, "buyer_note", self.buyer_note, draft.buyer_note)
            self.buyer_note = draft.buyer_note
            changed.append("buyer_note")
        return changed

    # --- unmapped orders -------------------------------------------------------------

    def take_unmapped_version(
        self,
        draft: ChannelOrder,
        unmapped: Iterable[UnmappedSku],
        *,
        at: datetime,
        actor: str,
        same_version: bool = False,
    ) -> list[str]:
        """An ``unmapped`` order takes a newer channel version whole (it holds
        nothing and nothing was decided on it yet), with the listing SKUs
        that still resolve to nothing; returns the changed fields.  Cancelled
        on the channel, it is cancelled.  With ``same_version``, a copy of the
        same version is taken too (the caller found its content changed: a
        channel that sends no modification time).

        Raises:
            ValidationError: ``draft`` is a different order.
            InvalidTransitionError: the order is not unmapped.
        """
        if draft.key != self.key:
            raise ValidationError("external_id", draft.key, f"is not order {self.id}")
        if self.status is not S.UNMAPPED:
            raise InvalidTransitionError(f"order {self.id}", self.status.value, "unmapped")
        if draft.version < self.updated_at or (
            draft.version == self.updated_at and not same_version
        ):
            return []
        self.updated_at = draft.version
        if draft.cancelled:
            self.cancel(at=at, actor=actor, reason="cancelled on channel")
            return ["status"]
        changed: list[str] = []
        if draft.paid and self.payment is PaymentStatus.UNPAID:
            self.mark_paid(at=at, actor=actor, amount=draft.paid_amount)
            changed.append("payment")
        new_lines = draft.order_lines()
        for field, before, after in (
            ("address", self.address, draft.address),
            ("buyer_note", self.buyer_note, draft.buyer_note),
            ("lines", describe_lines(self.lines), describe_lines(new_lines)),
        ):
            if before != after:
                self._audit(at, actor, field, before, after)
                changed.append(field)
        self.address, self.buyer_note, self.lines = draft.address, draft.buyer_note, new_lines
        missing = tuple(unmapped)
        if missing != self.unmapped:
            self._audit(
                at, actor, "unmapped", describe_unmapped(self.unmapped), describe_unmapped(missing)
            )
            self.unmapped = missing
            changed.append("unmapped")
        if changed:
            self._events.append(OrderUpdated(self.id, tuple(changed)))
        return changed

    def still_unmapped(self, unmapped: Iterable[UnmappedSku], *, at: datetime, actor: str) -> None:
        """Some of an ``unmapped`` order's listing SKUs resolve now, not all:
        keep the ones that still do not."""
        missing = tuple(unmapped)
        if self.status is S.UNMAPPED and missing and missing != self.unmapped:
            self._audit(
                at, actor, "unmapped", describe_unmapped(self.unmapped), describe_unmapped(missing)
            )
            self.unmapped = missing

    def edit_unmapped_lines(
        self, lines: list[OrderLine], unmapped: Iterable[UnmappedSku], *, at: datetime, actor: str
    ) -> None:
        """A person replaces an ``unmapped`` order's lines (typically fixing
        a mistyped listing SKU); ``unmapped`` are the listing SKUs of the new
        lines that still resolve to nothing.  Both changes are audited.  With
        none left, the caller maps the order next (:meth:`map_lines`).

        Raises:
            InvalidTransitionError: the order is not unmapped.
            ValidationError: no lines.
            CurrencyMismatchError: a line priced in another currency.
        """
        at = require_utc("at", at)
        if self.status is not S.UNMAPPED:
            raise InvalidTransitionError(f"order {self.id}", self.status.value, "unmapped")
        if not lines:
            raise ValidationError("lines", [], f"order {self.id} needs at least one line")
        for line in lines:
            if line.unit_price.currency != self.currency:
                raise CurrencyMismatchError(self.currency, line.unit_price.currency)
        missing = tuple(unmapped)
        if line_values(lines) != line_values(self.lines):
            self._audit(at, actor, "lines", describe_lines(self.lines), describe_lines(lines))
            self.lines = list(lines)
            self._events.append(OrderUpdated(self.id, ("lines",)))
        if missing != self.unmapped:
            self._audit(
                at,
                actor,
                "unmapped",
                describe_unmapped(self.unmapped),
                describe_unmapped(missing) or "-",
            )
            self.unmapped = missing

    def map_lines(self, requirements: Requirements, *, at: datetime, actor: str) -> None:
        """Every line of an ``unmapped`` order resolves now: take its
        requirements and go on (``ready``, or ``unpaid``), to be reviewed,
        routed and allocated like a newly imported order.

        Raises:
            InvalidTransitionError: the order is not unmapped.
            ValidationError: ``requirements`` do not cover every line.
        """
        if self.status is not S.UNMAPPED:
            raise InvalidTransitionError(f"order {self.id}", self.status.value, "mapped")
        check_requirements(self.lines, requirements)
        target = S.READY if self.payment is PaymentStatus.PAID else S.UNPAID
        self._to(
            target, at, actor, "mapped: " + (describe_unmapped(self.unmapped) or "lines edited")
        )
        self.requirements = dict(requirements)
        self.unmapped = ()
        self._events.append(OrderUpdated(self.id, ("requirements",)))
