"""Channel versions of an order: what a re-sent order changes, and when.

A channel sends the same order again and again (webhooks delivered twice,
polls, a re-run file).  Each copy carries a *version* (its modification
time, ``ChannelOrder.version``) and a *content*: what an update takes from
it, the lines, the address, whether it is paid or cancelled, and the
buyer's note.  ecerp remembers a digest of the content it last took from
the channel (:attr:`Order.channel_digest <ecerp.domain.orders.Order>`), so
edits made in ecerp itself (a split, a corrected address) never look like a
change the channel made.

The rule, per copy of an order that exists:

=================  =====================  =====================================
version            content                outcome
=================  =====================  =====================================
newer              any                    applied: ``updated``
the same           the same               ``unchanged``
the same           different              applied: ``updated`` (a channel that
                                          sends no modification time)
older              the same, or nothing   ``unchanged``
                   would change
older              different              ``rejected`` with
                                          :class:`VersionConflictError`: the
                                          newer version stays
=================  =====================  =====================================

Orders stored by an ecerp before this rule have no digest; their content is
compared with the order as it stands, leaving out what was edited since it
was imported (its audit trail says which fields), so an edit is never
undone by a re-sent copy.

    >>> from datetime import UTC, datetime
    >>> from ecerp.domain.shared.money import Money
    >>> from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
    >>> at = datetime(2026, 5, 1, tzinfo=UTC)
    >>> unpaid = ChannelOrder("shopify", "web", "1", at, "EUR",
    ...                       (ChannelLine("MUG", 1, Money.of("9.90", "EUR")),))
    >>> import attrs
    >>> content_digest(unpaid) == content_digest(attrs.evolve(unpaid, paid=True))
    False
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ecerp.domain.orders.drafts import Address, Change, ChannelOrder, OrderLine
    from ecerp.domain.orders.status import OrderStatus, PaymentStatus


class ChannelContent(Protocol):
    """What comparing a channel copy reads of an order (an
    :class:`~ecerp.domain.orders.order.Order` is one)."""

    @property
    def status(self) -> OrderStatus: ...
    @property
    def payment(self) -> PaymentStatus: ...
    @property
    def address(self) -> Address: ...
    @property
    def lines(self) -> Sequence[OrderLine]: ...
    @property
    def buyer_note(self) -> str: ...
    @property
    def channel_digest(self) -> str | None: ...
    @property
    def changes(self) -> Sequence[Change]: ...


#: The fields an update takes from a channel, as :meth:`Order.apply_channel_version` names them.
CHANNEL_FIELDS = ("status", "payment", "address", "lines", "buyer_note")


#: Audited edits (``Change.field``) that stand for a channel field.
_EDITS = {"lines": "lines", "split": "lines", "address": "address", "buyer_note": "buyer_note"}


def content_digest(draft: ChannelOrder) -> str:
    """A digest of what an update takes from ``draft`` (see the module docs).

    On the import's hot path, so it is one string hashed, its texts length
    prefixed (no separator inside a text can make two contents meet).
    Amounts go in as written: ``9.9`` and ``9.90`` digest differently, which
    costs nothing, as :func:`channel_changes` then compares the values."""
    a = draft.address
    texts = [
        draft.currency,
        draft.buyer_note,
        a.name,
        a.line1,
        a.line2,
        a.city,
        a.region,
        a.postcode,
        a.country,
        a.phone,
    ]
    for line in draft.lines:
        discount = line.discount
        texts += (
            line.listing_sku,
            str(line.qty),
            str(line.unit_price.amount),
            "" if discount is None else str(discount.amount),
            line.title,
        )
    flags = ("P" if draft.paid else "-") + ("C" if draft.cancelled else "-")
    text = flags + "".join(f"{len(t)}:{t}" for t in texts)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def would_change(order: ChannelContent, draft: ChannelOrder) -> list[str]:
    """The channel fields applying ``draft`` to ``order`` would change."""
    from ecerp.domain.orders.drafts import line_values
    from ecerp.domain.orders.status import OrderStatus, PaymentStatus

    if draft.cancelled:
        return [] if order.status is OrderStatus.CANCELLED else ["status"]
    fields = []
    if draft.paid and order.payment is PaymentStatus.UNPAID:
        fields.append("payment")
    if draft.address != order.address:
        fields.append("address")
    if line_values(draft.order_lines()) != line_values(order.lines):
        fields.append("lines")
    if draft.buyer_note != order.buyer_note:
        fields.append("buyer_note")
    return fields


def channel_changes(order: ChannelContent, draft: ChannelOrder) -> list[str]:
    """The fields the channel changed in ``draft`` since the content ecerp
    last took from it (empty when it sent the same content again).

    These are the fields applying ``draft`` would change; with no digest
    stored (an order from an earlier ecerp), less those edited since the
    import (whoever edited them: ecerp cannot tell which copy they match)."""
    if order.channel_digest is not None:
        if content_digest(draft) == order.channel_digest:
            return []
        return would_change(order, draft)
    edited = {_EDITS[c.field] for c in order.changes if c.field in _EDITS}
    return [f for f in would_change(order, draft) if f not in edited]
