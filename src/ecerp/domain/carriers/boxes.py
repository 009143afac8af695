"""The box estimate: an order's items as one parcel, before anyone packs it.

Freight is quoted before packing, so the parcel is *estimated* from the
items' weights and dimensions (SKU data, quantities in base units):

* weight: the sum of ``weight_g * qty``;
* length: the longest side of any single item (the box must take it);
* width and height: at least the largest middle and shortest side of any
  item, grown to a square cross-section until the box's volume covers the
  sum of all item volumes (``qty`` times each item's volume), i.e.
  ``width = max(middle side, ceil(sqrt(ceil(volume / length))))`` and
  ``height = max(shortest side, ceil(volume / length / width))``.

So one item's box is exactly the item, and many small items make a box no
smaller than their total volume.  Items without dimensions add weight only;
when no item has dimensions (or every side is 0) the parcel has none, and
rate tables charge it by actual weight::

    >>> from ecerp.domain.catalog.products import Dimensions
    >>> estimate_box([(Dimensions(300, 200, 100), 1)])
    Dimensions(length_mm=300, width_mm=200, height_mm=100)
    >>> estimate_box([(Dimensions(100, 100, 100), 8)])  # 8 litres in a 100 mm long box
    Dimensions(length_mm=100, width_mm=283, height_mm=283)
    >>> parcel = estimate_parcel([(500, Dimensions(100, 50, 20), 2), (300, None, 1)],
    ...                          country="DE", postcode="10115")
    >>> parcel.weight_g, parcel.dimensions
    (1300, Dimensions(length_mm=100, width_mm=50, height_mm=40))
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ecerp.domain.carriers.parcels import Parcel
from ecerp.domain.catalog.products import Dimensions

#: One kind of item in a parcel: its weight in grams, its dimensions (if
#: known) and the quantity.
ParcelItem = tuple[int, Dimensions | None, int]


def estimate_box(items: Iterable[tuple[Dimensions, int]]) -> Dimensions | None:
    """The estimated box for ``(dimensions, qty)`` items (see the module
    docs), or ``None`` without a length."""
    volume = 0
    longest = middle = shortest = 0
    for d, qty in items:
        a, b, c = sorted((d.length_mm, d.width_mm, d.height_mm), reverse=True)
        longest, middle, shortest = max(longest, a), max(middle, b), max(shortest, c)
        volume += d.volume_mm3 * qty
    if longest <= 0:
        return None
    section = -(-volume // longest)  # the cross-section the volume needs
    side = math.isqrt(section)
    if side * side < section:
        side += 1
    width = max(middle, side)
    height = max(shortest, -(-section // width) if width else 0)
    return Dimensions(longest, width, height)


def estimate_parcel(
    items: Iterable[ParcelItem],
    country: str = "",
    region: str = "",
    postcode: str = "",
    *,
    po_box: bool = False,
) -> Parcel:
    """``items`` (weight in grams, dimensions or ``None``, qty) as one parcel
    to the destination: total weight and :func:`estimate_box`."""
    weight = 0
    sized: list[tuple[Dimensions, int]] = []
    for weight_g, dimensions, qty in items:
        weight += weight_g * qty
        if dimensions is not None:
            sized.append((dimensions, qty))
    return Parcel(weight, estimate_box(sized), country, region, postcode, po_box=po_box)
