"""Why an order waits: per candidate warehouse, the SKUs it is short of.

An order waits when no warehouse can ship all of it.  The answer is worked
out from the stock available *now* (on hand minus what other orders hold),
with bundles already expanded into the SKUs they ship as::

    >>> shortages({"MUG": 4, "LID": 2}, {("MUG", "BER"): 3, ("LID", "BER"): 5}, ("BER",))
    (WarehouseShortage(warehouse='BER', short=(Shortage(sku='MUG', needed=4, available=3),)),)

A warehouse with nothing short could ship the order now (the next
allocation run takes it, unless an older order gets there first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs


@attrs.frozen
class Shortage:
    """``needed`` units of ``sku`` where only ``available`` can be promised."""

    sku: str
    needed: int
    available: int

    @property
    def missing(self) -> int:
        """How many units more it takes (never below zero)."""
        return max(self.needed - max(self.available, 0), 0)


@attrs.frozen
class WarehouseShortage:
    """The SKUs ``warehouse`` is short of for one order (empty: it could ship it all)."""

    warehouse: str
    short: tuple[Shortage, ...]

    @property
    def can_ship(self) -> bool:
        return not self.short


def shortages(
    needs: Mapping[str, int],
    available: Mapping[tuple[str, str], int],
    warehouses: Iterable[str],
    negative_ok: Iterable[str] = (),
) -> tuple[WarehouseShortage, ...]:
    """Per warehouse (in the order given), every SKU of ``needs`` whose
    available quantity (``(sku, warehouse)``; missing keys are 0) is below
    the need, sorted by SKU.  A warehouse in ``negative_ok`` is never short."""
    negative = set(negative_ok)
    found = []
    for wh in warehouses:
        short = (
            ()
            if wh in negative
            else tuple(
                Shortage(sku, qty, available.get((sku, wh), 0))
                for sku, qty in sorted(needs.items())
                if qty > available.get((sku, wh), 0)
            )
        )
        found.append(WarehouseShortage(wh, short))
    return tuple(found)
