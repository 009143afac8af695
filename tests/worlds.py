"""Shared test worlds: the money, the draft and the shop most tests start from.

One place for the small worlds tests used to write out again per module: an
amount in euros, a paid marketplace draft of one mug, and a shop selling mugs
from one warehouse.  A test that needs a different world says how it differs
through the keyword arguments, so the differences stay visible at the call::

    >>> eur("9.90")
    Money(amount=Decimal('9.90'), currency='EUR')
    >>> order = draft("1001", mug_line(qty=2))
    >>> order.channel, order.shop, order.paid, [line.qty for line in order.lines]
    ('shopify', 'web', True, [2])
    >>> draft("1002", paid=False).paid
    False

The contract suites' seeded worlds (``seed``, ``channel_order``) ship with the
package, in :mod:`ecerp.testing.contracts`, so a backend author gets them too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ecerp import open_erp
from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder
from ecerp.domain.shared.money import Money

#: The moment most tests' orders are placed.
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def eur(amount: str | Decimal) -> Money:
    """``amount`` euros."""
    return Money.of(amount, "EUR")


def mug_line(qty: int = 1, price: str = "9.90", sku: str = "MUG") -> ChannelLine:
    """An order line: ``qty`` of listing ``sku`` at ``price`` euros each."""
    return ChannelLine(sku, qty, eur(price))


def draft(
    external_id: str,
    *lines: ChannelLine,
    channel: str = "shopify",
    shop: str = "web",
    at: datetime = T0,
    paid: bool = True,
    **fields: Any,
) -> ChannelOrder:
    """A draft of the ``web`` Shopify shop in euros, placed ``at``, paid unless
    told; one mug at 9.90 when no ``lines`` are given.  ``fields`` go to
    :class:`ChannelOrder` as they are."""
    return ChannelOrder(
        channel,
        shop,
        external_id,
        at,
        "EUR",
        lines or (mug_line(),),
        paid=paid,
        **fields,
    )


def mug_shop(url: str, *, warehouse: str | None = "SH", mugs: int = 5) -> None:
    """A store at ``url`` that sells SKU ``MUG`` through the ``web`` Shopify
    shop, with ``mugs`` of them in ``warehouse`` (``None``: no warehouse)."""
    with open_erp(url) as erp:
        erp.catalog.add(Sku("MUG"), Shop("web", "shopify", currency="EUR"))
        if warehouse is not None:
            erp.inventory.add_warehouse(Warehouse(warehouse))
            erp.inventory.receive("MUG", warehouse, mugs)
