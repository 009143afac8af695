"""Order ids are collision-free by construction.

* Distinct ``(channel, shop, external_id)`` keys give distinct ids, whatever
  characters the parts hold (``/``, ``#``, ``%``, non-ASCII, one-character
  parts).
* No channel order's id ever equals the id of an order ecerp made itself: a
  part split off an order, or a merged parcel.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from ecerp import Address, Buyer, ChannelLine, ChannelOrder, Money, Order
from ecerp.domain.orders.consolidation import merge_orders, split_order
from ecerp.domain.orders.drafts import order_id

T0 = datetime(2026, 7, 1, 8, tzinfo=UTC)

#: Characters that matter to an id scheme, plus ordinary and non-ASCII ones.
ALPHABET = st.sampled_from([*list("/#%+-M2a "), "é", "中", "%2F", "%23", "#2"]) | st.characters(
    blacklist_categories=("Cs", "Cc")
)
parts = st.lists(ALPHABET, min_size=1, max_size=6).map("".join).filter(lambda s: s == s.strip())
keys = st.tuples(parts, parts, parts)


def draft(key: tuple[str, str, str], qty: int = 2) -> ChannelOrder:
    channel, shop, external_id = key
    return ChannelOrder(
        channel,
        shop,
        external_id,
        T0,
        "EUR",
        (ChannelLine("MUG", qty, Money.of("9.90", "EUR")),),
        paid=True,
        buyer=Buyer("ann"),
        address=Address("Ann", "Main 1", city="Berlin"),
    )


def imported(key: tuple[str, str, str]) -> Order:
    return Order.from_channel(draft(key), {(1, "MUG"): 2}, at=T0, actor="import")


@given(keys, keys)
@example(("a/b", "c", "1"), ("a", "b/c", "1"))
@example(("web", "de", "1/2"), ("web", "de/1", "2"))
@example(("web", "de", "1%2F2"), ("web", "de", "1/2"))
def test_distinct_keys_give_distinct_ids(
    one: tuple[str, str, str], other: tuple[str, str, str]
) -> None:
    if one != other:
        assert order_id(*one) != order_id(*other)
    assert imported(one).id == order_id(*one)


@given(keys, parts, keys)
@example(("ebay", "de", "302-1"), "x", ("ebay", "de", "302-1#2"))
@example(("ebay", "de", "302-1"), "x", ("ebay", "de", "302-1#3"))
@example(("ebay", "de", "5"), "6", ("ebay", "de", "M-5+6"))
@example(("ebay", "de", "5"), "6", ("ebay", "de", "M2-5+6"))
def test_no_channel_order_id_equals_a_split_part_or_a_merged_parcel(
    key: tuple[str, str, str], partner: str, channel_key: tuple[str, str, str]
) -> None:
    order = Order.from_channel(draft(key, qty=4), {(1, "MUG"): 4}, at=T0, actor="import")
    made = split_order(order, [{1: 1}, {1: 1}], at=T0, actor="ann")
    made += split_order(order, [{1: 1}], at=T0, actor="ann")  # split again
    if partner != key[2]:
        first, other = imported(key), imported((key[0], key[1], partner))
        parcel = merge_orders([first, other], at=T0, actor="ann")
        made += [parcel, *split_order(parcel, [{1: 1}], at=T0, actor="ann")]
    channel_id = order_id(*channel_key)
    assert all(derived.id != channel_id for derived in made)
    assert len({o.id for o in made}) == len(made)
