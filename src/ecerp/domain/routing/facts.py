"""What routing rules look at: the facts of an order, and why a condition failed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.orders.order import Order
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money, money_validator

#: Version of the rule-set data format written by :meth:`RuleSet.to_dict`.
FORMAT_VERSION = 1


def _opt_names(value: Iterable[str] | None) -> frozenset[str] | None:
    """attrs converter: a collection of strings to a frozenset (a bare string
    is refused, a common slip)."""
    if value is None:
        return None
    if isinstance(value, str):
        raise ValidationError("value", value, "must be a collection of strings, not one string")
    return frozenset(value)


def _names(value: Iterable[str]) -> frozenset[str]:
    result = _opt_names(value)
    assert result is not None  # only None maps to None
    return result


def _check_names(field: str, value: frozenset[str], *, allow_empty: bool = False) -> None:
    if not allow_empty and not value:
        raise ValidationError(field, [], "must not be empty (leave it out to match anything)")
    for item in value:
        if not isinstance(item, str) or not item or item != item.strip():
            raise ValidationError(field, item, "must hold non-empty strings without outer spaces")


def _opt_names_validator(_: Any, attribute: Any, value: frozenset[str] | None) -> None:
    if value is not None:
        _check_names(attribute.name, value)


def _tags_validator(_: Any, attribute: Any, value: frozenset[str]) -> None:
    _check_names(attribute.name, value, allow_empty=True)


def _opt_int(field: str, value: object) -> None:
    if value is not None and type(value) is not int:
        raise ValidationError(field, value, "must be an int")


def _opt_instance(kind: type) -> Any:
    return attrs.validators.optional(attrs.validators.instance_of(kind))


def _norm_postcode(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def _show(values: Iterable[str]) -> str:
    shown = sorted(values)
    return ", ".join(shown) if shown else "(none)"


def _show_one(value: str | None) -> str:
    return value if value else "(none)"


@attrs.frozen
class OrderFacts:
    """What routing rules look at: a flat, order-independent summary.

    Build it with :meth:`of`; tests and dry runs may also build it directly.
    """

    channel: str = attrs.field(validator=attrs.validators.instance_of(str))
    shop: str = attrs.field(validator=attrs.validators.instance_of(str))
    amount: Money = attrs.field(validator=money_validator)
    site: str | None = attrs.field(default=None, validator=_opt_instance(str))
    country: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    region: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    postcode: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    weight_g: int = 0
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    line_count: int = 0
    shipping_level: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    def __attrs_post_init__(self) -> None:
        for name in ("weight_g", "line_count"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise ValidationError(name, value, "must be an int >= 0")

    @classmethod
    def of(cls, order: Order, catalog: Catalog, *, site: str | None = None) -> OrderFacts:
        """The facts of ``order``, with SKU weights, categories and tags from
        ``catalog``.

        ``site`` overrides the marketplace site; by default it is the
        order's shop's site (``None`` when the catalog does not know the
        shop).  A SKU's category is its own, else its product's; its tags are
        its own and its product's.

        Raises:
            UnknownSkuError: a requirement names a SKU the catalog lacks.
        """
        if site is None:
            shop = catalog.find_shop(order.shop)
            site = shop.site if shop is not None else None
        weight = 0
        skus: set[str] = set()
        categories: set[str] = set()
        tags: set[str] = set(order.tags)
        for (_, code), qty in order.requirements.items():
            sku = catalog.sku(code)
            weight += sku.weight_g * qty
            skus.add(code)
            tags.update(sku.tags)
            product = catalog.find_product(sku.product) if sku.product is not None else None
            category = sku.category
            if product is not None:
                tags.update(product.tags)
                category = category or product.category
            if category is not None:
                categories.add(category)
        return cls(
            channel=order.channel,
            shop=order.shop,
            amount=order.total(),
            site=site,
            country=order.address.country,
            region=order.address.region,
            postcode=order.address.postcode,
            weight_g=weight,
            skus=frozenset(skus),
            categories=frozenset(categories),
            tags=frozenset(tags),
            line_count=len(order.lines),
            shipping_level=order.shipping_level,
        )


@attrs.frozen
class Failure:
    """One condition of a rule that an order does not meet."""

    condition: str
    """The condition's path, as in the rule data: ``countries``, ``skus.all``."""
    expected: str
    actual: str
    message: str

    def __str__(self) -> str:
        return self.message
