"""Held-order rules: which payments a review checks, which reasons hold an
order, and how a held order is reported.

The checks themselves (blacklist, PO box, duplicate buyer, ...) are the
:class:`~ecerp.domain.orders.holds.ReviewPolicy`'s; these are the rules
around them that the review use case applies:

* An order's payment is checked where the money was taken: a merged order
  and a split part were paid as their originals, so their payment is not
  looked up again (:func:`payment_checked_here`).
* A payment that cannot be looked up holds the order for a person
  (``payment_unverified``), unless a person already cleared that hold
  (:func:`with_unverified`).
* Every policy check, and ``payment_unverified``, counts as checked: a hold
  of one of those codes that no longer applies is lifted
  (:func:`checked_codes`).

    >>> found = (HoldReason("blacklist", "buyer on the blacklist"),)
    >>> unverified = unverified_payment("payments service down")
    >>> [r.code for r in with_unverified(found, unverified, cleared=())]
    ['blacklist', 'payment_unverified']
    >>> [r.code for r in with_unverified(found, unverified, cleared=("payment_unverified",))]
    ['blacklist']
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ecerp.domain.orders.holds import ReviewPolicy
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldCode, HoldReason
from ecerp.domain.orders.status import PaymentStatus

#: The hold code of a payment that could not be looked up.
PAYMENT_UNVERIFIED = HoldCode.PAYMENT_UNVERIFIED


def payment_checked_here(order: Order) -> bool:
    """Whether a review looks ``order``'s payment up: it is paid, and was
    neither merged from nor split off other orders (those were paid, and
    checked, as their originals)."""
    return order.payment is PaymentStatus.PAID and not order.merged_from and not order.split_from


def unverified_payment(why: str) -> HoldReason:
    """The hold reason of a payment that could not be looked up."""
    return HoldReason(PAYMENT_UNVERIFIED, why)


def with_unverified(
    found: Sequence[HoldReason], unverified: HoldReason | None, *, cleared: Collection[str]
) -> tuple[HoldReason, ...]:
    """The reasons that hold an order: what the checks ``found``, plus an
    ``unverified`` payment unless a person cleared that hold."""
    if unverified is not None and unverified.code not in cleared:
        return (*found, unverified)
    return tuple(found)


def checked_codes(policy: ReviewPolicy) -> list[str]:
    """The hold codes a review decides (each policy check's, and
    ``payment_unverified``)."""
    return [check.code for check in policy.checks] + [PAYMENT_UNVERIFIED]


def held_summary(order: Order, detail: str) -> str:
    """An outcome's detail for an order a review held: ``detail`` (if any)
    and the reasons, as ``"<detail>; held: <reason>; <reason>"``."""
    reasons = "; ".join(str(r) for r in order.hold_reasons)
    return f"{detail}; held: {reasons}" if detail else f"held: {reasons}"
