"""Order automation: review holds, routing rules, freight, merge and split.

A seller ships mugs and lamps from Berlin (BER) and Paris (PAR) to buyers
on eBay Germany.  This example shows, on one morning's orders:

* routing rules loaded from TOML: Swiss orders go through Paris with a fixed
  service, and express buyers jump the queue;
* rate tables per warehouse: every other order ships from the warehouse with
  the cheapest estimated freight, with the cheapest qualifying service;
* a review policy with payment records (a PayPal export) and a blacklist:
  orders are held for a buyer note, a payment that does not match, a PO box
  and a blacklisted buyer, each with its reason;
* ``explain``: which rule decided an order and why the earlier ones did not;
* a person releasing a hold;
* two orders of one buyer merged into one parcel and unmerged again;
* an order split by availability: what is on the shelf ships, the rest waits;
* a dry run of a new rule set over the day's orders;
* ``erp.check()`` proving the stock books consistent at the end.

Run: ``python examples/order_automation.py [backend-url]`` (default
``memory://``; a ``sqlite:///file.db`` URL gets its schema first and should
name a fresh file).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from ecerp import (
    Address,
    Buyer,
    ChannelLine,
    ChannelOrder,
    Money,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.adapters.payments import StaticPaymentRecords
from ecerp.bootstrap import upgrade_database
from ecerp.domain.carriers.parcels import Parcel
from ecerp.domain.carriers.rates import RateTable, cheapest
from ecerp.domain.orders.holds import (
    Blacklisted,
    BuyerNote,
    IncompleteAddress,
    PaymentMismatch,
    PaymentRecord,
    PoBox,
    ReviewPolicy,
)
from ecerp.domain.routing.rules import RuleSet

MORNING = datetime(2026, 9, 7, 8, tzinfo=UTC)

RULES = """
[[rules]]
name = "swiss-from-paris"
conditions = { countries = ["CH"] }
actions = { warehouse = "PAR", service = "swisspost/priority", tags = ["customs"] }

[[rules]]
name = "express-first"
conditions = { shipping_levels = ["express"] }
actions = { priority = 10, tags = ["express"] }
"""

BERLIN_TABLES = """
carrier = "dhl"
service = "paket"
currency = "EUR"
volumetric_divisor = 5000
max_weight_g = 31500
zones = [
  { zone = "home", country = "DE" },
  { zone = "eu", country = "FR" },
]
fees = [{ name = "handling", amount = "0.30" }]

[prices.home]
first_g = 2000
first = "4.99"
step_g = 1000
step = "0.50"

[prices.eu]
first_g = 2000
first = "13.99"
step_g = 1000
step = "1.50"
"""

PARIS_TABLES = """
carrier = "colissimo"
service = "europe"
currency = "EUR"
zones = [
  { zone = "home", country = "FR" },
  { zone = "eu", country = "DE" },
]

[prices.home]
first_g = 2000
first = "5.49"
step_g = 1000
step = "0.70"

[prices.eu]
first_g = 2000
first = "14.49"
step_g = 1000
step = "1.70"
"""

LENA = Buyer("lena-k", "Lena Krause", "lena@example.com")
LENA_HOME = Address("Lena Krause", "Ringstr. 4", "", "Hamburg", "", "20095", "DE")


def address(name: str, line1: str, city: str, postcode: str, country: str) -> Address:
    return Address(name, line1, "", city, "", postcode, country)


def draft(
    number: str,
    minute: int,
    lines: list[tuple[str, int, str]],
    buyer: Buyer,
    to: Address,
    *,
    note: str = "",
    level: str = "standard",
) -> ChannelOrder:
    """An eBay order placed ``minute`` minutes into the morning, paid via
    PayPal transaction ``PP-<number>``."""
    return ChannelOrder(
        "ebay",
        "eb-de",
        number,
        MORNING + timedelta(minutes=minute),
        "EUR",
        tuple(ChannelLine(sku, qty, Money.of(price, "EUR")) for sku, qty, price in lines),
        paid=True,
        payment_reference=f"PP-{number}",
        buyer=buyer,
        address=to,
        buyer_note=note,
        shipping_level=level,
    )


def the_afternoons_orders() -> list[ChannelOrder]:
    mia = Buyer("mia-k", "Mia Krause", "mia@example.com")
    home = address("Mia Krause", "Lindenweg 3", "Hamburg", "20095", "DE")
    return [
        draft("1101", 300, [("MUG", 1, "12.00")], mia, home),
        draft("1102", 301, [("LAMP", 1, "49.00")], mia, home, note="ring twice"),
        draft("1103", 302, [("TEAPOT", 1, "30.00")], mia, home),
    ]


def the_evenings_webhook() -> ChannelOrder:
    leo = Buyer("leo-s", "Leo Schmidt", "leo@example.com")
    return draft(
        "1201",
        600,
        [("MUG", 1, "12.00")],
        leo,
        address("Leo Schmidt", "Markt 1", "Bremen", "28195", "DE"),
    )


def the_mornings_orders() -> list[ChannelOrder]:
    return [
        draft(
            "1001",
            1,
            [("MUG", 2, "12.00")],
            Buyer("jonas-b", "Jonas Becker", "jonas@example.com"),
            address("Jonas Becker", "Lindenweg 2", "Munich", "80331", "DE"),
        ),
        draft(
            "1002",
            2,
            [("LAMP", 1, "49.00")],
            Buyer("claire-d", "Claire Dubois", "claire@example.com"),
            address("Claire Dubois", "12 rue de Rivoli", "Paris", "75001", "FR"),
        ),
        draft(
            "1003",
            3,
            [("LAMP", 1, "49.00")],
            Buyer("urs-m", "Urs Meier", "urs@example.com"),
            address("Urs Meier", "Bahnhofstr. 9", "Zurich", "8001", "CH"),
        ),
        draft(
            "1004",
            4,
            [("MUG", 1, "12.00")],
            Buyer("mia-s", "Mia Schulz", "mia@example.com"),
            address("Mia Schulz", "Am Markt 5", "Leipzig", "04109", "DE"),
            note="It is a present, please no invoice in the parcel",
        ),
        draft(  # PayPal received 18.00, eBay says 24.00
            "1005",
            5,
            [("MUG", 2, "12.00")],
            Buyer("tim-w", "Tim Wolf", "tim@example.com"),
            address("Tim Wolf", "Hafenstr. 3", "Bremen", "28195", "DE"),
        ),
        draft(
            "1006",
            6,
            [("MUG", 1, "12.00")],
            Buyer("eva-h", "Eva Hoffmann", "eva@example.com"),
            address("Eva Hoffmann", "Postfach 1122", "Cologne", "50667", "DE"),
        ),
        draft(
            "1007",
            7,
            [("LAMP", 1, "49.00")],
            Buyer("x-99", "Max Mustermann", "chargeback@example.com"),
            address("Max Mustermann", "Talweg 1", "Bonn", "53111", "DE"),
        ),
        draft("1008", 8, [("MUG", 1, "12.00")], LENA, LENA_HOME),
        draft("1009", 9, [("LAMP", 1, "49.00")], LENA, LENA_HOME, level="express"),
        draft(
            "1010",
            10,
            [("MUG", 11, "11.00")],
            Buyer("cafe-k", "Café Kranz", "einkauf@cafe-kranz.example"),
            address("Café Kranz", "Domplatz 1", "Cologne", "50667", "DE"),
        ),
    ]


def paypal_export(orders: list[ChannelOrder]) -> StaticPaymentRecords:
    """What PayPal says it received for each order (1005 came up short)."""
    records = StaticPaymentRecords()
    for order in orders:
        paid = Money.of("18.00", "EUR") if order.external_id == "1005" else None
        if paid is None:
            paid = Money.zero("EUR")
            for line in order.lines:
                paid = paid + line.unit_price * line.qty
        records.add(PaymentRecord(order.payment_reference, paid))
    return records


def show(title: str) -> None:
    print(f"\n== {title}")


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else "memory://"
    if url.startswith("sqlite"):
        upgrade_database(url)  # a SQL database gets its schema (opening creates it only on SQLite)
    orders = the_mornings_orders()
    clock = SimulatedClock(MORNING + timedelta(minutes=30))
    erp = open_erp(
        url,
        clock=clock,
        actor="lea",
        rules=RuleSet.from_toml(RULES),
        rate_tables={
            "BER": [RateTable.from_toml(BERLIN_TABLES)],
            "PAR": [RateTable.from_toml(PARIS_TABLES)],
        },
        review=ReviewPolicy(
            (BuyerNote(), PaymentMismatch(), IncompleteAddress(), PoBox(), Blacklisted())
        ),
        payments=paypal_export(orders + the_afternoons_orders() + [the_evenings_webhook()]),
        blacklist=["chargeback@example.com"],
    )

    # %% The catalog and the shelves.
    erp.catalog.add(
        Sku("MUG", weight_g=450),
        Sku("LAMP", weight_g=2600),
        Shop("eb-de", "ebay", site="ebay.de", currency="EUR"),
    )
    erp.inventory.add_warehouse(Warehouse("BER", priority=0))
    erp.inventory.add_warehouse(Warehouse("PAR", priority=1))
    for sku, warehouse, qty in (
        ("MUG", "BER", 12),
        ("MUG", "PAR", 4),
        ("LAMP", "BER", 5),
        ("LAMP", "PAR", 5),
    ):
        erp.inventory.receive(sku, warehouse, qty, document="opening balance")

    # %% Import the morning's batch: rules run first, then the review checks.
    show("Import: rules and review checks run on every order")
    result = erp.orders.import_orders(orders)
    print(f"  {result.counts()}")
    for oid in sorted(erp.orders.ids(OrderStatus.ON_HOLD)):
        for reason in erp.orders.get(oid).hold_reasons:
            print(f"  {oid} on hold: {reason}")

    # %% Allocate: a rule's warehouse if it set one, else the cheapest freight.
    show("Allocate: routed by rule, or by the cheapest freight")
    catalog = erp.catalog.view()
    allocated = erp.orders.allocate()
    for outcome in allocated:
        order = erp.orders.get(outcome.ref)
        how = f"rule {order.route_rule}" if order.route_rule else "cheapest freight"
        where = order.warehouse or "-"
        print(
            f"  {order.id}: {outcome.kind.value:<9} {where:<4}"
            f" {order.shipping_service or '-':<19} ({how})"
        )
    german = erp.orders.get("ebay/eb-de/1001")
    weight = sum(catalog.sku(sku).weight_g * qty for sku, qty in german.sku_totals().items())
    parcel = Parcel(weight, country="DE", postcode="80331")
    for code, text in (("BER", BERLIN_TABLES), ("PAR", PARIS_TABLES)):
        quote = cheapest([RateTable.from_toml(text)], parcel)
        print(f"  1001 ({weight} g to DE) from {code}: {quote}")

    # %% Why is the express order first in the queue?
    show("Explain ebay/eb-de/1009 (Lena's express lamp)")
    print("  " + str(erp.orders.explain("ebay/eb-de/1009")).replace("\n", "\n  "))

    # %% A person reads the note and lets the order go.
    show("Lea reads the buyer note on 1004 and releases it")
    clock.advance(timedelta(minutes=10))
    released = erp.orders.release("ebay/eb-de/1004", actor="lea")
    print(f"  1004 is {released.status.value}; cleared: {sorted(released.cleared_holds)}")
    outcome = erp.orders.allocate(["ebay/eb-de/1004"]).outcomes[0]
    print(f"  allocate 1004: {outcome.kind.value} in {outcome.detail}")
    again = erp.orders.get("ebay/eb-de/1004")
    print(f"  still {again.status.value}: a released reason never holds it again")

    # %% Two orders of one buyer to one address: one parcel.
    show("Merge Lena's two orders into one parcel, then undo it")
    mug_before = erp.inventory.position("MUG", "BER").reserved
    merged = erp.orders.merge(["ebay/eb-de/1008", "ebay/eb-de/1009"], actor="lea")
    print(f"  {merged.id}: {merged.status.value} in {merged.warehouse}, total {merged.total()}")
    for line in merged.lines:
        origin, origin_line = merged.line_origins[line.line_no]
        print(
            f"    line {line.line_no} {line.listing_sku} x{line.qty} <- {origin} line {origin_line}"
        )
    reserved = erp.inventory.reservations(merged.id)
    print(f"  the merged order holds {[(r.sku, r.qty, r.warehouse) for r in reserved]}")
    originals = erp.orders.unmerge(merged.id, actor="lea")
    for original in originals:
        print(f"  restored {original.id}: {original.status.value} in {original.warehouse}")
    assert erp.inventory.position("MUG", "BER").reserved == mug_before

    # %% The café wants 11 mugs; Berlin has 8 left, Paris only 4.
    show("Split 1010 by availability: ship what is there, the rest waits")
    cafe = "ebay/eb-de/1010"
    print(
        f"  {cafe} is {erp.orders.get(cafe).status.value};"
        f" available MUG: BER {erp.inventory.position('MUG', 'BER').available},"
        f" PAR {erp.inventory.position('MUG', 'PAR').available}"
    )
    rest, part = erp.orders.split_by_availability(cafe, actor="lea")
    print(f"  {part.id}: {part.lines[0].qty} mugs {part.status.value} in {part.warehouse}")
    print(f"  {rest.id}: {rest.lines[0].qty} mugs {rest.status.value}")
    print(f"  money: {part.total()} + {rest.total()} = {part.total() + rest.total()}")

    # %% Before switching rules, see what a new set would change.
    show("Dry run: what if Berlin shipped everything, express with DHL Express?")
    candidate = RuleSet.from_json(
        """
        {"version": 1, "rules": [
          {"name": "express-dhl", "conditions": {"shipping_levels": ["express"]},
           "actions": {"warehouse": "BER", "service": "dhl/express"}},
          {"name": "all-from-berlin", "actions": {"warehouse": "BER"}}
        ]}
        """
    )
    changes = erp.orders.dry_run(candidate)
    for change in changes:
        if change.order.startswith("ebay/eb-de/100"):
            print(f"  {change}")
    print(f"  {len(changes)} changes in all; nothing was changed")

    # %% The afternoon's orders in one call: import, review, route, allocate.
    show("The afternoon: erp.orders.process() does it all in one call")
    clock.advance(timedelta(hours=5))
    for outcome in erp.orders.process(the_afternoons_orders()):
        print(f"  {outcome.ref}: {outcome.kind.value:<9} {outcome.detail}")

    # %% The web shop calls once per order: one transaction per call.
    show("The evening: the web shop's webhook, erp.orders.accept(), one order per call")
    clock.advance(timedelta(hours=3))
    for call in (the_evenings_webhook(), the_evenings_webhook()):  # sent twice
        for outcome in erp.orders.accept([call]):
            print(f"  {outcome.ref}: {outcome.kind.value:<9} {outcome.detail}")

    erp.check()
    print("\nStock books checked: consistent.")
    erp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
