"""Strategies for orders over a :class:`~ecerp.testing.strategies.catalog.CatalogSpec`.

Drafts whose lines use the listing SKUs of their shop, priced in the shop's
currency (:func:`channel_orders`), and later versions of a draft
(:func:`newer_versions`: paid, cancelled, new lines, new address or note).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs
from hypothesis import strategies as st

from ecerp.domain.orders.drafts import Address, Buyer, ChannelLine, ChannelOrder
from ecerp.testing.strategies.catalog import CatalogSpec
from ecerp.testing.strategies.shared import _given, _utc_datetimes, money


def addresses() -> st.SearchStrategy[Address]:
    """Small, plausible postal addresses (a handful of countries)."""
    return st.builds(
        Address,
        name=st.sampled_from(("Ann Lee", "Bo Chen", "Carla Diaz", "")),
        line1=st.sampled_from(("1 Main St", "22 Hauptstr.", "")),
        city=st.sampled_from(("Berlin", "Austin", "Shenzhen", "Osaka", "")),
        postcode=st.sampled_from(("10115", "73301", "518000", "")),
        country=st.sampled_from(("DE", "US", "CN", "JP", "KW", "")),
    )


@st.composite
def channel_lines(
    draw: st.DrawFn,
    spec: CatalogSpec,
    shop: str,
    *,
    max_lines: int = 3,
    max_qty: int = 3,
) -> tuple[ChannelLine, ...]:
    """1..``max_lines`` lines of ``shop``'s listing SKUs (aliases and plain
    codes), each of 1..``max_qty`` units, priced in the shop's currency;
    now and then with a discount."""
    currency = spec.shop(shop).currency
    listings = spec.listings(shop)
    n = draw(st.integers(1, max(1, max_lines)))
    lines = []
    for _ in range(n):
        price = draw(money(currency, min_units=1, max_units=100_000))
        discount = draw(st.none() | money(currency, min_units=0, max_units=500))
        lines.append(
            ChannelLine(
                draw(st.sampled_from(listings)),
                draw(st.integers(1, max(1, max_qty))),
                price,
                discount,
            )
        )
    return tuple(lines)


@st.composite
def channel_orders(
    draw: st.DrawFn,
    spec: CatalogSpec,
    *,
    shops: Sequence[str] | None = None,
    external_ids: st.SearchStrategy[str] | None = None,
    ordered_at: st.SearchStrategy[datetime] | None = None,
    paid: st.SearchStrategy[bool] | None = None,
    cancelled: st.SearchStrategy[bool] | None = None,
    priorities: st.SearchStrategy[int] | None = None,
    max_lines: int = 3,
    max_qty: int = 3,
) -> ChannelOrder:
    """A :class:`~ecerp.domain.orders.ChannelOrder` draft of one of ``spec``'s
    shops (or of ``shops``), in that shop's currency, over its listing SKUs.

    Every argument left ``None`` is drawn freely: external ids as digit
    strings, times as aware UTC datetimes, paid more often than not, never
    cancelled, priority 0..2.  Pass ``external_ids=st.just("E1")`` and
    ``ordered_at=st.just(clock.now())`` to control identity and age.
    """
    shop = spec.shop(draw(st.sampled_from(list(shops) if shops else spec.shop_codes)))
    return ChannelOrder(
        channel=shop.channel,
        shop=shop.code,
        external_id=draw(_given(external_ids, st.integers(1, 10**9).map(str))),
        ordered_at=draw(_given(ordered_at, _utc_datetimes())),
        currency=shop.currency,
        lines=draw(channel_lines(spec, shop.code, max_lines=max_lines, max_qty=max_qty)),
        buyer=Buyer(id=draw(st.sampled_from(("b1", "b2", "b3")))),
        address=draw(addresses()),
        paid=draw(_given(paid, st.sampled_from((True, True, True, False)))),
        cancelled=draw(_given(cancelled, st.just(False))),
        buyer_note=draw(st.sampled_from(("", "", "gift wrap please"))),
        priority=draw(_given(priorities, st.integers(0, 2))),
    )


#: What a newer channel version of an order may change.
VERSION_CHANGES: tuple[str, ...] = ("paid", "cancelled", "lines", "address", "note")


@st.composite
def newer_versions(
    draw: st.DrawFn,
    spec: CatalogSpec,
    draft: ChannelOrder,
    *,
    changes: Sequence[str] = VERSION_CHANGES,
    max_delay: timedelta = timedelta(days=2),
    max_lines: int = 3,
    max_qty: int = 3,
) -> ChannelOrder:
    """A later version of ``draft`` as the channel would send it: same key,
    ``updated_at`` 1 minute to ``max_delay`` later, and one or more of
    ``changes``: ``paid``, ``cancelled``, new ``lines``, a new ``address``,
    a new buyer ``note``.  (A channel never un-pays an order.)  New lines
    have at most ``max_lines`` lines of ``max_qty`` units."""
    minutes = max(1, int(max_delay / timedelta(minutes=1)))
    picked = draw(st.sets(st.sampled_from(tuple(changes)), min_size=1))
    fields: dict[str, object] = {
        "updated_at": draft.version + timedelta(minutes=draw(st.integers(1, minutes)))
    }
    if "paid" in picked:
        fields["paid"] = True
    if "cancelled" in picked:
        fields["cancelled"] = True
    if "lines" in picked:
        fields["lines"] = draw(
            channel_lines(spec, draft.shop, max_lines=max_lines, max_qty=max_qty)
        )
    if "address" in picked:
        fields["address"] = draw(addresses())
    if "note" in picked:
        fields["buyer_note"] = draw(st.sampled_from(("", "call before delivery", "no invoice")))
    return attrs.evolve(draft, **fields)  # type: ignore[arg-type]
