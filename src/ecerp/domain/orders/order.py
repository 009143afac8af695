"""Orders: what a buyer bought in a shop, and where it is in its life.

An order arrives from a channel as a :class:`ChannelOrder` (or is typed in by
hand).  Its identity is ``(channel, shop, external_id)``: importing the same
channel order again never makes a second order; a later version (newer
``updated_at``) updates the one order, the same version only if the channel
changed its content, and an older one that differs is refused (see
:mod:`ecerp.domain.orders.versions`).  Ids are collision-free by construction
(see :mod:`ecerp.domain.orders.ids`).

Lines carry *listing* SKUs.  Resolved through the catalog's aliases and
bundles they become **requirements**: warehouse SKU quantities per line,
``{(line_no, sku): qty}``, which is what allocation reserves.

The status is a state machine declared as data (:data:`TRANSITIONS`); every
change is recorded with who and when::

    >>> from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
    >>> from ecerp.domain.shared.money import Money
    >>> at = datetime(2026, 5, 1, tzinfo=UTC)
    >>> draft = ChannelOrder(
    ...     channel="shopify", shop="web", external_id="1001", ordered_at=at,
    ...     currency="EUR", paid=True,
    ...     lines=(ChannelLine("MUG-RED", 2, Money.of("9.90", "EUR")),),
    ... )
    >>> order = Order.from_channel(draft, {(1, "MUG-RED"): 2}, at=at, actor="import")
    >>> order.status, order.total()
    (<OrderStatus.READY: 'ready'>, Money(amount=Decimal('19.80'), currency='EUR'))
    >>> order.cancel(at=at, actor="ann", reason="buyer changed mind")
    >>> [(c.from_.value, c.to.value, c.actor) for c in order.history]
    [('new', 'ready', 'import'), ('ready', 'cancelled', 'ann')]

Orders never touch stock themselves: use cases reserve and release through
the stock book and then tell the order (:meth:`Order.allocate`,
:meth:`Order.wait`).  :meth:`Order.holds_stock` says whether the order should
hold reservations in its status, which is how cancelling or editing releases
exactly what was reserved.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs

from ecerp.domain.orders.drafts import (
    Address,
    Buyer,
    Change,
    ChannelOrder,
    HoldReason,
    OrderLine,
    StatusChange,
    UnmappedSku,
    _check_requirements,
    _describe_lines,
    _line_values,
    _reasons,
    order_id,
)
from ecerp.domain.orders.events import (
    OrderAllocated,
    OrderCancelled,
    OrderImported,
    OrderShipped,
    OrderStatusChanged,
    OrderUpdated,
    OrderWaiting,
)
from ecerp.domain.orders.ids import is_channel_order_id
from ecerp.domain.orders.status import (
    EDITABLE,
    HOLDING,
    TRANSITIONS,
    OrderLockedError,
    OrderStatus,
    PaymentStatus,
    Requirements,
    S,
)
from ecerp.domain.orders.versions import VersionConflictError, channel_changes, content_digest
from ecerp.domain.shared.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    ValidationError,
)
from ecerp.domain.shared.events import Event
from ecerp.domain.shared.money import Money
from ecerp.domain.shared.values import require_utc


@attrs.define(eq=False)
class Order:
    """The order aggregate.  Build it with :meth:`from_channel`."""

    id: str
    channel: str
    shop: str
    external_id: str
    ordered_at: datetime
    updated_at: datetime
    currency: str
    lines: list[OrderLine]
    requirements: Requirements
    buyer: Buyer
    address: Address
    payment: PaymentStatus
    paid_amount: Money | None
    status: OrderStatus
    buyer_note: str = ""
    seller_note: str = ""
    shipping_level: str = ""
    shipping_service: str | None = None
    priority: int = 0
    tags: set[str] = attrs.field(factory=set)
    warehouse: str | None = None
    tracking: str | None = None
    hold_reasons: tuple[HoldReason, ...] = ()
    cleared_holds: frozenset[str] = frozenset()
    """Codes of hold reasons a person released; they do not hold it again."""
    payment_reference: str = ""
    merged_from: tuple[str, ...] = ()
    """For a merged order: the orders folded into it."""
    merged_into: str | None = None
    """For a folded order: the order it was merged into.  For a merged
    parcel retired by a re-merge (cancelled): the parcel that replaced it."""
    line_origins: dict[int, tuple[str, int]] = attrs.field(factory=dict)
    """For a merged order: line number -> (original order id, its line number),
    so tracking can be written back per original marketplace order."""
    split_from: str | None = None
    """For a part split off another order: that order's id."""
    parts_made: int = 0
    """How many parts were split off this order (they are numbered 2, 3, ...)."""
    unmapped: tuple[UnmappedSku, ...] = ()
    """For an ``unmapped`` order: the listing SKUs that resolve to nothing yet."""
    parked: tuple[OrderStatus, str | None] | None = None
    """For a folded order: its status and warehouse before the merge."""
    route_rule: str | None = None
    """The routing rule that decided this order's warehouse or service."""
    route_warehouse: str | None = None
    """The warehouse a routing rule assigned (allocation uses only it)."""
    channel_digest: str | None = None
    """A digest of the content last taken from the channel (see
    :mod:`ecerp.domain.orders.versions`); ``None`` for orders ecerp made, and
    for orders stored by an ecerp that kept none."""
    reserve_held: bool = False
    """Whether the order keeps its warehouse and reservations while on hold:
    its shop's ``reserve_held`` setting when it was last allocated."""
    history: list[StatusChange] = attrs.field(factory=list)
    changes: list[Change] = attrs.field(factory=list)
    _events: list[Event] = attrs.field(factory=list, alias="_events")

    # --- creation ----------------------------------------------------------------

    @classmethod
    def from_channel(
        cls,
        draft: ChannelOrder,
        requirements: Requirements,
        *,
        at: datetime,
        actor: str,
        unmapped: Iterable[UnmappedSku] = (),
    ) -> Order:
        """A new order from ``draft`` with its resolved ``requirements``.

        With ``unmapped`` (the listing SKUs that resolve to nothing yet) the
        order is kept ``unmapped``, requiring nothing, until
        :meth:`map_lines` (a cancelled draft is simply cancelled).
        """
        at = require_utc("at", at)
        lines = draft.order_lines()
        missing = tuple(unmapped)
        if missing:
            requirements = {}
        else:
            _check_requirements(lines, requirements)
        order = cls(
            id=order_id(*draft.key),
            channel=draft.channel,
            shop=draft.shop,
            external_id=draft.external_id,
            ordered_at=draft.ordered_at,
            updated_at=draft.version,
            currency=draft.currency,
            lines=lines,
            requirements=dict(requirements),
            buyer=draft.buyer,
            address=draft.address,
            payment=PaymentStatus.PAID if draft.paid else PaymentStatus.UNPAID,
            paid_amount=draft.paid_amount,
            status=S.NEW,
            buyer_note=draft.buyer_note,
            shipping_level=draft.shipping_level,
            priority=draft.priority,
            tags=set(draft.tags),
            payment_reference=draft.payment_reference,
            channel_digest=content_digest(draft),
        )
        target = S.CANCELLED if draft.cancelled else (S.READY if draft.paid else S.UNPAID)
        if missing:
            order.unmapped = missing
            if not draft.cancelled:
                target = S.UNMAPPED
        order._to(
            target, at, actor, "imported" + (f"; unmapped: {_codes(missing)}" if missing else "")
        )
        order._events.append(OrderImported(order.id))
        return order

    def clone(self) -> Order:
        """An independent copy (repositories hand these out so that a rolled
        back unit of work leaves the stored order untouched): every mutable
        container is copied, pending events are not (see :func:`_cloner`)."""
        return _clone_order(self)

    # --- reads -----------------------------------------------------------------------

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.channel, self.shop, self.external_id)

    @property
    def is_channel_order(self) -> bool:
        """Whether a channel sent this order (its :attr:`key` finds it), as
        opposed to a part split off an order or a merged parcel, whose
        ``external_id`` is only a label."""
        return is_channel_order_id(self.id)

    def holds_stock(self) -> bool:
        """Whether this order should hold its reservations: in ``allocated``,
        ``picking`` and ``packed``, and ``on_hold`` while it keeps a
        warehouse (its shop reserves stock for held orders)."""
        return self.status in HOLDING or (self.status is S.ON_HOLD and self.warehouse is not None)

    def sku_totals(self) -> dict[str, int]:
        """Requirements summed per SKU across lines (a shared component once)."""
        totals: dict[str, int] = {}
        for (_, sku), qty in self.requirements.items():
            totals[sku] = totals.get(sku, 0) + qty
        return totals

    def total(self) -> Money:
        """What the lines come to, rounded to the currency's minor unit
        (summed as decimals: routing facts and review checks ask for every
        order)."""
        currency, amount = self.currency, Decimal(0)
        for line in self.lines:
            price, discount = line.unit_price, line.discount
            for money in (price, discount):
                if money.currency != currency:
                    raise CurrencyMismatchError(currency, money.currency)
            amount += price.amount * line.qty - discount.amount
        return Money(amount, currency).rounded()

    def collect_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    # --- status ------------------------------------------------------------------------

    def _to(self, to: OrderStatus, at: datetime, actor: str, note: str = "") -> None:
        at = require_utc("at", at)
        status = self.status
        if to not in TRANSITIONS[status]:
            raise InvalidTransitionError(f"order {self.id}", status.value, to.value)
        self.history.append(StatusChange(at, actor, status, to, note))
        self._events.append(OrderStatusChanged(self.id, status.value, to.value))
        self.status = to

    def can_go(self, to: OrderStatus) -> bool:
        return to in TRANSITIONS[self.status]

    def mark_paid(self, *, at: datetime, actor: str, amount: Money | None = None) -> None:
        if self.payment is PaymentStatus.PAID:
            return
        if amount is not None and amount.currency != self.currency:
            raise CurrencyMismatchError(self.currency, amount.currency)
        self._audit(at, actor, "payment", self.payment.value, PaymentStatus.PAID.value)
        self.payment = PaymentStatus.PAID
        self.paid_amount = amount if amount is not None else self.paid_amount
        if self.status is S.UNPAID:
            self._to(S.READY, at, actor, "paid")

    def hold(self, reasons: Iterable[HoldReason | str], *, at: datetime, actor: str) -> None:
        """Hold for review: a person must :meth:`release_hold` or cancel.

        Holding an order that is already held adds the new reasons (so a
        review run twice changes nothing).  Plain strings are manual holds.
        """
        new = tuple(r if isinstance(r, HoldReason) else HoldReason("manual", r) for r in reasons)
        if not new:
            raise ValidationError("reasons", (), "a hold needs a reason")
        if self.status is S.ON_HOLD:
            merged = self.hold_reasons + tuple(r for r in new if r not in self.hold_reasons)
            if merged != self.hold_reasons:
                self._audit(
                    at, actor, "hold_reasons", _reasons(self.hold_reasons), _reasons(merged)
                )
                self.hold_reasons = merged
            return
        keeps = self.reserve_held and self.warehouse is not None and self.status is S.ALLOCATED
        note = _reasons(new) + (f" (keeps its stock in {self.warehouse})" if keeps else "")
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
                target, at, actor, "no reason to hold any more: " + _reasons(self.hold_reasons)
            )
            self.hold_reasons = ()
            return
        self._audit(at, actor, "hold_reasons", _reasons(self.hold_reasons), _reasons(merged))
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
        self._to(target, at, actor, "released: " + _reasons(self.hold_reasons))
        self.cleared_holds = self.cleared_holds | {r.code for r in self.hold_reasons}
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

    def allocate(
        self, warehouse: str, *, at: datetime, actor: str, reserve_held: bool = False
    ) -> None:
        """Record that its requirements are now reserved in ``warehouse``.

        ``reserve_held``: its shop's setting, whether a hold later keeps the
        stock (see :attr:`reserve_held`).
        """
        self._to(S.ALLOCATED, at, actor, warehouse)
        self.warehouse = warehouse
        self.reserve_held = reserve_held
        self._events.append(OrderAllocated(self.id, warehouse))

    def wait(self, short: Iterable[str], *, at: datetime, actor: str) -> None:
        """No warehouse can ship all of it now: wait for stock (缺货)."""
        short = tuple(sorted(short))
        if self.status is not S.WAITING:
            self._to(S.WAITING, at, actor, ", ".join(short))
            self._events.append(OrderWaiting(self.id, short))
        self.warehouse = None

    def deallocate(self, *, at: datetime, actor: str, note: str = "") -> None:
        """Give its stock back and go back to waiting (e.g. a stocktake found
        the shelf emptier than the book, even under a picker)."""
        self._to(S.WAITING, at, actor, note or "deallocated")
        self.warehouse = None

    def start_picking(self, *, at: datetime, actor: str) -> None:
        self._to(S.PICKING, at, actor)

    def pack(self, *, at: datetime, actor: str) -> None:
        self._to(S.PACKED, at, actor)

    def ship(self, *, at: datetime, actor: str, tracking: str | None = None) -> None:
        self._to(S.SHIPPED, at, actor, tracking or "")
        self.tracking = tracking
        self._events.append(OrderShipped(self.id, self.warehouse or "", tracking))

    def deliver(self, *, at: datetime, actor: str) -> None:
        self._to(S.DELIVERED, at, actor)

    def complete(self, *, at: datetime, actor: str) -> None:
        self._to(S.COMPLETED, at, actor)

    def cancel(self, *, at: datetime, actor: str, reason: str = "") -> None:
        """Raises:
        InvalidTransitionError: already shipped, cancelled or returned.
        """
        self._to(S.CANCELLED, at, actor, reason)
        self._events.append(OrderCancelled(self.id, reason))

    # --- edits -------------------------------------------------------------------------

    def _require_editable(self, change: str) -> None:
        if self.status not in EDITABLE:
            raise OrderLockedError(self.id, self.status, change)

    def _audit(self, at: datetime, actor: str, field: str, before: object, after: object) -> None:
        at = require_utc("at", at)
        self.changes.append(Change(at, actor, field, str(before), str(after)))

    def change_address(self, address: Address, *, at: datetime, actor: str) -> None:
        require_utc("at", at)
        if address == self.address:
            return
        self._require_editable("change the address")
        self._audit(at, actor, "address", self.address, address)
        self.address = address
        self._events.append(OrderUpdated(self.id, ("address",)))

    def route(
        self,
        *,
        rule: str | None,
        warehouse: str | None,
        service: str | None,
        tags: Iterable[str] = (),
        priority: int | None = None,
        at: datetime,
        actor: str,
    ) -> list[str]:
        """Take a routing decision (rule name and its actions); returns the
        fields that changed, each audited.  A service the rules leave open is
        kept as it is."""
        at = require_utc("at", at)
        changed = []
        if (self.route_rule, self.route_warehouse) != (rule, warehouse):
            self._audit(
                at,
                actor,
                "route",
                f"{self.route_rule}:{self.route_warehouse}",
                f"{rule}:{warehouse}",
            )
            self.route_rule, self.route_warehouse = rule, warehouse
            changed.append("route")
        if service is not None and service != self.shipping_service:
            self._audit(at, actor, "shipping_service", self.shipping_service, service)
            self.shipping_service = service
            changed.append("shipping_service")
        new_tags = set(tags) - self.tags
        if new_tags:
            self._audit(at, actor, "tags", sorted(self.tags), sorted(self.tags | new_tags))
            self.tags |= new_tags
            changed.append("tags")
        if priority is not None and priority != self.priority:
            self._audit(at, actor, "priority", self.priority, priority)
            self.priority = priority
            changed.append("priority")
        return changed

    def set_shipping_service(self, service: str | None, *, at: datetime, actor: str) -> None:
        if service == self.shipping_service:
            return
        self._require_editable("change the shipping service")
        self._audit(at, actor, "shipping_service", self.shipping_service, service)
        self.shipping_service = service

    def replace_lines(
        self, lines: list[OrderLine], requirements: Requirements, *, at: datetime, actor: str
    ) -> None:
        """Replace the lines (quantities, SKUs, added or removed lines).

        The caller then reconciles reservations with the new requirements.

        Raises:
            OrderLockedError: the order is picked or beyond.
            ValidationError: requirements do not match the lines.
        """
        self._require_editable("edit lines")
        if not lines:
            raise ValidationError("lines", [], f"order {self.id} needs at least one line")
        for line in lines:
            if line.unit_price.currency != self.currency:
                raise CurrencyMismatchError(self.currency, line.unit_price.currency)
        _check_requirements(lines, requirements)
        if _line_values(lines) == _line_values(self.lines) and requirements == self.requirements:
            return
        self._audit(at, actor, "lines", _describe_lines(self.lines), _describe_lines(lines))
        if self.line_origins:
            # a merged parcel: a line keeps its marketplace origin while it is
            # still the same listing at the same number; added or replaced
            # lines come from no marketplace order
            old = {ln.line_no: ln.listing_sku for ln in self.lines}
            self.line_origins = {
                ln.line_no: self.line_origins[ln.line_no]
                for ln in lines
                if ln.line_no in self.line_origins and old.get(ln.line_no) == ln.listing_sku
            }
        self.lines = list(lines)
        self.requirements = dict(requirements)
        self._events.append(OrderUpdated(self.id, ("lines",)))

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
                _check_requirements(draft.order_lines(), requirements)
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
        lines_changed = _line_values(new_lines) != _line_values(self.lines)
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
                _check_requirements(new_lines, requirements)
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
            ("lines", _describe_lines(self.lines), _describe_lines(new_lines)),
        ):
            if before != after:
                self._audit(at, actor, field, before, after)
                changed.append(field)
        self.address, self.buyer_note, self.lines = draft.address, draft.buyer_note, new_lines
        missing = tuple(unmapped)
        if missing != self.unmapped:
            self._audit(at, actor, "unmapped", _codes(self.unmapped), _codes(missing))
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
            self._audit(at, actor, "unmapped", _codes(self.unmapped), _codes(missing))
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
        if _line_values(lines) != _line_values(self.lines):
            self._audit(at, actor, "lines", _describe_lines(self.lines), _describe_lines(lines))
            self.lines = list(lines)
            self._events.append(OrderUpdated(self.id, ("lines",)))
        if missing != self.unmapped:
            self._audit(at, actor, "unmapped", _codes(self.unmapped), _codes(missing) or "-")
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
        _check_requirements(self.lines, requirements)
        target = S.READY if self.payment is PaymentStatus.PAID else S.UNPAID
        self._to(target, at, actor, "mapped: " + (_codes(self.unmapped) or "lines edited"))
        self.requirements = dict(requirements)
        self.unmapped = ()
        self._events.append(OrderUpdated(self.id, ("requirements",)))


def _codes(unmapped: Iterable[UnmappedSku]) -> str:
    return ", ".join(str(u) for u in unmapped)


def _cloner(cls: type[Order]) -> Callable[[Order], Order]:
    """Build :meth:`Order.clone` once, from ``attrs.fields(cls)``.

    ``attrs.evolve`` pays a generic ``getattr`` loop over every field on each
    call, and the repositories clone on every read and every commit.  This
    writes the copy out once, the way attrs writes ``__init__``: every field
    passed positionally to the generated ``__init__``, each field declared as
    a ``list``, ``dict`` or ``set`` shallowly copied (their items are frozen
    values), ``_events`` fresh and empty.  A field added later follows the
    same rules; a mutable field of another kind needs a rule in ``copies``
    (``tests/unit/test_order_clone.py`` fails until it has one).
    """
    copies = {list: "list", dict: "dict", set: "set"}
    fields = attrs.fields(attrs.resolve_types(cls))
    args = []
    for f in fields:
        if not f.init:  # pragma: no cover - every Order field is in __init__
            raise TypeError(f"{cls.__name__}.{f.name} is not an __init__ argument")
        origin = typing.get_origin(f.type) or f.type
        if f.name == "_events":
            args.append("[]")
        elif origin in copies:
            args.append(f"{copies[origin]}(o.{f.name})")
        else:
            args.append(f"o.{f.name}")
    source = f"def clone(o):\n    return cls({', '.join(args)})\n"
    namespace: dict[str, Any] = {"cls": cls}
    exec(compile(source, f"<{cls.__name__}.clone>", "exec"), namespace)
    clone: Callable[[Order], Order] = namespace["clone"]
    return clone


_clone_order = _cloner(Order)


_ = UTC  # used by the module doctest
