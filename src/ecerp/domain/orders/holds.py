"""Review holds (订单核查/待审核): checks that stop an order for a person.

A **check** looks at an order (and what the caller knows around it: the
payment record, the blacklist, the buyer's other orders) and returns a reason
to hold it, or nothing.  A :class:`ReviewPolicy` runs its checks and returns
every reason, so a held order lists *all* of them, not just the first::

    >>> from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
    >>> from ecerp.domain.orders.order import Order
    >>> at = datetime(2026, 5, 1, tzinfo=UTC)
    >>> draft = ChannelOrder("shopify", "web", "1001", at, "EUR",
    ...     (ChannelLine("MUG", 1, Money.of("900", "EUR")),), paid=True,
    ...     buyer_note="please gift wrap")
    >>> order = Order.from_channel(draft, {(1, "MUG"): 1}, at=at, actor="import")
    >>> policy = ReviewPolicy((BuyerNote(), ValueOver({"EUR": Money.of("500", "EUR")})))
    >>> [r.code for r in policy.review(order, ReviewContext())]
    ['buyer_note', 'value_over']

Reasons a person already released are *cleared* on the order and do not hold
it again; a new reason (an edit that makes the address incomplete) does.
Running the review twice gives the same reasons: holds are idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import attrs

from ecerp.domain.orders.drafts import Address, ChannelOrder
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldCode, HoldReason
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money


@attrs.frozen
class PaymentRecord:
    """A payment as the payment provider recorded it (e.g. a PayPal
    transaction), to compare with what the channel says was paid."""

    transaction_id: str
    amount: Money
    buyer: str = ""


@attrs.frozen
class ReviewContext:
    """What the checks may consult besides the order itself.

    ``payment``: the payment record found for the order (``None``: none found).
    ``blacklist``: buyer ids, e-mails or names (lower case) to hold.
    ``others``: other orders of the same buyer (for duplicate detection).
    ``po_box_services``: the carrier services the order could ship with
    (``carrier/service`` of the rate tables that apply to it), each mapped
    to whether it refuses PO boxes; ``None`` or empty: no carrier is known,
    and :class:`PoBox` holds every PO box.
    """

    payment: PaymentRecord | None = None
    payment_expected: bool = False
    blacklist: frozenset[str] = frozenset()
    others: Sequence[Order] = ()
    po_box_services: Mapping[str, bool] | None = None


class Check(Protocol):
    """A review check: a ``code`` and a call returning a reason or ``None``."""

    @property
    def code(self) -> str: ...

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None: ...


@attrs.frozen
class BuyerNote:
    """The buyer wrote a note or message: someone should read it."""

    code: str = HoldCode.BUYER_NOTE

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        note = order.buyer_note.strip()
        return HoldReason(self.code, f"buyer wrote {note[:80]!r}") if note else None


@attrs.frozen
class Unpaid:
    """Not paid yet (for shops that want unpaid orders reviewed, not just parked)."""

    code: str = HoldCode.UNPAID

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        from ecerp.domain.orders.status import PaymentStatus

        return HoldReason(self.code, "not paid") if order.payment is PaymentStatus.UNPAID else None


@attrs.frozen
class PaymentMismatch:
    """The channel's paid amount or currency differs from the payment record
    (e.g. eBay says 20.00 EUR, PayPal received 18.00 EUR), or a record was
    expected and none was found."""

    code: str = HoldCode.PAYMENT_MISMATCH

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        record = ctx.payment
        if record is None:
            if ctx.payment_expected:
                return HoldReason(self.code, "no payment record found")
            return None
        paid = order.paid_amount if order.paid_amount is not None else order.total()
        if record.amount.currency != paid.currency:
            return HoldReason(
                self.code,
                f"paid in {paid.currency}, payment {record.transaction_id} is in {record.amount.currency}",
            )
        if record.amount.rounded().amount != paid.rounded().amount:
            return HoldReason(
                self.code,
                f"channel says {paid}, payment {record.transaction_id} says {record.amount}",
            )
        return None


@attrs.frozen
class IncompleteAddress:
    """The address lacks what a carrier needs (name, street, city, postcode,
    country)."""

    code: str = HoldCode.INCOMPLETE_ADDRESS
    required: tuple[str, ...] = ("name", "line1", "city", "postcode", "country")
    #: Countries without postcodes (ISO 3166 alpha-2).
    no_postcode: frozenset[str] = frozenset({"HK", "AE", "QA", "IE", "PA", "BS", "JM", "BZ"})

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        addr = order.address
        missing = [
            f
            for f in self.required
            if not getattr(addr, f).strip()
            and not (f == "postcode" and addr.country.upper() in self.no_postcode)
        ]
        return HoldReason(self.code, "missing " + ", ".join(missing)) if missing else None


_PO_BOX = re.compile(r"\b(p\.?\s*o\.?\s*box|post\s*office\s*box|postfach|packstation)\b", re.I)


def po_box(address: Address) -> str | None:
    """The words that make ``address`` a PO box or parcel locker (``"PO Box"``,
    ``"Postfach"``, ``"Packstation"``...), or ``None``."""
    match = _PO_BOX.search(f"{address.line1} {address.line2}")
    return match.group(0) if match else None


@attrs.frozen
class PoBox:
    """A PO box (or parcel locker) address, for carriers that refuse them.

    What the carriers accept comes from ``ctx.po_box_services`` (built from
    the rate tables' ``refuses_po_boxes``):

    * the order has a shipping service: held when that service refuses PO
      boxes, or is not among the known services (nobody can tell);
    * it has none yet: held only when every candidate service refuses them
      (otherwise the freight choice picks one that delivers);
    * no carrier is known (no rate tables): every PO box is held.
    """

    code: str = HoldCode.PO_BOX

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        words = po_box(order.address)
        if words is None:
            return None
        detail = f"address is a {words!r}"
        services = ctx.po_box_services
        if not services:
            return HoldReason(self.code, detail)
        service = order.shipping_service
        if service is not None:
            refuses = services.get(service)
            if refuses is False:
                return None
            why = "refuses PO boxes" if refuses else "is not known to accept PO boxes"
            return HoldReason(self.code, f"{detail} and {service} {why}")
        if not all(services.values()):
            return None
        return HoldReason(self.code, f"{detail} and every carrier service refuses PO boxes")


@attrs.frozen
class Blacklisted:
    """The buyer (id, e-mail or name) is on the blacklist."""

    code: str = HoldCode.BLACKLISTED

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        for value in (order.buyer.id, order.buyer.email, order.buyer.name):
            if value and value.strip().lower() in ctx.blacklist:
                return HoldReason(self.code, f"buyer {value!r} is blacklisted")
        return None


def _limits(value: Mapping[str, Money]) -> Mapping[str, Money]:
    if not isinstance(value, Mapping):
        raise ValidationError("limits", value, "must be a mapping of currency to Money")
    for currency, limit in value.items():
        if not isinstance(limit, Money):
            raise ValidationError(f"limits[{currency}]", limit, "must be Money")
        if limit.currency != currency:
            from ecerp.domain.shared.errors import CurrencyMismatchError

            raise CurrencyMismatchError(currency, limit.currency)
    return dict(value)


@attrs.frozen
class ValueOver:
    """The order is worth more than the limit for its currency (no limit for
    a currency: never held for value)."""

    limits: Mapping[str, Money] = attrs.field(converter=_limits)
    code: str = HoldCode.VALUE_OVER

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        limit = self.limits.get(order.currency)
        if limit is None:
            return None
        value = order.total()
        return HoldReason(self.code, f"{value} is over {limit}") if value > limit else None


@attrs.frozen
class LikelyDuplicate:
    """An earlier live order of the same buyer, to the same address, with the
    same lines, placed within ``window`` — often a double submit.  Only the
    later of the two is held."""

    window: timedelta = timedelta(hours=24)
    code: str = HoldCode.LIKELY_DUPLICATE

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        from ecerp.domain.orders.status import OrderStatus

        mine = sorted((ln.listing_sku, ln.qty) for ln in order.lines)
        for other in ctx.others:
            if other.id == order.id or other.status is OrderStatus.CANCELLED:
                continue
            if (other.ordered_at, other.id) > (order.ordered_at, order.id):
                continue
            if (
                other.address == order.address
                and abs(other.ordered_at - order.ordered_at) <= self.window
                and sorted((ln.listing_sku, ln.qty) for ln in other.lines) == mine
            ):
                return HoldReason(self.code, f"same as {other.id}")
        return None


def default_checks() -> tuple[Check, ...]:
    """The checks a new shop starts with."""
    return (BuyerNote(), PaymentMismatch(), IncompleteAddress(), Blacklisted(), LikelyDuplicate())


@attrs.frozen
class ReviewPolicy:
    """The checks to run, in order.  Held orders hold no stock."""

    checks: tuple[Check, ...] = attrs.field(factory=default_checks)

    def review(self, order: Order, ctx: ReviewContext) -> tuple[HoldReason, ...]:
        """Every reason to hold ``order`` that a person has not cleared yet."""
        reasons = []
        for check in self.checks:
            reason = check(order, ctx)
            if reason is not None and reason.code not in order.cleared_holds:
                reasons.append(reason)
        return tuple(reasons)


def buyer_key(order: Order | ChannelOrder) -> str:
    """What identifies a buyer across orders of a shop (id, else e-mail, else name)."""
    return (order.buyer.id or order.buyer.email or order.buyer.name).strip().lower()


def normalise(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v.strip())


_ = (UTC, datetime)  # used by the module doctest
