"""Contract: the order repository stores whole orders and finds them by id, key and status.

Part of :class:`~ecerp.testing.contracts.BackendContract`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from ecerp.domain.orders.drafts import Address, OrderLine
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import DuplicateError, NotFoundError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    ALL_STATUSES,
    CST,
    ENDINGS,
    HOUR,
    RICH_REQUIREMENTS,
    T0,
    UowFactory,
    _BackendFixtures,
    add_order,
    assert_aware_utc,
    channel_order,
    commit_work,
    end_without_commit,
    eur,
    order_state,
    rich_channel_order,
    seed,
)


class OrderRepositoryContract(_BackendFixtures):
    """Orders persist whole: lines, requirements, history and audit trail."""

    def test_an_order_comes_back_equal_to_what_was_stored(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)

        def add(uow: UnitOfWork) -> object:
            order = add_order(uow, rich_channel_order(), at=T0.astimezone(CST))
            order.set_shipping_service("DHL-PAKET", at=T0, actor="rules")
            return order_state(order)

        stored = commit_work(uow_factory, add)

        with uow_factory() as uow:
            order = uow.orders.get("amazon/amz-de/302-1234567-7654321")
            assert order_state(order) == stored
            assert order.requirements == RICH_REQUIREMENTS
            assert order.ordered_at == datetime(2026, 3, 2, 9, 45, 1, 250000, tzinfo=UTC)
            for moment in (order.ordered_at, order.updated_at, *(h.at for h in order.history)):
                assert_aware_utc(moment)
            # 24.90 - 2.50 + 3 x 9.995 = 52.385, rounded half-up
            assert order.total() == eur("52.39")
            assert order.lines[1] == OrderLine(
                2, "B0RED", 3, eur("9.995"), eur("0.00"), "Tasse rot"
            )
            assert order.collect_events() == []

    def test_an_unknown_order_is_not_found(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            assert uow.orders.find("shopify/web/404") is None
            with pytest.raises(NotFoundError) as err:
                uow.orders.get("shopify/web/404")
            assert (err.value.kind, err.value.key) == ("order", "shopify/web/404")
            assert uow.orders.find_many(["shopify/web/404"]) == {}
            assert uow.orders.find_by_keys([("shopify", "web", "404")]) == {}
            assert uow.orders.count() == 0

    def test_orders_are_found_many_at_a_time_among_committed_and_new(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")))

        with uow_factory() as uow:
            new = add_order(uow, channel_order("1002"))
            found = uow.orders.find_many(["shopify/web/1001", "shopify/web/404", new.id])
            assert sorted(found) == ["shopify/web/1001", "shopify/web/1002"]
            assert found[new.id] is new
            assert found["shopify/web/1001"].external_id == "1001"
            by_key = uow.orders.find_by_keys(
                [("shopify", "web", "1001"), ("shopify", "web", "1002"), ("amazon", "web", "1001")]
            )
            assert sorted(by_key) == [("shopify", "web", "1001"), ("shopify", "web", "1002")]
            assert by_key[("shopify", "web", "1002")] is new
            assert by_key[("shopify", "web", "1001")] is found["shopify/web/1001"]

    def test_ids_by_status_are_sorted_and_include_this_units_changes(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            for ext in ("1003", "1001", "1002"):
                add_order(uow, channel_order(ext))
            add_order(uow, channel_order("2001", paid=False))

        commit_work(uow_factory, orders)

        with uow_factory() as uow:
            repo = uow.orders
            assert repo.ids_with_status([OrderStatus.READY]) == [
                "shopify/web/1001",
                "shopify/web/1002",
                "shopify/web/1003",
            ]
            assert repo.ids_with_status({OrderStatus.UNPAID, OrderStatus.CANCELLED}) == [
                "shopify/web/2001"
            ]
            assert repo.ids_with_status([]) == []
            repo.get("shopify/web/1002").cancel(at=T0, actor="ann")
            add_order(uow, channel_order("1000"))
            assert repo.ids_with_status([OrderStatus.READY]) == [
                "shopify/web/1000",
                "shopify/web/1001",
                "shopify/web/1003",
            ]
            assert repo.ids_with_status([OrderStatus.CANCELLED]) == ["shopify/web/1002"]
            uow.commit()

        with uow_factory() as uow:
            assert uow.orders.ids_with_status([OrderStatus.CANCELLED]) == ["shopify/web/1002"]
            assert len(uow.orders.ids_with_status(ALL_STATUSES)) == 5

    def test_ids_needing_finds_orders_in_a_status_that_need_any_of_the_skus(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            for ext, listing in (("A", "MUG-RED"), ("B", "LID"), ("C", "MUG-SET"), ("D", "LID")):
                order = add_order(uow, channel_order(ext, (listing, 1, "5.00")))
                if ext != "D":
                    order.wait([listing], at=T0, actor="allocator")

        commit_work(uow_factory, orders)

        with uow_factory() as uow:
            repo = uow.orders
            waiting = {OrderStatus.WAITING}
            # C is a set: two red mugs and two lids
            assert repo.ids_needing({"LID"}, waiting) == ["shopify/web/B", "shopify/web/C"]
            assert repo.ids_needing({"MUG-RED"}, waiting) == ["shopify/web/A", "shopify/web/C"]
            assert repo.ids_needing({"LID"}, {OrderStatus.READY}) == ["shopify/web/D"]
            assert repo.ids_needing({"MUG-BLUE"}, waiting) == []
            assert repo.ids_needing(set(), waiting) == []
            repo.get("shopify/web/B").cancel(at=T0, actor="ann")
            new = add_order(uow, channel_order("E", ("LID", 1, "5.00")))
            new.wait(["LID"], at=T0, actor="allocator")
            assert repo.ids_needing({"LID"}, waiting) == ["shopify/web/C", "shopify/web/E"]

    def test_the_queue_serves_highest_priority_then_oldest_then_by_id(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        later = T0 + timedelta(hours=1)

        def orders(uow: UnitOfWork) -> None:
            add_order(uow, channel_order("late", ordered_at=later))
            add_order(uow, channel_order("early-b"))
            add_order(uow, channel_order("early-a"))
            urgent = add_order(uow, channel_order("urgent", ordered_at=later))
            urgent.route(rule="vip", warehouse=None, service=None, priority=5, at=T0, actor="rules")
            add_order(uow, channel_order("unpaid", paid=False))

        commit_work(uow_factory, orders)

        with uow_factory() as uow:
            repo = uow.orders
            ready = {OrderStatus.READY}
            assert repo.queue(ready) == [
                "shopify/web/urgent",
                "shopify/web/early-a",
                "shopify/web/early-b",
                "shopify/web/late",
            ]
            # this unit's changes count: a raised priority, a cancelled order
            repo.get("shopify/web/late").route(
                rule="vip", warehouse=None, service=None, priority=9, at=T0, actor="rules"
            )
            repo.get("shopify/web/early-a").cancel(at=T0, actor="ann")
            assert repo.queue(ready) == [
                "shopify/web/late",
                "shopify/web/urgent",
                "shopify/web/early-b",
            ]
            uow.commit()

        with uow_factory() as uow:
            assert uow.orders.queue({OrderStatus.READY})[0] == "shopify/web/late"
            assert uow.orders.queue({OrderStatus.UNPAID}) == ["shopify/web/unpaid"]
            assert uow.orders.queue(()) == []

    def test_ids_needing_follows_committed_changes_of_an_orders_lines(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            add_order(uow, channel_order("A", ("LID", 1, "5.00"))).wait(
                ["LID"], at=T0, actor="allocator"
            )

        commit_work(uow_factory, orders)

        def swap(uow: UnitOfWork) -> None:
            order = uow.orders.get("shopify/web/A")
            line = OrderLine(1, "MUG-RED", 1, eur("9.90"), eur("0.00"))
            requirements = uow.catalog.view().requirements("shopify", "web", [line], at=T0)
            order.replace_lines([line], requirements, at=T0, actor="ann")

        commit_work(uow_factory, swap)

        with uow_factory() as uow:
            waiting = {OrderStatus.WAITING}
            assert uow.orders.ids_needing({"LID"}, waiting) == []
            assert uow.orders.ids_needing({"MUG-RED"}, waiting) == ["shopify/web/A"]

    def test_the_count_includes_orders_added_in_this_unit(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")))

        with uow_factory() as uow:
            assert uow.orders.count() == 1
            add_order(uow, channel_order("1002"))
            add_order(uow, channel_order("1003"))
            assert uow.orders.count() == 3

        with uow_factory() as uow:
            assert uow.orders.count() == 1

    def test_adding_an_order_twice_is_refused(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        before = commit_work(
            uow_factory, lambda uow: order_state(add_order(uow, channel_order("1001")))
        )

        with uow_factory() as uow:
            with pytest.raises(DuplicateError) as committed_twice:
                add_order(uow, channel_order("1001", ("LID", 5, "1.00")))
            assert (committed_twice.value.kind, committed_twice.value.key) == (
                "order",
                "shopify/web/1001",
            )
            add_order(uow, channel_order("1002"))
            with pytest.raises(DuplicateError) as added_twice:
                add_order(uow, channel_order("1002", ("LID", 5, "1.00")))
            assert added_twice.value.key == "shopify/web/1002"
            assert uow.orders.count() == 2
            uow.commit()

        with uow_factory() as uow:
            assert order_state(uow.orders.get("shopify/web/1001")) == before
            assert uow.orders.get("shopify/web/1002").lines[0].listing_sku == "MUG-RED"
            assert uow.orders.count() == 2

    @pytest.mark.parametrize("how", ENDINGS)
    def test_an_order_changed_in_an_abandoned_unit_is_unchanged_when_reloaded(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, seed)
        stored = commit_work(
            uow_factory, lambda uow: order_state(add_order(uow, rich_channel_order()))
        )
        oid = "amazon/amz-de/302-1234567-7654321"

        def meddle(uow: UnitOfWork) -> None:
            order = uow.orders.get(oid)
            order.hold(["address check"], at=T0, actor="ann")
            order.change_address(Address(name="Somebody else"), at=T0, actor="ann")
            order.tags.add("meddled")
            order.requirements[(9, "LID")] = 1
            order.lines.pop()
            order.history.clear()

        end_without_commit(uow_factory, meddle, how)

        with uow_factory() as uow:
            assert order_state(uow.orders.get(oid)) == stored

    def test_orders_handed_out_later_reflect_every_committed_change(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        oid = "shopify/web/1001"
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001", paid=False)))
        steps: list[Callable[[Order], None]] = [
            lambda o: o.mark_paid(at=T0 + HOUR, actor="paypal", amount=eur("19.80")),
            lambda o: o.hold(["buyer note", "new buyer"], at=T0 + 2 * HOUR, actor="rules"),
            lambda o: o.release_hold(at=T0 + 3 * HOUR, actor="ann"),
            lambda o: o.change_address(
                Address("Li Lei", "1 Nanjing Rd", city="上海", country="CN"),
                at=T0 + 4 * HOUR,
                actor="ann",
            ),
            lambda o: o.replace_lines(
                [
                    OrderLine(1, "MUG-RED", 3, eur("9.90"), eur("1.00")),
                    OrderLine(2, "LID", 1, eur("2"), eur("0")),
                ],
                {(1, "MUG-RED"): 3, (2, "LID"): 1},
                at=T0 + 5 * HOUR,
                actor="ann",
            ),
            lambda o: o.set_shipping_service("SF-EXPRESS", at=T0 + 6 * HOUR, actor="rules"),
            lambda o: o.wait(["MUG-RED"], at=T0 + 7 * HOUR, actor="allocator"),
            lambda o: o.allocate("SH", at=T0 + 8 * HOUR, actor="allocator"),
            lambda o: o.start_picking(at=T0 + 9 * HOUR, actor="picker"),
            lambda o: o.ship(at=T0 + 10 * HOUR, actor="packer", tracking="SF1234567890"),
        ]

        for step in steps:

            def change(uow: UnitOfWork, step: Callable[[Order], None] = step) -> object:
                order = uow.orders.get(oid)
                step(order)
                return order_state(order)

            expected = commit_work(uow_factory, change)
            with uow_factory() as uow:
                assert order_state(uow.orders.get(oid)) == expected

        with uow_factory() as uow:
            order = uow.orders.get(oid)
            assert [(h.from_, h.to, h.actor) for h in order.history] == [
                (OrderStatus.NEW, OrderStatus.UNPAID, "import"),
                (OrderStatus.UNPAID, OrderStatus.READY, "paypal"),
                (OrderStatus.READY, OrderStatus.ON_HOLD, "rules"),
                (OrderStatus.ON_HOLD, OrderStatus.READY, "ann"),
                (OrderStatus.READY, OrderStatus.WAITING, "allocator"),
                (OrderStatus.WAITING, OrderStatus.ALLOCATED, "allocator"),
                (OrderStatus.ALLOCATED, OrderStatus.PICKING, "picker"),
                (OrderStatus.PICKING, OrderStatus.SHIPPED, "packer"),
            ]
            assert [(c.field, c.actor) for c in order.changes] == [
                ("payment", "paypal"),
                ("address", "ann"),
                ("lines", "ann"),
                ("shipping_service", "rules"),
            ]
            assert order.history[2].note == "buyer note; new buyer"
            assert order.paid_amount == eur("19.80")
            assert (order.warehouse, order.tracking) == ("SH", "SF1234567890")
            assert order.requirements == {(1, "MUG-RED"): 3, (2, "LID"): 1}
            assert uow.orders.ids_with_status([OrderStatus.SHIPPED]) == [oid]

    def test_an_order_kept_after_its_unit_ended_cannot_change_what_is_stored(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        uow = uow_factory()
        with uow:
            kept = add_order(uow, channel_order("1001"))
            uow.commit()
        stored = order_state(kept)

        kept.tags.add("scribbled")
        kept.cancel(at=T0, actor="nobody")

        with uow_factory() as later:
            assert order_state(later.orders.get(kept.id)) == stored
            assert later.orders.ids_with_status([OrderStatus.READY]) == [kept.id]
