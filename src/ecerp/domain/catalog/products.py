"""Products, SKUs and shops: what a seller sells and where.

A shop says what allocation does with an order no single warehouse can ship
whole through its :class:`SplitPolicy`; the plain strings stored by older
releases (and accepted by the public API) read as the enum:

>>> Shop("web", "shopify", split="availability").split is SplitPolicy.AVAILABILITY
True
>>> SplitPolicy.WAREHOUSES == "warehouses"
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money, minor_unit, optional_money_validator
from ecerp.domain.shared.values import (
    channel_validator,
    code_validator,
    dimension_validator,
    flag_validator,
    non_negative_int_validator,
    optional_code_validator,
    optional_instance_validator,
    optional_text_validator,
    require_code,
    require_text,
    str_frozenset,
    str_tuple,
    text_validator,
)

#: The beginning of time for aliases that have always applied.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


#: Earlier than any moment an order can carry (the start of a resolution timeline).
_DAWN = datetime.min.replace(tzinfo=UTC)


def frozen_str_map(value: object) -> tuple[tuple[str, str], ...]:
    """attrs converter for titles and attributes: ``{name: text}`` or pairs,
    as sorted pairs; names are codes, texts at most 200 characters."""
    if value == ():
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("titles", value, "must be a mapping of names to texts")
    try:
        items: list[Any] = list(value.items() if isinstance(value, Mapping) else value)
        pairs: list[tuple[str, str]] = [(k, v) for k, v in items]
    except (TypeError, ValueError) as err:
        raise ValidationError("titles", value, "must be a mapping of names to texts") from err
    for k, v in pairs:
        require_code("titles", k)
        require_text(f"titles[{k}]", v)
    return tuple(sorted(pairs))


@attrs.frozen
class Dimensions:
    """Outer dimensions of one unit, in millimetres."""

    length_mm: int = attrs.field(validator=dimension_validator)
    width_mm: int = attrs.field(validator=dimension_validator)
    height_mm: int = attrs.field(validator=dimension_validator)

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@attrs.frozen
class Product:
    """A product groups SKUs that differ only in variant attributes (size, colour)."""

    code: str = attrs.field(validator=code_validator)
    titles: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=frozen_str_map)
    category: str | None = attrs.field(default=None, validator=optional_code_validator)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=str_frozenset)
    variant_attributes: tuple[str, ...] = attrs.field(default=(), converter=str_tuple)

    def title(self, language: str) -> str | None:
        return dict(self.titles).get(language)


@attrs.frozen
class Sku:
    """A stock-keeping unit: the thing the warehouse counts.  Quantities are
    whole units of it."""

    code: str = attrs.field(validator=code_validator)
    product: str | None = attrs.field(default=None, validator=optional_code_validator)
    attributes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=frozen_str_map)
    barcode: str | None = attrs.field(default=None, validator=optional_code_validator)
    weight_g: int = attrs.field(default=0, validator=non_negative_int_validator)
    dimensions: Dimensions | None = attrs.field(
        default=None, validator=optional_instance_validator(Dimensions)
    )
    category: str | None = attrs.field(default=None, validator=optional_code_validator)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=str_frozenset)
    titles: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=frozen_str_map)
    cost: Money | None = attrs.field(default=None, validator=optional_money_validator)
    price: Money | None = attrs.field(default=None, validator=optional_money_validator)

    def title(self, language: str) -> str | None:
        return dict(self.titles).get(language)

    def attribute(self, name: str) -> str | None:
        return dict(self.attributes).get(name)


class SplitPolicy(enum.StrEnum):
    """What allocation does with an order no single warehouse can ship whole.

    A ``str``-valued enum: each member equals (and is stored as) its value,
    so ``Shop(split="warehouses")`` and stores written before the enum keep
    working.
    """

    #: The order waits until one warehouse can ship it whole.
    NONE = "none"
    #: Ship what the warehouse that can ship the most has; the rest waits.
    AVAILABILITY = "availability"
    #: Ship from as many warehouses as it takes, fewest parcels first; the rest waits.
    WAREHOUSES = "warehouses"

    @classmethod
    def _missing_(cls, value: object) -> SplitPolicy:
        """Refuse a value that names no policy (stored rows included).

        Raises:
            ValidationError: always (field ``split``).
        """
        names = ", ".join(policy.value for policy in cls)
        raise ValidationError("split", value, f"must be one of {names}")


#: The split policies' values, in declaration order (kept for older callers).
SPLIT_POLICIES = tuple(policy.value for policy in SplitPolicy)


def _split_policy(value: SplitPolicy | str) -> SplitPolicy:
    """attrs converter for :attr:`Shop.split`: a policy or its value.

    Raises:
        ValidationError: ``value`` names no split policy.
    """
    return SplitPolicy(value)


@attrs.frozen
class Shop:
    """A shop on a channel (an Amazon seller account on one site, a Shopify store).

    Order handling settings:

    ``auto_merge``
        merge a new order with the buyer's other unpicked orders of this shop
        to the same address (one parcel instead of several).
    ``split``
        what allocation does with an order no single warehouse can ship whole,
        a :class:`SplitPolicy` (or its value): ``"none"`` (it waits),
        ``"availability"`` (ship what one warehouse has, the rest waits) or
        ``"warehouses"`` (ship from as many warehouses as it takes, fewest
        parcels first; the rest waits).
    ``reserve_held``
        held orders keep stock (default ``False``: a hold reserves nothing).
        With it on, an allocated order that goes on hold keeps its warehouse
        and reservations, and a release returns it to ``allocated`` without
        reserving again; a paid order held before allocation is still
        allocated by the allocation run (its stock is reserved) but stays on
        hold until a person releases it.  Held orders are never picked or
        shipped; cancelling one releases everything.  The setting applies to
        orders allocated while it is on.
    """

    code: str = attrs.field(validator=code_validator)
    channel: str = attrs.field(validator=channel_validator)
    name: str = attrs.field(default="", validator=text_validator)
    site: str | None = attrs.field(default=None, validator=optional_text_validator)
    currency: str = attrs.field(default="USD")
    auto_merge: bool = attrs.field(default=False, validator=flag_validator)
    split: SplitPolicy = attrs.field(default=SplitPolicy.NONE, converter=_split_policy)
    reserve_held: bool = attrs.field(default=False, validator=flag_validator)

    @currency.validator
    def _check_currency(self, attribute: object, value: object) -> None:
        minor_unit(value)  # type: ignore[arg-type]  # refuses what is not a known code
