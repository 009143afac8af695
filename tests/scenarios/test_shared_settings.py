"""The shop's settings live with its books.

Lea sets the shop up in the back office: which orders wait for a person,
which warehouse ships where.  The webhook worker and the nightly job open
the same database with nothing but its URL, and hold and route orders
exactly as she decided; when she changes her mind, their next order follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
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
from ecerp.domain.orders.holds import BuyerNote, ReviewPolicy, ValueOver
from ecerp.domain.orders.reasons import HoldReason
from ecerp.domain.routing.conditions import Conditions
from ecerp.domain.routing.rules import Actions, Rule, RuleSet

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
HOME = Address("Ann Weber", "Hauptstr. 1", "", "Berlin", "", "10115", "DE")
PARIS = Address("Luc Martin", "1 rue de Rivoli", "", "Paris", "", "75001", "FR")
FRANCE_FROM_PARIS = RuleSet(
    (Rule("france-from-paris", Actions(warehouse="PAR"), Conditions(countries={"FR"})),)
)


class IslandCheck:
    """The shop's own check: Heligoland needs a word with the carrier."""

    code = "island"

    def __call__(self, order: object, ctx: object) -> HoldReason | None:
        address = getattr(order, "address")  # noqa: B009
        if address.postcode.startswith("27498"):
            return HoldReason(self.code, "Heligoland: ask the carrier first")
        return None


def web_order(
    number: str, *, to: Address = HOME, note: str = "", price: str = "20.00"
) -> ChannelOrder:
    return ChannelOrder(
        "web",
        "shop",
        number,
        T0,
        "EUR",
        (ChannelLine("MUG", 1, Money.of(price, "EUR")),),
        paid=True,
        buyer=Buyer(f"buyer-{number}", "A Buyer", f"buyer-{number}@example.com"),
        address=to,
        buyer_note=note,
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def back_office(url: str) -> Iterator[ERP]:
    erp = open_erp(url, clock=SimulatedClock(T0), actor="lea")
    erp.catalog.add(Sku("MUG"), Shop("shop", "web", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER", priority=0))
    erp.inventory.add_warehouse(Warehouse("PAR", priority=1))
    erp.inventory.receive("MUG", "BER", 20)
    erp.inventory.receive("MUG", "PAR", 20)
    yield erp
    erp.close()


def webhook(url: str) -> ERP:
    """The webhook worker: another process, opened with the URL only."""
    return open_erp(url, clock=SimulatedClock(T0), actor="webhook")


def landed(erp: ERP, order: ChannelOrder) -> tuple[OrderStatus, str | None, list[str]]:
    (outcome,) = erp.orders.accept([order])
    stored = erp.orders.get(outcome.order or "")
    return stored.status, stored.warehouse, [r.code for r in stored.hold_reasons]


def test_the_webhook_holds_and_routes_orders_as_the_back_office_decided(
    back_office: ERP, url: str
) -> None:
    # Lea's app opens the shop with her review policy and rules
    open_erp(url, actor="lea", review=ReviewPolicy((BuyerNote(),)), rules=FRANCE_FROM_PARIS).close()

    with webhook(url) as worker:
        noted = landed(worker, web_order("1", note="Please gift wrap"))
        french = landed(worker, web_order("2", to=PARIS))

    assert noted == (OrderStatus.ON_HOLD, None, ["buyer_note"])
    assert french == (OrderStatus.ALLOCATED, "PAR", [])


def test_when_lea_adds_a_value_limit_the_next_webhook_order_above_it_waits(
    back_office: ERP, url: str
) -> None:
    with webhook(url) as worker:
        before = landed(worker, web_order("1", price="900.00"))
        back_office.settings.set(review=ReviewPolicy((ValueOver({"EUR": Money.of("500", "EUR")}),)))
        after = landed(worker, web_order("2", price="900.00"))

    assert before[0] is OrderStatus.ALLOCATED
    assert after == (OrderStatus.ON_HOLD, None, ["value_over"])
    (change,) = back_office.settings.history()
    assert (change.actor, change.changed, change.at) == ("lea", ("review",), T0)


def test_the_shops_own_check_runs_where_it_is_known_and_holds_where_it_is_not(
    back_office: ERP, url: str
) -> None:
    island = Address("Jan Rickmers", "Lung Wai 5", "", "Helgoland", "", "27498", "DE")
    back_office.settings.set(review=ReviewPolicy((BuyerNote(), IslandCheck())))

    at_home = landed(back_office, web_order("1"))
    with webhook(url) as worker:  # the worker's code does not have IslandCheck
        elsewhere = landed(worker, web_order("2"))
    with open_erp(url, review=ReviewPolicy((BuyerNote(), IslandCheck()))) as informed:
        to_the_island = landed(informed, web_order("3", to=island))
        to_berlin = landed(informed, web_order("4"))

    assert at_home[0] is OrderStatus.ALLOCATED
    assert elsewhere == (OrderStatus.ON_HOLD, None, ["island"])
    assert to_the_island == (OrderStatus.ON_HOLD, None, ["island"])
    assert to_berlin[0] is OrderStatus.ALLOCATED
    assert len(back_office.settings.history()) == 1  # the same policy: no new version
