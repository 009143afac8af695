"""Contract: order ids never collide, and only channel orders have a key.

Part of :class:`~ecerp.testing.contracts.BackendContract`: a backend stores
orders whose keys differ only in where a ``/`` falls, a split part beside a
marketplace order numbered like it, and looks them up by id and by key.
"""

from __future__ import annotations

import pytest

import ecerp.testing.contracts._support as c
from ecerp.domain.orders.consolidation import split_order
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import UowFactory


class OrderIdentityContract:
    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        """As :class:`~ecerp.testing.contracts.BackendContract` asks."""
        raise NotImplementedError("override the uow_factory fixture for your backend")

    def test_keys_that_join_alike_are_different_orders(self, uow_factory: UowFactory) -> None:
        c.commit_work(uow_factory, c.seed)

        def orders(uow: UnitOfWork) -> tuple[str, str]:
            one = c.add_order(uow, c.channel_order("1", channel="a/b", shop="c"))
            other = c.add_order(uow, c.channel_order("1", channel="a", shop="b/c"))
            return one.id, other.id

        one, other = c.commit_work(uow_factory, orders)

        assert one != other
        with uow_factory() as uow:
            found = uow.orders.find_by_keys([("a/b", "c", "1"), ("a", "b/c", "1")])
            assert found[("a/b", "c", "1")].id == one
            assert found[("a", "b/c", "1")].id == other
            assert uow.orders.get(one).key == ("a/b", "c", "1")
            assert uow.orders.count() == 2

    def test_a_split_part_has_no_key_and_a_marketplace_order_numbered_like_it_does(
        self, uow_factory: UowFactory
    ) -> None:
        c.commit_work(uow_factory, c.seed)

        def split(uow: UnitOfWork) -> str:
            order = c.add_order(uow, c.channel_order("302-1", ("MUG-RED", 3, "9.90")))
            (part,) = split_order(order, [{1: 1}], at=c.T0, actor="ann")
            uow.orders.add(part)
            return part.id

        part_id = c.commit_work(uow_factory, split)
        key = ("shopify", "web", "302-1#2")
        with uow_factory() as uow:
            assert uow.orders.get(part_id).external_id == "302-1#2"
            assert uow.orders.find_by_keys([key]) == {}

        real_id = c.commit_work(
            uow_factory, lambda uow: c.add_order(uow, c.channel_order("302-1#2")).id
        )

        assert real_id != part_id
        with uow_factory() as uow:
            assert uow.orders.find_by_keys([key])[key].id == real_id
            assert uow.orders.get(part_id).split_from == "shopify/web/302-1"
            assert sorted(uow.orders.find_many([part_id, real_id])) == sorted([part_id, real_id])
            assert uow.orders.count() == 3

    @pytest.mark.parametrize("number", ["50%", "x/y", "#3", "%2F", "注文"])
    def test_an_order_with_unusual_characters_comes_back_by_id_and_key(
        self, uow_factory: UowFactory, number: str
    ) -> None:
        c.commit_work(uow_factory, c.seed)
        oid = c.commit_work(uow_factory, lambda uow: c.add_order(uow, c.channel_order(number)).id)

        with uow_factory() as uow:
            assert uow.orders.get(oid).external_id == number
            key = ("shopify", "web", number)
            assert uow.orders.find_by_keys([key])[key].id == oid
