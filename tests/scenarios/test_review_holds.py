"""Review holds: orders a person should look at before they ship.

Each story imports orders into a shop whose review policy is switched on and
checks which orders wait on hold, with which reasons, and what releasing
them does.  The stories run on the in-memory backend and on a SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.adapters.payments import StaticPaymentRecords
from ecerp.bootstrap import upgrade_database
from ecerp.domain.orders.holds import (
    Blacklisted,
    BuyerNote,
    IncompleteAddress,
    LikelyDuplicate,
    PaymentMismatch,
    PaymentRecord,
    PoBox,
    ReviewPolicy,
    ValueOver,
)
from ecerp.domain.shared.errors import InvalidTransitionError

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
HOME = Address("Ann Weber", "Hauptstr. 1", "", "Berlin", "", "10115", "DE")
ANN = Buyer("buyer-1", "Ann Weber", "ann@example.com")


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    url = f"sqlite:///{tmp_path / 'holds.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


def shop(url: str, clock: SimulatedClock, **options: object) -> ERP:
    erp = open_erp(url, clock=clock, **options)  # type: ignore[arg-type]
    erp.catalog.add(Sku("MUG"), Sku("VASE"), Shop("eb-de", "ebay", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER"))
    erp.inventory.receive("MUG", "BER", 50)
    erp.inventory.receive("VASE", "BER", 5)
    return erp


def order(
    number: str,
    *,
    qty: int = 2,
    price: str = "10.00",
    buyer: Buyer = ANN,
    address: Address = HOME,
    paid: bool = True,
    note: str = "",
    payment: str = "",
    at: datetime = T0,
    sku: str = "MUG",
) -> ChannelOrder:
    return ChannelOrder(
        "ebay",
        "eb-de",
        number,
        at,
        "EUR",
        (ChannelLine(sku, qty, Money.of(price, "EUR")),),
        buyer=buyer,
        address=address,
        paid=paid,
        buyer_note=note,
        payment_reference=payment,
    )


def reasons(erp: ERP, order_id: str) -> list[str]:
    return [r.code for r in erp.orders.get(order_id).hold_reasons]


@pytest.fixture
def erp(url: str, clock: SimulatedClock) -> Iterator[ERP]:
    erp = shop(url, clock, review=ReviewPolicy())
    yield erp
    erp.close()


def test_a_clean_order_is_not_held_and_a_noted_one_waits_for_a_person(erp: ERP) -> None:
    result = erp.orders.import_orders([order("1"), order("2", qty=1, note="Please gift wrap")])
    assert [o.kind for o in result] == [OutcomeKind.CREATED, OutcomeKind.CREATED]
    assert erp.orders.get("ebay/eb-de/1").status is OrderStatus.READY
    assert erp.orders.get("ebay/eb-de/2").status is OrderStatus.ON_HOLD
    assert reasons(erp, "ebay/eb-de/2") == ["buyer_note"]
    assert "held: buyer_note" in result.by_ref()["ebay/eb-de/2"].detail


def test_a_held_order_reserves_nothing_and_allocation_passes_it_by(erp: ERP) -> None:
    erp.orders.import_orders([order("2", note="call me")])
    assert erp.orders.allocate().counts() == {}
    assert erp.inventory.position("MUG", "BER").reserved == 0


def test_a_held_order_lists_every_reason_not_just_the_first(
    url: str, clock: SimulatedClock
) -> None:
    erp = shop(
        url,
        clock,
        review=ReviewPolicy((BuyerNote(), IncompleteAddress(), Blacklisted())),
        blacklist=["MALLORY@example.com"],
    )
    erp.orders.import_orders(
        [
            order(
                "3",
                note="hi",
                address=Address("Mallory"),
                buyer=Buyer("m", "Mallory", "mallory@example.com"),
            )
        ]
    )
    assert reasons(erp, "ebay/eb-de/3") == ["buyer_note", "incomplete_address", "blacklisted"]
    detail = str(erp.orders.get("ebay/eb-de/3").hold_reasons[1])
    for field in ("line1", "city", "postcode", "country"):
        assert field in detail


def test_released_reasons_do_not_hold_the_order_again_but_new_ones_do(erp: ERP) -> None:
    erp.orders.import_orders([order("4", note="leave at door")])
    erp.orders.release("ebay/eb-de/4", actor="lea")
    assert erp.orders.get("ebay/eb-de/4").status is OrderStatus.READY
    erp.orders.change_address(
        "ebay/eb-de/4", Address("Ann Weber", "Hauptstr. 1", "", "Berlin", "", "", "DE")
    )
    held = erp.orders.get("ebay/eb-de/4")
    assert held.status is OrderStatus.ON_HOLD
    assert [r.code for r in held.hold_reasons] == ["incomplete_address"]
    release = [h for h in held.history if h.from_ is OrderStatus.ON_HOLD]
    assert release[0].actor == "lea"


def test_reimporting_a_held_order_changes_nothing(erp: ERP) -> None:
    draft = order("5", note="note")
    erp.orders.import_orders([draft])
    before = erp.orders.get("ebay/eb-de/5")
    assert erp.orders.import_orders([draft]).counts() == {"unchanged": 1}
    after = erp.orders.get("ebay/eb-de/5")
    assert after.hold_reasons == before.hold_reasons
    assert len(after.history) == len(before.history)


def test_releasing_an_order_that_is_not_held_is_refused(erp: ERP) -> None:
    erp.orders.import_orders([order("6")])
    with pytest.raises(InvalidTransitionError):
        erp.orders.release("ebay/eb-de/6")


def test_the_paid_amount_must_match_the_payment_providers_record(
    url: str, clock: SimulatedClock
) -> None:
    records = StaticPaymentRecords(
        [
            PaymentRecord("PP-OK", Money.of("20.00", "EUR")),
            PaymentRecord("PP-SHORT", Money.of("18.00", "EUR")),
            PaymentRecord("PP-USD", Money.of("20.00", "USD")),
            PaymentRecord("PP-BY-BUYER", Money.of("30.00", "EUR"), buyer="carl"),
        ]
    )
    erp = shop(url, clock, review=ReviewPolicy((PaymentMismatch(),)), payments=records)
    erp.orders.import_orders(
        [
            order("ok", payment="PP-OK"),
            order("short", payment="PP-SHORT"),
            order("usd", payment="PP-USD"),
            order("none", payment="PP-MISSING"),
            order("buyer", qty=3, buyer=Buyer("carl"), payment=""),
            order("unpaid", paid=False),
        ]
    )
    status = {oid.rsplit("/", 1)[1]: erp.orders.get(oid).status for oid in erp.orders.ids()}
    assert status == {
        "ok": OrderStatus.READY,
        "short": OrderStatus.ON_HOLD,
        "usd": OrderStatus.ON_HOLD,
        "none": OrderStatus.ON_HOLD,
        "buyer": OrderStatus.READY,
        "unpaid": OrderStatus.UNPAID,
    }
    assert "18.00 EUR" in str(erp.orders.get("ebay/eb-de/short").hold_reasons[0])


def test_a_valuable_order_waits_but_only_over_its_currencys_limit(
    url: str, clock: SimulatedClock
) -> None:
    erp = shop(url, clock, review=ReviewPolicy((ValueOver({"EUR": Money.of("500", "EUR")}),)))
    erp.orders.import_orders(
        [order("cheap", qty=1, price="500.00"), order("dear", qty=1, price="500.01")]
    )
    assert erp.orders.get("ebay/eb-de/cheap").status is OrderStatus.READY
    assert erp.orders.get("ebay/eb-de/dear").status is OrderStatus.ON_HOLD


def test_a_double_submitted_order_holds_only_the_second(url: str, clock: SimulatedClock) -> None:
    erp = shop(url, clock, review=ReviewPolicy((LikelyDuplicate(),)))
    erp.orders.import_orders([order("first")])
    clock.advance(timedelta(minutes=5))
    erp.orders.import_orders(
        [
            order("second", at=T0 + timedelta(minutes=2)),
            order("other-lines", qty=3, at=T0 + timedelta(minutes=3)),
            order("next-week", at=T0 + timedelta(days=7)),
        ]
    )
    assert erp.orders.get("ebay/eb-de/first").status is OrderStatus.READY
    assert reasons(erp, "ebay/eb-de/second") == ["likely_duplicate"]
    assert erp.orders.get("ebay/eb-de/other-lines").status is OrderStatus.READY
    assert erp.orders.get("ebay/eb-de/next-week").status is OrderStatus.READY


def test_an_edit_that_makes_an_allocated_order_suspicious_gives_its_stock_back(
    url: str, clock: SimulatedClock
) -> None:
    erp = shop(url, clock, review=ReviewPolicy((PoBox(),)))
    erp.orders.import_orders([order("7", qty=4)])
    assert erp.orders.allocate().counts() == {"allocated": 1}
    assert erp.inventory.position("MUG", "BER").reserved == 4
    erp.orders.change_address(
        "ebay/eb-de/7", Address("Ann", "P.O. Box 12", "", "Berlin", "", "10115", "DE")
    )
    assert erp.orders.get("ebay/eb-de/7").status is OrderStatus.ON_HOLD
    assert erp.inventory.position("MUG", "BER").reserved == 0
    erp.check()


def test_without_a_review_policy_nothing_is_held(url: str, clock: SimulatedClock) -> None:
    erp = shop(url, clock)
    erp.orders.import_orders([order("8", note="hello")])
    assert erp.orders.get("ebay/eb-de/8").status is OrderStatus.READY
