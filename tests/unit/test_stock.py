"""The stock ledger: double-entry moves, balances, reservations, transfers, stocktakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.errors import (
    ClosedPeriodError,
    InsufficientStockError,
    OverShipmentError,
)
from ecerp.domain.inventory.events import ReservationReleased, StockMoved, StockReserved
from ecerp.domain.inventory.invariants import check_invariants
from ecerp.domain.inventory.locations import (
    ADJUSTMENT,
    CUSTOMER,
    SUPPLIER,
    Location,
    LocationKind,
    Warehouse,
)
from ecerp.domain.inventory.moves import MoveReason, Reservation
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import Stocktake, StocktakeStatus, shortfalls
from ecerp.domain.inventory.transfers import Transfer, TransferStatus
from ecerp.domain.shared.errors import (
    DuplicateError,
    InvalidQuantityError,
    InvalidTransitionError,
    InvariantError,
    NotFoundError,
    ValidationError,
)

T = datetime(2026, 3, 1, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def state() -> StockState:
    return StockState()


@pytest.fixture
def book(state: StockState) -> StockBook:
    """Shanghai (own), Shenzhen (own), and a hub that may go negative."""
    b = StockBook(state)
    b.add_warehouse(Warehouse("SH"))
    b.add_warehouse(Warehouse("SZ", priority=1))
    b.add_warehouse(Warehouse("HUB", allow_negative=True, priority=2))
    return b


def committed(book: StockBook, state: StockState) -> StockState:
    """Apply the book's changes to its state, as a unit of work's commit does."""
    state.apply(book.changes())
    return state


def status_of(transfer: Transfer) -> TransferStatus:
    return transfer.status


def sum_of_locations(book: StockBook, sku: str, locations: list[str]) -> int:
    return sum(book.balance(sku, loc) for loc in locations)


# --- locations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "warehouse"),
    [
        ("@supplier", LocationKind.SUPPLIER, None),
        ("@customer", LocationKind.CUSTOMER, None),
        ("@adjustment", LocationKind.ADJUSTMENT, None),
        ("SH/stock", LocationKind.STOCK, "SH"),
        ("SH/stock/A-01", LocationKind.STOCK, "SH"),
        ("SH/damaged", LocationKind.DAMAGED, "SH"),
        ("SH/transit", LocationKind.TRANSIT, "SH"),
    ],
)
def test_location_codes_say_what_kind_of_place_they_are(
    code: str, kind: LocationKind, warehouse: str | None
) -> None:
    location = Location.parse(code)

    assert (location.kind, location.warehouse) == (kind, warehouse)
    assert location.is_virtual is (warehouse is None)


@pytest.mark.parametrize(
    "code", ["SH", "SH/shelf", "/stock", "SH/stock/", "SH/damaged/X", "@moon", "SH/stock/A/B"]
)
def test_a_malformed_location_code_is_refused(code: str) -> None:
    with pytest.raises(ValidationError) as err:
        Location.parse(code)

    assert (err.value.field, err.value.value) == ("location", code)


@pytest.mark.parametrize("code", ["SH/1", "@SH"])
def test_a_warehouse_code_cannot_look_like_a_location(code: str) -> None:
    with pytest.raises(ValidationError):
        Warehouse(code)


def test_a_warehouse_code_is_taken_once(book: StockBook) -> None:
    with pytest.raises(DuplicateError) as err:
        book.add_warehouse(Warehouse("SH", name="again"))

    assert (err.value.kind, err.value.key) == ("warehouse", "SH")


def test_warehouses_are_listed_in_order_of_preference(book: StockBook) -> None:
    book.add_warehouse(Warehouse("AAA", priority=1))

    assert [w.code for w in book.warehouses()] == ["SH", "AAA", "SZ", "HUB"]


# --- receiving and moving --------------------------------------------------------------


def test_goods_received_from_a_supplier_are_on_hand_and_available(book: StockBook) -> None:
    move = book.receive("MUG", "SH", 10, at=T, actor="ann", document="PO-1")

    assert (move.source, move.dest, move.qty, move.reason) == (
        SUPPLIER,
        "SH/stock",
        10,
        MoveReason.RECEIPT,
    )
    assert (move.actor, move.document, move.at) == ("ann", "PO-1", T)
    assert book.on_hand("MUG", "SH") == 10
    assert book.available("MUG", "SH") == 10
    assert book.balance("MUG", SUPPLIER) == -10


def test_every_move_leaves_one_place_and_enters_another_so_a_sku_sums_to_zero(
    book: StockBook,
) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.receive("MUG", "SH", 3, at=T, actor="ann", damaged=True)
    book.damage("MUG", "SH", 2, at=T, actor="ann")
    book.scrap("MUG", "SH", 1, at=T, actor="ann")
    book.adjust("MUG", "SH", -1, at=T, actor="ann", note="lost")
    book.transfer_out("MUG", "SH", "SZ", 4, at=T, actor="ann", document="TR-1")

    places = [SUPPLIER, CUSTOMER, ADJUSTMENT, "SH/stock", "SH/damaged", "SZ/transit", "SZ/stock"]
    assert sum_of_locations(book, "MUG", places) == 0
    # 10 in, 2 damaged, 1 lost, 4 sent away
    assert book.position("MUG", "SH").on_hand == 3
    # 3 arrived damaged, 2 more damaged, 1 scrapped
    assert book.damaged("MUG", "SH") == 4
    assert book.in_transit("MUG", "SZ") == 4


def test_on_hand_counts_every_bin_of_the_warehouse(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.move("MUG", "SH/stock", "SH/stock/A-01", 4, MoveReason.RELOCATE, at=T, actor="ann")

    assert book.balance("MUG", "SH/stock") == 6
    assert book.balance("MUG", "SH/stock/A-01") == 4
    assert book.on_hand("MUG", "SH") == 10


def test_a_move_cannot_take_more_than_the_place_holds(book: StockBook) -> None:
    book.receive("MUG", "SH", 2, at=T, actor="ann")

    with pytest.raises(InsufficientStockError) as err:
        book.damage("MUG", "SH", 3, at=T, actor="ann")

    assert (err.value.sku, err.value.requested, err.value.available) == ("MUG", 3, 2)
    assert book.on_hand("MUG", "SH") == 2
    assert book.damaged("MUG", "SH") == 0


def test_a_move_names_two_different_places(book: StockBook) -> None:
    with pytest.raises(ValidationError) as err:
        book.move("MUG", "SH/stock", "SH/stock", 1, MoveReason.RELOCATE, at=T, actor="ann")

    assert err.value.field == "dest"


def test_a_move_to_an_unknown_warehouse_is_refused(book: StockBook) -> None:
    with pytest.raises(NotFoundError) as err:
        book.receive("MUG", "XX", 1, at=T, actor="ann")

    assert (err.value.kind, err.value.key) == ("warehouse", "XX")
    assert book.new_moves == []


def test_a_move_in_another_time_zone_is_booked_in_utc(book: StockBook) -> None:
    shanghai = timezone(timedelta(hours=8))
    move = book.receive("MUG", "SH", 1, at=datetime(2026, 3, 1, 17, tzinfo=shanghai), actor="a")

    assert move.at == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert move.at.tzinfo is UTC


def test_moves_are_numbered_in_sequence_after_the_committed_ones(
    book: StockBook, state: StockState
) -> None:
    book.receive("MUG", "SH", 1, at=T, actor="a")
    book.receive("MUG", "SH", 1, at=T, actor="a")
    committed(book, state)

    later = StockBook(state)
    move = later.receive("MUG", "SH", 1, at=T, actor="a")

    assert [m.seq for m in state.moves] == [1, 2]
    assert move.seq == 3


def test_each_move_is_recorded_as_an_event(book: StockBook) -> None:
    move = book.receive("MUG", "SH", 1, at=T, actor="a")

    assert book.collect_events() == [StockMoved(move)]
    assert book.collect_events() == []


def test_a_done_move_cannot_be_changed() -> None:
    book = StockBook(StockState())
    book.add_warehouse(Warehouse("SH"))
    move = book.receive("MUG", "SH", 1, at=T, actor="a")

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        move.qty = 5  # type: ignore[misc]


# --- reservations ---------------------------------------------------------------------


def test_reserving_holds_stock_so_it_is_no_longer_available(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")

    book.reserve("order-1", {(1, "MUG"): 4}, "SH")

    assert book.position("MUG", "SH").reserved == 4
    assert book.available("MUG", "SH") == 6
    assert book.on_hand("MUG", "SH") == 10
    assert book.reservations_of("order-1") == {
        (1, "MUG"): Reservation("order-1", 1, "MUG", "SH", 4)
    }
    assert book.collect_events()[-1] == StockReserved("order-1", "SH", (((1, "MUG"), 4),))


def test_a_reservation_is_all_or_nothing(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.receive("LID", "SH", 1, at=T, actor="ann")

    with pytest.raises(InsufficientStockError) as err:
        book.reserve("order-1", {(1, "MUG"): 2, (1, "LID"): 2}, "SH")

    assert (err.value.sku, err.value.warehouse, err.value.requested, err.value.available) == (
        "LID",
        "SH",
        2,
        1,
    )
    assert book.reservations_of("order-1") == {}
    assert book.reserved("MUG", "SH") == 0


def test_lines_sharing_a_sku_are_checked_against_the_stock_together(book: StockBook) -> None:
    book.receive("MUG", "SH", 3, at=T, actor="ann")

    with pytest.raises(InsufficientStockError) as err:
        book.reserve("order-1", {(1, "MUG"): 2, (2, "MUG"): 2}, "SH")

    assert (err.value.requested, err.value.available) == (4, 3)


def test_an_order_holds_stock_in_one_warehouse_only(book: StockBook) -> None:
    book.receive("MUG", "SH", 5, at=T, actor="ann")
    book.receive("MUG", "SZ", 5, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 1}, "SH")

    with pytest.raises(ValidationError) as err:
        book.reserve("order-1", {(2, "MUG"): 1}, "SZ")

    assert (err.value.field, err.value.value) == ("warehouse", "SZ")


def test_reserving_again_adds_to_what_a_line_holds(book: StockBook) -> None:
    book.receive("MUG", "SH", 5, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 1}, "SH")
    book.reserve("order-1", {(1, "MUG"): 2}, "SH")

    assert book.reservations_of("order-1")[(1, "MUG")].qty == 3
    assert book.reserved("MUG", "SH") == 3


def test_releasing_gives_back_exactly_what_was_reserved(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 4, (2, "MUG"): 1}, "SH")
    book.collect_events()

    released = book.release("order-1", {(1, "MUG"): 3})

    assert released == {(1, "MUG"): 3}
    assert book.reservations_of("order-1")[(1, "MUG")].qty == 1
    assert book.available("MUG", "SH") == 8
    assert book.release("order-1") == {(1, "MUG"): 1, (2, "MUG"): 1}
    assert book.available("MUG", "SH") == 10
    assert book.reservations_of("order-1") == {}
    assert book.collect_events() == [
        ReservationReleased("order-1", (((1, "MUG"), 3),)),
        ReservationReleased("order-1", (((1, "MUG"), 1), ((2, "MUG"), 1))),
    ]


def test_releasing_an_order_that_holds_nothing_changes_nothing(book: StockBook) -> None:
    assert book.release("order-1") == {}
    assert book.collect_events() == []


def test_reserved_stock_cannot_leave_by_another_door(book: StockBook) -> None:
    book.receive("MUG", "SH", 5, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 4}, "SH")

    doors: list[Callable[[], object]] = [
        lambda: book.adjust("MUG", "SH", -2, at=T, actor="ann", note="lost"),
        lambda: book.damage("MUG", "SH", 2, at=T, actor="ann"),
        lambda: book.transfer_out("MUG", "SH", "SZ", 2, at=T, actor="ann", document="TR"),
    ]
    for leave in doors:
        with pytest.raises(InsufficientStockError) as err:
            leave()
        assert (err.value.requested, err.value.available) == (2, 1)

    assert book.on_hand("MUG", "SH") == 5


def test_reserved_stock_may_still_be_put_away_into_a_bin(book: StockBook) -> None:
    book.receive("MUG", "SH", 5, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 5}, "SH")

    book.move("MUG", "SH/stock", "SH/stock/B-02", 5, MoveReason.RELOCATE, at=T, actor="ann")

    assert book.position("MUG", "SH").available == 0
    assert book.balance("MUG", "SH/stock/B-02") == 5


# --- shipping ---------------------------------------------------------------------------


def test_shipping_consumes_the_reservation_and_sends_the_goods_to_the_customer(
    book: StockBook,
) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 4}, "SH")

    moves = book.ship("order-1", at=T + HOUR, actor="bob")

    assert [(m.source, m.dest, m.qty, m.reason, m.document) for m in moves] == [
        ("SH/stock", CUSTOMER, 4, MoveReason.SHIPMENT, "order-1")
    ]
    assert (book.on_hand("MUG", "SH"), book.reserved("MUG", "SH")) == (6, 0)
    assert book.balance("MUG", CUSTOMER) == 4
    assert book.reservations_of("order-1") == {}


def test_part_of_an_order_can_ship_and_the_rest_stays_reserved(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 4, (2, "MUG"): 2}, "SH")

    book.ship("order-1", {(1, "MUG"): 3}, at=T, actor="bob")

    assert book.reservations_of("order-1") == {
        (1, "MUG"): Reservation("order-1", 1, "MUG", "SH", 1),
        (2, "MUG"): Reservation("order-1", 2, "MUG", "SH", 2),
    }
    assert (book.on_hand("MUG", "SH"), book.reserved("MUG", "SH")) == (7, 3)


def test_shipping_a_bundles_components_is_all_or_nothing(book: StockBook) -> None:
    book.receive("MUG", "SH", 2, at=T, actor="ann")
    book.receive("LID", "SH", 2, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 2, (1, "LID"): 2}, "SH")

    with pytest.raises(OverShipmentError):
        book.ship("order-1", {(1, "MUG"): 2, (1, "LID"): 3}, at=T, actor="bob")

    assert book.new_moves[-1].reason is MoveReason.RECEIPT
    assert book.reserved("MUG", "SH") == 2
    assert book.on_hand("MUG", "SH") == 2


def test_an_order_that_holds_nothing_cannot_ship(book: StockBook) -> None:
    with pytest.raises(OverShipmentError) as err:
        book.ship("order-1", at=T, actor="bob")

    assert (err.value.order, err.value.requested, err.value.reserved) == ("order-1", 0, 0)


def test_a_warehouse_that_allows_negative_stock_ships_what_it_does_not_have(
    book: StockBook, state: StockState
) -> None:
    book.reserve("order-1", {(1, "MUG"): 3}, "HUB")
    book.ship("order-1", at=T, actor="bob")

    assert book.on_hand("MUG", "HUB") == -3
    check_invariants(committed(book, state))


# --- closed periods -----------------------------------------------------------------------


def test_a_closed_period_refuses_back_dated_moves(book: StockBook) -> None:
    book.close_period(T)

    with pytest.raises(ClosedPeriodError) as err:
        book.receive("MUG", "SH", 1, at=T - timedelta(microseconds=1), actor="ann")

    assert err.value.fields["closed_until"] == T
    book.receive("MUG", "SH", 1, at=T, actor="ann")


def test_a_period_cannot_be_reopened_by_closing_an_earlier_date(book: StockBook) -> None:
    book.close_period(T)

    with pytest.raises(ValidationError) as err:
        book.close_period(T - HOUR)

    assert err.value.field == "until"
    assert book.closed_until == T


# --- transfers --------------------------------------------------------------------------


def test_a_transfer_keeps_stock_in_transit_until_received_and_conserves_it(
    book: StockBook,
) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    transfer = Transfer("TR-1", "SH", "SZ", {"MUG": 6})
    places = ["SH/stock", "SZ/transit", "SZ/stock"]

    transfer.dispatch(book, at=T, actor="ann")
    assert status_of(transfer) is TransferStatus.IN_TRANSIT
    assert (book.on_hand("MUG", "SH"), book.in_transit("MUG", "SZ")) == (4, 6)
    assert sum_of_locations(book, "MUG", places) == 10

    transfer.receive(book, {"MUG": 4}, at=T + HOUR, actor="sz")
    assert status_of(transfer) is TransferStatus.PARTIAL
    assert transfer.outstanding() == {"MUG": 2}
    assert (book.in_transit("MUG", "SZ"), book.on_hand("MUG", "SZ")) == (2, 4)
    assert sum_of_locations(book, "MUG", places) == 10

    transfer.receive(book, {"MUG": 2}, at=T + 2 * HOUR, actor="sz")
    assert status_of(transfer) is TransferStatus.RECEIVED
    assert transfer.outstanding() == {}
    assert book.on_hand("MUG", "SZ") == 6


def test_a_transfer_leaves_whole_or_not_at_all(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.receive("LID", "SH", 1, at=T, actor="ann")
    transfer = Transfer("TR-1", "SH", "SZ", {"MUG": 5, "LID": 2})

    with pytest.raises(InsufficientStockError) as err:
        transfer.dispatch(book, at=T, actor="ann")

    assert (err.value.sku, err.value.requested, err.value.available) == ("LID", 2, 1)
    assert transfer.status is TransferStatus.DRAFT
    assert book.on_hand("MUG", "SH") == 10


def test_a_transfer_cannot_receive_more_than_is_outstanding(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    transfer = Transfer("TR-1", "SH", "SZ", {"MUG": 3})
    transfer.dispatch(book, at=T, actor="ann")

    with pytest.raises(ValidationError) as err:
        transfer.receive(book, {"MUG": 4}, at=T, actor="sz")

    assert err.value.value == {"MUG": 4}
    assert transfer.received == {}


def test_goods_damaged_in_transit_are_received_as_damaged(book: StockBook) -> None:
    book.receive("MUG", "SH", 3, at=T, actor="ann")
    transfer = Transfer("TR-1", "SH", "SZ", {"MUG": 3})
    transfer.dispatch(book, at=T, actor="ann")

    transfer.receive(book, {"MUG": 1}, at=T, actor="sz", damaged=True)

    assert (book.damaged("MUG", "SZ"), book.on_hand("MUG", "SZ")) == (1, 0)


def test_a_transfer_needs_two_warehouses_and_lines() -> None:
    with pytest.raises(ValidationError):
        Transfer("TR-1", "SH", "SH", {"MUG": 1})
    with pytest.raises(ValidationError):
        Transfer("TR-1", "SH", "SZ", {})


# --- stocktakes --------------------------------------------------------------------------


def test_posting_a_count_makes_the_book_equal_the_count(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.receive("LID", "SH", 4, at=T, actor="ann")
    stocktake = Stocktake.start("ST-1", "SH", ["MUG", "LID", "SAUCER"], book, at=T)
    stocktake.count("MUG", 8)
    stocktake.count("LID", 5)
    stocktake.count("SAUCER", 0)

    moves = stocktake.post(book, at=T + HOUR, actor="ann")

    assert [(m.sku, m.reason, m.qty) for m in moves] == [
        ("LID", MoveReason.STOCKTAKE_GAIN, 1),
        ("MUG", MoveReason.STOCKTAKE_LOSS, 2),
    ]
    assert (book.on_hand("MUG", "SH"), book.on_hand("LID", "SH")) == (8, 5)
    assert stocktake.status is StocktakeStatus.POSTED


def test_goods_that_move_while_people_count_are_not_counted_twice(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    stocktake = Stocktake.start("ST-1", "SH", ["MUG"], book, at=T)
    # while counting, 3 are shipped; the counter found 9 at the snapshot
    book.reserve("order-1", {(1, "MUG"): 3}, "SH")
    book.ship("order-1", at=T, actor="bob")
    stocktake.count("MUG", 9)

    stocktake.post(book, at=T + HOUR, actor="ann")

    # the count (9) plus what moved since the snapshot (-3)
    assert book.on_hand("MUG", "SH") == 6


def test_an_uncounted_sku_is_left_as_it_is(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    stocktake = Stocktake.start("ST-1", "SH", ["MUG"], book, at=T)

    assert stocktake.post(book, at=T, actor="ann") == []
    assert book.on_hand("MUG", "SH") == 10


def test_a_count_loss_may_leave_less_than_is_reserved_and_shortfalls_say_how_much(
    book: StockBook,
) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 8}, "SH")
    stocktake = Stocktake.start("ST-1", "SH", ["MUG"], book, at=T)
    stocktake.count("MUG", 5)

    stocktake.post(book, at=T, actor="ann")

    assert book.on_hand("MUG", "SH") == 5
    assert shortfalls(book, [("MUG", "SH"), ("LID", "SH")]) == {("MUG", "SH"): 3}


def test_a_stocktake_is_refused_a_loss_bigger_than_the_shelf_now_holds(book: StockBook) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    stocktake = Stocktake.start("ST-1", "SH", ["MUG"], book, at=T)
    book.damage("MUG", "SH", 8, at=T, actor="ann")
    stocktake.count("MUG", 0)

    with pytest.raises(InsufficientStockError):
        stocktake.post(book, at=T, actor="ann")

    assert stocktake.status is StocktakeStatus.COUNTING
    assert book.on_hand("MUG", "SH") == 2


def test_a_count_sheet_takes_only_its_own_skus_and_whole_counts(book: StockBook) -> None:
    stocktake = Stocktake.start("ST-1", "SH", ["MUG"], book, at=T)

    with pytest.raises(ValidationError) as not_listed:
        stocktake.count("LID", 1)
    assert (not_listed.value.field, not_listed.value.value) == ("sku", "LID")
    with pytest.raises(ValidationError) as negative:
        stocktake.count("MUG", -1)
    assert negative.value.value == -1
    with pytest.raises(ValidationError):
        Stocktake.start("ST-2", "SH", [], book, at=T)


def test_a_posted_stocktake_is_closed(book: StockBook) -> None:
    stocktake = Stocktake.start("ST-1", "SH", ["MUG"], book, at=T)
    stocktake.post(book, at=T, actor="ann")

    with pytest.raises(ValidationError):
        stocktake.count("MUG", 1)
    with pytest.raises(InvalidTransitionError) as again:
        stocktake.post(book, at=T, actor="ann")
    assert (again.value.entity, again.value.from_, again.value.to) == (
        "stocktake ST-1",
        "posted",
        "posted",
    )


# --- committing and proving the books --------------------------------------------------


def test_a_dropped_book_leaves_the_committed_state_as_it_was(
    book: StockBook, state: StockState
) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    committed(book, state)

    scratch = StockBook(state)
    scratch.receive("MUG", "SH", 5, at=T, actor="ann")
    scratch.reserve("order-1", {(1, "MUG"): 2}, "SH")

    assert state.on_hand[("MUG", "SH/stock")] == 10
    assert state.reservations == {}
    assert len(state.moves) == 1


def test_committed_books_pass_the_invariant_checks(book: StockBook, state: StockState) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    book.reserve("order-1", {(1, "MUG"): 4}, "SH")
    book.ship("order-1", {(1, "MUG"): 1}, at=T, actor="bob")
    Transfer("TR-1", "SH", "SZ", {"MUG": 2}).dispatch(book, at=T, actor="ann")

    check_invariants(committed(book, state))


def test_a_balance_that_drifts_from_its_ledger_is_caught(
    book: StockBook, state: StockState
) -> None:
    book.receive("MUG", "SH", 10, at=T, actor="ann")
    committed(book, state)
    state.on_hand[("MUG", "SH/stock")] = 11

    with pytest.raises(InvariantError) as err:
        check_invariants(state)

    assert any("MUG" in problem for problem in err.value.problems)


def test_a_reservation_larger_than_the_stock_is_caught(book: StockBook, state: StockState) -> None:
    book.receive("MUG", "SH", 1, at=T, actor="ann")
    committed(book, state)
    state.reservations["order-1"] = {(1, "MUG"): Reservation("order-1", 1, "MUG", "SH", 3)}
    state.reserved[("MUG", "SH")] = 3

    with pytest.raises(InvariantError):
        check_invariants(state)


@pytest.mark.parametrize("qty", [0, -1, 1.0, True, "2"])
def test_quantities_are_positive_whole_units(book: StockBook, qty: object) -> None:
    with pytest.raises(InvalidQuantityError) as err:
        book.receive("MUG", "SH", qty, at=T, actor="ann")  # type: ignore[arg-type]

    assert (err.value.field, err.value.value) == ("qty", qty)
    assert book.new_moves == []
