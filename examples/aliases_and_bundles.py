"""SKU aliases and bundles: how shop listing codes become warehouse SKUs.

Shops rarely list goods under the warehouse's own codes.  This example sets
up three shops and shows:

* a shop alias (one listing code of one shop), a channel alias (every shop of
  a channel) and a listing that uses the warehouse code itself;
* a bundle made of SKUs, and a bundle made of another bundle plus a SKU;
* how many of each bundle the warehouse can sell, derived from its parts;
* an alias replaced at a date: orders placed before keep the old SKU, orders
  placed after get the new one;
* an order whose lines share a component, reserved once per SKU.

Run: ``python examples/aliases_and_bundles.py``
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecerp import (
    Alias,
    Bundle,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
NEW_SUPPLIER = datetime(2026, 3, 16, tzinfo=UTC)  # the red mug changes supplier


def main() -> None:
    clock = SimulatedClock(START)
    erp = open_erp("memory://", clock=clock)

    # %% The catalog: SKUs, bundles, shops and their listing codes.
    erp.catalog.add(
        Sku("MUG-RED"),
        Sku("MUG-RED-V2"),  # the same mug from the new supplier
        Sku("LID"),
        Sku("TEA"),
        Bundle("MUG-PAIR", (Component("MUG-RED", 2), Component("LID", 2))),
        Bundle("GIFT-BOX", (Component("MUG-PAIR", 1), Component("TEA", 1))),
        Shop("amz-de", "amazon", currency="EUR"),
        Shop("amz-fr", "amazon", currency="EUR"),
        Shop("web", "shopify", currency="EUR"),
        # One listing code for every Amazon shop ...
        Alias("amazon", None, "B0MUGRED", "MUG-RED"),
        Alias("amazon", None, "B0GIFTBOX", "GIFT-BOX"),
        # ... and the web shop's own codes.
        Alias("shopify", "web", "red-mug", "MUG-RED"),
        Alias("shopify", "web", "pair-of-mugs", "MUG-PAIR"),
    )

    print(f"  {'listing code':<24} -> {'catalog code':<12} -> ships as")
    listings = [
        ("amazon", "amz-de", "B0MUGRED"),
        ("amazon", "amz-fr", "B0MUGRED"),
        ("amazon", "amz-de", "B0GIFTBOX"),
        ("shopify", "web", "red-mug"),
        ("shopify", "web", "pair-of-mugs"),
        ("shopify", "web", "LID"),  # no alias: the warehouse code itself
    ]
    for channel, shop, listing in listings:
        code = erp.catalog.resolve(channel, shop, listing)
        parts = erp.catalog.expand(code)
        ships = ", ".join(f"{qty} x {sku}" for sku, qty in sorted(parts.items()))
        print(f"  {f'{channel}/{shop}/{listing}':<24} -> {code:<12} -> {ships}")

    # %% What can be sold is derived from the components on the shelf.
    erp.inventory.add_warehouse(Warehouse("BER"))
    for sku, qty in {"MUG-RED": 7, "LID": 9, "TEA": 2}.items():
        erp.inventory.receive(sku, "BER", qty, document="opening balance")
    print("\nSellable in BER with 7 red mugs, 9 lids and 2 teas:")
    for code in ("MUG-RED", "MUG-PAIR", "GIFT-BOX"):
        print(f"  {code:<9} {erp.catalog.sellable(code, 'BER')}")

    # %% An order whose lines share a component.
    order = ChannelOrder(
        "shopify",
        "web",
        "5101",
        clock.now(),
        "EUR",
        (
            ChannelLine("pair-of-mugs", 1, Money.of("21.00", "EUR")),
            ChannelLine("red-mug", 1, Money.of("11.50", "EUR")),
        ),
        paid=True,
    )
    erp.orders.import_orders([order])
    erp.orders.allocate()
    imported = erp.orders.get("shopify/web/5101")
    print(f"\nOrder {imported.id}: 1 pair of mugs + 1 red mug needs {imported.sku_totals()}")
    red = erp.inventory.position("MUG-RED", "BER")
    print(f"  MUG-RED in BER: on hand {red.on_hand}, reserved {red.reserved}")
    print(f"  pairs still sellable: {erp.catalog.sellable('MUG-PAIR', 'BER')}")

    # %% Replacing an alias at a date.
    erp.catalog.add(Alias("amazon", None, "B0MUGRED", "MUG-RED-V2", effective_from=NEW_SUPPLIER))
    before = NEW_SUPPLIER - timedelta(days=1)
    after = NEW_SUPPLIER + timedelta(days=1)
    print(f"\nB0MUGRED is MUG-RED-V2 from {NEW_SUPPLIER:%Y-%m-%d}:")
    for when in (before, after):
        code = erp.catalog.resolve("amazon", "amz-de", "B0MUGRED", at=when)
        print(f"  an order placed {when:%Y-%m-%d} ships {code}")

    clock.set(after)
    drafts = [
        ChannelOrder(
            "amazon",
            "amz-de",
            external_id,
            ordered_at,
            "EUR",
            (ChannelLine("B0MUGRED", 1, Money.of("12.90", "EUR")),),
            paid=True,
        )
        for external_id, ordered_at in (("302-2001", before), ("302-2002", after))
    ]
    erp.orders.import_orders(drafts)
    print(f"Two Amazon orders imported on {after:%Y-%m-%d}:")
    for draft in drafts:
        placed = erp.orders.get("/".join(draft.key))
        print(f"  {placed.id} placed {placed.ordered_at:%Y-%m-%d} needs {placed.sku_totals()}")
    erp.check()


if __name__ == "__main__":
    main()
