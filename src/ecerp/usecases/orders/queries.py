"""Orders queries: listing codes that keep orders unmapped."""

from __future__ import annotations

import attrs

from ecerp.domain.orders.status import OrderStatus
from ecerp.ports.unit_of_work import UnitOfWork


@attrs.frozen
class UnmappedCode:
    """A listing SKU of a shop that keeps ``orders`` orders unmapped, for
    ``units`` units in all."""

    channel: str
    shop: str
    listing_sku: str
    orders: int
    units: int


def unmapped_codes(uow: UnitOfWork) -> list[UnmappedCode]:
    """Every listing SKU that keeps orders ``unmapped``, sorted by channel,
    shop and listing SKU, with how many orders and units wait for it."""
    ids = uow.orders.ids_with_status({OrderStatus.UNMAPPED})
    counts: dict[tuple[str, str, str], list[int]] = {}
    for order in uow.orders.find_many(ids).values():
        for code in order.unmapped:
            key = (code.channel, code.shop, code.listing_sku)
            units = sum(ln.qty for ln in order.lines if ln.listing_sku == code.listing_sku)
            tally = counts.setdefault(key, [0, 0])
            tally[0] += 1
            tally[1] += units
    return [UnmappedCode(*key, *counts[key]) for key in sorted(counts)]
