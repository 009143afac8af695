"""The catalog: products and their SKUs, shops, SKU aliases and bundles.

A **SKU** is what the warehouse stores and counts.  Shops list things under
their own codes (*listing SKUs*); an **alias** maps a listing SKU of a channel
and shop onto a catalog code.  Aliases are dated: replacing one (SKU替换) adds
a newer version with a later ``effective_from``, so orders placed earlier still
resolve to what was sold then.  An alias with ``shop=None`` applies to the
whole channel; one with ``channel=None`` and ``shop=None`` is global, which is
also how an old SKU code is retired in favour of a new one.

A **bundle** (SKU组合) is a catalog code that ships as components times
quantities; components may themselves be bundles.  Its sellable quantity is
derived from what its components allow::

    >>> from ecerp.domain.catalog.aliases import Component
    >>> from ecerp.domain.catalog.products import EPOCH
    >>> cat = Catalog()
    >>> for code in ("MUG", "LID"):
    ...     cat.add_sku(Sku(code))
    >>> cat.add_bundle(Bundle("MUG-SET", (Component("MUG", 2), Component("LID", 2))))
    >>> cat.add_shop(Shop("amz-de", channel="amazon", currency="EUR"))
    >>> cat.add_alias(Alias("amazon", "amz-de", "B0MUGSET", "MUG-SET", EPOCH))
    >>> cat.resolve("amazon", "amz-de", "B0MUGSET", at=EPOCH)
    'MUG-SET'
    >>> cat.expand("MUG-SET", 3)
    {'MUG': 6, 'LID': 6}
    >>> cat.sellable("MUG-SET", {"MUG": 7, "LID": 9})
    3

Resolving an order's lines aggregates components per SKU, so a component
shared by two lines (or by a bundle and a plain line) is never counted twice.

Writes validate before they change anything: unknown targets, duplicates and
cycles raise, and the catalog is left as it was.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import datetime

from ecerp.domain.catalog.aliases import _PENDING, Alias, AliasKey, Bundle, ListingLine, _Timeline
from ecerp.domain.catalog.errors import AliasCycleError, UnknownSkuError
from ecerp.domain.catalog.products import _DAWN, Product, Shop, Sku
from ecerp.domain.shared.errors import DuplicateError, NotFoundError, ValidationError
from ecerp.domain.shared.values import require_utc


class Catalog:
    """SKUs, products, shops, aliases and bundles, with resolution rules.

    A catalog may sit on a ``parent``: reads fall through to it and writes stay
    here until :meth:`changes` are applied to the parent.  Units of work use
    that to keep uncommitted catalog writes private.
    """

    def __init__(self, parent: Catalog | None = None) -> None:
        self._parent = parent
        self._products: dict[str, Product] = {}
        self._skus: dict[str, Sku] = {}
        self._barcodes: dict[str, str] = {}
        self._shops: dict[str, Shop] = {}
        self._bundles: dict[str, Bundle] = {}
        self._aliases: dict[AliasKey, tuple[Alias, ...]] = {}
        self._log: list[Product | Sku | Shop | Bundle | Alias] = []
        # Memos of resolution and expansion, valid while neither this catalog
        # nor any catalog under it changes: every write bumps ``_generation``
        # and generations only grow, so their sum down the chain of parents
        # (``_stamp``) changes with any of them.
        self._generation = 0
        self._memo_stamp = 0
        self._timelines: dict[AliasKey, _Timeline] = {}
        self._expansions: dict[str, tuple[tuple[str, int], ...]] = {}

    # --- reads ---------------------------------------------------------------

    def find_sku(self, code: str) -> Sku | None:
        sku = self._skus.get(code)
        if sku is None and self._parent is not None:
            return self._parent.find_sku(code)
        return sku

    def sku(self, code: str) -> Sku:
        """Raises:
        UnknownSkuError: no SKU has ``code``.
        """
        sku = self.find_sku(code)
        if sku is None:
            raise UnknownSkuError(code)
        return sku

    def find_barcode(self, barcode: str) -> str | None:
        code = self._barcodes.get(barcode)
        if code is None and self._parent is not None:
            return self._parent.find_barcode(barcode)
        return code

    def find_product(self, code: str) -> Product | None:
        product = self._products.get(code)
        if product is None and self._parent is not None:
            return self._parent.find_product(code)
        return product

    def find_shop(self, code: str) -> Shop | None:
        shop = self._shops.get(code)
        if shop is None and self._parent is not None:
            return self._parent.find_shop(code)
        return shop

    def shop(self, code: str) -> Shop:
        shop = self.find_shop(code)
        if shop is None:
            raise NotFoundError("shop", code)
        return shop

    def find_bundle(self, code: str) -> Bundle | None:
        bundle = self._bundles.get(code)
        if bundle is None and self._parent is not None:
            return self._parent.find_bundle(code)
        return bundle

    def is_known(self, code: str) -> bool:
        return self.find_sku(code) is not None or self.find_bundle(code) is not None

    def alias_versions(
        self, channel: str | None, shop: str | None, listing_sku: str
    ) -> tuple[Alias, ...]:
        key = (channel or "", shop or "", listing_sku)
        versions = self._aliases.get(key)
        if versions is None:
            return self._parent.alias_versions(channel, shop, listing_sku) if self._parent else ()
        return versions

    def products(self) -> list[Product]:
        merged = dict(((p.code, p) for p in self._parent.products()) if self._parent else ())
        merged.update(self._products)
        return sorted(merged.values(), key=lambda p: p.code)

    def copy(self) -> Catalog:
        """An independent catalog with everything this one sees."""
        result = Catalog()
        result.apply(
            [*self.products(), *self.skus(), *self.shops(), *self.bundles(), *self.aliases()]
        )
        return result

    def skus(self) -> list[Sku]:
        merged = dict(((s.code, s) for s in self._parent.skus()) if self._parent else ())
        merged.update(self._skus)
        return sorted(merged.values(), key=lambda s: s.code)

    def bundles(self) -> list[Bundle]:
        merged = dict(((b.code, b) for b in self._parent.bundles()) if self._parent else ())
        merged.update(self._bundles)
        return sorted(merged.values(), key=lambda b: b.code)

    def shops(self) -> list[Shop]:
        merged = dict(((s.code, s) for s in self._parent.shops()) if self._parent else ())
        merged.update(self._shops)
        return sorted(merged.values(), key=lambda s: s.code)

    def aliases(self) -> list[Alias]:
        merged: dict[AliasKey, tuple[Alias, ...]] = {}
        if self._parent is not None:
            for a in self._parent.aliases():
                merged[(a.channel or "", a.shop or "", a.listing_sku)] = (
                    *merged.get((a.channel or "", a.shop or "", a.listing_sku), ()),
                    a,
                )
        merged.update(self._aliases)
        return [a for key in sorted(merged) for a in merged[key]]

    # --- memos -----------------------------------------------------------------

    def _changed(self) -> None:
        """Every write calls this: the memos here and in views over this
        catalog are stale from now on."""
        self._generation += 1

    def _stamp(self) -> int:
        stamp = 0
        catalog: Catalog | None = self
        while catalog is not None:
            stamp += catalog._generation
            catalog = catalog._parent
        return stamp

    def _memos(self) -> Catalog:
        """The catalog whose memos answer for this one, made fresh: a view
        that has written nothing answers as its parent does, so it uses the
        parent's (a unit of work's view then shares the memos of the
        committed catalog under it with every other unit)."""
        catalog = self
        while catalog._generation == 0 and catalog._parent is not None:
            catalog = catalog._parent
        catalog._fresh_memos()
        return catalog

    def _fresh_memos(self) -> None:
        """Forget the memos if this catalog or a parent changed since they were made."""
        stamp = self._stamp()
        if stamp != self._memo_stamp:
            self._timelines.clear()
            self._expansions.clear()
            self._memo_stamp = stamp

    # --- resolution ----------------------------------------------------------

    def _alias_at(
        self, channel: str | None, shop: str | None, code: str, at: datetime
    ) -> Alias | None:
        current: Alias | None = None
        for alias in self.alias_versions(channel, shop, code):
            if alias.effective_from <= at:
                current = alias
            else:
                break
        return current

    def resolve(self, channel: str, shop: str, listing_sku: str, *, at: datetime) -> str:
        """The catalog code (SKU or bundle) ``listing_sku`` of ``shop`` means at ``at``.

        Tries the shop's alias, then the channel's; then follows global
        aliases from the code reached (a listing SKU aliased everywhere, or a
        SKU code retired in favour of a new one from a date on).

        Raises:
            ValidationError: ``at`` is naive.
            UnknownSkuError: nothing maps the listing SKU to a known code.
        """
        at = require_utc("at", at)
        return self._memos()._resolve_memo(channel, shop, listing_sku, at)

    def _resolve_memo(self, channel: str, shop: str, listing_sku: str, at: datetime) -> str:
        """:meth:`resolve` through the timeline memo (``_fresh_memos`` called,
        ``at`` checked)."""
        key = (channel or "", shop or "", listing_sku)
        timeline = self._timelines.get(key)
        if timeline is None:
            timeline = self._timelines[key] = self._timeline(channel, shop, listing_sku)
        moments, answers = timeline
        i = bisect_right(moments, at) if moments else 0
        code = answers[i]
        if code == _PENDING:
            start = moments[i - 1] if i else _DAWN
            code = answers[i] = self._answer(channel, shop, listing_sku, start)
        if code is None:
            return self._resolve_uncached(channel, shop, listing_sku, at)  # raises
        return code

    def _timeline(self, channel: str, shop: str, listing_sku: str) -> _Timeline:
        """The answers of :meth:`_resolve_uncached` over all time.

        Only the alias versions that resolution can look at decide the
        answer: the shop's and the channel's versions of ``listing_sku``, and
        the global versions of every code reachable from it.  Each look-up
        changes its result only at one of these versions' ``effective_from``,
        so the answer is constant from one such moment to the next and is
        worked out once per interval, at its start, when first asked for.
        """
        moments: set[datetime] = set()
        codes = [listing_sku]
        for scope_shop in (shop, None):
            for version in self.alias_versions(channel, scope_shop, listing_sku):
                moments.add(version.effective_from)
                codes.append(version.target)
        seen: set[str] = set()
        while codes:
            code = codes.pop()
            if code in seen:
                continue
            seen.add(code)
            for version in self.alias_versions(None, None, code):
                moments.add(version.effective_from)
                codes.append(version.target)
        starts = sorted(moments)
        return starts, [_PENDING] * (len(starts) + 1)

    def _answer(self, channel: str, shop: str, listing_sku: str, at: datetime) -> str | None:
        try:
            return self._resolve_uncached(channel, shop, listing_sku, at)
        except UnknownSkuError:
            return None

    def _resolve_uncached(self, channel: str, shop: str, listing_sku: str, at: datetime) -> str:
        """:meth:`resolve` worked out from the aliases (``at`` in UTC)."""
        alias = self._alias_at(channel, shop, listing_sku, at) or self._alias_at(
            channel, None, listing_sku, at
        )
        end = self._follow_global(alias.target if alias is not None else listing_sku, at)
        if end is None or not self.is_known(end):
            raise UnknownSkuError(listing_sku, channel, shop)
        return end

    def _follow_global(self, code: str, at: datetime) -> str | None:
        """Where global aliases take ``code`` at ``at`` (``None``: a loop)."""
        seen = set()
        while (nxt := self._alias_at(None, None, code, at)) is not None:
            if code in seen:
                return None
            seen.add(code)
            code = nxt.target
        return code

    def expand(self, code: str, qty: int = 1) -> dict[str, int]:
        """SKU quantities that ``qty`` of ``code`` (SKU or bundle) ship as.

        Raises:
            UnknownSkuError: ``code`` is neither a SKU nor a bundle.
        """
        return {sku: n * qty for sku, n in self._memos()._per_unit(code)}

    def _per_unit(self, code: str) -> tuple[tuple[str, int], ...]:
        """What one of ``code`` ships as, memoised (``_fresh_memos`` called)."""
        per_unit = self._expansions.get(code)
        if per_unit is None:
            per_unit = self._expansions[code] = tuple(self._expand_uncached(code).items())
        return per_unit

    def _expand_uncached(self, code: str) -> dict[str, int]:
        if self.find_sku(code) is not None:
            return {code: 1}
        bundle = self.find_bundle(code)
        if bundle is None:
            raise UnknownSkuError(code)
        result: dict[str, int] = {}
        for comp in bundle.components:
            for sku, n in self._per_unit(comp.code):
                result[sku] = result.get(sku, 0) + n * comp.qty
        return result

    def requirements(
        self, channel: str, shop: str, lines: Iterable[ListingLine], *, at: datetime
    ) -> dict[tuple[int, str], int]:
        """Resolve order lines to ``{(line_no, sku): qty}``.

        Raises:
            ValidationError: ``at`` is naive (checked when there is a line).
            UnknownSkuError: the first line whose listing SKU resolves to nothing.
        """
        result: dict[tuple[int, str], int] = {}
        memos: Catalog | None = None
        for line in lines:
            if memos is None:
                at = require_utc("at", at)
                memos = self._memos()
            code = memos._resolve_memo(channel, shop, line.listing_sku, at)
            line_no, qty = line.line_no, line.qty
            for sku, n in memos._per_unit(code):
                result[(line_no, sku)] = n * qty
        return result

    def sellable(self, code: str, available: Mapping[str, int]) -> int:
        """How many of ``code`` the available component quantities allow."""
        per_unit = self._memos()._per_unit(code)
        return max(0, min(available.get(sku, 0) // n for sku, n in per_unit))

    # --- writes --------------------------------------------------------------

    def add_product(self, product: Product) -> None:
        if self.find_product(product.code) is not None:
            raise DuplicateError("product", product.code)
        self._products[product.code] = product
        self._log.append(product)
        self._changed()

    def add_sku(self, sku: Sku) -> None:
        """Raises:
        DuplicateError: the code (or barcode) is taken by a SKU or a bundle.
        NotFoundError: ``sku.product`` names an unknown product.
        """
        if self.is_known(sku.code):
            raise DuplicateError("sku", sku.code)
        if sku.barcode is not None and self.find_barcode(sku.barcode) is not None:
            raise DuplicateError("barcode", sku.barcode)
        if sku.product is not None and self.find_product(sku.product) is None:
            raise NotFoundError("product", sku.product)
        self._skus[sku.code] = sku
        if sku.barcode is not None:
            self._barcodes[sku.barcode] = sku.code
        self._log.append(sku)
        self._changed()

    def add_shop(self, shop: Shop) -> None:
        if self.find_shop(shop.code) is not None:
            raise DuplicateError("shop", shop.code)
        self._shops[shop.code] = shop
        self._log.append(shop)
        self._changed()

    def add_bundle(self, bundle: Bundle) -> None:
        """Raises:
        DuplicateError: the code is taken.
        UnknownSkuError: a component is neither a SKU nor a bundle.

        A bundle can only use codes that already exist and bundles never
        change, so no cycle can form; a bundle listing itself raises
        :class:`BundleCycleError` when it is built.
        """
        if self.is_known(bundle.code):
            raise DuplicateError("bundle", bundle.code)
        for comp in bundle.components:
            if not self.is_known(comp.code):
                raise UnknownSkuError(comp.code)
        self._bundles[bundle.code] = bundle
        self._log.append(bundle)
        self._changed()

    def add_alias(self, alias: Alias) -> None:
        """Add an alias or a newer version of one.

        Raises:
            NotFoundError: the alias names a shop the catalog does not know.
            DuplicateError: a version with the same ``effective_from`` exists.
            UnknownSkuError: the target resolves to no SKU or bundle.
            AliasCycleError: following targets would come back to the listing SKU.
        """
        if alias.shop is not None:
            shop = self.shop(alias.shop)
            if shop.channel != alias.channel:
                raise ValidationError(
                    "channel", alias.channel, f"shop {shop.code} is on channel {shop.channel}"
                )
        versions = self.alias_versions(alias.channel, alias.shop, alias.listing_sku)
        if any(v.effective_from == alias.effective_from for v in versions):
            raise DuplicateError("alias", (*alias.scope, alias.listing_sku, alias.effective_from))
        if alias.channel is None and alias.listing_sku == alias.target:
            raise AliasCycleError((alias.listing_sku, alias.target))
        if alias.channel is None:
            self._check_alias_cycle(alias)
        if not self._global_chain_ends(alias.target, alias):
            raise UnknownSkuError(alias.target, alias.channel, alias.shop)
        new_versions = tuple(sorted((*versions, alias), key=lambda a: a.effective_from))
        self._aliases[(*alias.scope, alias.listing_sku)] = new_versions
        self._log.append(alias)
        self._changed()

    def _global_chain_ends(self, code: str, alias: Alias) -> bool:
        end = self._follow_global(code, alias.effective_from)
        return end is not None and self.is_known(end)

    def _check_alias_cycle(self, alias: Alias) -> None:
        """Global aliases chain; refuse one that closes a loop at any time from
        its effective date on (checked at every later version boundary)."""
        moments = {alias.effective_from}
        for other in self.aliases():
            if other.channel is None and other.effective_from > alias.effective_from:
                moments.add(other.effective_from)
        for at in sorted(moments):
            path = [alias.listing_sku, alias.target]
            code = alias.target
            while True:
                nxt = self._alias_at(None, None, code, at)
                if nxt is None:
                    break
                if nxt.target in path:
                    raise AliasCycleError((*path, nxt.target))
                path.append(nxt.target)
                code = nxt.target

    # --- overlay ---------------------------------------------------------------

    def changes(self) -> list[Product | Sku | Shop | Bundle | Alias]:
        """Everything added here (not in the parent), in the order it was added."""
        return list(self._log)

    def apply(self, changes: Iterable[Product | Sku | Shop | Bundle | Alias]) -> None:
        """Apply already-validated ``changes`` (from a child's :meth:`changes`)."""
        changed = False
        for item in changes:
            changed = True
            if isinstance(item, Product):
                self._products[item.code] = item
            elif isinstance(item, Sku):
                self._skus[item.code] = item
                if item.barcode is not None:
                    self._barcodes[item.barcode] = item.code
            elif isinstance(item, Shop):
                self._shops[item.code] = item
            elif isinstance(item, Bundle):
                self._bundles[item.code] = item
            else:
                key = (*item.scope, item.listing_sku)
                self._aliases[key] = tuple(
                    sorted((*self._aliases.get(key, ()), item), key=lambda a: a.effective_from)
                )
        if changed:
            self._changed()
