"""A seller's day with ecerp, from the morning's orders to the evening's stock check.

The seller sells mugs on Amazon Germany and in a Shopify web shop, from an own
warehouse in Berlin (BER, preferred) and a smaller one in Hamburg (HAM).
Each shop lists the goods under its own codes; a gift set ships as a red
mug, a lid and a pack of tea.  Over one simulated day:

1. a batch of orders comes in from both shops, with one order sent twice and
   one row naming a product nobody knows;
2. allocation reserves stock; one order waits because no warehouse has
   enough blue mugs;
3. a delivery of blue mugs arrives and the waiting order is allocated on its
   own;
4. the morning wave is picked and shipped;
5. blue mugs and lids are sent to Hamburg and arrive in two parts;
6. a stocktake in Berlin finds two red mugs missing while orders keep
   shipping; the youngest order that can no longer be served from Berlin gives
   its stock back and is served from Hamburg instead;
7. ``erp.check()`` proves the books consistent.

Run it with ``python examples/sellers_day.py [URL]``; the URL names the
backend (``memory://``, ``sqlite:///day.db``, ``postgresql+psycopg://...``)
and defaults to ``DEFAULT_URL``.  A SQL database must be new or empty: the
demo creates its schema and refuses one that already holds a shop.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from ecerp import (
    ERP,
    Alias,
    BatchResult,
    Bundle,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import upgrade_database

DEFAULT_URL = "memory://"

DAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
SKUS = ("MUG-RED", "MUG-BLUE", "LID", "TEA")
WAREHOUSES = ("BER", "HAM")


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    """A time on the seller's day (``day=-1``: the evening before)."""
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def amazon(order_no: str, ordered: datetime, *lines: tuple[str, int, str]) -> ChannelOrder:
    return ChannelOrder(
        "amazon",
        "amz-de",
        order_no,
        ordered,
        "EUR",
        tuple(ChannelLine(sku, qty, eur(price)) for sku, qty, price in lines),
        paid=True,
    )


def shopify(order_no: str, ordered: datetime, *lines: tuple[str, int, str]) -> ChannelOrder:
    return ChannelOrder(
        "shopify",
        "web",
        order_no,
        ordered,
        "EUR",
        tuple(ChannelLine(sku, qty, eur(price)) for sku, qty, price in lines),
        paid=True,
    )


def say(clock: SimulatedClock, text: str) -> None:
    print(f"{clock.now():%H:%M}  {text}")


def outcomes(result: BatchResult) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in result.counts().items())


def set_up(erp: ERP) -> None:
    """The catalog, the shops' listing codes and the opening stock."""
    erp.catalog.add(
        *(Sku(code) for code in SKUS),
        Bundle("GIFT-SET", (Component("MUG-RED", 1), Component("LID", 1), Component("TEA", 1))),
        Shop("amz-de", "amazon", name="Amazon.de", site="DE", currency="EUR"),
        Shop("web", "shopify", name="Web shop", currency="EUR"),
        Alias("amazon", "amz-de", "B0MUGRED", "MUG-RED"),
        Alias("amazon", "amz-de", "B0MUGBLUE", "MUG-BLUE"),
        Alias("amazon", "amz-de", "B0GIFTSET", "GIFT-SET"),
        Alias("shopify", "web", "mug-red", "MUG-RED"),
        Alias("shopify", "web", "mug-blue", "MUG-BLUE"),
        Alias("shopify", "web", "lid", "LID"),
        Alias("shopify", "web", "gift-set", "GIFT-SET"),
    )
    erp.inventory.add_warehouse(Warehouse("BER", name="Berlin", priority=0))
    erp.inventory.add_warehouse(Warehouse("HAM", name="Hamburg", priority=1))
    opening = {
        ("BER", "MUG-RED"): 10,
        ("BER", "LID"): 8,
        ("BER", "TEA"): 4,
        ("HAM", "MUG-RED"): 2,
        ("HAM", "MUG-BLUE"): 2,
        ("HAM", "LID"): 2,
    }
    for (warehouse, sku), qty in opening.items():
        erp.inventory.receive(sku, warehouse, qty, document="opening balance")


def print_stock(erp: ERP) -> None:
    print()
    print(f"  {'SKU':<9}{'WH':<5}{'on hand':>8}{'reserved':>9}{'available':>10}{'transit':>8}")
    for sku in SKUS:
        for wh in WAREHOUSES:
            p = erp.inventory.position(sku, wh)
            if (p.on_hand, p.reserved, p.in_transit) == (0, 0, 0):
                continue
            print(
                f"  {sku:<9}{wh:<5}{p.on_hand:>8}{p.reserved:>9}{p.available:>10}{p.in_transit:>8}"
            )
    sets = ", ".join(f"{wh} {erp.catalog.sellable('GIFT-SET', wh)}" for wh in WAREHOUSES)
    print(f"  gift sets sellable: {sets}")
    print()


def run(erp: ERP, clock: SimulatedClock) -> None:
    set_up(erp)
    say(clock, "Opening stock in Berlin and Hamburg:")
    print_stock(erp)

    # The morning's orders, from both shops.
    clock.set(at(8))
    first = amazon("302-1001", at(21, 14, day=-1), ("B0MUGRED", 2, "12.90"))
    batch = [
        first,
        amazon("302-1002", at(22, 3, day=-1), ("B0GIFTSET", 1, "24.90")),
        shopify("5001", at(22, 47, day=-1), ("mug-blue", 3, "11.50")),
        shopify("5002", at(23, 30, day=-1), ("gift-set", 2, "23.00"), ("lid", 1, "3.50")),
        amazon("302-1003", at(6, 55), ("B0MUGBLUE", 1, "12.90")),
        first,  # the channel sent this one twice
        shopify("5003", at(7, 20), ("mug-grey", 1, "11.50")),  # no such product
    ]
    imported = erp.orders.import_orders(batch)
    say(clock, f"Imported {len(batch)} rows: {outcomes(imported)}.")
    for rejected in imported.rejected:
        print(f"       rejected {rejected.ref}: {rejected.detail}")

    allocated = erp.orders.allocate()
    say(clock, f"Allocation: {outcomes(allocated)}.")
    for o in allocated:
        print(f"       {o.ref:<22} {o.kind.value:<9} {o.detail}")

    # Blue mugs arrive; the waiting order is allocated without being asked.
    clock.set(at(10))
    erp.inventory.receive("MUG-BLUE", "BER", 6, document="PO-4711", actor="ben")
    waiting = "shopify/web/5001"
    order = erp.orders.get(waiting)
    say(
        clock,
        f"6 blue mugs received in BER: {waiting} is {order.status.value} in {order.warehouse}.",
    )

    # The morning wave: pick and ship everything allocated.
    clock.set(at(11))
    wave = erp.orders.ids(OrderStatus.ALLOCATED)
    picked = erp.orders.pick(wave, actor="jo")
    clock.set(at(11, 40))
    shipped = erp.orders.ship({oid: f"DHL-{i:04d}" for i, oid in enumerate(wave, 1)}, actor="jo")
    say(clock, f"Morning wave: picked {len(picked)}, shipped {shipped.counts().get('done', 0)}.")

    # Hamburg gets blue mugs and lids; they arrive in two parts.
    clock.set(at(12))
    erp.inventory.transfer("TR-1", "BER", "HAM", {"MUG-BLUE": 2, "LID": 2})
    say(clock, "Transfer TR-1 sent to HAM: 2 blue mugs, 2 lids.")
    clock.set(at(13))
    erp.inventory.receive_transfer("TR-1", {"MUG-BLUE": 2, "LID": 1}, actor="kai")
    in_transit = erp.inventory.position("LID", "HAM").in_transit
    say(clock, f"HAM received the first part; {in_transit} lid still in transit.")

    # Afternoon orders, then a stocktake while shipping goes on.
    clock.set(at(14))
    afternoon = [
        shopify("5004", at(12, 10), ("mug-red", 2, "11.50")),
        amazon("302-1004", at(13, 30), ("B0MUGRED", 2, "12.90")),
    ]
    erp.orders.import_orders(afternoon)
    allocated = erp.orders.allocate()
    where = ", ".join(sorted({o.detail for o in allocated}))
    say(clock, f"Afternoon orders: {outcomes(allocated)} (from {where}).")

    clock.set(at(14, 30))
    erp.inventory.start_stocktake("ST-1", "BER", ["MUG-RED", "LID"], actor="lea")
    book_then = erp.inventory.position("MUG-RED", "BER").on_hand
    say(clock, f"Stocktake ST-1 starts in BER: the book says {book_then} red mugs.")

    clock.set(at(15))
    erp.orders.ship({"shopify/web/5004": "DHL-0101"}, actor="jo")
    say(clock, "While Lea counts, 2 red mugs ship for shopify/web/5004.")

    clock.set(at(15, 30))
    counted = book_then - 2  # two mugs broke and were thrown away unrecorded
    erp.inventory.count("ST-1", {"MUG-RED": counted, "LID": 2}, actor="lea")
    losses = erp.inventory.post_stocktake("ST-1", actor="lea")
    for move in losses:
        say(clock, f"Stocktake posted: {move.qty} {move.sku} booked as {move.reason.value}.")
    say(clock, "BER now holds fewer red mugs than it promised; the youngest order gives way:")
    bumped = erp.orders.get("amazon/amz-de/302-1004")
    for change in bumped.history[-2:]:
        print(
            f"       {bumped.id}: {change.from_.value} -> {change.to.value}"
            f" by {change.actor} ({change.note})"
        )

    # The rest of the transfer arrives; the last order ships from Hamburg.
    clock.set(at(17))
    transfer = erp.inventory.receive_transfer("TR-1", {"LID": 1}, actor="kai")
    say(clock, f"HAM received the rest of TR-1: transfer {transfer.status.value}.")
    clock.set(at(17, 30))
    erp.orders.pick(["amazon/amz-de/302-1004"], actor="kai")
    erp.orders.ship({"amazon/amz-de/302-1004": "DPD-7781"}, actor="kai")
    last = erp.orders.get("amazon/amz-de/302-1004")
    say(clock, f"{last.id} {last.status.value} from {last.warehouse}, tracking {last.tracking}.")

    # End of day.
    clock.set(at(18))
    erp.check()
    statuses = Counter(erp.orders.get(oid).status.value for oid in erp.orders.ids())
    moves = len(erp.inventory.moves())
    say(clock, f"Books checked: consistent. {moves} ledger moves today.")
    print("       orders: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    say(clock, "Closing stock:")
    print_stock(erp)


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    if not url.startswith("memory://"):
        upgrade_database(url)  # a SQL database gets its schema (opening creates it only on SQLite)
    clock = SimulatedClock(at(7, 30))
    with open_erp(url, clock=clock, actor="anna") as erp:
        if erp.inventory.warehouses():
            print(f"{url} already holds a shop; give the demo an empty database.")
            return 1
        run(erp, clock)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
