"""Order automation stories: each review check, merge and split refusals,
split by availability, and routing rules that re-run and reorder the queue.

A seller on eBay Germany and a Shopify web shop ships mugs, lids, lamps and
a gift set (one mug and two lids) from Berlin (BER) and Paris (PAR).  Every
story runs in memory and on a SQLite file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecerp import (
    ERP,
    Address,
    Bundle,
    Buyer,
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
from ecerp.adapters.payments import StaticPaymentRecords
from ecerp.bootstrap import upgrade_database
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.orders.errors import ConsolidationError
from ecerp.domain.orders.holds import (
    Blacklisted,
    BuyerNote,
    PaymentMismatch,
    PaymentRecord,
    PoBox,
    ReviewPolicy,
    Unpaid,
)
from ecerp.domain.routing.rules import RuleSet

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)
HOME = Address("Ann Weber", "Hauptstr. 1", "", "Berlin", "", "10115", "DE")
ANN = Buyer("ann-w", "Ann Weber", "ann@example.com")

#: Grams per unit, so that rule weights can be worked out by hand.
WEIGHT = {"MUG": 400, "LID": 100, "LAMP": 2500}


@pytest.fixture(params=["memory", "sqlite"])
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes a fresh, empty backend URL each call (two ERPs side by side)."""
    made: list[int] = []

    def make() -> str:
        if request.param == "memory":
            return "memory://"
        made.append(1)
        url = f"sqlite:///{tmp_path / f'automation-{len(made)}.db'}"
        upgrade_database(url)
        return url

    return make


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0 + timedelta(hours=1))


Stock = dict[tuple[str, str], int]


def seller(url: str, clock: SimulatedClock, stock: Stock | None = None, **options: object) -> ERP:
    erp = open_erp(url, clock=clock, actor="lea", **options)  # type: ignore[arg-type]
    erp.catalog.add(
        *(Sku(code, weight_g=grams) for code, grams in WEIGHT.items()),
        Bundle("SET", (Component("MUG", 1), Component("LID", 2))),
        Shop("eb-de", "ebay", currency="EUR"),
        Shop("web", "shopify", currency="EUR"),
    )
    erp.inventory.add_warehouse(Warehouse("BER", priority=0))
    erp.inventory.add_warehouse(Warehouse("PAR", priority=1))
    default: Stock = {("MUG", "BER"): 20, ("LID", "BER"): 40, ("LAMP", "BER"): 10}
    for (sku, warehouse), qty in (default if stock is None else stock).items():
        erp.inventory.receive(sku, warehouse, qty)
    return erp


def order(
    number: str,
    *lines: tuple[str, int],
    price: str = "10.00",
    shop: str = "eb-de",
    buyer: Buyer = ANN,
    address: Address = HOME,
    paid: bool = True,
    note: str = "",
    payment: str = "",
    minute: int = 0,
    version: int = 0,
    level: str = "",
) -> ChannelOrder:
    """Order ``number`` of ``lines`` (listing SKU, qty), each unit at ``price``,
    placed ``minute`` minutes after T0; ``version`` minutes later is newer."""
    placed = T0 + timedelta(minutes=minute)
    return ChannelOrder(
        "ebay" if shop == "eb-de" else "shopify",
        shop,
        number,
        placed,
        "EUR",
        tuple(ChannelLine(sku, qty, Money.of(price, "EUR")) for sku, qty in lines or [("MUG", 1)]),
        updated_at=placed + timedelta(minutes=version),
        buyer=buyer,
        address=address,
        paid=paid,
        buyer_note=note,
        payment_reference=payment,
        shipping_level=level,
    )


def oid(number: str, shop: str = "eb-de") -> str:
    return f"{'ebay' if shop == 'eb-de' else 'shopify'}/{shop}/{number}"


def codes(erp: ERP, number: str) -> list[str]:
    return [r.code for r in erp.orders.get(oid(number)).hold_reasons]


def status(erp: ERP, number: str) -> OrderStatus:
    return erp.orders.get(oid(number)).status


def held_stock(erp: ERP, order_id: str) -> dict[tuple[str, str], int]:
    """What an order holds, as {(sku, warehouse): qty} summed over lines."""
    held: dict[tuple[str, str], int] = {}
    for r in erp.inventory.reservations(order_id):
        held[(r.sku, r.warehouse)] = held.get((r.sku, r.warehouse), 0) + r.qty
    return held


def reserved(erp: ERP, sku: str, warehouse: str) -> int:
    return erp.inventory.position(sku, warehouse).reserved


# --- review holds, one check at a time -----------------------------------------------


@pytest.fixture
def erp(new_url: Callable[[], str], clock: SimulatedClock) -> Iterator[ERP]:
    erp = seller(new_url(), clock)
    yield erp
    erp.close()


def test_po_boxes_and_parcel_lockers_are_held_but_a_street_named_box_is_not(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = seller(new_url(), clock, review=ReviewPolicy((PoBox(),)))

    def to(line1: str, line2: str = "") -> Address:
        return Address("Ann Weber", line1, line2, "Berlin", "", "10115", "DE")

    erp.orders.import_orders(
        [
            order("po", address=to("P.O. Box 77")),
            order("pobox", address=to("PO Box 12")),
            order("postfach", address=to("Postfach 1122")),
            order("locker", address=to("Ann Weber", "Packstation 105")),
            order("street", address=to("Boxhagener Str. 5")),
            order("home"),
        ],
        actor="import",
    )

    held = {n: codes(erp, n) for n in ("po", "pobox", "postfach", "locker", "street", "home")}
    assert held == {
        "po": ["po_box"],
        "pobox": ["po_box"],
        "postfach": ["po_box"],
        "locker": ["po_box"],
        "street": [],
        "home": [],
    }
    assert status(erp, "street") is OrderStatus.READY
    assert "Postfach" in str(erp.orders.get(oid("postfach")).hold_reasons[0])


def test_an_unpaid_order_is_held_only_when_the_shop_asks_and_a_release_leaves_it_unpaid(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    strict = seller(new_url(), clock, review=ReviewPolicy((Unpaid(),)))
    lenient = seller(new_url(), clock, review=ReviewPolicy())
    for erp in (strict, lenient):
        erp.orders.import_orders([order("1", paid=False), order("2", paid=True)])

    assert codes(strict, "1") == ["unpaid"]
    assert status(strict, "2") is OrderStatus.READY
    assert status(lenient, "1") is OrderStatus.UNPAID
    assert codes(lenient, "1") == []

    released = strict.orders.release(oid("1"), actor="lea")
    assert released.status is OrderStatus.UNPAID
    assert "unpaid" in released.cleared_holds
    paid = strict.orders.mark_paid(oid("1"))
    assert paid.status is OrderStatus.READY


def test_without_a_transaction_id_the_payment_is_found_by_buyer_and_amount(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    records = StaticPaymentRecords(
        [
            PaymentRecord("PP-1", Money.of("30.00", "EUR"), buyer="carl@example.com"),
            PaymentRecord("PP-2", Money.of("25.00", "EUR"), buyer="dora@example.com"),
        ]
    )
    erp = seller(new_url(), clock, review=ReviewPolicy((PaymentMismatch(),)), payments=records)
    carl = Buyer("", "Carl", "carl@example.com")
    dora = Buyer("", "Dora", "DORA@example.com")
    erp.orders.import_orders(
        [
            order("carl", ("MUG", 3), buyer=carl),  # 3 x 10.00 = 30.00: PP-1
            order("dora", ("MUG", 2), buyer=dora),  # 20.00, but Dora paid 25.00
            order("erik", ("MUG", 1), buyer=Buyer("", "Erik", "erik@example.com")),
            order("owes", ("MUG", 1), buyer=Buyer("", "Olga", "olga@example.com"), paid=False),
        ]
    )

    assert status(erp, "carl") is OrderStatus.READY
    assert codes(erp, "dora") == ["payment_mismatch"]
    assert codes(erp, "erik") == ["payment_mismatch"]
    assert "no payment record" in str(erp.orders.get(oid("erik")).hold_reasons[0])
    assert status(erp, "owes") is OrderStatus.UNPAID  # nothing paid, nothing to compare


def test_a_blacklisted_buyer_is_held_whether_listed_by_email_or_by_name(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = seller(
        new_url(),
        clock,
        review=ReviewPolicy((Blacklisted(),)),
        blacklist=["  Mallory@Example.com ", "Eve Evil"],
    )
    erp.orders.import_orders(
        [
            order("by-email", buyer=Buyer("m-1", "M. Allory", "mallory@example.com")),
            order("by-name", buyer=Buyer("e-7", "EVE EVIL", "eve@example.net")),
            order("namesake", buyer=Buyer("e-8", "Eve Evilson", "eve@example.org")),
            order("clean"),
        ]
    )

    assert codes(erp, "by-email") == ["blacklisted"]
    assert codes(erp, "by-name") == ["blacklisted"]
    assert status(erp, "namesake") is OrderStatus.READY
    assert status(erp, "clean") is OrderStatus.READY
    assert erp.orders.allocate().counts() == {"allocated": 2}
    assert reserved(erp, "MUG", "BER") == 2  # the held orders reserve nothing


def test_a_newer_version_with_the_same_problems_holds_the_order_exactly_once(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = seller(new_url(), clock, review=ReviewPolicy((BuyerNote(), PoBox())))
    box = Address("Ann Weber", "PO Box 9", "", "Berlin", "", "10115", "DE")
    erp.orders.import_orders([order("1", note="ring twice", address=box)])
    before = erp.orders.get(oid("1"))
    assert [r.code for r in before.hold_reasons] == ["buyer_note", "po_box"]

    # The channel sends a newer version: a phone number added, same note, same box.
    newer = Address("Ann Weber", "PO Box 9", "", "Berlin", "", "10115", "DE", "+49 30 1234")
    clock.advance(timedelta(minutes=5))
    result = erp.orders.import_orders([order("1", note="ring twice", address=newer, version=3)])
    assert result.counts() == {"updated": 1}
    clock.advance(timedelta(minutes=5))
    erp.orders.import_orders([order("1", note="ring twice", address=newer, version=4)])

    after = erp.orders.get(oid("1"))
    assert after.status is OrderStatus.ON_HOLD
    assert after.hold_reasons == before.hold_reasons
    assert len(after.history) == len(before.history)
    assert [c.field for c in after.changes] == ["address"]


def test_a_released_order_is_not_held_again_by_a_newer_version_with_the_same_note(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = seller(new_url(), clock, review=ReviewPolicy((BuyerNote(),)))
    erp.orders.import_orders([order("1", note="ring twice")])
    erp.orders.release(oid("1"), actor="lea")
    erp.orders.import_orders([order("1", ("MUG", 2), note="ring twice", version=10)])
    assert status(erp, "1") is OrderStatus.READY
    assert erp.orders.get(oid("1")).lines[0].qty == 2


def test_a_held_order_lists_its_current_reasons_once_after_a_newer_version(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = seller(new_url(), clock, review=ReviewPolicy((BuyerNote(), Unpaid())))
    erp.orders.import_orders([order("1", note="ring twice", paid=False)])
    assert codes(erp, "1") == ["buyer_note", "unpaid"]
    erp.orders.import_orders([order("1", note="ring three times", paid=True, version=5)])
    held = erp.orders.get(oid("1"))
    assert [r.code for r in held.hold_reasons] == ["buyer_note"]
    assert "three" in str(held.hold_reasons[0])


# --- merge and unmerge -------------------------------------------------------------------


def test_orders_of_other_buyers_addresses_or_shops_are_not_merged_and_stay_as_they_were(
    erp: ERP,
) -> None:
    elsewhere = Address("Ann Weber", "Gartenweg 3", "", "Berlin", "", "10115", "DE")
    erp.orders.import_orders(
        [
            order("1"),
            order("2", buyer=Buyer("bob-k", "Bob King", "bob@example.com")),
            order("3", address=elsewhere),
            order("4", shop="web"),
            order("5", address=Address("ANN WEBER", "Hauptstr 1", "", "berlin", "", "10115", "de")),
        ]
    )
    for other in (oid("2"), oid("3"), oid("4", "web")):
        with pytest.raises(ConsolidationError) as refused:
            erp.orders.merge([oid("1"), other])
        assert refused.value.orders == (oid("1"), other)
    assert {status(erp, n) for n in ("1", "2", "3")} == {OrderStatus.READY}
    assert erp.orders.get(oid("4", "web")).status is OrderStatus.READY
    assert len(erp.orders.ids()) == 5

    # Case, spaces and punctuation are not a different address.
    merged = erp.orders.merge([oid("1"), oid("5")])
    assert merged.merged_from == (oid("1"), oid("5"))


def test_an_order_already_being_picked_is_not_merged(erp: ERP) -> None:
    erp.orders.import_orders([order("1", minute=1), order("2", ("LID", 2), minute=2)])
    erp.orders.allocate()
    erp.orders.pick([oid("2")])

    with pytest.raises(ConsolidationError) as refused:
        erp.orders.merge([oid("1"), oid("2")])

    assert refused.value.orders == (oid("2"),)
    assert status(erp, "1") is OrderStatus.ALLOCATED
    assert held_stock(erp, oid("1")) == {("MUG", "BER"): 1}
    assert held_stock(erp, oid("2")) == {("LID", "BER"): 2}


def test_a_merged_order_points_each_line_back_to_its_marketplace_order(erp: ERP) -> None:
    erp.orders.import_orders(
        [order("1", ("MUG", 2), ("LID", 1), minute=1), order("2", ("SET", 1), minute=2)]
    )
    erp.orders.allocate()
    merged = erp.orders.merge([oid("2"), oid("1")])

    assert {n: merged.line_origins[n] for n in (1, 2, 3)} == {
        1: (oid("1"), 1),
        2: (oid("1"), 2),
        3: (oid("2"), 1),
    }
    assert merged.status is OrderStatus.ALLOCATED
    assert merged.warehouse == "BER"
    # 2 mugs + 1 lid, and a set of 1 mug + 2 lids: the stock follows the merge.
    assert held_stock(erp, merged.id) == {("MUG", "BER"): 3, ("LID", "BER"): 3}
    assert held_stock(erp, oid("1")) == {}
    assert held_stock(erp, oid("2")) == {}
    assert (reserved(erp, "MUG", "BER"), reserved(erp, "LID", "BER")) == (3, 3)


def test_unmerge_gives_the_originals_back_their_history_status_and_stock(
    erp: ERP, clock: SimulatedClock
) -> None:
    erp.orders.import_orders([order("1", minute=1), order("2", ("LID", 4), minute=2)])
    erp.orders.allocate()
    before = {n: erp.orders.get(oid(n)).history for n in ("1", "2")}
    clock.advance(timedelta(minutes=10))
    merged = erp.orders.merge([oid("1"), oid("2")], actor="ben")
    clock.advance(timedelta(minutes=10))
    erp.orders.unmerge(merged.id, actor="lea")

    for n in ("1", "2"):
        history = erp.orders.get(oid(n)).history
        assert history[: len(before[n])] == before[n]
        added = [(h.from_, h.to, h.actor, h.at) for h in history[len(before[n]) :]]
        assert added == [
            (OrderStatus.ALLOCATED, OrderStatus.MERGED, "ben", T0 + timedelta(minutes=70)),
            (OrderStatus.MERGED, OrderStatus.ALLOCATED, "lea", T0 + timedelta(minutes=80)),
        ]
        assert merged.id in history[-2].note
        assert merged.id in history[-1].note
        assert erp.orders.get(oid(n)).merged_into is None
    assert held_stock(erp, oid("1")) == {("MUG", "BER"): 1}
    assert held_stock(erp, oid("2")) == {("LID", "BER"): 4}
    assert erp.orders.get(merged.id).status is OrderStatus.CANCELLED
    assert held_stock(erp, merged.id) == {}
    erp.check()


def test_cancelling_a_merged_order_does_not_strand_its_originals(erp: ERP) -> None:
    erp.orders.import_orders([order("1", minute=1), order("2", ("LID", 2), minute=2)])
    erp.orders.allocate()
    merged = erp.orders.merge([oid("1"), oid("2")])
    erp.orders.cancel(merged.id, reason="buyer cancelled both")

    for n in ("1", "2"):
        if status(erp, n) is not OrderStatus.CANCELLED:
            erp.orders.cancel(oid(n), reason="buyer cancelled both")
        assert status(erp, n) is OrderStatus.CANCELLED
    assert (reserved(erp, "MUG", "BER"), reserved(erp, "LID", "BER")) == (0, 0)


def test_an_address_edit_does_not_hold_a_merged_order_for_its_payment(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    records = StaticPaymentRecords(
        [
            PaymentRecord("PP-1", Money.of("10.00", "EUR")),
            PaymentRecord("PP-2", Money.of("20.00", "EUR")),
        ]
    )
    erp = seller(new_url(), clock, review=ReviewPolicy((PaymentMismatch(),)), payments=records)
    erp.orders.import_orders(
        [order("1", minute=1, payment="PP-1"), order("2", ("LID", 2), minute=2, payment="PP-2")]
    )
    erp.orders.allocate()
    merged = erp.orders.merge([oid("1"), oid("2")])

    flat = Address("Ann Weber", "Hauptstr. 1", "Flat 3", "Berlin", "", "10115", "DE")
    edited = erp.orders.change_address(merged.id, flat)

    assert edited.hold_reasons == ()
    assert edited.status is OrderStatus.ALLOCATED


# --- split by hand --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param(({1: 3, 2: 2},), id="everything"),
        pytest.param(({1: 1}, {1: 2, 2: 2}), id="everything-in-two-parts"),
        pytest.param(({},), id="nothing"),
        pytest.param(({1: 0},), id="zero"),
        pytest.param(({7: 1},), id="unknown-line"),
        pytest.param(({1: 4},), id="more-than-ordered"),
    ],
)
def test_a_split_that_takes_everything_nothing_or_an_unknown_line_is_refused(
    erp: ERP, parts: tuple[dict[int, int], ...]
) -> None:
    erp.orders.import_orders([order("1", ("MUG", 3), ("LID", 2))])
    erp.orders.allocate()
    before = erp.orders.get(oid("1"))

    with pytest.raises(ConsolidationError) as refused:
        erp.orders.split(oid("1"), *parts)

    assert refused.value.orders == (oid("1"),)
    after = erp.orders.get(oid("1"))
    assert [(ln.listing_sku, ln.qty) for ln in after.lines] == [("MUG", 3), ("LID", 2)]
    assert after.changes == before.changes
    assert erp.orders.ids() == [oid("1")]
    assert held_stock(erp, oid("1")) == {("MUG", "BER"): 3, ("LID", "BER"): 2}


def test_splitting_an_allocated_order_keeps_every_part_allocated_where_it_was(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    # Only Paris has lamps, so the order is allocated there, not in Berlin.
    stock: Stock = {("MUG", "BER"): 10, ("MUG", "PAR"): 10, ("LAMP", "PAR"): 5}
    erp = seller(new_url(), clock, stock)
    erp.orders.import_orders([order("1", ("MUG", 4), ("LAMP", 2))])
    erp.orders.allocate()
    assert erp.orders.get(oid("1")).warehouse == "PAR"

    rest, first, second = erp.orders.split(oid("1"), {1: 1, 2: 1}, {1: 2})

    assert [p.status for p in (rest, first, second)] == [OrderStatus.ALLOCATED] * 3
    assert {p.warehouse for p in (rest, first, second)} == {"PAR"}
    assert held_stock(erp, rest.id) == {("MUG", "PAR"): 1, ("LAMP", "PAR"): 1}
    assert held_stock(erp, first.id) == {("MUG", "PAR"): 1, ("LAMP", "PAR"): 1}
    assert held_stock(erp, second.id) == {("MUG", "PAR"): 2}
    assert (reserved(erp, "MUG", "PAR"), reserved(erp, "LAMP", "PAR")) == (4, 2)
    assert reserved(erp, "MUG", "BER") == 0
    assert first.split_from == second.split_from == oid("1")
    erp.check()


def test_an_address_edit_does_not_hold_a_split_part_for_its_payment(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    records = StaticPaymentRecords([PaymentRecord("PP-1", Money.of("30.00", "EUR"))])
    erp = seller(new_url(), clock, review=ReviewPolicy((PaymentMismatch(),)), payments=records)
    erp.orders.import_orders([order("1", ("MUG", 3), payment="PP-1")])  # 3 x 10.00
    erp.orders.allocate()
    _, part = erp.orders.split(oid("1"), {1: 1})

    flat = Address("Ann Weber", "Hauptstr. 1", "Flat 3", "Berlin", "", "10115", "DE")
    edited = erp.orders.change_address(part.id, flat)

    assert edited.hold_reasons == ()
    assert edited.status is OrderStatus.ALLOCATED


# --- split by availability -----------------------------------------------------------------


def test_split_by_availability_ships_only_whole_bundles(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    # 3 sets need 3 mugs and 6 lids; 5 lids make only 2 whole sets.
    erp = seller(new_url(), clock, {("MUG", "BER"): 5, ("LID", "BER"): 5})
    erp.orders.import_orders([order("1", ("SET", 3), price="30.00")])
    assert erp.orders.allocate().counts() == {"waiting": 1}

    rest, part = erp.orders.split_by_availability(oid("1"))

    assert [(ln.listing_sku, ln.qty) for ln in part.lines] == [("SET", 2)]
    assert part.status is OrderStatus.ALLOCATED
    assert part.warehouse == "BER"
    assert held_stock(erp, part.id) == {("MUG", "BER"): 2, ("LID", "BER"): 4}
    assert [(ln.listing_sku, ln.qty) for ln in rest.lines] == [("SET", 1)]
    assert rest.status is OrderStatus.WAITING
    assert held_stock(erp, rest.id) == {}
    assert part.total() + rest.total() == Money.of("90.00", "EUR")
    assert erp.inventory.position("LID", "BER").available == 1
    erp.check()


def test_split_by_availability_ships_from_the_warehouse_that_can_send_the_most(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    # Berlin comes first by priority but has 1 mug; Paris has 3.  The buyer wants 6.
    erp = seller(new_url(), clock, {("MUG", "BER"): 1, ("MUG", "PAR"): 3})
    erp.orders.import_orders([order("1", ("MUG", 6))])
    erp.orders.allocate()

    rest, part = erp.orders.split_by_availability(oid("1"))

    assert (part.warehouse, part.lines[0].qty, part.status) == ("PAR", 3, OrderStatus.ALLOCATED)
    assert (rest.lines[0].qty, rest.status) == (3, OrderStatus.WAITING)
    assert (reserved(erp, "MUG", "PAR"), reserved(erp, "MUG", "BER")) == (3, 0)

    # Naming the warehouse ships from it even when another could send more.
    other = seller(new_url(), clock, {("MUG", "BER"): 1, ("MUG", "PAR"): 3})
    other.orders.import_orders([order("1", ("MUG", 6))])
    other.orders.allocate()
    rest, part = other.orders.split_by_availability(oid("1"), warehouse="BER")
    assert (part.warehouse, part.lines[0].qty, rest.lines[0].qty) == ("BER", 1, 5)


def test_split_by_availability_is_refused_when_nothing_or_everything_can_ship(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = seller(new_url(), clock, {("MUG", "BER"): 4})
    erp.orders.import_orders([order("none", ("LAMP", 1)), order("all", ("MUG", 4))])

    for number in ("none", "all"):
        with pytest.raises(ConsolidationError) as refused:
            erp.orders.split_by_availability(oid(number))
        assert refused.value.orders == (oid(number),)
    assert erp.orders.allocate([oid("all")]).counts() == {"allocated": 1}
    with pytest.raises(ConsolidationError):
        erp.orders.split_by_availability(oid("all"))  # allocated: not ready or waiting


# --- routing rules ---------------------------------------------------------------------------

ROUTING = RuleSet.from_toml(
    """
[[rules]]
name = "heavy-by-cargo"
conditions = { weight_g = { min = 5000 } }
actions = { warehouse = "BER", service = "dhl/cargo" }

[[rules]]
name = "swiss-from-paris"
conditions = { countries = ["CH"] }
actions = { warehouse = "PAR", service = "post/ch" }

[[rules]]
name = "express-first"
conditions = { shipping_levels = ["express"] }
actions = { priority = 10, tags = ["express"] }
"""
)


def flat(carrier: str, service: str, prices: dict[str, str]) -> RateTable:
    """One price per country for up to 10 kg, 1.00 per extra kg."""
    return RateTable.from_dict(
        {
            "carrier": carrier,
            "service": service,
            "currency": "EUR",
            "zones": [{"zone": c.lower(), "country": c} for c in prices],
            "prices": {
                c.lower(): {"first_g": 10000, "first": p, "step_g": 1000, "step": "1.00"}
                for c, p in prices.items()
            },
        }
    )


# Germany ships cheaper from Berlin, France from Paris.
TABLES = {
    "BER": [flat("dhl", "paket", {"DE": "4.90", "FR": "12.90"})],
    "PAR": [flat("colissimo", "eu", {"DE": "11.90", "FR": "5.90"})],
}


def routed(url: str, clock: SimulatedClock, stock: Stock | None = None) -> ERP:
    return seller(url, clock, stock, rules=ROUTING, rate_tables=TABLES)


def to(country: str) -> Address:
    return Address("A. Buyer", "Street 1", "", "City", "", "1000", country)


def test_routing_and_allocation_do_not_depend_on_the_order_of_the_batch(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    stock: Stock = {
        ("MUG", "BER"): 3,
        ("MUG", "PAR"): 3,
        ("LAMP", "BER"): 4,
        ("LAMP", "PAR"): 4,
    }
    batch = [
        order("1", ("MUG", 2), address=to("DE"), minute=1),
        order("2", ("MUG", 2), address=to("DE"), minute=2),
        order("3", ("MUG", 2), address=to("FR"), minute=3),
        order("4", ("LAMP", 2), address=to("DE"), minute=4),  # 5,000 g: cargo
        order("5", ("LAMP", 1), address=to("CH"), minute=5),
        order("6", ("MUG", 2), address=to("FR"), minute=6, level="express"),
    ]
    shuffled = [batch[i] for i in (5, 2, 0, 4, 1, 3)]

    def outcome(drafts: list[ChannelOrder]) -> dict[str, tuple[object, ...]]:
        erp = routed(new_url(), clock, stock)
        erp.orders.import_orders(drafts)
        erp.orders.allocate()
        got: dict[str, tuple[object, ...]] = {}
        for n in "123456":
            o = erp.orders.get(oid(n))
            got[n] = (o.status, o.warehouse, o.shipping_service, o.route_rule, o.priority)
        return got

    forward, backward = outcome(batch), outcome(shuffled)
    assert forward == backward
    alloc, wait = OrderStatus.ALLOCATED, OrderStatus.WAITING
    # Express 6 goes first and takes Paris' cheaper French freight (2 of 3 mugs);
    # 1 takes 2 of Berlin's 3 mugs; 2 (DE) and 3 (FR) find 1 mug left in each.
    assert forward == {
        "1": (alloc, "BER", "dhl/paket", None, 0),
        "2": (wait, None, None, None, 0),
        "3": (wait, None, None, None, 0),
        "4": (alloc, "BER", "dhl/cargo", "heavy-by-cargo", 0),
        "5": (alloc, "PAR", "post/ch", "swiss-from-paris", 0),
        "6": (alloc, "PAR", "colissimo/eu", "express-first", 10),
    }


def test_changing_the_lines_reruns_the_rules_and_a_heavier_order_changes_warehouse(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    stock: Stock = {("LAMP", "BER"): 10, ("LAMP", "PAR"): 10}
    erp = routed(new_url(), clock, stock)
    erp.orders.import_orders([order("1", ("LAMP", 1), address=to("FR"))])
    erp.orders.allocate()
    light = erp.orders.get(oid("1"))
    assert (light.route_rule, light.warehouse) == (None, "PAR")  # French freight from Paris

    # Three lamps weigh 7,500 g: the cargo rule now decides, from Berlin.
    heavy = erp.orders.edit_lines(oid("1"), [ChannelLine("LAMP", 3, Money.of("10.00", "EUR"))])
    assert (heavy.route_rule, heavy.route_warehouse) == ("heavy-by-cargo", "BER")
    assert heavy.shipping_service == "dhl/cargo"
    assert heavy.status is OrderStatus.WAITING
    assert reserved(erp, "LAMP", "PAR") == 0
    erp.orders.allocate()
    assert held_stock(erp, oid("1")) == {("LAMP", "BER"): 3}

    # Back to one lamp: no rule decides; Berlin keeps it, it already holds the stock.
    back = erp.orders.edit_lines(oid("1"), [ChannelLine("LAMP", 1, Money.of("10.00", "EUR"))])
    assert (back.route_rule, back.route_warehouse) == (None, None)
    assert held_stock(erp, oid("1")) == {("LAMP", "BER"): 1}
    assert [c.field for c in back.changes].count("route") == 2
    erp.check()


def test_a_priority_rule_puts_a_younger_express_order_first_for_the_last_unit(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = routed(new_url(), clock, {("MUG", "BER"): 1})
    erp.orders.import_orders(
        [
            order("older", address=to("DE"), minute=1),
            order("express", address=to("DE"), minute=30, level="express"),
        ]
    )
    express = erp.orders.get(oid("express"))
    assert (express.priority, "express" in express.tags) == (10, True)

    result = erp.orders.allocate()

    assert result.counts() == {"allocated": 1, "waiting": 1}
    assert status(erp, "express") is OrderStatus.ALLOCATED
    assert status(erp, "older") is OrderStatus.WAITING


def test_without_the_priority_rule_the_older_order_gets_the_last_unit(
    new_url: Callable[[], str], clock: SimulatedClock
) -> None:
    erp = seller(new_url(), clock, {("MUG", "BER"): 1}, rate_tables=TABLES)
    erp.orders.import_orders(
        [
            order("older", address=to("DE"), minute=1),
            order("express", address=to("DE"), minute=30, level="express"),
        ]
    )
    erp.orders.allocate()
    assert status(erp, "older") is OrderStatus.ALLOCATED
    assert status(erp, "express") is OrderStatus.WAITING
