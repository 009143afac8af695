"""Contract suite for what a seller asks of stock and waiting orders: the
history a back-dated loss may not break, a period that may not be closed in
the future, sold-out SKUs and totals in the stock report, why an order
waits, and orders whose listing SKU is not mapped yet.

Every backend runs it (it is part of
:class:`~ecerp.testing.contracts.BackendContract`).  The tests drive the use
cases through a :class:`~ecerp.usecases.messagebus.MessageBus` built on the
backend's ``uow_factory``, with a clock of their own, as an application
would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from ecerp.domain.catalog import Alias, Bundle, Component, Shop, Sku
from ecerp.domain.errors import (
    InsufficientStockError,
    NotFoundError,
    UnknownSkuError,
    ValidationError,
)
from ecerp.domain.stock import StockLine, Warehouse
from ecerp.testing.contracts import T0, UowFactory, _BackendFixtures
from ecerp.usecases import commands as c
from ecerp.usecases.messagebus import MessageBus

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

    def __init__(self, uow_factory: UowFactory, start: datetime = MONDAY) -> None:
        self.uow_factory = uow_factory
        self.clock = ManualClock(start)
        self.bus = _bus(uow_factory, self.clock)
        self.run(
            c.AddToCatalog(
                (
                    Sku("MUG"),
                    Sku("LID"),
                    Sku("SPOON"),
                    Bundle("MUG-SET", (Component("MUG", 2), Component("LID", 1))),
                    Shop("web", channel="shopify", currency="EUR"),
                )
            )
        )
        self.run(c.AddWarehouse(Warehouse("BER", priority=0)))
        self.run(c.AddWarehouse(Warehouse("DROP", allow_negative=True, priority=5)))

    def run(self, command: c.Command) -> Any:
        return self.bus.handle(command)

    def on(self, day: int) -> datetime:
        """The moment ``day`` days after Monday (0: Monday), moving the clock
        there if it is later."""
        at = MONDAY + day * DAY
        self.clock.at = max(self.clock.at, at)
        return at


ShopFactory = Callable[[], _Shop]


class StockHistoryContract(_BackendFixtures):
    """Back-dated losses keep every balance in history at or above zero;
    periods close only in the past."""

    def test_a_period_cannot_be_closed_in_the_future(self, uow_factory: UowFactory) -> None:
        shop = _Shop(uow_factory, start=MONDAY + DAY)
        with pytest.raises(ValidationError) as refused:
            shop.run(c.ClosePeriod(MONDAY + 2 * DAY))
        assert refused.value.field == "until"
        with uow_factory() as uow:
            assert uow.stock.book().closed_until is None, "nothing was closed"
        # now and the past close as before, and stock still moves today
        shop.run(c.ClosePeriod(MONDAY + DAY))
        shop.run(c.ReceiveStock("MUG", "BER", 3))
        with uow_factory() as uow:
            assert uow.stock.book().closed_until == MONDAY + DAY
            assert uow.stock.book().on_hand("MUG", "BER") == 3

    def test_a_back_dated_loss_may_not_make_a_later_balance_negative(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(c.ReceiveStock("MUG", "BER", 5, at=shop.on(0)))  # 5 on hand since Monday
        shop.on(2)
        shop.run(c.AdjustStock("MUG", "BER", -5, "shipped by hand"))  # gone on Wednesday
        shop.on(3)
        shop.run(c.ReceiveStock("MUG", "BER", 10))  # 10 on the shelf since Thursday
        shop.on(4)
        with pytest.raises(InsufficientStockError) as refused:
            shop.run(c.AdjustStock("MUG", "BER", -3, "broken on Tuesday", at=MONDAY + DAY))
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
        shop.run(c.ReceiveStock("MUG", "BER", 5, at=shop.on(0)))
        shop.on(2)
        shop.run(c.AdjustStock("MUG", "BER", -2, "sold at the counter"))  # 3 left from Wednesday
        shop.on(4)
        shop.run(c.AdjustStock("MUG", "BER", -3, "broken on Tuesday", at=MONDAY + DAY))
        with uow_factory() as uow:
            stock = uow.stock
            assert stock.on_hand_at("MUG", "BER", MONDAY + DAY) == 2
            assert stock.on_hand_at("MUG", "BER", MONDAY + 2 * DAY) == 0
            assert stock.book().on_hand("MUG", "BER") == 0
        # one unit more is refused: Wednesday would be at -1
        shop.run(c.ReceiveStock("MUG", "BER", 1))
        with pytest.raises(InsufficientStockError):
            shop.run(c.AdjustStock("MUG", "BER", -1, "late", at=MONDAY + DAY))

    def test_a_back_dated_loss_is_checked_against_moves_booked_later_in_its_period(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(c.ReceiveStock("MUG", "BER", 4, at=shop.on(0)))
        shop.on(1)
        shop.run(c.ClosePeriod(MONDAY + DAY))  # Monday is closed: history read from its snapshot
        shop.on(2)
        shop.run(c.AdjustStock("MUG", "BER", -4, "all sold"))
        shop.on(3)
        shop.run(c.ReceiveStock("MUG", "BER", 10))
        with pytest.raises(InsufficientStockError):  # Wednesday had nothing
            shop.run(c.AdjustStock("MUG", "BER", -1, "late", at=MONDAY + DAY + timedelta(hours=1)))
        # dated after Wednesday's sale and Thursday's receipt it is fine
        shop.run(c.AdjustStock("MUG", "BER", -1, "late", at=MONDAY + 3 * DAY))

    def test_a_warehouse_that_allows_negative_stock_takes_any_back_dated_loss(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(c.ReceiveStock("MUG", "DROP", 2, at=shop.on(0)))
        shop.on(2)
        shop.run(c.AdjustStock("MUG", "DROP", -2, "shipped"))
        shop.run(c.AdjustStock("MUG", "DROP", -3, "late", at=MONDAY + DAY))
        with uow_factory() as uow:
            assert uow.stock.book().on_hand("MUG", "DROP") == -3


class StockReportContract(_BackendFixtures):
    """Sold-out SKUs and totals across warehouses; unknown SKUs."""


class WhyWaitingContract(_BackendFixtures):
    """Why an order waits, answered from current stock."""


class UnmappedOrdersContract(_BackendFixtures):
    """Orders whose listing SKU is unknown are kept, listed and flow on once
    mapped."""


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

_ = (NotFoundError, UnknownSkuError, StockLine, Alias)
