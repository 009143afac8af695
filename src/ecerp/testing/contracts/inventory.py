"""Contract suite for what a seller asks of stock and waiting orders: the
history a back-dated loss may not break, a period that may not be closed in
the future, sold-out SKUs and totals in the stock report, why an order
waits, and orders whose listing SKU is not mapped yet.

Every backend runs it (it is part of
:class:`~ecerp.testing.contracts.BackendContract`).  The tests drive the use
cases through a :class:`~ecerp.usecases.bus.MessageBus` built on the
backend's ``uow_factory``, with a clock of their own, as an application
would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from ecerp.domain.allocation.waiting import Shortage, WarehouseShortage
from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.inventory.errors import InsufficientStockError
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.moves import StockLine
from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder, UnmappedSku
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import NotFoundError, ValidationError
from ecerp.domain.shared.money import Money
from ecerp.testing.contracts._support import T0, UowFactory, _BackendFixtures
from ecerp.usecases.allocation.queries import why_waiting
from ecerp.usecases.base import Command
from ecerp.usecases.bus import MessageBus
from ecerp.usecases.catalog.commands import AddToCatalog
from ecerp.usecases.inventory.commands import AddWarehouse, AdjustStock, ClosePeriod, ReceiveStock
from ecerp.usecases.inventory.queries import ALL_WAREHOUSES, stock_position, stock_report
from ecerp.usecases.orders.commands import AcceptOrders, ImportOrders, ProcessOrders
from ecerp.usecases.orders.queries import UnmappedCode, unmapped_codes
from ecerp.usecases.results import OutcomeKind

DAY = timedelta(days=1)
#: Monday of the week the stories happen in.
MONDAY = T0


class ManualClock:
    """A clock the test moves by hand (never backwards)."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


def _bus(uow_factory: UowFactory, clock: ManualClock, **options: Any) -> MessageBus:
    return MessageBus(uow_factory, clock, **options)


class _Shop:
    """A mug shop on one backend: SKUs, a bundle, two warehouses (one that
    may go negative), driven through the bus."""

    def __init__(
        self, uow_factory: UowFactory, start: datetime = MONDAY, *, negative: bool = True
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = ManualClock(start)
        self.bus = _bus(uow_factory, self.clock)
        self.run(
            AddToCatalog(
                (
                    Sku("MUG"),
                    Sku("LID"),
                    Sku("SPOON"),
                    Bundle("MUG-SET", (Component("MUG", 2), Component("LID", 1))),
                    Shop("web", channel="shopify", currency="EUR"),
                )
            )
        )
        self.run(AddWarehouse(Warehouse("BER", priority=0)))
        self.run(AddWarehouse(Warehouse("HAM", priority=1)))
        if negative:
            self.run(AddWarehouse(Warehouse("DROP", allow_negative=True, priority=5)))

    def run(self, command: Command) -> Any:
        return self.bus.handle(command)

    def on(self, day: int) -> datetime:
        """The moment ``day`` days after Monday (0: Monday), moving the clock
        there if it is later."""
        at = MONDAY + day * DAY
        self.clock.at = max(self.clock.at, at)
        return at


ShopFactory = Callable[[], _Shop]


def _draft(external_id: str, *lines: tuple[str, int], paid: bool = True) -> ChannelOrder:
    return ChannelOrder(
        channel="shopify",
        shop="web",
        external_id=external_id,
        ordered_at=MONDAY,
        currency="EUR",
        paid=paid,
        lines=tuple(ChannelLine(sku, qty, Money.of("5", "EUR")) for sku, qty in lines),
    )


class StockHistoryContract(_BackendFixtures):
    """Back-dated losses keep every balance in history at or above zero;
    periods close only in the past."""

    def test_a_period_cannot_be_closed_in_the_future(self, uow_factory: UowFactory) -> None:
        shop = _Shop(uow_factory, start=MONDAY + DAY)
        with pytest.raises(ValidationError) as refused:
            shop.run(ClosePeriod(MONDAY + 2 * DAY))
        assert refused.value.field == "until"
        with uow_factory() as uow:
            assert uow.stock.book().closed_until is None, "nothing was closed"
        # now and the past close as before, and stock still moves today
        shop.run(ClosePeriod(MONDAY + DAY))
        shop.run(ReceiveStock("MUG", "BER", 3))
        with uow_factory() as uow:
            assert uow.stock.book().closed_until == MONDAY + DAY
            assert uow.stock.book().on_hand("MUG", "BER") == 3

    def test_a_back_dated_loss_may_not_make_a_later_balance_negative(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "BER", 5, at=shop.on(0)))  # 5 on hand since Monday
        shop.on(2)
        shop.run(AdjustStock("MUG", "BER", -5, "shipped by hand"))  # gone on Wednesday
        shop.on(3)
        shop.run(ReceiveStock("MUG", "BER", 10))  # 10 on the shelf since Thursday
        shop.on(4)
        with pytest.raises(InsufficientStockError) as refused:
            shop.run(AdjustStock("MUG", "BER", -3, "broken on Tuesday", at=MONDAY + DAY))
        assert (refused.value.sku, refused.value.requested, refused.value.available) == (
            "MUG",
            3,
            0,
        )
        with uow_factory() as uow:
            assert [m.qty for m in uow.stock.moves(sku="MUG")] == [5, 5, 10], "nothing booked"

    def test_a_back_dated_loss_that_history_can_bear_is_booked(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "BER", 5, at=shop.on(0)))
        shop.on(2)
        shop.run(AdjustStock("MUG", "BER", -2, "sold at the counter"))  # 3 left from Wednesday
        shop.on(4)
        shop.run(AdjustStock("MUG", "BER", -3, "broken on Tuesday", at=MONDAY + DAY))
        with uow_factory() as uow:
            stock = uow.stock
            assert stock.on_hand_at("MUG", "BER", MONDAY + DAY) == 2
            assert stock.on_hand_at("MUG", "BER", MONDAY + 2 * DAY) == 0
            assert stock.book().on_hand("MUG", "BER") == 0
        # one unit more is refused: Wednesday would be at -1
        shop.run(ReceiveStock("MUG", "BER", 1))
        with pytest.raises(InsufficientStockError):
            shop.run(AdjustStock("MUG", "BER", -1, "late", at=MONDAY + DAY))

    def test_a_back_dated_loss_is_checked_against_moves_booked_later_in_its_period(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "BER", 4, at=shop.on(0)))
        shop.on(1)
        shop.run(ClosePeriod(MONDAY + DAY))  # Monday is closed: history read from its snapshot
        shop.on(2)
        shop.run(AdjustStock("MUG", "BER", -4, "all sold"))
        shop.on(3)
        shop.run(ReceiveStock("MUG", "BER", 10))
        with pytest.raises(InsufficientStockError):  # Wednesday had nothing
            shop.run(AdjustStock("MUG", "BER", -1, "late", at=MONDAY + DAY + timedelta(hours=1)))
        # dated after Wednesday's sale and Thursday's receipt it is fine
        shop.run(AdjustStock("MUG", "BER", -1, "late", at=MONDAY + 3 * DAY))

    def test_moves_of_the_same_unit_count_as_history_too(self, uow_factory: UowFactory) -> None:
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "BER", 5, at=shop.on(0)))
        shop.on(4)
        with uow_factory() as uow:
            book = uow.stock.book()
            book.adjust("MUG", "BER", -5, at=MONDAY + 2 * DAY, actor="ann", note="sold")
            book.receive("MUG", "BER", 10, at=MONDAY + 3 * DAY, actor="ann")
            with pytest.raises(InsufficientStockError):
                book.adjust("MUG", "BER", -1, at=MONDAY + DAY, actor="ann", note="late")
            book.adjust("MUG", "BER", -1, at=MONDAY + 3 * DAY, actor="ann", note="late")
            uow.commit()
        with uow_factory() as uow:
            assert uow.stock.book().on_hand("MUG", "BER") == 9
            assert uow.stock.on_hand_at("MUG", "BER", MONDAY + 2 * DAY) == 0

    def test_a_warehouse_that_allows_negative_stock_takes_any_back_dated_loss(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "DROP", 2, at=shop.on(0)))
        shop.on(2)
        shop.run(AdjustStock("MUG", "DROP", -2, "shipped"))
        shop.run(AdjustStock("MUG", "DROP", -3, "late", at=MONDAY + DAY))
        with uow_factory() as uow:
            assert uow.stock.book().on_hand("MUG", "DROP") == -3


class StockReportContract(_BackendFixtures):
    """Sold-out SKUs and totals across warehouses; unknown SKUs."""

    def _stocked(self, uow_factory: UowFactory) -> _Shop:
        """MUG in both warehouses (3 reserved in BER), LID sold out in BER,
        SPOON never stocked."""
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "BER", 10))
        shop.run(ReceiveStock("MUG", "DROP", 4))
        shop.run(ReceiveStock("LID", "BER", 2))
        shop.run(AdjustStock("LID", "BER", -2, "sold at the counter"))
        with uow_factory() as uow:
            uow.stock.book().reserve("order-1", {(1, "MUG"): 3}, "BER")
            uow.commit()
        return shop

    def test_the_report_can_list_every_sku_including_the_sold_out_ones(
        self, uow_factory: UowFactory
    ) -> None:
        self._stocked(uow_factory)
        with uow_factory() as uow:
            assert stock_report(uow) == [
                StockLine("MUG", "BER", 10, 3, 7),
                StockLine("MUG", "DROP", 4, 0, 4),
            ]
            assert stock_report(uow, include_empty=True) == [
                StockLine("LID", "BER", 0, 0, 0),
                StockLine("LID", "DROP", 0, 0, 0),
                StockLine("LID", "HAM", 0, 0, 0),
                StockLine("MUG", "BER", 10, 3, 7),
                StockLine("MUG", "DROP", 4, 0, 4),
                StockLine("MUG", "HAM", 0, 0, 0),
                StockLine("SPOON", "BER", 0, 0, 0),
                StockLine("SPOON", "DROP", 0, 0, 0),
                StockLine("SPOON", "HAM", 0, 0, 0),
            ]
            assert stock_report(uow, "BER", include_empty=True) == [
                StockLine("LID", "BER", 0, 0, 0),
                StockLine("MUG", "BER", 10, 3, 7),
                StockLine("SPOON", "BER", 0, 0, 0),
            ]

    def test_the_report_can_total_each_sku_over_every_warehouse(
        self, uow_factory: UowFactory
    ) -> None:
        shop = self._stocked(uow_factory)
        with uow_factory() as uow:
            assert stock_report(uow, by_warehouse=False) == [
                StockLine("MUG", ALL_WAREHOUSES, 14, 3, 11)
            ]
            assert stock_report(uow, by_warehouse=False, include_empty=True) == [
                StockLine("LID", ALL_WAREHOUSES, 0, 0, 0),
                StockLine("MUG", ALL_WAREHOUSES, 14, 3, 11),
                StockLine("SPOON", ALL_WAREHOUSES, 0, 0, 0),
            ]
            # as of Monday morning, before anything was received
            assert stock_report(uow, by_warehouse=False, at=MONDAY - DAY) == []
            assert stock_report(uow, by_warehouse=False, at=shop.clock.now()) == [
                StockLine("MUG", ALL_WAREHOUSES, 14, 0, 14)
            ]

    def test_the_position_of_an_unknown_sku_is_refused(self, uow_factory: UowFactory) -> None:
        self._stocked(uow_factory)
        with uow_factory() as uow:
            assert stock_position(uow, "SPOON", "BER").on_hand == 0
            assert stock_position(uow, "MUG", "BER").available == 7
            with pytest.raises(UnknownSkuError) as refused:
                stock_position(uow, "TEAPOT", "BER")
            assert refused.value.code == "TEAPOT"
            with pytest.raises(NotFoundError):
                stock_position(uow, "MUG", "HK")


class WhyWaitingContract(_BackendFixtures):
    """Why an order waits, answered from current stock."""

    def _waiting(self, uow_factory: UowFactory) -> _Shop:
        shop = _Shop(uow_factory, negative=False)
        shop.run(ReceiveStock("MUG", "BER", 3))
        shop.run(ReceiveStock("LID", "BER", 5))
        shop.run(ReceiveStock("MUG", "HAM", 1))
        draft = _draft("1001", ("MUG-SET", 2), ("SPOON", 1))  # 4 mugs, 2 lids, a spoon
        shop.run(ProcessOrders((draft,)))
        return shop

    def test_a_waiting_order_tells_per_warehouse_which_skus_are_short(
        self, uow_factory: UowFactory
    ) -> None:
        self._waiting(uow_factory)
        with uow_factory() as uow:
            answer = why_waiting(uow, "shopify/web/1001")
        assert answer.waiting
        assert answer.warehouses == (
            WarehouseShortage("BER", (Shortage("MUG", 4, 3), Shortage("SPOON", 1, 0))),
            WarehouseShortage(
                "HAM",
                (Shortage("LID", 2, 0), Shortage("MUG", 4, 1), Shortage("SPOON", 1, 0)),
            ),
        )
        assert [s.missing for s in answer.warehouses[0].short] == [1, 1]

    def test_the_answer_follows_the_stock_as_it_is_when_asked(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory, negative=False)
        shop.bus = _bus(uow_factory, shop.clock, auto_allocate=False)
        shop.run(ReceiveStock("MUG", "BER", 3))
        shop.run(ProcessOrders((_draft("1001", ("MUG-SET", 2), ("SPOON", 1)),)))
        shop.run(ReceiveStock("MUG", "BER", 1))
        shop.run(ReceiveStock("SPOON", "BER", 1))
        with uow_factory() as uow:
            answer = why_waiting(uow, "shopify/web/1001")
        assert answer.waiting
        assert answer.warehouses[0] == WarehouseShortage("BER", (Shortage("LID", 2, 0),))

    def test_an_order_that_is_not_waiting_says_so(self, uow_factory: UowFactory) -> None:
        shop = self._waiting(uow_factory)
        shop.run(ProcessOrders((_draft("1002", ("MUG", 1)),)))
        with uow_factory() as uow:
            answer = why_waiting(uow, "shopify/web/1002")
            assert not answer.waiting
            assert answer.status is OrderStatus.ALLOCATED
            assert answer.warehouses == ()
            with pytest.raises(NotFoundError):
                why_waiting(uow, "shopify/web/nope")


class UnmappedOrdersContract(_BackendFixtures):
    """Orders whose listing SKU is unknown are kept, listed and flow on once
    mapped."""

    def test_an_order_with_unknown_listing_skus_is_kept_with_the_codes_that_failed(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        draft = _draft("1001", ("B0NEW", 1), ("MUG", 1), ("X-2", 2))
        result = shop.run(ImportOrders((draft,)))
        assert [(o.kind, o.order) for o in result] == [(OutcomeKind.UNMAPPED, "shopify/web/1001")]
        assert "B0NEW" in result.outcomes[0].detail
        with uow_factory() as uow:
            assert uow.orders.ids_with_status({OrderStatus.UNMAPPED}) == ["shopify/web/1001"]
            order = uow.orders.get("shopify/web/1001")
            assert order.status is OrderStatus.UNMAPPED
            assert order.unmapped == (
                UnmappedSku("shopify", "web", "B0NEW"),
                UnmappedSku("shopify", "web", "X-2"),
            )
            assert [ln.listing_sku for ln in order.lines] == ["B0NEW", "MUG", "X-2"]
            assert order.requirements == {}
            assert unmapped_codes(uow) == [
                UnmappedCode("shopify", "web", "B0NEW", orders=1, units=1),
                UnmappedCode("shopify", "web", "X-2", orders=1, units=2),
            ]
            assert uow.stock.book().reservations_of("shopify/web/1001") == {}

    def test_importing_an_unmapped_order_again_changes_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        draft = _draft("1001", ("B0NEW", 1))
        shop.run(ImportOrders((draft,)))
        again = shop.run(ProcessOrders((draft, draft)))
        assert again.counts() == {"unchanged": 2}
        with uow_factory() as uow:
            assert uow.orders.count() == 1
            assert uow.orders.get("shopify/web/1001").status is OrderStatus.UNMAPPED

    def test_processing_reports_an_unmapped_order_as_unmapped(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "BER", 5))
        result = shop.run(ProcessOrders((_draft("1", ("MUG", 1)), _draft("2", ("B0NEW", 1)))))
        assert [o.kind for o in result] == [OutcomeKind.ALLOCATED, OutcomeKind.UNMAPPED]
        accepted = shop.run(AcceptOrders((_draft("3", ("B0NEW", 1)),)))
        assert [o.kind for o in accepted] == [OutcomeKind.UNMAPPED]
        with uow_factory() as uow:
            answer = why_waiting(uow, "shopify/web/3")
        assert (answer.waiting, answer.status, answer.unmapped) == (
            False,
            OrderStatus.UNMAPPED,
            (UnmappedSku("shopify", "web", "B0NEW"),),
        )

    def test_adding_the_alias_lets_the_unmapped_orders_flow_on(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory, negative=False)
        shop.run(ReceiveStock("MUG", "BER", 5))
        shop.run(
            ImportOrders(
                (
                    _draft("1", ("B0NEW", 2)),
                    _draft("2", ("B0NEW", 1), paid=False),
                    _draft("3", ("B0NEW", 1), ("X-2", 1)),
                    _draft("4", ("X-2", 1)),
                )
            )
        )
        shop.run(AddToCatalog((Alias("shopify", "web", "B0NEW", "MUG"),)))
        with uow_factory() as uow:
            orders = uow.orders.find_many([f"shopify/web/{n}" for n in "1234"])
            assert [orders[f"shopify/web/{n}"].status for n in "1234"] == [
                OrderStatus.ALLOCATED,
                OrderStatus.UNPAID,
                OrderStatus.UNMAPPED,
                OrderStatus.UNMAPPED,
            ]
            first = orders["shopify/web/1"]
            assert (first.warehouse, first.requirements) == ("BER", {(1, "MUG"): 2})
            assert orders["shopify/web/3"].unmapped == (UnmappedSku("shopify", "web", "X-2"),)
            assert uow.stock.book().reserved("MUG", "BER") == 2
            assert unmapped_codes(uow) == [UnmappedCode("shopify", "web", "X-2", orders=2, units=2)]
        # the last code arrives as a SKU of its own: the rest flows on
        shop.run(AddToCatalog((Sku("X-2"),)))
        with uow_factory() as uow:
            assert uow.orders.ids_with_status({OrderStatus.UNMAPPED}) == []
            assert uow.orders.get("shopify/web/3").status is OrderStatus.WAITING
            assert unmapped_codes(uow) == []

    def test_a_newer_version_of_an_unmapped_order_is_taken(self, uow_factory: UowFactory) -> None:
        shop = _Shop(uow_factory)
        shop.run(ImportOrders((_draft("1", ("B0NEW", 1)),)))
        newer = attrs.evolve(_draft("1", ("B0OTHER", 3)), updated_at=MONDAY + timedelta(hours=1))
        assert shop.run(ImportOrders((newer,))).counts() == {"unmapped": 1}
        with uow_factory() as uow:
            order = uow.orders.get("shopify/web/1")
            assert order.unmapped == (UnmappedSku("shopify", "web", "B0OTHER"),)
            assert [(ln.listing_sku, ln.qty) for ln in order.lines] == [("B0OTHER", 3)]
        fixed = attrs.evolve(_draft("1", ("MUG", 3)), updated_at=MONDAY + timedelta(hours=2))
        assert shop.run(ImportOrders((fixed,))).counts() == {"updated": 1}
        with uow_factory() as uow:
            order = uow.orders.get("shopify/web/1")
            assert (order.status, order.unmapped) == (OrderStatus.READY, ())
            assert order.requirements == {(1, "MUG"): 3}


class InventoryContract(
    StockHistoryContract, StockReportContract, WhyWaitingContract, UnmappedOrdersContract
):
    """Every class above."""


__all__ = [
    "InventoryContract",
    "ManualClock",
    "StockHistoryContract",
    "StockReportContract",
    "UnmappedOrdersContract",
    "WhyWaitingContract",
]
