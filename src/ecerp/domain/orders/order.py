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

The status is a state machine declared as data (:data:`ORDER_WORKFLOW`); every
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

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

import attrs

from ecerp.domain.orders.channel_updates import ChannelUpdates, describe_unmapped
from ecerp.domain.orders.cloning import cloner
from ecerp.domain.orders.drafts import (
    Address,
    Buyer,
    Change,
    ChannelOrder,
    OrderLine,
    StatusChange,
    UnmappedSku,
    check_requirements,
    describe_lines,
    line_values,
    order_id,
)
from ecerp.domain.orders.errors import OrderLockedError
from ecerp.domain.orders.events import (
    OrderAllocated,
    OrderCancelled,
    OrderImported,
    OrderShipped,
    OrderStatusChanged,
    OrderUpdated,
    OrderWaiting,
)
from ecerp.domain.orders.holding import Holding
from ecerp.domain.orders.ids import is_channel_order_id
from ecerp.domain.orders.merging import Merging
from ecerp.domain.orders.reasons import HoldReason
from ecerp.domain.orders.status import (
    EDITABLE,
    HOLDING,
    ORDER_WORKFLOW,
    OrderStatus,
    PaymentStatus,
    Requirements,
    S,
)
from ecerp.domain.orders.versions import content_digest
from ecerp.domain.shared.errors import (
    CurrencyMismatchError,
    ValidationError,
)
from ecerp.domain.shared.events import Event
from ecerp.domain.shared.money import Money
from ecerp.domain.shared.values import require_utc


@attrs.define(eq=False)
class Order(Holding, ChannelUpdates, Merging):
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
            check_requirements(lines, requirements)
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
            target,
            at,
            actor,
            "imported" + (f"; unmapped: {describe_unmapped(missing)}" if missing else ""),
        )
        order._events.append(OrderImported(order.id))
        return order

    def clone(self) -> Order:
        """An independent copy (repositories hand these out so that a rolled
        back unit of work leaves the stored order untouched): every mutable
        container is copied, pending events are not (see
        :func:`~ecerp.domain.orders.cloning.cloner`)."""
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
        ORDER_WORKFLOW.check(status, to, self.id)
        self.history.append(StatusChange(at, actor, status, to, note))
        self._events.append(OrderStatusChanged(self.id, status.value, to.value))
        self.status = to

    def can_go(self, to: OrderStatus) -> bool:
        return ORDER_WORKFLOW.allows(self.status, to)

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
        check_requirements(lines, requirements)
        if line_values(lines) == line_values(self.lines) and requirements == self.requirements:
            return
        self._audit(at, actor, "lines", describe_lines(self.lines), describe_lines(lines))
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


_clone_order = cloner(Order)


_ = UTC  # used by the module doctest
