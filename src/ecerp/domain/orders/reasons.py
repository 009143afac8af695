"""Why an order is held: a stable code and a human detail.

A :class:`HoldReason` names what stops an order for a person.  Its ``code``
is what releasing clears (an order keeps the codes a person released in
``cleared_holds``, so the same reason does not hold it again) and what a
review run replaces; the ``detail`` is for people.  The codes ecerp itself
uses are the members of :class:`HoldCode` (a ``str``-valued enum, so stored
orders and code comparing plain strings keep working); a review check
defined elsewhere brings its own code, and a routing rule's hold is coded
``rule:<name>`` (:meth:`HoldReason.by_rule`)::

    >>> reason = HoldReason.by_rule("big-orders", "over 500 EUR")
    >>> reason.code, reason.rule
    ('rule:big-orders', 'big-orders')
    >>> HoldReason("buyer_note", "buyer wrote 'hi'").code is HoldCode.BUYER_NOTE
    True
    >>> str(HoldReason.manual("call the buyer"))
    'call the buyer'
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from ecerp.domain.shared.errors import ValidationError


class HoldCode(enum.StrEnum):
    """The hold codes ecerp's own holds and review checks use.

    Each member equals (is stored as, and prints as) its value.
    """

    #: A person held the order (:meth:`HoldReason.manual`).
    MANUAL = "manual"
    #: The payment record could not be fetched to compare with the channel's.
    PAYMENT_UNVERIFIED = "payment_unverified"
    #: The buyer wrote a note or message.
    BUYER_NOTE = "buyer_note"
    #: Not paid yet (for shops that review unpaid orders).
    UNPAID = "unpaid"
    #: The channel's paid amount differs from the payment record.
    PAYMENT_MISMATCH = "payment_mismatch"
    #: The address lacks what a carrier needs.
    INCOMPLETE_ADDRESS = "incomplete_address"
    #: A PO box or parcel locker no candidate carrier delivers to.
    PO_BOX = "po_box"
    #: The buyer is on the blacklist.
    BLACKLISTED = "blacklisted"
    #: The order is worth more than its currency's limit.
    VALUE_OVER = "value_over"
    #: An earlier live order of the same buyer looks the same.
    LIKELY_DUPLICATE = "likely_duplicate"

    def __repr__(self) -> str:
        """As the string it is stored as: codes of ecerp's own checks and
        of checks defined elsewhere print alike (``['buyer_note', 'fraud']``)."""
        return repr(self.value)


#: The prefix of the codes of holds a routing rule puts on (``rule:<name>``).
RULE_PREFIX = "rule:"

_CODES = {code.value: code for code in HoldCode}


def hold_code(value: object) -> HoldCode | str:
    """attrs converter for a hold code: one of :class:`HoldCode` when it
    names one, else the string as it is (a check defined elsewhere, a rule).

    Raises:
        ValidationError: ``value`` is not a string.
    """
    if not isinstance(value, str):
        raise ValidationError("code", value, "must be a string")
    return _CODES.get(value, value)


def rule_code(rule: str) -> str:
    """The code of the hold routing rule ``rule`` puts on.

    >>> rule_code("big-orders")
    'rule:big-orders'
    """
    return RULE_PREFIX + rule


@attrs.frozen
class HoldReason:
    """Why an order waits for a person: a stable ``code`` and a human detail."""

    code: HoldCode | str = attrs.field(converter=hold_code)
    detail: str

    @classmethod
    def manual(cls, detail: str) -> HoldReason:
        """A person's hold, with their words as the detail."""
        return cls(HoldCode.MANUAL, detail)

    @classmethod
    def by_rule(cls, rule: str, detail: str) -> HoldReason:
        """The hold routing rule ``rule`` puts on (its ``hold`` action's text)."""
        return cls(rule_code(rule), detail)

    @property
    def rule(self) -> str | None:
        """The routing rule that put this hold on (``None``: something else did)."""
        return self.code.removeprefix(RULE_PREFIX) if self.code.startswith(RULE_PREFIX) else None

    def __str__(self) -> str:
        return self.detail if self.code == HoldCode.MANUAL else f"{self.code}: {self.detail}"


def describe_reasons(reasons: Iterable[HoldReason]) -> str:
    """Reasons as one line, for the audit trail and status notes."""
    return "; ".join(str(r) for r in reasons)
