"""A deterministic, seeded e-commerce workload.

One :class:`Workload` (a :class:`Size` and a seed) always produces the same
catalog, stock and orders:

* ``size.skus`` catalog codes: 90% plain SKUs, 10% bundles of 2-3
  components; a quarter of the bundles nest an earlier (plain) bundle.
* 3 shops on 2 channels (``amazon``: ``amz-de`` EUR and ``amz-us`` USD;
  ``shopify``: ``web`` EUR); every code has 2 aliases (listing SKUs), in two
  of the three shops, taking turns.
* ``size.warehouses`` warehouses, stocked with 115% of the exact demand of
  the batch orders, split 60/25/15 (for 3; geometric in general), so most
  orders allocate and a few wait on a fragmented warehouse.
* ``size.orders`` orders of 1-5 lines (40/25/15/10/10%) of listing SKUs
  of the order's shop, quantities mostly 1, an occasional discount,
  destinations in 30 countries, weights and prices spread log-normally.
  About 5% carry a buyer note and the tag ``review``: the orders a review
  hold stops (the scenarios open the ERP with a buyer-note check where
  ecerp has review holds).

Orders are produced lazily (:meth:`Workload.orders`) as
:class:`ecerp.ChannelOrder`; :meth:`Workload.raw_orders` gives the same
orders as plain tuples, with the warehouse SKU quantities they need resolved
here independently of ecerp's catalog (the raw ``sqlite3`` ceiling uses them).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ecerp import (
    Address,
    Alias,
    Bundle,
    Buyer,
    ChannelLine,
    ChannelOrder,
    Component,
    Money,
    Shop,
    Sku,
    Warehouse,
)

#: When every benchmark run starts (a simulated clock; orders are dated the day before).
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

COUNTRIES = (
    "DE", "FR", "IT", "ES", "NL", "BE", "AT", "PL", "SE", "DK",
    "FI", "IE", "PT", "CZ", "HU", "RO", "GR", "SK", "SI", "HR",
    "US", "CA", "MX", "GB", "CH", "NO", "JP", "AU", "NZ", "SG",
)  # fmt: skip

SHOPS = (
    Shop("amz-de", "amazon", name="Amazon DE", site="amazon.de", currency="EUR"),
    Shop("amz-us", "amazon", name="Amazon US", site="amazon.com", currency="USD"),
    Shop("web", "shopify", name="Web shop", currency="EUR"),
)

REVIEW_NOTES = (
    "please deliver after 6pm",
    "gift wrap, no invoice in the parcel",
    "leave with the neighbour at no. 12",
    "call before delivery",
)

LINE_COUNTS = (1, 2, 3, 4, 5)
LINE_WEIGHTS = (40, 25, 15, 10, 10)
QTY_CHOICES = (1, 2, 3)
QTY_WEIGHTS = (80, 15, 5)


@dataclass(frozen=True)
class Size:
    """How big a run is."""

    name: str
    skus: int
    """Catalog codes of the order workload (10% of them bundles)."""
    warehouses: int
    orders: int
    """Orders of the one big batch."""
    single_orders: int
    """Orders sent one per call (``erp.orders.accept``, one transaction each)."""
    ledger_skus: int
    """SKUs of the query benchmark's ledger."""
    ledger_moves: int
    """Moves the query benchmark builds its ledger to (at least)..."""
    ledger_budget_s: float
    """...unless building it takes longer than this (then it stops where it is)."""


SIZES = {
    "tiny": Size("tiny", 40, 2, 100, 10, 50, 1_000, 2.0),
    "small": Size("small", 200, 3, 2_000, 200, 1_000, 20_000, 8.0),
    # For profiling between the two: big enough to show what grows with size.
    "medium": Size("medium", 2_000, 3, 20_000, 1_000, 10_000, 200_000, 30.0),
    # The ledger is built through the API to 10 M moves: about 4 min in
    # memory and 12 on SQLite; the budget stops a slower backend (PostgreSQL
    # on a shared 2-core machine) where it is.
    "large": Size("large", 10_000, 3, 100_000, 3_000, 100_000, 10_000_000, 900.0),
}


@dataclass(frozen=True)
class RawLine:
    listing_sku: str
    target: str
    """The catalog code (SKU or bundle) the listing SKU is an alias of."""
    qty: int
    unit_price: Decimal
    discount: Decimal


@dataclass(frozen=True)
class RawOrder:
    """One order as plain values (what :class:`ecerp.ChannelOrder` is built from)."""

    external_id: str
    shop: Shop
    ordered_at: datetime
    lines: tuple[RawLine, ...]
    country: str
    review: bool
    """Would a review hold stop it (a buyer note)?"""
    requirements: dict[tuple[int, str], int] = field(default_factory=dict)
    """``{(line_no, sku): qty}``: warehouse SKUs it needs."""


class Workload:
    """The catalog, warehouses, stock and orders of one size and seed."""

    def __init__(self, size: Size, seed: int = 20260302) -> None:
        self.size = size
        self.seed = seed
        rng = random.Random(seed)
        n_bundles = max(1, size.skus // 10)
        n_plain = size.skus - n_bundles
        self.skus: list[Sku] = []
        self.price: dict[str, Decimal] = {}
        for i in range(n_plain):
            code = f"SKU-{i:06d}"
            weight = min(30_000, max(20, int(rng.lognormvariate(6.0, 1.0))))
            price = Decimal(f"{min(999.0, max(0.99, rng.lognormvariate(3.0, 0.8))):.2f}")
            self.skus.append(Sku(code, weight_g=weight))
            self.price[code] = price
        plain = [s.code for s in self.skus]
        self.bundles: list[Bundle] = []
        self.components: dict[str, tuple[tuple[str, int], ...]] = {}
        flat: list[str] = []
        for i in range(n_bundles):
            code = f"BDL-{i:05d}"
            parts = [(c, rng.choice((1, 1, 2))) for c in rng.sample(plain, rng.choice((2, 3)))]
            if flat and i % 4 == 3:  # nest an earlier, flat bundle
                parts[-1] = (rng.choice(flat), 1)
            else:
                flat.append(code)
            self.bundles.append(Bundle(code, tuple(Component(c, q) for c, q in parts)))
            self.components[code] = tuple(parts)
            self.price[code] = sum(
                (self.price[c] * q for c, q in parts if c in self.price), Decimal(0)
            ) * Decimal("0.9")
            self.price[code] = self.price[code].quantize(Decimal("0.01"))
        self.shops = list(SHOPS)
        self.aliases: list[Alias] = []
        self.listings: dict[str, list[tuple[str, str]]] = {s.code: [] for s in self.shops}
        for i, code in enumerate([*plain, *(b.code for b in self.bundles)]):
            for shop in (self.shops[i % 3], self.shops[(i + 1) % 3]):
                listing = f"{shop.code.upper()}-{code}"
                self.aliases.append(Alias(shop.channel, shop.code, listing, code))
                self.listings[shop.code].append((listing, code))
        self.warehouses = [
            Warehouse(f"WH{i + 1}", name=f"Warehouse {i + 1}", priority=i, country=c)
            for i, c in zip(range(size.warehouses), ("DE", "PL", "US", "FR", "CZ"), strict=False)
        ]
        self._stock: dict[str, dict[str, int]] | None = None

    # --- catalog and stock ---------------------------------------------------------

    def catalog_items(self) -> list[Sku | Bundle | Shop | Alias]:
        """Everything to add to the catalog, in an order it accepts."""
        return [*self.skus, *self.bundles, *self.shops, *self.aliases]

    def expand(self, code: str, qty: int = 1) -> dict[str, int]:
        """Warehouse SKU quantities of ``qty`` of ``code`` (bundles flattened)."""
        parts = self.components.get(code)
        if parts is None:
            return {code: qty}
        out: dict[str, int] = {}
        for c, q in parts:
            for sku, n in self.expand(c, q * qty).items():
                out[sku] = out.get(sku, 0) + n
        return out

    def demand(self) -> dict[str, int]:
        """Units of each SKU the batch orders need in all."""
        total: dict[str, int] = {}
        for order in self.raw_orders():
            for (_, sku), qty in order.requirements.items():
                total[sku] = total.get(sku, 0) + qty
        return total

    def stock(self) -> dict[str, dict[str, int]]:
        """``{warehouse: {sku: qty}}`` to stock before the batch (115% of demand)."""
        if self._stock is None:
            n = len(self.warehouses)
            weights = [0.6, 0.25, 0.15] if n == 3 else [0.5**i for i in range(n)]
            share = [w / sum(weights) for w in weights]
            demand = self.demand()
            self._stock = {w.code: {} for w in self.warehouses}
            for sku in (s.code for s in self.skus):
                want = math.ceil(demand.get(sku, 0) * 1.15) + 2
                for wh, part in zip(self.warehouses, share, strict=True):
                    self._stock[wh.code][sku] = max(1, math.ceil(want * part))
        return self._stock

    # --- orders ----------------------------------------------------------------------

    def raw_orders(
        self, count: int | None = None, *, stream: str = "B", seed_offset: int = 0
    ) -> Iterator[RawOrder]:
        """The orders of stream ``stream`` (``"B"``: the batch), as plain values."""
        n = self.size.orders if count is None else count
        rng = random.Random(f"{self.seed}/{stream}/{seed_offset}")
        base = START - timedelta(days=1)
        step = 86_400 / max(n, 1)
        for i in range(n):
            shop = self.shops[rng.randrange(3)]
            listings = self.listings[shop.code]
            k = min(rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0], len(listings))
            lines = []
            requirements: dict[tuple[int, str], int] = {}
            for no, (listing, target) in enumerate(rng.sample(listings, k), 1):
                qty = rng.choices(QTY_CHOICES, QTY_WEIGHTS)[0]
                price = self.price[target]
                discount = (price * qty * Decimal("0.1")).quantize(Decimal("0.01"))
                lines.append(
                    RawLine(
                        listing, target, qty, price, discount if rng.random() < 0.1 else Decimal(0)
                    )
                )
                for sku, q in self.expand(target, qty).items():
                    requirements[(no, sku)] = q
            yield RawOrder(
                external_id=f"{stream}{i + seed_offset:08d}",
                shop=shop,
                ordered_at=base + timedelta(seconds=int(i * step)),
                lines=tuple(lines),
                country=rng.choice(COUNTRIES),
                review=rng.random() < 0.05,
                requirements=requirements,
            )

    def orders(
        self, count: int | None = None, *, stream: str = "B", seed_offset: int = 0
    ) -> Iterator[ChannelOrder]:
        """The same orders as :meth:`raw_orders`, as ecerp channel drafts."""
        for raw in self.raw_orders(count, stream=stream, seed_offset=seed_offset):
            yield to_channel_order(raw)


def to_channel_order(raw: RawOrder) -> ChannelOrder:
    cur = raw.shop.currency
    lines = tuple(
        ChannelLine(
            line.listing_sku,
            line.qty,
            Money.of(line.unit_price, cur),
            Money.of(line.discount, cur) if line.discount else None,
        )
        for line in raw.lines
    )
    note = REVIEW_NOTES[int(raw.external_id[1:]) % len(REVIEW_NOTES)] if raw.review else ""
    return ChannelOrder(
        channel=raw.shop.channel,
        shop=raw.shop.code,
        external_id=raw.external_id,
        ordered_at=raw.ordered_at,
        currency=cur,
        lines=lines,
        buyer=Buyer(f"buyer-{raw.external_id}", "A Buyer", f"{raw.external_id}@example.com"),
        address=Address(
            name="A Buyer",
            line1="1 Main Street",
            city="Town",
            postcode="12345",
            country=raw.country,
        ),
        paid=True,
        buyer_note=note,
        tags=frozenset({"review"}) if raw.review else frozenset(),
    )


__all__ = ["COUNTRIES", "SIZES", "START", "RawLine", "RawOrder", "Size", "Workload"]
