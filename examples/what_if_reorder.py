"""What if the stock sat in two warehouses instead of one?

A notebook-style what-if (cells marked ``# %%`` open as cells in Jupyter
with jupytext, in VS Code and in PyCharm).  Four weeks of simulated daily
demand are replayed through the real use cases (import, allocate, ship,
receive) with a :class:`SimulatedClock`, once per scenario:

* ``one warehouse``: all stock in Berlin;
* ``one, +25%``: the same, with a quarter more stock;
* ``split 50/50``: the first scenario's stock, half in Berlin, half in Hamburg;
* ``split by SKU``: the same total, red mugs and lids in Berlin, blue mugs in
  Hamburg.

Every Monday a delivery tops each warehouse up to its starting level, and
waiting orders are allocated as the goods arrive.  ecerp ships an order whole
from one warehouse (the first, by priority, that has all of it), so a split
only hurts orders that neither warehouse can fill alone, such as a gift set of
a red and a blue mug when the colours sit in different places.  The table
compares the fill rate (orders shipped on the day they came in) and how many
orders were left waiting at the end of each day.  Edit ``SCENARIOS`` or
``make_demand`` and run again.

Run: ``python examples/what_if_reorder.py``
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import attrs

from ecerp import (
    ERP,
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

# %% The model shop and its demand.

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
DAYS = 28
SKUS = ("MUG-RED", "MUG-BLUE", "LID")
PRICE = Money.of("12.00", "EUR")

Stock = Mapping[str, Mapping[str, int]]  # warehouse -> SKU -> units


@attrs.frozen
class Scenario:
    name: str
    stock: Stock  # the starting level, restored every Monday


SCENARIOS = (
    Scenario("one warehouse", {"BER": {"MUG-RED": 40, "MUG-BLUE": 30, "LID": 40}}),
    Scenario("one, +25%", {"BER": {"MUG-RED": 50, "MUG-BLUE": 38, "LID": 50}}),
    Scenario(
        "split 50/50",
        {
            "BER": {"MUG-RED": 20, "MUG-BLUE": 15, "LID": 20},
            "HAM": {"MUG-RED": 20, "MUG-BLUE": 15, "LID": 20},
        },
    ),
    Scenario(
        "split by SKU",
        {"BER": {"MUG-RED": 40, "LID": 40}, "HAM": {"MUG-BLUE": 30}},
    ),
)


def make_demand(seed: int = 7) -> list[list[ChannelOrder]]:
    """Orders per day: the same for every scenario, so only the stock differs."""
    rng = random.Random(seed)
    listings = ("MUG-RED", "MUG-BLUE", "LID", "GIFT-SET")
    days = []
    for day in range(DAYS):
        orders = []
        for n in range(rng.randint(3, 7)):
            picked = rng.sample(listings, rng.choice((1, 1, 2)))
            lines = tuple(ChannelLine(code, rng.choice((1, 1, 2)), PRICE) for code in picked)
            ordered = START + timedelta(days=day, hours=rng.randint(0, 7), minutes=n)
            orders.append(
                ChannelOrder("shopify", "web", f"{day:02d}-{n}", ordered, "EUR", lines, paid=True)
            )
        days.append(orders)
    return days


# %% One run: the same use cases an app would call, day by day.


@attrs.define
class Report:
    orders: int = 0
    shipped_same_day: int = 0
    waiting_at_close: list[int] = attrs.field(factory=list)

    @property
    def fill_rate(self) -> float:
        return self.shipped_same_day / self.orders if self.orders else 1.0


def open_shop(scenario: Scenario, clock: SimulatedClock) -> ERP:
    erp = open_erp("memory://", clock=clock, actor="sim")
    erp.catalog.add(
        *(Sku(code) for code in SKUS),
        Bundle("GIFT-SET", (Component("MUG-RED", 1), Component("MUG-BLUE", 1))),
        Shop("web", "shopify", currency="EUR"),
    )
    for priority, warehouse in enumerate(scenario.stock):
        erp.inventory.add_warehouse(Warehouse(warehouse, priority=priority))
    return erp


def top_up(erp: ERP, scenario: Scenario, week: int) -> None:
    """Deliver what brings each warehouse back to its starting level."""
    for warehouse, levels in scenario.stock.items():
        for sku, level in levels.items():
            missing = level - erp.inventory.position(sku, warehouse).on_hand
            if missing > 0:
                erp.inventory.receive(sku, warehouse, missing, document=f"PO-week-{week}")


def simulate(scenario: Scenario, demand: list[list[ChannelOrder]]) -> Report:
    clock = SimulatedClock(START)
    erp = open_shop(scenario, clock)
    report = Report()
    for day, orders in enumerate(demand):
        morning = START + timedelta(days=day, hours=8)
        clock.set(morning)
        if day % 7 == 0:
            top_up(erp, scenario, day // 7)  # waiting orders are allocated on arrival
        clock.set(morning + timedelta(hours=1))
        erp.orders.import_orders(orders)
        erp.orders.allocate()
        clock.set(morning + timedelta(hours=8))
        shipped = erp.orders.ship(erp.orders.ids(OrderStatus.ALLOCATED))
        today = {"/".join(order.key) for order in orders}
        report.orders += len(orders)
        report.shipped_same_day += sum(1 for o in shipped if o.ok and o.ref in today)
        report.waiting_at_close.append(len(erp.orders.ids(OrderStatus.WAITING)))
    erp.check()
    return report


# %% Compare.


def main() -> None:
    demand = make_demand()
    print(f"{DAYS} days, {sum(len(d) for d in demand)} orders, weekly top-up deliveries\n")
    print(f"{'scenario':<15}{'fill rate':>10}{'avg waiting':>13}{'max waiting':>13}{'at end':>8}")
    for scenario in SCENARIOS:
        r = simulate(scenario, demand)
        waiting = r.waiting_at_close
        print(
            f"{scenario.name:<15}{r.fill_rate:>10.0%}{sum(waiting) / len(waiting):>13.1f}"
            f"{max(waiting):>13}{waiting[-1]:>8}"
        )


if __name__ == "__main__":
    main()
