"""Hypothesis strategies for ecerp's values and for small, consistent worlds.

Property tests (ecerp's own and a plugin's) draw their inputs from here, so
every test sees the same kinds of codes, amounts and catalogs::

    from hypothesis import given
    from ecerp.testing import strategies as es

    @given(es.catalog_specs().flatmap(lambda spec: es.channel_orders(spec)))
    def test_every_generated_order_resolves(draft): ...

Three layers:

* **values**: :func:`currencies`, :func:`amounts`, :func:`money` (Decimal
  amounts only, never a float), :func:`sku_codes`, :func:`warehouse_codes`,
  :func:`shop_codes`, :func:`listing_codes`, :func:`addresses`;
* **a catalog**: :func:`catalog_specs` draws a :class:`CatalogSpec`, a small
  catalog that always contains a bundle, a *nested* bundle (a bundle of a
  bundle) and bundles that *share* a component, shops on two channels and
  SKU aliases at shop and channel level (one shop alias overrides a channel
  alias).  The spec also answers, from its own definitions and without the
  :class:`~ecerp.domain.catalog.Catalog` code, what a listing SKU resolves
  to and which SKU quantities an order line needs: an independent model
  for tests to compare ecerp against;
* **orders over that catalog**: :func:`channel_lines`,
  :func:`channel_orders` (drafts whose lines use the listing SKUs of their
  shop, priced in the shop's currency) and :func:`newer_versions` (a later
  version of a draft: paid, cancelled, new lines, new address or note).

Codes are kept in separate alphabets so they never collide by accident:
catalog codes are upper case (``MUG-RED``), listing SKUs and shop codes are
lower case (``b0x12``, ``amz-de``).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import attrs
from hypothesis import strategies as st

from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.orders.drafts import Address, Buyer, ChannelLine, ChannelOrder
from ecerp.domain.shared.money import MINOR_UNITS, Money

#: Channel names the strategies pick from.
CHANNELS: tuple[str, ...] = (
    "amazon",
    "ebay",
    "shopify",
    "aliexpress",
    "taobao",
    "woocommerce",
    "web",
    "offline",
)

_UPPER = string.ascii_uppercase
_LOWER = string.ascii_lowercase
_DIGITS = string.digits

LineKey = tuple[int, str]
T = TypeVar("T")

# --- values ------------------------------------------------------------------


def currencies() -> st.SearchStrategy[str]:
    """ISO 4217 codes ecerp knows, zero-decimal (JPY) and three-decimal (KWD)
    ones included; shrinks towards the alphabetically first."""
    return st.sampled_from(sorted(MINOR_UNITS))


def amounts(
    currency: str,
    *,
    min_units: int = 0,
    max_units: int = 10**7,
    extra_digits: int = 0,
) -> st.SearchStrategy[Decimal]:
    """Decimal amounts between ``min_units`` and ``max_units`` minor units of
    ``currency`` (cents for EUR, yen for JPY, fils for KWD).

    With ``extra_digits`` > 0 the amounts carry that many digits beyond the
    minor unit (``Decimal('1.2345')`` in EUR), for testing rounding.  The
    exponent is always ``-(minor unit + extra_digits)``, so ``0`` comes out
    as ``Decimal('0.00')`` in EUR, never ``0E-2``.
    """
    digits = MINOR_UNITS[currency] + extra_digits
    scale = 10**extra_digits
    quantum = Decimal(1).scaleb(-digits)
    return st.integers(min_units * scale, max_units * scale).map(
        lambda n: Decimal(n).scaleb(-digits).quantize(quantum)
    )


def money(
    currency: str | st.SearchStrategy[str] | None = None,
    *,
    min_units: int = 0,
    max_units: int = 10**7,
    rounded: bool = True,
) -> st.SearchStrategy[Money]:
    """:class:`~ecerp.domain.shared.money.Money` built from a Decimal, never a float.

    Args:
        currency: a code, a strategy of codes, or ``None`` for any currency.
        min_units, max_units: bounds in minor units (may be negative).
        rounded: when false, amounts may carry up to four digits beyond the
            currency's minor unit (what arithmetic produces before rounding).
    """
    if currency is None:
        codes = currencies()
    elif isinstance(currency, str):
        codes = st.just(currency)
    else:
        codes = currency
    extra = st.just(0) if rounded else st.integers(0, 4)

    def build(code_and_extra: tuple[str, int]) -> st.SearchStrategy[Money]:
        code, extra_digits = code_and_extra
        return st.builds(
            Money,
            amounts(code, min_units=min_units, max_units=max_units, extra_digits=extra_digits),
            st.just(code),
        )

    return st.tuples(codes, extra).flatmap(build)


def sku_codes() -> st.SearchStrategy[str]:
    """Upper-case catalog codes such as ``MUG``, ``MUG-RED`` or ``T1-XL-2``."""
    head = st.text(_UPPER, min_size=1, max_size=4)
    parts = st.lists(st.text(_UPPER + _DIGITS, min_size=1, max_size=3), max_size=2)
    return st.tuples(head, parts).map(lambda hp: "-".join((hp[0], *hp[1])))


def warehouse_codes() -> st.SearchStrategy[str]:
    """Warehouse codes such as ``SH``, ``SZ2`` or ``FBA1`` (never containing
    ``/`` nor starting with ``@``, which location codes reserve)."""
    return st.tuples(
        st.text(_UPPER, min_size=2, max_size=3), st.sampled_from(("", "1", "2", "3"))
    ).map("".join)


def shop_codes() -> st.SearchStrategy[str]:
    """Lower-case shop codes such as ``amz`` or ``amz-de``."""
    return st.tuples(
        st.text(_LOWER, min_size=2, max_size=5), st.sampled_from(("", "-de", "-us", "-jp"))
    ).map("".join)


def listing_codes() -> st.SearchStrategy[str]:
    """Lower-case listing SKUs as shops use them (``b0x12``), disjoint from
    :func:`sku_codes` because of the case."""
    return st.tuples(
        st.text(_LOWER, min_size=1, max_size=3), st.text(_DIGITS + _LOWER, min_size=2, max_size=5)
    ).map("".join)


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


# --- a catalog -------------------------------------------------------------------


@attrs.frozen
class CatalogSpec:
    """A small consistent catalog, and an independent model of its rules.

    ``items()`` gives everything in an order ``erp.catalog.add(*items)``
    accepts (SKUs, then bundles after their components, shops, aliases).
    :meth:`resolve`, :meth:`expand` and :meth:`requirements` answer from
    these definitions alone (shop alias, else channel alias, else the code
    itself; bundles expanded recursively, a SKU reached twice summed), so
    tests can check ecerp's answers against them.
    """

    skus: tuple[Sku, ...]
    bundles: tuple[Bundle, ...]
    shops: tuple[Shop, ...]
    aliases: tuple[Alias, ...]

    @property
    def sku_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.skus)

    @property
    def bundle_codes(self) -> tuple[str, ...]:
        return tuple(b.code for b in self.bundles)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every catalog code: SKUs and bundles."""
        return self.sku_codes + self.bundle_codes

    @property
    def shop_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.shops)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted({s.channel for s in self.shops}))

    def items(self) -> tuple[Sku | Bundle | Shop | Alias, ...]:
        return (*self.skus, *self.bundles, *self.shops, *self.aliases)

    def shop(self, code: str) -> Shop:
        for shop in self.shops:
            if shop.code == code:
                return shop
        raise KeyError(code)

    def listings(self, shop: str) -> tuple[str, ...]:
        """The listing SKUs an order of ``shop`` may carry: the aliases in
        scope for the shop (its own and its channel's) and the plain catalog
        codes."""
        channel = self.shop(shop).channel
        in_scope = {
            a.listing_sku
            for a in self.aliases
            if (a.channel, a.shop) in ((channel, shop), (channel, None), (None, None))
        }
        return tuple(sorted(in_scope)) + self.codes

    def resolve(self, channel: str, shop: str, listing_sku: str) -> str:
        """The catalog code ``listing_sku`` means in ``shop``: the shop's
        alias wins over the channel's, which wins over a global one; a
        listing SKU without an alias is the catalog code itself."""
        for scope in ((channel, shop), (channel, None), (None, None)):
            for alias in self.aliases:
                if (alias.channel, alias.shop) == scope and alias.listing_sku == listing_sku:
                    return alias.target
        if listing_sku in self.codes:
            return listing_sku
        raise KeyError(listing_sku)

    def expand(self, code: str, qty: int = 1) -> dict[str, int]:
        """SKU quantities ``qty`` of ``code`` ships as (bundles recursively)."""
        if code in self.sku_codes:
            return {code: qty}
        bundle = next(b for b in self.bundles if b.code == code)
        result: dict[str, int] = {}
        for comp in bundle.components:
            for sku, n in self.expand(comp.code, comp.qty * qty).items():
                result[sku] = result.get(sku, 0) + n
        return result

    def requirements(
        self, channel: str, shop: str, lines: Sequence[ChannelLine]
    ) -> dict[LineKey, int]:
        """``{(line_no, sku): qty}`` for ``lines`` numbered from 1."""
        result: dict[LineKey, int] = {}
        for line_no, line in enumerate(lines, 1):
            code = self.resolve(channel, shop, line.listing_sku)
            for sku, qty in self.expand(code, line.qty).items():
                result[(line_no, sku)] = qty
        return result

    def sku_totals(self, channel: str, shop: str, lines: Sequence[ChannelLine]) -> dict[str, int]:
        """:meth:`requirements` summed per SKU over the lines."""
        totals: dict[str, int] = {}
        for (_, sku), qty in self.requirements(channel, shop, lines).items():
            totals[sku] = totals.get(sku, 0) + qty
        return totals


def _distinct(codes: Sequence[str]) -> list[str]:
    """Make drawn codes distinct by numbering repeats (``A``, ``A2``, ``A3``):
    cheaper for hypothesis than a unique list, which rejects repeats."""
    seen: set[str] = set()
    result = []
    for code in codes:
        candidate, n = code, 1
        while candidate in seen:
            n += 1
            candidate = f"{code}{n}"
        seen.add(candidate)
        result.append(candidate)
    return result


@st.composite
def catalog_specs(
    draw: st.DrawFn,
    *,
    min_skus: int = 3,
    max_skus: int = 5,
    max_bundles: int = 4,
    max_component_qty: int = 2,
) -> CatalogSpec:
    """A :class:`CatalogSpec` with ``min_skus``..``max_skus`` SKUs and 2 to
    ``max_bundles`` bundles, of which:

    * the first is made of 2-3 SKUs;
    * every later one shares a component SKU with an earlier bundle;
    * the last one is nested: it contains an earlier bundle;

    and two channels with one or two shops each (any currency), every
    channel with a channel-wide alias and every shop with one or two of its
    own; the first shop's first alias points at the nested bundle, and the
    first shop also overrides its channel's alias with a different target.
    """
    if min_skus < 3:
        raise ValueError("catalog_specs needs at least 3 SKUs")
    n_skus = draw(st.integers(min_skus, max(min_skus, max_skus)))
    n_bundles = draw(st.integers(2, max(2, max_bundles)))
    codes = _distinct(
        draw(st.lists(sku_codes(), min_size=n_skus + n_bundles, max_size=n_skus + n_bundles))
    )
    sku_list, bundle_list = codes[:n_skus], codes[n_skus:]
    skus = tuple(Sku(code, weight_g=draw(st.integers(0, 2000))) for code in sku_list)
    comp_qty = st.integers(1, max(1, max_component_qty))

    bundles: list[Bundle] = []
    first = draw(st.lists(st.sampled_from(sku_list), min_size=2, max_size=3, unique=True))
    bundles.append(Bundle(bundle_list[0], tuple(Component(c, draw(comp_qty)) for c in first)))
    for i, code in enumerate(bundle_list[1:], 1):
        earlier = bundles[:i]
        sku_components = sorted(
            {c.code for b in earlier for c in b.components if c.code in sku_list}
        )
        parts = [draw(st.sampled_from(sku_components))]  # shared with an earlier bundle
        if i == n_bundles - 1:
            parts.append(draw(st.sampled_from([b.code for b in earlier])))  # nested
        pool = sku_list + [b.code for b in earlier]
        for extra in draw(st.lists(st.sampled_from(pool), max_size=2, unique=True)):
            if extra not in parts:
                parts.append(extra)
        bundles.append(Bundle(code, tuple(Component(c, draw(comp_qty)) for c in parts)))

    channels = draw(st.lists(st.sampled_from(CHANNELS), min_size=2, max_size=2, unique=True))
    n_shops = draw(st.integers(2, 4))
    shop_list = _distinct(draw(st.lists(shop_codes(), min_size=n_shops, max_size=n_shops)))
    shops = tuple(
        Shop(
            code,
            channels[i] if i < 2 else draw(st.sampled_from(channels)),
            name=code,
            currency=draw(currencies()),
        )
        for i, code in enumerate(shop_list)
    )

    targets = [*sku_list, *bundle_list]
    pool_size = len(channels) + 2 * len(shops)
    listing = _distinct(draw(st.lists(listing_codes(), min_size=pool_size, max_size=pool_size)))
    aliases: list[Alias] = []
    channel_alias: dict[str, str] = {}
    for channel in channels:
        code = listing.pop()
        channel_alias[channel] = code
        aliases.append(Alias(channel, None, code, draw(st.sampled_from(targets))))
    for i, shop in enumerate(shops):
        for j in range(draw(st.integers(1, 2))):
            target = bundle_list[-1] if (i, j) == (0, 0) else draw(st.sampled_from(targets))
            aliases.append(Alias(shop.channel, shop.code, listing.pop(), target))
    first_shop = shops[0]
    overridden = channel_alias[first_shop.channel]
    was = next(a.target for a in aliases if a.shop is None and a.listing_sku == overridden)
    override = draw(st.sampled_from([t for t in targets if t != was]))
    aliases.append(Alias(first_shop.channel, first_shop.code, overridden, override))

    return CatalogSpec(skus, tuple(bundles), shops, tuple(aliases))


# --- orders ------------------------------------------------------------------------


def _utc_datetimes() -> st.SearchStrategy[datetime]:
    return st.datetimes(
        min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - bounds of an aware strategy
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    )


def _given(
    strategy: st.SearchStrategy[T] | None, default: st.SearchStrategy[T]
) -> st.SearchStrategy[T]:
    return default if strategy is None else strategy


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


__all__ = [
    "CHANNELS",
    "VERSION_CHANGES",
    "CatalogSpec",
    "addresses",
    "amounts",
    "catalog_specs",
    "channel_lines",
    "channel_orders",
    "currencies",
    "listing_codes",
    "money",
    "newer_versions",
    "shop_codes",
    "sku_codes",
    "warehouse_codes",
]
