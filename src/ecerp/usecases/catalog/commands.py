"""Catalog commands: add products, SKUs, shops, bundles and aliases."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import (
    values_of,
)
from ecerp.usecases.base import Command, actor_field

_CATALOG_ITEMS = (Product, Sku, Shop, Bundle, Alias)


def _items(
    value: Iterable[Product | Sku | Shop | Bundle | Alias],
) -> tuple[Product | Sku | Shop | Bundle | Alias, ...]:
    items = values_of("items", value)
    for item in items:
        if not isinstance(item, _CATALOG_ITEMS):
            raise ValidationError("items", item, "must be a Product, Sku, Shop, Bundle or Alias")
    return items


@attrs.frozen
class AddToCatalog(Command):
    """Add products, SKUs, shops, bundles and aliases, all or none, in order."""

    items: tuple[Product | Sku | Shop | Bundle | Alias, ...] = attrs.field(converter=_items)
    actor: str = actor_field("system")
