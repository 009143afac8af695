"""Strategies for the catalog: codes, and :class:`CatalogSpec`, a small consistent catalog.

A spec always contains a bundle, a nested bundle and bundles that share a
component, shops on two channels and aliases at shop and channel level; it
answers from its own definitions what a listing SKU resolves to (an
independent model to compare :class:`~ecerp.domain.catalog.catalog.Catalog`
against).  Catalog codes are upper case, listing and shop codes lower case,
so they never collide by accident.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from hypothesis import strategies as st

from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.orders.drafts import ChannelLine
from ecerp.testing.strategies.shared import _DIGITS, _LOWER, _UPPER, currencies

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


LineKey = tuple[int, str]


def sku_codes() -> st.SearchStrategy[str]:
    """Upper-case catalog codes such as ``MUG``, ``MUG-RED`` or ``T1-XL-2``."""
    head = st.text(_UPPER, min_size=1, max_size=4)
    parts = st.lists(st.text(_UPPER + _DIGITS, min_size=1, max_size=3), max_size=2)
    return st.tuples(head, parts).map(lambda hp: "-".join((hp[0], *hp[1])))


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
