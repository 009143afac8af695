"""The payment records port: what the payment provider says was paid.

Review checks compare the channel's paid amount with the provider's record
(e.g. eBay's order total with the PayPal transaction).  Implementations look
the record up by the order's ``payment_reference`` (the transaction id) and,
failing that, by buyer and amount.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ecerp.domain.orders.holds import PaymentRecord
from ecerp.domain.orders.order import Order


@runtime_checkable
class PaymentRecords(Protocol):
    def find(self, order: Order) -> PaymentRecord | None:
        """The record matching ``order``, or ``None``.  Must not raise for an
        unknown order; a provider that cannot be reached raises a
        ``BackendError`` (the import reports the order as rejected)."""
        ...
