"""An order's life, told as tests: cancelled, edited, updated by its channel,
mapped through an alias that changes, and audited all along.

The shop: a Shopify web shop (``web``) and Amazon Germany (``amz-de``), one
warehouse (``SH``).  The web shop lists ``mug`` (the warehouse's ``MUG``),
``lid`` (``LID``) and ``set`` (a bundle of one ``MUG`` and one ``LID``).
Every test states the stock it starts with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from ecerp import (
    ERP,
    Address,
    Alias,
    Bundle,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    OrderStatus,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.inventory.events import ReservationReleased, StockReserved
from ecerp.domain.orders.errors import OrderLockedError, VersionConflictError
from ecerp.domain.shared.errors import InvalidTransitionError
from ecerp.domain.shared.events import Event

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PRICE = Money.of("9.90", "EUR")


class Recorder:
    """An event publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def of(self, order_id: str) -> list[Event]:
        return [
            e
            for e in self.events
            if isinstance(e, StockReserved | ReservationReleased) and e.order == order_id
        ]


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def erp(clock: SimulatedClock, recorder: Recorder) -> ERP:
    erp = open_erp("memory://", clock=clock, publishers=[recorder], actor="anna")
    erp.catalog.add(
        Sku("MUG"),
        Sku("MUG-V2"),
        Sku("LID"),
        Bundle("SET", (Component("MUG", 1), Component("LID", 1))),
        Shop("web", "shopify", currency="EUR"),
        Shop("amz-de", "amazon", currency="EUR"),
        Alias("shopify", "web", "mug", "MUG"),
        Alias("shopify", "web", "lid", "LID"),
        Alias("shopify", "web", "set", "SET"),
    )
    erp.inventory.add_warehouse(Warehouse("SH"))
    return erp


def web(number: str, *lines: tuple[str, int], minute: int = 0, **fields: Any) -> ChannelOrder:
    """A web shop order placed ``minute`` minutes after T0 (paid unless told)."""
    draft = ChannelOrder(
        "shopify",
        "web",
        number,
        T0 + timedelta(minutes=minute),
        "EUR",
        tuple(ChannelLine(sku, qty, PRICE) for sku, qty in lines),
        paid=True,
    )
    return attrs.evolve(draft, **fields) if fields else draft


def oid(number: str) -> str:
    return f"shopify/web/{number}"


def stock(erp: ERP, **levels: int) -> None:
    for sku, qty in levels.items():
        erp.inventory.receive(sku, "SH", qty)


def reserved(erp: ERP, sku: str) -> int:
    return erp.inventory.position(sku, "SH").reserved


def available(erp: ERP, sku: str) -> int:
    return erp.inventory.position(sku, "SH").available


def lines(*items: tuple[str, int]) -> list[ChannelLine]:
    return [ChannelLine(sku, qty, PRICE) for sku, qty in items]


# --- cancelling -------------------------------------------------------------------------------


def test_cancelling_a_waiting_order_gives_back_nothing_because_it_held_nothing(
    erp: ERP, recorder: Recorder
) -> None:
    stock(erp, MUG=1)
    erp.orders.import_orders([web("1", ("mug", 3))])
    assert erp.orders.allocate().counts() == {"waiting": 1}

    cancelled = erp.orders.cancel(oid("1"), reason="buyer gave up")

    assert cancelled.status is OrderStatus.CANCELLED
    assert recorder.of(oid("1")) == []
    position = erp.inventory.position("MUG", "SH")
    assert (position.on_hand, position.reserved, position.available) == (1, 0, 1)


def test_cancelling_an_allocated_order_gives_back_exactly_what_it_reserved(erp: ERP) -> None:
    stock(erp, MUG=10, LID=10)
    erp.orders.import_orders([web("1", ("set", 2), ("mug", 1))])  # MUG 2 + 1, LID 2
    erp.orders.allocate()
    assert (available(erp, "MUG"), available(erp, "LID")) == (10 - 3, 10 - 2)

    erp.orders.cancel(oid("1"))

    assert (available(erp, "MUG"), available(erp, "LID")) == (10, 10)
    assert (reserved(erp, "MUG"), reserved(erp, "LID")) == (0, 0)
    assert erp.inventory.reservations(oid("1")) == []
    assert erp.inventory.moves(location="@customer") == [], "cancelling moves no goods"
    erp.check()


def test_stock_freed_by_a_cancellation_goes_to_the_oldest_waiting_order(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=3)
    erp.orders.import_orders(
        [web("1", ("mug", 3)), web("2", ("mug", 2), minute=1), web("3", ("mug", 2), minute=2)]
    )
    erp.orders.allocate()  # 1 gets all three mugs; 2 and 3 wait
    clock.advance(timedelta(hours=1))

    erp.orders.cancel(oid("1"), actor="ben")

    # 3 mugs free: order 2 (older) takes 2; order 3 needs 2 and finds 1.
    assert erp.orders.get(oid("2")).status is OrderStatus.ALLOCATED
    assert erp.orders.get(oid("3")).status is OrderStatus.WAITING
    assert available(erp, "MUG") == 3 - 2
    erp.check()


def test_cancelling_an_order_being_picked_still_releases_its_stock(erp: ERP) -> None:
    stock(erp, MUG=2)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()
    erp.orders.pick([oid("1")])

    erp.orders.cancel(oid("1"), reason="buyer called")

    assert available(erp, "MUG") == 2
    erp.check()


def test_a_shipped_order_can_no_longer_be_cancelled(erp: ERP) -> None:
    stock(erp, MUG=2)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()
    erp.orders.ship([oid("1")])

    with pytest.raises(InvalidTransitionError):
        erp.orders.cancel(oid("1"))
    assert erp.orders.get(oid("1")).status is OrderStatus.SHIPPED
    assert erp.inventory.position("MUG", "SH").on_hand == 0


# --- editing lines -----------------------------------------------------------------------------


def test_raising_the_quantity_of_an_allocated_order_reserves_only_the_extra_units(
    erp: ERP, recorder: Recorder
) -> None:
    stock(erp, MUG=10)
    erp.orders.import_orders([web("1", ("mug", 3))])
    erp.orders.allocate()
    recorder.events.clear()

    erp.orders.edit_lines(oid("1"), lines(("mug", 5)))

    assert reserved(erp, "MUG") == 5
    assert recorder.of(oid("1")) == [StockReserved(oid("1"), "SH", (((1, "MUG"), 5 - 3),))]
    assert erp.orders.get(oid("1")).status is OrderStatus.ALLOCATED


def test_lowering_the_quantity_releases_only_the_units_no_longer_needed(
    erp: ERP, recorder: Recorder
) -> None:
    stock(erp, MUG=10)
    erp.orders.import_orders([web("1", ("mug", 5))])
    erp.orders.allocate()
    recorder.events.clear()

    erp.orders.edit_lines(oid("1"), lines(("mug", 2)))

    assert reserved(erp, "MUG") == 2
    assert recorder.of(oid("1")) == [ReservationReleased(oid("1"), (((1, "MUG"), 5 - 2),))]


def test_adding_a_line_reserves_the_new_line_and_leaves_the_old_one_alone(
    erp: ERP, recorder: Recorder
) -> None:
    stock(erp, MUG=10, LID=10)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()
    recorder.events.clear()

    erp.orders.edit_lines(oid("1"), lines(("mug", 2), ("lid", 4)))

    assert (reserved(erp, "MUG"), reserved(erp, "LID")) == (2, 4)
    assert recorder.of(oid("1")) == [StockReserved(oid("1"), "SH", (((2, "LID"), 4),))]


def test_swapping_the_sku_of_a_line_moves_its_reservation_to_the_new_sku(erp: ERP) -> None:
    stock(erp, MUG=10, LID=10)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()

    erp.orders.edit_lines(oid("1"), lines(("lid", 2)))

    assert (reserved(erp, "MUG"), reserved(erp, "LID")) == (0, 2)
    assert erp.orders.get(oid("1")).sku_totals() == {"LID": 2}
    erp.check()


def test_trimming_an_allocated_order_lets_a_waiting_order_take_the_freed_units(
    erp: ERP,
) -> None:
    stock(erp, MUG=5)
    erp.orders.import_orders([web("1", ("mug", 4)), web("2", ("mug", 2), minute=1)])
    erp.orders.allocate()  # 1 allocated, 2 waits (1 spare, needs 2)

    erp.orders.edit_lines(oid("1"), lines(("mug", 3)))

    assert erp.orders.get(oid("2")).status is OrderStatus.ALLOCATED
    assert (reserved(erp, "MUG"), available(erp, "MUG")) == (3 + 2, 0)


def test_an_increase_the_warehouse_cannot_cover_sends_the_order_back_to_waiting(
    erp: ERP,
) -> None:
    stock(erp, MUG=4)
    erp.orders.import_orders([web("1", ("mug", 3))])
    erp.orders.allocate()

    erp.orders.edit_lines(oid("1"), lines(("mug", 6)))

    assert erp.orders.get(oid("1")).status is OrderStatus.WAITING
    assert erp.inventory.reservations(oid("1")) == []
    assert available(erp, "MUG") == 4
    erp.check()


def test_lines_of_an_order_being_picked_can_no_longer_be_edited(erp: ERP) -> None:
    stock(erp, MUG=5)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()
    erp.orders.pick([oid("1")])

    with pytest.raises(OrderLockedError):
        erp.orders.edit_lines(oid("1"), lines(("mug", 1)))
    assert reserved(erp, "MUG") == 2
    assert erp.orders.get(oid("1")).sku_totals() == {"MUG": 2}


def test_every_edit_is_audited_with_who_when_and_from_what_to_what(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=5)
    erp.orders.import_orders([web("1", ("mug", 2))])
    clock.advance(timedelta(minutes=30))
    erp.orders.edit_lines(oid("1"), lines(("mug", 3)), actor="ben")
    clock.advance(timedelta(minutes=30))
    erp.orders.change_address(oid("1"), Address(city="Leipzig", country="DE"), actor="cleo")

    changes = erp.orders.get(oid("1")).changes
    assert [(c.field, c.actor, c.at) for c in changes] == [
        ("lines", "ben", T0 + timedelta(minutes=30)),
        ("address", "cleo", T0 + timedelta(minutes=60)),
    ]
    assert "x2" in changes[0].before
    assert "x3" in changes[0].after
    assert "Leipzig" in changes[1].after


# --- the channel sends a newer version ------------------------------------------------------------


def test_an_order_paid_later_on_the_channel_becomes_ready_when_reimported(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=5)
    erp.orders.import_orders([web("1", ("mug", 2), paid=False)])
    assert erp.orders.allocate().counts() == {}, "unpaid orders are not allocated"
    assert erp.orders.get(oid("1")).status is OrderStatus.UNPAID

    clock.advance(timedelta(hours=2))
    paid = web("1", ("mug", 2), updated_at=clock.now())
    (outcome,) = erp.orders.import_orders([paid])

    assert (outcome.kind, outcome.detail) == (OutcomeKind.UPDATED, "payment")
    assert erp.orders.get(oid("1")).status is OrderStatus.READY
    assert erp.orders.allocate().counts() == {"allocated": 1}


def test_reimporting_the_same_version_changes_nothing(erp: ERP) -> None:
    draft = web("1", ("mug", 2))
    erp.orders.import_orders([draft])
    before = erp.orders.get(oid("1"))

    (outcome,) = erp.orders.import_orders([draft])

    after = erp.orders.get(oid("1"))
    assert outcome.kind is OutcomeKind.UNCHANGED
    assert (after.history, after.changes) == (before.history, before.changes)
    assert len(erp.orders.ids()) == 1


def test_an_older_version_arriving_late_is_refused_as_a_conflict_and_changes_nothing(
    erp: ERP, clock: SimulatedClock
) -> None:
    erp.orders.import_orders([web("1", ("mug", 2), updated_at=T0 + timedelta(hours=2))])

    stale = web("1", ("mug", 9), cancelled=True, updated_at=T0 + timedelta(hours=1))
    (outcome,) = erp.orders.import_orders([stale])

    assert outcome.kind is OutcomeKind.REJECTED
    assert isinstance(outcome.error, VersionConflictError)
    assert outcome.error.differs == ("status",)
    order = erp.orders.get(oid("1"))
    assert (order.status, order.sku_totals()) == (OrderStatus.READY, {"MUG": 2})


def test_an_order_cancelled_on_the_channel_is_cancelled_here_and_its_stock_released(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=5)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()
    clock.advance(timedelta(hours=1))

    cancelled = web("1", ("mug", 2), cancelled=True, updated_at=clock.now())
    (outcome,) = erp.orders.import_orders([cancelled])

    assert outcome.kind is OutcomeKind.UPDATED
    order = erp.orders.get(oid("1"))
    assert order.status is OrderStatus.CANCELLED
    assert (order.history[-1].at, order.history[-1].actor) == (clock.now(), "import")
    assert available(erp, "MUG") == 5
    erp.check()


def test_an_address_changed_on_the_channel_is_taken_over_and_audited(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=5)
    old = Address(name="Kim", city="Bonn", country="DE")
    new = Address(name="Kim", city="Köln", country="DE")
    erp.orders.import_orders([web("1", ("mug", 2), address=old)])
    erp.orders.allocate()
    clock.advance(timedelta(hours=1))

    (outcome,) = erp.orders.import_orders(
        [web("1", ("mug", 2), address=new, updated_at=clock.now())]
    )

    assert (outcome.kind, outcome.detail) == (OutcomeKind.UPDATED, "address")
    order = erp.orders.get(oid("1"))
    assert order.address == new
    assert order.status is OrderStatus.ALLOCATED, "a new address keeps the stock"
    assert reserved(erp, "MUG") == 2
    assert [(c.field, c.at) for c in order.changes] == [("address", clock.now())]


def test_a_newer_version_with_more_units_reserves_the_difference(
    erp: ERP, clock: SimulatedClock, recorder: Recorder
) -> None:
    stock(erp, MUG=5)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()
    recorder.events.clear()
    clock.advance(timedelta(hours=1))

    erp.orders.import_orders([web("1", ("mug", 3), updated_at=clock.now())])

    assert reserved(erp, "MUG") == 3
    assert recorder.of(oid("1")) == [StockReserved(oid("1"), "SH", (((1, "MUG"), 1),))]


def test_a_channel_change_after_shipping_is_rejected_and_leaves_the_order_alone(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=5)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()
    erp.orders.ship({oid("1"): "DHL-1"})
    clock.advance(timedelta(hours=1))

    result = erp.orders.import_orders(
        [
            web("1", ("mug", 2), address=Address(city="Paris"), updated_at=clock.now()),
            web("1", ("mug", 2), cancelled=True, updated_at=clock.now()),
        ]
    )

    assert [o.kind for o in result] == [OutcomeKind.REJECTED, OutcomeKind.REJECTED]
    order = erp.orders.get(oid("1"))
    assert (order.status, order.address, order.tracking) == (
        OrderStatus.SHIPPED,
        Address(),
        "DHL-1",
    )


# --- an alias replaced at a date -----------------------------------------------------------------

SWITCH = T0 + timedelta(days=7)  # from then on the web shop's "mug" is MUG-V2


def test_an_alias_replaced_at_a_date_keeps_old_orders_on_the_old_sku_and_new_ones_on_the_new(
    erp: ERP, clock: SimulatedClock
) -> None:
    erp.catalog.add(Alias("shopify", "web", "mug", "MUG-V2", effective_from=SWITCH))
    clock.set(SWITCH + timedelta(days=1))
    placed_before = web("1", ("mug", 1), minute=-60)
    placed_on_the_day = attrs.evolve(web("2", ("mug", 1)), ordered_at=SWITCH)

    erp.orders.import_orders([placed_before, placed_on_the_day])

    assert erp.orders.get(oid("1")).sku_totals() == {"MUG": 1}
    assert erp.orders.get(oid("2")).sku_totals() == {"MUG-V2": 1}
    assert erp.catalog.resolve("shopify", "web", "mug", at=SWITCH - timedelta(seconds=1)) == "MUG"


def test_a_newer_version_of_an_old_order_still_uses_the_mapping_of_its_order_date(
    erp: ERP, clock: SimulatedClock
) -> None:
    erp.orders.import_orders([web("1", ("mug", 1))])
    erp.catalog.add(Alias("shopify", "web", "mug", "MUG-V2", effective_from=SWITCH))
    clock.set(SWITCH + timedelta(days=1))

    erp.orders.import_orders([web("1", ("mug", 2), updated_at=clock.now())])

    assert erp.orders.get(oid("1")).sku_totals() == {"MUG": 2}


def test_replacing_an_alias_leaves_allocated_orders_and_their_stock_as_they_were(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=3)
    erp.orders.import_orders([web("1", ("mug", 2))])
    erp.orders.allocate()

    erp.catalog.add(Alias("shopify", "web", "mug", "MUG-V2", effective_from=SWITCH))

    assert erp.inventory.reservations(oid("1"))[0].sku == "MUG"
    assert reserved(erp, "MUG") == 2


def test_retiring_an_old_sku_code_everywhere_also_redirects_the_shops_listings(
    erp: ERP,
) -> None:
    # catalog.py: a global alias "is also how an old SKU code is retired in
    # favour of a new one".
    erp.catalog.add(Alias(None, None, "MUG", "MUG-V2", effective_from=SWITCH))

    assert erp.catalog.resolve("shopify", "web", "MUG", at=SWITCH) == "MUG-V2"
    assert erp.catalog.resolve("shopify", "web", "mug", at=SWITCH) == "MUG-V2"


def test_a_shop_listing_resolves_through_its_alias_on_a_sqlite_file_too(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from ecerp.bootstrap import upgrade_database

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade_database(url)
    with open_erp(url, clock=SimulatedClock(T0)) as erp:
        erp.catalog.add(Sku("MUG"), Shop("web", "shopify"), Alias("shopify", "web", "mug", "MUG"))

        assert erp.catalog.resolve("shopify", "web", "mug") == "MUG"
        assert erp.catalog.expand("MUG", 2) == {"MUG": 2}


# --- history ---------------------------------------------------------------------------------------


def test_every_status_change_is_recorded_with_who_and_when(erp: ERP, clock: SimulatedClock) -> None:
    erp.orders.import_orders([web("1", ("mug", 2))], actor="shopify-sync")
    clock.advance(timedelta(minutes=5))
    erp.orders.allocate(actor="anna")  # no mugs yet: waits
    clock.advance(timedelta(hours=3))
    erp.inventory.receive("MUG", "SH", 2, actor="ben")  # allocates on its own
    clock.advance(timedelta(hours=1))
    erp.orders.pick([oid("1")], actor="jo")
    clock.advance(timedelta(minutes=20))
    erp.orders.ship({oid("1"): "DHL-77"}, actor="jo")

    st = OrderStatus
    history = erp.orders.get(oid("1")).history
    assert [(h.from_, h.to, h.actor, h.at) for h in history] == [
        (st.NEW, st.READY, "shopify-sync", T0),
        (st.READY, st.WAITING, "anna", T0 + timedelta(minutes=5)),
        (st.WAITING, st.ALLOCATED, "auto-allocate", T0 + timedelta(hours=3, minutes=5)),
        (st.ALLOCATED, st.PICKING, "jo", T0 + timedelta(hours=4, minutes=5)),
        (st.PICKING, st.SHIPPED, "jo", T0 + timedelta(hours=4, minutes=25)),
    ]
    assert history[-1].note == "DHL-77"


def test_the_history_of_a_cancelled_order_says_who_cancelled_it_and_why(
    erp: ERP, clock: SimulatedClock
) -> None:
    erp.orders.import_orders([web("1", ("mug", 1), paid=False)])
    clock.advance(timedelta(days=3))

    erp.orders.cancel(oid("1"), reason="not paid within 3 days", actor="cleo")

    last = erp.orders.get(oid("1")).history[-1]
    assert (last.from_, last.to, last.actor, last.at, last.note) == (
        OrderStatus.UNPAID,
        OrderStatus.CANCELLED,
        "cleo",
        T0 + timedelta(days=3),
        "not paid within 3 days",
    )


def test_holding_an_allocated_order_for_review_gives_its_stock_back_until_released(
    erp: ERP, clock: SimulatedClock
) -> None:
    stock(erp, MUG=2)
    erp.orders.import_orders([web("1", ("mug", 2), buyer_note="please gift wrap")])
    erp.orders.allocate()

    erp.orders.hold(oid("1"), "buyer note", actor="anna")
    assert (erp.orders.get(oid("1")).status, available(erp, "MUG")) == (OrderStatus.ON_HOLD, 2)

    clock.advance(timedelta(minutes=10))
    erp.orders.release(oid("1"), actor="anna")
    assert erp.orders.allocate().counts() == {"allocated": 1}
    held = [h for h in erp.orders.get(oid("1")).history if h.to is OrderStatus.ON_HOLD]
    assert [(h.actor, h.note) for h in held] == [("anna", "buyer note")]
