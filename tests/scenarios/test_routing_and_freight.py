"""Routing rules and freight: which warehouse ships, with which carrier.

A seller ships from Berlin and Paris.  Rules send Swiss orders through the
Paris warehouse and hold orders over 1,000 EUR for a person; everything else
goes where the freight is cheapest, and each allocated order gets the
cheapest qualifying carrier service.  The stories run in memory and on a
SQLite file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecerp import (
    ERP,
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
from ecerp.bootstrap import upgrade_database
from ecerp.domain.carriers.parcels import Parcel, Quote
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.routing.rules import RuleSet
from ecerp.ports.carrier_rates import CarrierRatesUnavailableError

T0 = datetime(2026, 8, 3, 9, tzinfo=UTC)

RULES = RuleSet.from_toml(
    """
[[rules]]
name = "swiss-from-paris"
conditions = { countries = ["CH"] }
actions = { warehouse = "PAR", service = "post/ch-priority" }

[[rules]]
name = "big-orders-reviewed"
conditions = { amount = { currency = "EUR", min = "1000" } }
actions = { hold = "over 1000 EUR: check the buyer", tags = ["vip"] }
"""
)


def table(carrier: str, service: str, zones: dict[str, tuple[str, str]]) -> RateTable:
    """A flat table: per country, a price for the first 2 kg and per extra kg."""
    return RateTable.from_dict(
        {
            "carrier": carrier,
            "service": service,
            "currency": "EUR",
            "zones": [{"zone": c.lower(), "country": c} for c in zones],
            "prices": {
                c.lower(): {"first_g": 2000, "first": first, "step_g": 1000, "step": step}
                for c, (first, step) in zones.items()
            },
        }
    )


# From Berlin, Germany is cheap and France dear; from Paris the other way round.
TABLES = {
    "BER": [
        table("dhl", "paket", {"DE": ("4.99", "0.50"), "FR": ("14.99", "1.50")}),
        table("hermes", "paket", {"DE": ("4.49", "0.90")}),
    ],
    "PAR": [table("colissimo", "europe", {"FR": ("5.99", "0.70"), "DE": ("15.99", "1.70")})],
}


@pytest.fixture(params=["memory", "sqlite"])
def erp(request: pytest.FixtureRequest, tmp_path: Path) -> ERP:
    url = "memory://"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'routing.db'}"
        upgrade_database(url)
    erp = open_erp(url, clock=SimulatedClock(T0), rules=RULES, rate_tables=TABLES)
    erp.catalog.add(Sku("LAMP", weight_g=2500), Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER", priority=0))
    erp.inventory.add_warehouse(Warehouse("PAR", priority=1))
    erp.inventory.receive("LAMP", "BER", 20)
    erp.inventory.receive("LAMP", "PAR", 20)
    return erp


def order(number: str, country: str, qty: int = 1, price: str = "80.00") -> ChannelOrder:
    return ChannelOrder(
        "shopify",
        "web",
        number,
        T0 + timedelta(minutes=int(number)),
        "EUR",
        (ChannelLine("LAMP", qty, Money.of(price, "EUR")),),
        paid=True,
        buyer=Buyer(f"buyer-{number}"),
        address=Address("A. Buyer", "Street 1", "", "City", "", "10000", country),
    )


def test_each_order_ships_from_the_warehouse_with_the_cheapest_freight(erp: ERP) -> None:
    erp.orders.import_orders([order("1", "DE"), order("2", "FR")])
    erp.orders.allocate()
    german, french = erp.orders.get("shopify/web/1"), erp.orders.get("shopify/web/2")
    assert (german.warehouse, french.warehouse) == ("BER", "PAR")
    # 2.5 kg from Berlin: Hermes 4.49 + 0.90 = 5.39 beats DHL 4.99 + 0.50 = 5.49.
    assert german.shipping_service == "hermes/paket"
    assert french.shipping_service == "colissimo/europe"


def test_when_the_cheap_warehouse_is_empty_the_next_one_ships(erp: ERP) -> None:
    erp.inventory.adjust("LAMP", "BER", -20, note="flooded")
    erp.orders.import_orders([order("3", "DE")])
    erp.orders.allocate()
    assert erp.orders.get("shopify/web/3").warehouse == "PAR"


def test_a_rule_sends_swiss_orders_to_paris_with_its_service(erp: ERP) -> None:
    erp.orders.import_orders([order("4", "CH")])
    routed = erp.orders.get("shopify/web/4")
    assert (routed.route_rule, routed.route_warehouse) == ("swiss-from-paris", "PAR")
    assert routed.shipping_service == "post/ch-priority"
    erp.orders.allocate()
    assert erp.orders.get("shopify/web/4").warehouse == "PAR"


def test_a_rule_assigned_warehouse_without_stock_makes_the_order_wait(erp: ERP) -> None:
    erp.inventory.adjust("LAMP", "PAR", -20, note="sold offline")
    erp.orders.import_orders([order("5", "CH")])
    assert erp.orders.allocate().counts() == {"waiting": 1}
    assert erp.inventory.position("LAMP", "BER").reserved == 0


def test_a_big_order_is_held_by_a_rule_and_tagged(erp: ERP) -> None:
    erp.orders.import_orders([order("6", "DE", qty=13, price="80.00")])  # 1,040 EUR
    held = erp.orders.get("shopify/web/6")
    assert held.status is OrderStatus.ON_HOLD
    assert [r.code for r in held.hold_reasons] == ["rule:big-orders-reviewed"]
    assert "vip" in held.tags


def test_explain_says_which_rule_matched_and_why_earlier_ones_did_not(erp: ERP) -> None:
    erp.orders.import_orders([order("7", "DE", qty=13)])
    text = str(erp.orders.explain("shopify/web/7"))
    first, last = text.splitlines()[0], text.splitlines()[-1]
    assert "swiss-from-paris" in first
    assert "DE" in first
    assert "big-orders-reviewed" in last
    assert "matched" in last


def test_an_address_change_reruns_the_rules_and_moves_the_stock(erp: ERP) -> None:
    erp.orders.import_orders([order("8", "DE")])
    erp.orders.allocate()
    assert erp.orders.get("shopify/web/8").warehouse == "BER"
    erp.orders.change_address(
        "shopify/web/8", Address("A. Buyer", "Bahnhofstr. 1", "", "Zurich", "", "8001", "CH")
    )
    moved = erp.orders.get("shopify/web/8")
    assert moved.route_warehouse == "PAR"
    assert erp.inventory.position("LAMP", "BER").reserved == 0
    erp.orders.allocate()
    assert erp.orders.get("shopify/web/8").warehouse == "PAR"
    erp.check()


def test_a_dry_run_reports_what_new_rules_would_change_and_changes_nothing(erp: ERP) -> None:
    erp.orders.import_orders([order("9", "DE"), order("10", "CH")])
    stricter = RuleSet.from_toml(
        """
[[rules]]
name = "all-from-berlin"
actions = { warehouse = "BER" }
"""
    )
    changes = erp.orders.dry_run(stricter)
    moved = {(c.order, c.field): (c.before, c.after) for c in changes}
    assert moved[("shopify/web/9", "warehouse")] == (None, "BER")
    assert moved[("shopify/web/10", "warehouse")] == ("PAR", "BER")
    assert erp.orders.get("shopify/web/10").route_warehouse == "PAR"


class FakeCarrier:
    """A live-rates carrier for the story: a fixed price per parcel, or down."""

    def __init__(self, carrier: str, price: str | None) -> None:
        self._carrier = carrier
        self.price = price
        self.asked: list[str] = []

    @property
    def carrier(self) -> str:
        return self._carrier

    def quote(self, service: str, parcel: Parcel) -> Quote | None:
        self.asked.append(service)
        if self.price is None:
            raise CarrierRatesUnavailableError(self._carrier, "timeout")
        amount = Money.of(self.price, "EUR")
        return Quote(self._carrier, service, "live", amount, parcel.weight_g, parcel.weight_g, ())


def test_a_cheaper_live_quote_wins_and_a_carrier_that_is_down_is_skipped() -> None:
    cheap, down = FakeCarrier("ups", "3.10"), FakeCarrier("fedex", None)
    erp = open_erp(
        "memory://",
        clock=SimulatedClock(T0),
        rate_tables=TABLES,
        live_services={"BER": [(cheap, "standard"), (down, "economy")]},
    )
    erp.catalog.add(Sku("LAMP", weight_g=2500), Shop("web", "shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER"))
    erp.inventory.receive("LAMP", "BER", 5)
    erp.orders.import_orders([order("11", "DE")])
    erp.orders.allocate()
    assert erp.orders.get("shopify/web/11").shipping_service == "ups/standard"
    assert (cheap.asked, down.asked) == (["standard"], ["economy"])
