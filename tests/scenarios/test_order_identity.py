"""Every order keeps its own id, and is found by its marketplace key.

A seller's channels name their orders as they like: a marketplace order
number may look like one of ecerp's split parts (``302-1#2``) or merged
parcels (``M-5+6``), and channel or shop codes may hold a ``/``.  None of
that makes two orders share an id, and ``find_by_key`` finds a channel order
by ``(channel, shop, external_id)``.  Every story runs in memory, on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ecerp import (
    ERP,
    Address,
    Buyer,
    ChannelLine,
    ChannelOrder,
    Money,
    NotFoundError,
    OrderStatus,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


@pytest.fixture
def erp(url: str) -> Iterator[ERP]:
    with open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=1))) as opened:
        opened.catalog.add(
            Sku("MUG"),
            Shop("eb-de", "ebay", currency="EUR"),
            Shop("c", "a/b", currency="EUR"),
            Shop("b/c", "a", currency="EUR"),
        )
        opened.inventory.add_warehouse(Warehouse("BER"))
        opened.inventory.receive("MUG", "BER", 100)
        yield opened


def order(
    number: str, mugs: int = 2, *, channel: str = "ebay", shop: str = "eb-de"
) -> ChannelOrder:
    return ChannelOrder(
        channel,
        shop,
        number,
        T0,
        "EUR",
        (ChannelLine("MUG", mugs, Money.of("9.90", "EUR")),),
        paid=True,
        buyer=Buyer("ann"),
        address=Address("Ann", "Main 1", city="Berlin"),
    )


def test_shops_whose_codes_hold_a_slash_keep_their_orders_apart(erp: ERP) -> None:
    result = erp.orders.process(
        [order("1", 1, channel="a/b", shop="c"), order("1", 3, channel="a", shop="b/c")]
    )

    assert result.counts() == {"allocated": 2}
    assert len(result.by_ref()) == 2
    first, second = (o.order for o in result)
    assert first is not None
    assert second is not None
    assert first != second
    assert erp.orders.get_by_key("a/b", "c", "1").lines[0].qty == 1
    assert erp.orders.get_by_key("a", "b/c", "1").lines[0].qty == 3
    assert erp.orders.get(first).key == ("a/b", "c", "1")
    assert erp.orders.get(second).key == ("a", "b/c", "1")
    assert erp.orders.total() == 2


def test_a_marketplace_order_numbered_like_a_split_part_is_its_own_order(erp: ERP) -> None:
    erp.orders.process([order("302-1", 3)])
    original = erp.orders.get_by_key("ebay", "eb-de", "302-1")
    _, part = erp.orders.split(original.id, {1: 1})
    assert part.external_id == "302-1#2"

    result = erp.orders.process([order("302-1#2", 5)])

    assert result.counts() == {"allocated": 1}
    real = erp.orders.get_by_key("ebay", "eb-de", "302-1#2")
    assert real.id == result.outcomes[0].order
    assert real.id != part.id
    assert real.lines[0].qty == 5
    assert real.split_from is None
    still = erp.orders.get(part.id)
    assert still.split_from == original.id
    assert still.lines[0].qty == 1
    assert erp.orders.total() == 3
    assert [r.qty for r in erp.inventory.reservations(part.id)] == [1]
    assert [r.qty for r in erp.inventory.reservations(real.id)] == [5]


def test_a_marketplace_order_numbered_like_a_merged_parcel_is_its_own_order(erp: ERP) -> None:
    erp.orders.process([order("5"), order("6")])
    five, six = (
        erp.orders.get_by_key("ebay", "eb-de", "5"),
        erp.orders.get_by_key("ebay", "eb-de", "6"),
    )
    parcel = erp.orders.merge([five.id, six.id])
    assert parcel.external_id == "M-5+6"

    result = erp.orders.process([order("M-5+6", 1)])

    assert result.counts() == {"allocated": 1}
    real = erp.orders.get_by_key("ebay", "eb-de", "M-5+6")
    assert real.id != parcel.id
    assert not real.merged_from
    assert erp.orders.get(parcel.id).merged_from == (five.id, six.id)
    assert erp.orders.get(parcel.id).status is OrderStatus.ALLOCATED


def test_a_repeated_marketplace_order_never_updates_a_split_part(erp: ERP) -> None:
    erp.orders.process([order("302-1", 3)])
    original = erp.orders.get_by_key("ebay", "eb-de", "302-1")
    _, part = erp.orders.split(original.id, {1: 2})

    first = erp.orders.import_orders([order("302-1#2", 1)])
    again = erp.orders.import_orders([order("302-1#2", 1)])

    assert first.counts() == {"created": 1}
    assert again.counts() == {"unchanged": 1}
    assert erp.orders.get(part.id).lines[0].qty == 2


def test_splitting_again_never_reuses_a_part_number(erp: ERP) -> None:
    erp.orders.process([order("7", 4)])
    seven = erp.orders.get_by_key("ebay", "eb-de", "7")
    _, a, b = erp.orders.split(seven.id, {1: 1}, {1: 1})
    _, c = erp.orders.split(seven.id, {1: 1})

    assert len({seven.id, a.id, b.id, c.id}) == 4
    assert erp.orders.total() == 4


def test_an_order_is_found_by_its_marketplace_key_and_only_a_channel_order_is(erp: ERP) -> None:
    erp.orders.process([order("8", 2)])
    eight = erp.orders.get_by_key("ebay", "eb-de", "8")
    _, part = erp.orders.split(eight.id, {1: 1})

    found = erp.orders.find_by_key("ebay", "eb-de", "8")
    assert found is not None
    assert found.id == eight.id
    assert erp.orders.find_by_key("ebay", "eb-de", part.external_id) is None
    assert erp.orders.find_by_key("ebay", "eb-de", "404") is None
    with pytest.raises(NotFoundError) as missing:
        erp.orders.get_by_key("ebay", "eb-de", "404")
    assert missing.value.kind == "order"


def test_orders_with_unusual_characters_ship_by_the_id_they_were_given(erp: ERP) -> None:
    numbers = ["50%", "a/b", "#3", "x%2Fy", "注文-1"]
    result = erp.orders.process([order(n, 1) for n in numbers])
    assert result.counts() == {"allocated": len(numbers)}
    ids = [o.order for o in result]
    assert len(set(ids)) == len(numbers)

    shipped = erp.orders.ship({oid: f"T-{n}" for oid, n in zip(ids, numbers, strict=True) if oid})

    assert shipped.counts() == {"done": len(numbers)}
    for n in numbers:
        assert erp.orders.get_by_key("ebay", "eb-de", n).status is OrderStatus.SHIPPED


def test_the_longest_keys_make_ids_every_backend_stores_ships_and_splits(url: str) -> None:
    # Codes at their limits, made only of the characters an id escapes: the
    # id is three times as long as the key, and a shipment's move names it.
    channel, shop, number = "/" * 40, "#" * 100, "%" * 100
    with open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=1))) as erp:
        erp.catalog.add(Sku("MUG"), Shop(shop, channel, currency="EUR"))
        erp.inventory.add_warehouse(Warehouse("BER"))
        erp.inventory.receive("MUG", "BER", 10)
        done = erp.orders.process([order(number, 3, channel=channel, shop=shop)])
        assert done.counts() == {"allocated": 1}
        long_id = erp.orders.get_by_key(channel, shop, number).id
        assert len(long_id) == 3 * 240 + 2
        _, part = erp.orders.split(long_id, {1: 1})
        assert erp.orders.ship([long_id, part.id]).counts() == {"done": 2}
        assert {m.document for m in erp.inventory.moves(sku="MUG") if m.qty < 10} == {
            long_id,
            part.id,
        }
        assert erp.inventory.verify() == []


def test_merging_many_orders_with_long_numbers_makes_a_parcel_id_every_backend_stores(
    erp: ERP,
) -> None:
    numbers = [f"{n:03d}-" + "9" * 90 for n in range(12)]
    assert erp.orders.process([order(n, 1) for n in numbers]).counts() == {"allocated": 12}
    parcel = erp.orders.merge([f"ebay/eb-de/{n}" for n in numbers])
    assert len(parcel.external_id) <= 100
    assert parcel.external_id.startswith("M-12-")
    assert erp.orders.get(parcel.id).merged_from == tuple(f"ebay/eb-de/{n}" for n in numbers)
    restored = erp.orders.unmerge(parcel.id)
    assert len(restored) == 12
    again = erp.orders.merge([f"ebay/eb-de/{n}" for n in numbers])
    assert again.id != parcel.id  # the same originals merged twice: a new label
    assert erp.orders.ship([again.id]).counts() == {"done": 1}
