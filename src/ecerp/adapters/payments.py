"""Payment records held in memory (a PayPal export loaded by the app, tests)."""

from __future__ import annotations

from collections.abc import Iterable

from ecerp.domain.orders.holds import PaymentRecord, buyer_key
from ecerp.domain.orders.order import Order


class StaticPaymentRecords:
    """Finds a record by transaction id, else by buyer and amount."""

    def __init__(self, records: Iterable[PaymentRecord] = ()) -> None:
        self._by_id: dict[str, PaymentRecord] = {}
        self._by_buyer: dict[str, list[PaymentRecord]] = {}
        for record in records:
            self.add(record)

    def add(self, record: PaymentRecord) -> None:
        self._by_id[record.transaction_id] = record
        if record.buyer:
            self._by_buyer.setdefault(record.buyer.strip().lower(), []).append(record)

    def find(self, order: Order) -> PaymentRecord | None:
        if order.payment_reference:
            return self._by_id.get(order.payment_reference)
        paid = order.paid_amount if order.paid_amount is not None else order.total()
        for record in self._by_buyer.get(buyer_key(order), []):
            if (
                record.amount.currency == paid.currency
                and record.amount.rounded() == paid.rounded()
            ):
                return record
        return None
