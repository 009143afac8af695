"""The order aggregate's side of holds: a person (or a review check, or a
routing rule) stops an order until someone lets it go on.

An order on hold lists *all* its reasons (:class:`~ecerp.domain.orders.reasons.HoldReason`);
holding it again adds new ones, a review run replaces the reasons of the
checks it ran (:meth:`Holding.apply_review`), and releasing it
(:meth:`Holding.release_hold`) clears them for good: the order keeps their
codes in ``cleared_holds`` so the same reasons do not hold it again::

    >>> from datetime import UTC, datetime
    >>> from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
    >>> from ecerp.domain.orders.order import Order
    >>> from ecerp.domain.shared.money import Money
    >>> at = datetime(2026, 5, 1, tzinfo=UTC)
    >>> draft = ChannelOrder("shopify", "web", "1001", at, "EUR",
    ...     (ChannelLine("MUG", 1, Money.of("9.90", "EUR")),), paid=True)
    >>> order = Order.from_channel(draft, {(1, "MUG"): 1}, at=at, actor="import")
    >>> order.hold(["call the buyer"], at=at, actor="ann")
    >>> order.status.value, [str(r) for r in order.hold_reasons]
    ('on_hold', ['call the buyer'])
    >>> order.release_hold(at=at, actor="ann")
    >>> order.status.value, sorted(order.cleared_holds)
    ('ready', ['manual'])

A shop that reserves stock for held orders lets an allocated order keep its
warehouse while held (:meth:`Holding.reserve_while_held`,
:meth:`Holding.give_back_held_stock`).

These are methods of :class:`~ecerp.domain.orders.order.Order` (this module
holds them so the aggregate stays readable).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ecerp.domain.orders.events import OrderAllocated
from ecerp.domain.orders.reasons import HoldReason, describe_reasons
from ecerp.domain.orders.status import PaymentStatus, S
from ecerp.domain.shared.errors import InvalidTransitionError, ValidationError

if TYPE_CHECKING:
    from datetime import datetime

    from ecerp.domain.orders.status import OrderStatus
    from ecerp.domain.shared.events import Event


class Holding:
    """The steps of holding and releasing an order (a base of
    :class:`~ecerp.domain.orders.order.Order`, which declares the fields)."""

    if TYPE_CHECKING:  # the fields and steps of Order these methods use
        id: str
        status: OrderStatus
        payment: PaymentStatus
        warehouse: str | None
        reserve_held: bool
        hold_reasons: tuple[HoldReason, ...]
        cleared_holds: frozenset[str]
        _events: list[Event]

        def _to(self, to: OrderStatus, at: datetime, actor: str, note: str = "") -> None: ...
        def _audit(
            self, at: datetime, actor: str, field: str, before: object, after: object
        ) -> None: ...
    else:
        __slots__ = ()  # Order (attrs, slots=True) declares the fields

    def hold(self, reasons: Iterable[HoldReason | str], *, at: datetime, actor: str) -> None:
        """Hold for review: a person must :meth:`release_hold` or cancel.

        Holding an order that is already held adds the new reasons (so a
        review run twice changes nothing).  Plain strings are manual holds.
        """
        new = tuple(r if isinstance(r, HoldReason) else HoldReason.manual(r) for r in reasons)
        if not new:
            raise ValidationError("reasons", (), "a hold needs a reason")
        if self.status is S.ON_HOLD:
            merged = self.hold_reasons + tuple(r for r in new if r not in self.hold_reasons)
            if merged != self.hold_reasons:
                self._audit(
                    at,
                    actor,
                    "hold_reasons",
                    describe_reasons(self.hold_reasons),
                    describe_reasons(merged),
                )
                self.hold_reasons = merged
            return
        keeps = self.reserve_held and self.warehouse is not None and self.status is S.ALLOCATED
        note = describe_reasons(new) + (f" (keeps its stock in {self.warehouse})" if keeps else "")
        self._to(S.ON_HOLD, at, actor, note)
        self.hold_reasons = new
        if not keeps:
            self.warehouse = None

    def apply_review(
        self, reasons: Iterable[HoldReason], checked: Iterable[str], *, at: datetime, actor: str
    ) -> None:
        """Take the result of a review that ran the checks ``checked`` (codes).

        A held order's reasons from those checks are replaced by ``reasons``
        (reasons from other sources, a person or a rule, stay); if none is
        left at all, the order goes on by itself.  An order not held is held
        when there is a reason.
        """
        reasons = tuple(reasons)
        if self.status is not S.ON_HOLD:
            if reasons:
                self.hold(reasons, at=at, actor=actor)
            return
        codes = set(checked)
        kept = tuple(r for r in self.hold_reasons if r.code not in codes)
        fresh: list[HoldReason] = []
        for r in reasons:
            if all(f.code != r.code for f in fresh):
                fresh.append(r)
        merged = kept + tuple(fresh)
        if merged == self.hold_reasons:
            return
        if not merged:
            target = self._after_hold()
            self._to(
                target,
                at,
                actor,
                "no reason to hold any more: " + describe_reasons(self.hold_reasons),
            )
            self.hold_reasons = ()
            return
        self._audit(
            at, actor, "hold_reasons", describe_reasons(self.hold_reasons), describe_reasons(merged)
        )
        self.hold_reasons = merged

    def release_hold(self, *, at: datetime, actor: str) -> None:
        """A person looked at the reasons and lets the order go on; those
        reasons will not hold it again.

        Raises:
            InvalidTransitionError: the order is not on hold.
        """
        if self.status is not S.ON_HOLD:
            target = S.READY if self.payment is PaymentStatus.PAID else S.UNPAID
            raise InvalidTransitionError(f"order {self.id}", self.status.value, target.value)
        target = self._after_hold()
        self._to(target, at, actor, "released: " + describe_reasons(self.hold_reasons))
        self.cleared_holds = self.cleared_holds | {str(r.code) for r in self.hold_reasons}
        self.hold_reasons = ()

    def _after_hold(self) -> OrderStatus:
        """Where a held order goes when nothing holds it any more: back to
        ``allocated`` if it kept its stock, else ``ready`` (or ``unpaid``)."""
        if self.warehouse is not None and self.payment is PaymentStatus.PAID:
            return S.ALLOCATED
        return S.READY if self.payment is PaymentStatus.PAID else S.UNPAID

    def can_reserve_on_hold(self) -> bool:
        """Whether :meth:`reserve_while_held` may take it: on hold, paid,
        keeping no stock yet."""
        return (
            self.status is S.ON_HOLD
            and self.warehouse is None
            and self.payment is PaymentStatus.PAID
        )

    def reserve_while_held(self, warehouse: str, *, at: datetime, actor: str) -> None:
        """Record that a held order's requirements are now reserved in
        ``warehouse`` (its shop reserves stock for held orders); it stays on
        hold until a person releases it.

        Raises:
            InvalidTransitionError: the order is not on hold, is not paid, or
                already keeps stock in a warehouse.
        """
        if not self.can_reserve_on_hold():
            raise InvalidTransitionError(f"order {self.id}", self.status.value, "reserved on hold")
        self._audit(at, actor, "warehouse", None, f"{warehouse} (reserved on hold)")
        self.warehouse = warehouse
        self.reserve_held = True
        self._events.append(OrderAllocated(self.id, warehouse))

    def give_back_held_stock(self, *, at: datetime, actor: str, note: str) -> None:
        """A held order that kept stock gives it back (its warehouse cannot
        cover an edit, a rule wants another warehouse, a stocktake loss); it
        stays on hold, and the next allocation run reserves again."""
        if self.status is not S.ON_HOLD or self.warehouse is None:
            return
        self._audit(at, actor, "warehouse", self.warehouse, f"None ({note})")
        self.warehouse = None
