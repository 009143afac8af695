"""Contract: the unit of work commits all or nothing, and isolates what it has not committed.

Every kind of work (catalog, stock book, orders, documents) is thrown away
when a unit is left uncommitted, raises or is rolled back, and kept whole
when it commits; readers never see a writer's uncommitted rows.  Part of
:class:`~ecerp.testing.contracts.BackendContract`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.inventory.events import StockMoved, StockReserved
from ecerp.domain.inventory.locations import (
    Warehouse,
)
from ecerp.domain.inventory.moves import Reservation
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer, TransferStatus
from ecerp.domain.orders.events import (
    OrderAllocated,
    OrderCancelled,
    OrderImported,
    OrderStatusChanged,
)
from ecerp.domain.orders.status import OrderStatus
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    ENDINGS,
    HOUR,
    T0,
    UowFactory,
    _AbandonedError,
    _BackendFixtures,
    _work_then_raise,
    add_order,
    channel_order,
    commit_work,
    dump,
    end_without_commit,
    seed,
)


def _catalog_work(uow: UnitOfWork) -> None:
    view = uow.catalog.view()
    view.add_sku(Sku("TEAPOT", barcode="4006381333948"))
    view.add_shop(Shop("ebay-uk", channel="ebay", currency="GBP"))
    view.add_bundle(Bundle("TEA-SET", (Component("TEAPOT", 1), Component("MUG-BLUE", 2))))
    view.add_alias(Alias(None, None, "MUG-R", "MUG-RED"))
    view.add_alias(Alias("amazon", "amz-de", "B0MUGSET", "MUG-BLUE", T0))


def _stock_work(uow: UnitOfWork) -> None:
    book = uow.stock.book()
    book.add_warehouse(Warehouse("HK"))
    book.receive("MUG-RED", "HK", 5, at=T0, actor="ann", document="PO-9")
    book.receive("MUG-RED", "SH", 4, at=T0, actor="ann", document="PO-9")
    book.reserve("somebody", {(1, "MUG-RED"): 3}, "SH")
    book.ship("held", {(1, "LID"): 1}, at=T0, actor="bob")
    book.release("held")
    book.close_period(T0)


def _order_work(uow: UnitOfWork) -> None:
    add_order(uow, channel_order("2001", ("MUG-BLUE", 1, "9.90")))
    held = uow.orders.get("shopify/web/1001")
    held.cancel(at=T0, actor="ann", reason="changed mind")
    held.tags.add("touched")


def _document_work(uow: UnitOfWork) -> None:
    book = uow.stock.book()
    stocktake = Stocktake.start("ST-2", "SH", ["MUG-RED"], book, at=T0)
    stocktake.count("MUG-RED", 1)
    uow.documents.add_stocktake(stocktake)
    old = uow.documents.find_stocktake("ST-1")
    assert old is not None
    old.count("LID", 99)
    transfer = Transfer("TR-2", "SH", "SZ", {"MUG-RED": 1})
    uow.documents.add_transfer(transfer)
    transfer.dispatch(book, at=T0, actor="ann")


WORK: dict[str, Callable[[UnitOfWork], None]] = {
    "catalog": _catalog_work,
    "stock book": _stock_work,
    "orders": _order_work,
    "documents": _document_work,
}


def _baseline(uow: UnitOfWork) -> None:
    """Committed state every unit-of-work test starts from."""
    seed(uow)
    book = uow.stock.book()
    book.receive("MUG-RED", "SH", 10, at=T0 - HOUR, actor="ann", document="PO-1")
    book.receive("LID", "SH", 10, at=T0 - HOUR, actor="ann", document="PO-1")
    book.reserve("held", {(1, "LID"): 2}, "SH")
    add_order(uow, channel_order("1001"))
    uow.documents.add_stocktake(Stocktake.start("ST-1", "SH", ["LID"], book, at=T0 - HOUR))


class UnitOfWorkContract(_BackendFixtures):
    """A unit of work commits whole or leaves nothing."""

    @pytest.mark.parametrize("how", ENDINGS)
    @pytest.mark.parametrize("part", sorted(WORK))
    def test_work_that_is_not_committed_leaves_nothing_behind(
        self, uow_factory: UowFactory, part: str, how: str
    ) -> None:
        commit_work(uow_factory, _baseline)
        before = dump(uow_factory, products=["MUGS"], stocktakes=["ST-1", "ST-2"])

        end_without_commit(uow_factory, WORK[part], how)

        assert dump(uow_factory, products=["MUGS"], stocktakes=["ST-1", "ST-2"]) == before

    @pytest.mark.parametrize("how", ENDINGS)
    def test_nothing_of_an_abandoned_unit_can_be_found_afterwards(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, _baseline)

        def everything(uow: UnitOfWork) -> None:
            for work in WORK.values():
                work(uow)

        end_without_commit(uow_factory, everything, how)

        with uow_factory() as uow:
            view, book = uow.catalog.view(), uow.stock.book()
            assert view.find_sku("TEAPOT") is None
            assert view.find_barcode("4006381333948") is None
            assert view.find_shop("ebay-uk") is None
            assert view.find_bundle("TEA-SET") is None
            assert view.alias_versions(None, None, "MUG-R") == ()
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0 + HOUR) == "MUG-SET"
            assert book.find_warehouse("HK") is None
            assert book.on_hand("MUG-RED", "SH") == 10
            assert book.reserved("MUG-RED", "SH") == 0
            assert book.reservations_of("somebody") == {}
            assert book.reserved("LID", "SH") == 2
            assert book.closed_until is None
            assert [m.document for m in uow.stock.moves()] == ["PO-1", "PO-1"]
            assert uow.orders.find("shopify/web/2001") is None
            assert uow.orders.count() == 1
            assert uow.orders.get("shopify/web/1001").status is OrderStatus.READY
            assert uow.documents.find_stocktake("ST-2") is None
            assert uow.documents.find_transfer("TR-2") is None
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert stocktake.counts == {}

    def test_committed_work_is_visible_to_the_next_unit_of_work(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _baseline)

        def everything(uow: UnitOfWork) -> None:
            for work in WORK.values():
                work(uow)

        commit_work(uow_factory, everything)

        with uow_factory() as uow:
            view, book = uow.catalog.view(), uow.stock.book()
            assert view.sku("TEAPOT") == Sku("TEAPOT", barcode="4006381333948")
            assert view.find_barcode("4006381333948") == "TEAPOT"
            assert view.shop("ebay-uk") == Shop("ebay-uk", channel="ebay", currency="GBP")
            assert view.expand("TEA-SET", 2) == {"TEAPOT": 2, "MUG-BLUE": 4}
            assert view.resolve("shopify", "web", "MUG-R", at=T0) == "MUG-RED"
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0 - HOUR) == "MUG-SET"
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0) == "MUG-BLUE"
            assert book.warehouse("HK") == Warehouse("HK")
            assert book.on_hand("MUG-RED", "HK") == 5
            # 10 received, 4 more, 1 sent to SZ by the transfer
            assert book.on_hand("MUG-RED", "SH") == 13
            assert book.reservations_of("somebody") == {
                (1, "MUG-RED"): Reservation("somebody", 1, "MUG-RED", "SH", 3)
            }
            assert book.on_hand("LID", "SH") == 9
            assert book.reserved("LID", "SH") == 0
            assert book.closed_until == T0
            assert uow.orders.get("shopify/web/2001").status is OrderStatus.READY
            cancelled = uow.orders.get("shopify/web/1001")
            assert cancelled.status is OrderStatus.CANCELLED
            assert "touched" in cancelled.tags
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert stocktake.counts == {("LID", "SH/stock"): 99}
            new_stocktake = uow.documents.find_stocktake("ST-2")
            assert new_stocktake is not None
            assert new_stocktake.counts == {("MUG-RED", "SH/stock"): 1}
            transfer = uow.documents.find_transfer("TR-2")
            assert transfer is not None
            assert transfer.status is TransferStatus.IN_TRANSIT
            assert book.in_transit("MUG-RED", "SZ") == 1

    def test_work_committed_before_an_exception_stays_committed(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def commit_then_fail() -> None:
            with uow_factory() as uow:
                uow.stock.book().receive("LID", "SH", 7, at=T0, actor="ann")
                uow.commit()
                raise _AbandonedError

        with pytest.raises(_AbandonedError):
            commit_then_fail()

        with uow_factory() as uow:
            assert uow.stock.book().on_hand("LID", "SH") == 7

    def test_changes_made_after_commit_are_dropped_unless_committed_again(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        with uow_factory() as uow:
            uow.stock.book().receive("LID", "SH", 7, at=T0, actor="ann")
            uow.commit()
            uow.stock.book().receive("LID", "SH", 100, at=T0, actor="ann")
            uow.catalog.view().add_sku(Sku("AFTERTHOUGHT"))
            add_order(uow, channel_order("3001"))

        with uow_factory() as uow:
            assert uow.stock.book().on_hand("LID", "SH") == 7
            assert uow.catalog.view().find_sku("AFTERTHOUGHT") is None
            assert uow.orders.count() == 0

    def test_committing_twice_in_one_block_keeps_both_parts(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)

        with uow_factory() as uow:
            uow.stock.book().receive("LID", "SH", 7, at=T0, actor="ann")
            uow.commit()
            uow.stock.book().receive("LID", "SH", 5, at=T0 + HOUR, actor="ann")
            uow.commit()

        with uow_factory() as uow:
            assert uow.stock.book().on_hand("LID", "SH") == 12
            assert [m.qty for m in uow.stock.moves(sku="LID")] == [7, 5]

    def test_committed_events_are_handed_out_once(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        uow = uow_factory()
        with uow:
            book = uow.stock.book()
            move = book.receive("MUG-RED", "SH", 5, at=T0, actor="ann", document="PO-1")
            order = add_order(uow, channel_order("1001"))
            book.reserve(order.id, order.requirements, "SH")
            order.allocate("SH", at=T0, actor="ann")
            assert uow.collect_events() == [], "no events before commit"
            uow.commit()

        events = uow.collect_events()

        oid = order.id
        assert [e for e in events if isinstance(e, StockMoved | StockReserved)] == [
            StockMoved(move),
            StockReserved(oid, "SH", (((1, "MUG-RED"), 2),)),
        ]
        assert [e for e in events if not isinstance(e, StockMoved | StockReserved)] == [
            OrderStatusChanged(oid, "new", "ready"),
            OrderImported(oid),
            OrderStatusChanged(oid, "ready", "allocated"),
            OrderAllocated(oid, "SH"),
        ]
        assert uow.collect_events() == []

    def test_a_later_unit_only_hands_out_its_own_events(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        order_id = commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")).id)

        uow = uow_factory()
        with uow:
            uow.orders.get(order_id).cancel(at=T0, actor="ann", reason="out of stock")
            uow.commit()

        assert uow.collect_events() == [
            OrderStatusChanged(order_id, "ready", "cancelled"),
            OrderCancelled(order_id, "out of stock"),
        ]

    @pytest.mark.parametrize("how", ENDINGS)
    def test_work_that_is_not_committed_hands_out_no_events(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, _baseline)
        uow = uow_factory()
        if how == "raised":
            with pytest.raises(_AbandonedError):
                _work_then_raise(uow, _order_work)
        else:
            with uow:
                _order_work(uow)
                uow.stock.book().receive("LID", "SH", 1, at=T0, actor="ann")
                if how == "rolled back":
                    uow.rollback()

        assert uow.collect_events() == []

    def test_a_unit_of_work_can_be_entered_again_after_it_ends(
        self, uow_factory: UowFactory
    ) -> None:
        uow = uow_factory()
        with uow:
            seed(uow)
            uow.commit()
        with uow:
            assert uow.catalog.view().find_sku("MUG-RED") is not None
            uow.stock.book().receive("LID", "SH", 3, at=T0, actor="ann")
            uow.commit()
        first_events = uow.collect_events()
        with uow:
            assert uow.stock.book().on_hand("LID", "SH") == 3
            uow.stock.book().receive("LID", "SH", 50, at=T0, actor="ann")
        with pytest.raises(_AbandonedError):
            _work_then_raise(uow, lambda u: u.catalog.view().add_sku(Sku("GHOST")))
        with uow:
            assert uow.stock.book().on_hand("LID", "SH") == 3
            assert uow.catalog.view().find_sku("GHOST") is None
            order = add_order(uow, channel_order("1001", ("LID", 1, "1.00")))
            uow.commit()

        assert [type(e) for e in first_events] == [StockMoved]
        assert [type(e) for e in uow.collect_events()] == [OrderStatusChanged, OrderImported]
        with uow:
            assert uow.orders.get(order.id).status is OrderStatus.READY
            assert uow.orders.count() == 1

    def test_repositories_hand_out_one_view_one_book_and_one_order_per_unit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")))

        with uow_factory() as uow:
            assert uow.catalog.view() is uow.catalog.view()
            assert uow.stock.book() is uow.stock.book()
            order = uow.orders.get("shopify/web/1001")
            assert uow.orders.find("shopify/web/1001") is order
            assert uow.orders.find_many(["shopify/web/1001"]) == {"shopify/web/1001": order}
            assert uow.orders.find_by_keys([("shopify", "web", "1001")]) == {
                ("shopify", "web", "1001"): order
            }

    def test_one_unit_does_not_see_another_units_uncommitted_work(
        self,
        uow_factory: UowFactory,
        supports_nested_units: bool,
        read_uow_factory: UowFactory | None,
        flush_unit: Callable[[UnitOfWork], None] | None,
    ) -> None:
        reader_factory = read_uow_factory or (uow_factory if supports_nested_units else None)
        if reader_factory is None:
            pytest.skip("the backend cannot open two units of work at once")
        commit_work(uow_factory, seed)

        with uow_factory() as writer:
            writer.catalog.view().add_sku(Sku("SECRET"))
            writer.stock.book().receive("LID", "SH", 4, at=T0, actor="ann")
            add_order(writer, channel_order("1001"))
            if flush_unit is not None:
                flush_unit(writer)
                assert writer.catalog.view().find_sku("SECRET") is not None
                assert writer.stock.book().on_hand("LID", "SH") == 4
            with reader_factory() as reader:
                assert reader.catalog.view().find_sku("SECRET") is None
                assert reader.stock.book().on_hand("LID", "SH") == 0
                assert reader.stock.moves() == []
                assert reader.orders.find("shopify/web/1001") is None
                assert reader.orders.count() == 0
        # the writer left without committing: what it wrote is gone
        with reader_factory() as after:
            assert after.catalog.view().find_sku("SECRET") is None
            assert after.stock.moves() == []
            assert after.orders.count() == 0

    def test_committed_work_survives_reopening_the_store(
        self,
        uow_factory: UowFactory,
        reopen_uow_factory: Callable[[], UowFactory] | None,
    ) -> None:
        if reopen_uow_factory is None:
            pytest.skip("the store does not outlive its objects")
        commit_work(uow_factory, _baseline)
        commit_work(uow_factory, WORK["documents"])
        before = dump(uow_factory, products=["MUGS"], stocktakes=["ST-1", "ST-2"])

        reopened = reopen_uow_factory()

        assert dump(reopened, products=["MUGS"], stocktakes=["ST-1", "ST-2"]) == before
