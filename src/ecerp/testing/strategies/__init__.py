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

One module per context (:mod:`~ecerp.testing.strategies.shared`,
:mod:`~ecerp.testing.strategies.catalog`, :mod:`~ecerp.testing.strategies.inventory`,
:mod:`~ecerp.testing.strategies.orders`); every strategy is re-exported here.
"""

from ecerp.testing.strategies.catalog import (
    CHANNELS,
    CatalogSpec,
    catalog_specs,
    listing_codes,
    shop_codes,
    sku_codes,
)
from ecerp.testing.strategies.inventory import warehouse_codes
from ecerp.testing.strategies.orders import (
    VERSION_CHANGES,
    addresses,
    channel_lines,
    channel_orders,
    newer_versions,
)
from ecerp.testing.strategies.shared import amounts, currencies, money

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
