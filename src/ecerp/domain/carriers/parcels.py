"""Parcels and quotes: what a carrier is asked to price and what it answers."""

from __future__ import annotations

from typing import Any

import attrs

from ecerp.domain.catalog.products import Dimensions
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money, money_validator
from ecerp.domain.shared.values import non_negative_int_validator


def _norm_postcode(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def _str_validator(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError(attribute.name, value, "must be a string")


def _bool_validator(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, value, "must be true or false")


def _opt_positive_int(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and (type(value) is not int or value <= 0):
        raise ValidationError(attribute.name, value, "must be an int > 0")


def _positive_int(_: Any, attribute: Any, value: Any) -> None:
    if type(value) is not int or value <= 0:
        raise ValidationError(attribute.name, value, "must be an int > 0")


def _non_negative_money(_: Any, attribute: Any, value: Any) -> None:
    money_validator(_, attribute, value)
    assert isinstance(value, Money)
    if value.amount < 0:
        raise ValidationError(attribute.name, value, "must not be negative")


def _opt_dimensions(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, Dimensions):
        raise ValidationError(attribute.name, value, "must be Dimensions (millimetres)")


def _sides(dimensions: Dimensions) -> tuple[int, int, int]:
    a, b, c = sorted(
        (dimensions.length_mm, dimensions.width_mm, dimensions.height_mm), reverse=True
    )
    return (a, b, c)


@attrs.frozen
class Parcel:
    """One parcel to price: actual weight in grams, outer dimensions in
    millimetres (optional) and its destination; ``po_box``: the destination
    is a PO box or parcel locker (services that refuse those give no quote)."""

    weight_g: int = attrs.field(validator=non_negative_int_validator)
    dimensions: Dimensions | None = attrs.field(default=None, validator=_opt_dimensions)
    country: str = attrs.field(default="", validator=_str_validator)
    region: str = attrs.field(default="", validator=_str_validator)
    postcode: str = attrs.field(default="", validator=_str_validator)
    po_box: bool = attrs.field(default=False, validator=_bool_validator, kw_only=True)


@attrs.frozen
class QuoteLine:
    """One line of a quote's breakdown (rounded to the minor unit)."""

    label: str
    amount: Money

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


@attrs.frozen
class Quote:
    """What a service charges for a parcel.  ``amount`` is the sum of the
    ``breakdown`` lines, each rounded to the currency's minor unit."""

    carrier: str
    service: str
    zone: str
    amount: Money
    actual_weight_g: int
    chargeable_weight_g: int
    breakdown: tuple[QuoteLine, ...] = ()

    def __str__(self) -> str:
        return f"{self.carrier}/{self.service}: {self.amount}"
