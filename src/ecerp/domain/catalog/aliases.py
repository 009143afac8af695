"""Aliases and bundles: how a channel's listing SKU maps onto catalog SKUs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

import attrs

from ecerp.domain.catalog.errors import BundleCycleError
from ecerp.domain.catalog.products import EPOCH, frozen_str_map
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import (
    code_validator,
    optional_channel_validator,
    optional_code_validator,
    positive_qty_validator,
    to_utc,
    utc_validator,
)


@attrs.frozen
class Alias:
    """``(channel, shop, listing_sku)`` means ``target`` from ``effective_from`` on.

    ``shop=None`` applies to every shop of the channel; ``channel=None`` (with
    ``shop=None``) applies everywhere.
    """

    channel: str | None = attrs.field(validator=optional_channel_validator)
    shop: str | None = attrs.field(validator=optional_code_validator)
    listing_sku: str = attrs.field(validator=code_validator)
    target: str = attrs.field(validator=code_validator)
    effective_from: datetime = attrs.field(default=EPOCH, converter=to_utc, validator=utc_validator)

    def __attrs_post_init__(self) -> None:
        if self.channel is None and self.shop is not None:
            raise ValidationError("channel", None, "a shop alias needs its channel")

    @property
    def scope(self) -> tuple[str, str]:
        return (self.channel or "", self.shop or "")


@attrs.frozen
class Component:
    code: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)


def _components(value: Iterable[Component]) -> tuple[Component, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError("components", value, "must be a collection of Component")
    items = tuple(value)
    for item in items:
        if not isinstance(item, Component):
            raise ValidationError("components", item, "must be a Component")
    return items


@attrs.frozen
class Bundle:
    """A code that ships as ``components`` (SKUs or other bundles) times their qty."""

    code: str = attrs.field(validator=code_validator)
    components: tuple[Component, ...] = attrs.field(converter=_components)
    titles: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=frozen_str_map)

    def __attrs_post_init__(self) -> None:
        if not self.components:
            raise ValidationError("components", (), f"bundle {self.code} has no components")
        seen: set[str] = set()
        for c in self.components:
            if c.code in seen:
                raise ValidationError("components", c.code, f"listed twice in bundle {self.code}")
            if c.code == self.code:
                raise BundleCycleError((self.code, self.code))
            seen.add(c.code)


class ListingLine(Protocol):
    """What resolution needs of an order line."""

    @property
    def line_no(self) -> int: ...
    @property
    def listing_sku(self) -> str: ...
    @property
    def qty(self) -> int: ...


AliasKey = tuple[str, str, str]  # (channel or "", shop or "", listing sku)


#: What a listing SKU resolves to over time: the moments its answer may change
#: (sorted) and the answer from each on, the first one before any of them
#: (``None``: it resolves to nothing then, the error is raised afresh;
#: ``_PENDING``: not worked out yet).
_Timeline = tuple[list[datetime], list[str | None]]


_PENDING = ""  # never a catalog code
