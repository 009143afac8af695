"""The parts of a rate table: zones, zone prices and surcharges.

A :class:`Zone` entry puts destinations (a country, optionally narrowed by
region or postcode prefix) in a named zone; a :class:`ZonePrice` prices a
zone by first weight and additional weight (首重/续重); a :class:`Fee` is a
fixed surcharge per parcel and a :class:`RemoteArea` one by postcode
prefix.  :class:`~ecerp.domain.carriers.rates.RateTable` puts them together::

    >>> from ecerp.domain.shared.money import Money
    >>> price = ZonePrice("home", 1000, Money.of("4.50", "EUR"), 500, Money.of("1.00", "EUR"))
    >>> str(price.price(1000)), str(price.price(1001)), str(price.price(2000))
    ('4.50 EUR', '5.50 EUR', '6.50 EUR')
    >>> from typing import Any

import attrs

from ecerp.domain.carriers.parcels import Parcel, _non_negative_money, _norm_postcode, _positive_int
from ecerp.domain.shared.errors import CurrencyMismatchError
from ecerp.domain.shared.money import Money
from ecerp.domain.shared.values import code_validator
    >>> Zone("city", "DE", postcode_prefix="80").matches(Parcel(100, country="de", postcode="80 331"))
    True
"""

from __future__ import annotations

import attrs

from ecerp.domain.carriers.parcels import Parcel, _non_negative_money, _norm_postcode, _positive_int
from ecerp.domain.shared.errors import CurrencyMismatchError
from ecerp.domain.shared.money import Money
from ecerp.domain.shared.values import code_validator


@attrs.frozen
class Zone:
    """Parcels to ``country`` (``"*"``: any country), optionally only those in
    ``region`` or with a postcode starting with ``postcode_prefix``, are in
    ``zone``.

    Countries and regions compare case-insensitively; postcodes upper-cased
    with spaces and hyphens removed.  When several entries match, the most
    specific wins: a named country over ``"*"``, then the longer postcode
    prefix, then an entry with a region over one without.
    """

    zone: str = attrs.field(validator=code_validator)
    country: str = attrs.field(validator=code_validator)
    region: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(code_validator)
    )
    postcode_prefix: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(code_validator)
    )

    def matches(self, parcel: Parcel) -> bool:
        if self.country != "*" and self.country.casefold() != parcel.country.casefold():
            return False
        if self.region is not None and self.region.casefold() != parcel.region.casefold():
            return False
        return self.postcode_prefix is None or _norm_postcode(parcel.postcode).startswith(
            _norm_postcode(self.postcode_prefix)
        )

    @property
    def specificity(self) -> tuple[bool, int, bool]:
        prefix = _norm_postcode(self.postcode_prefix) if self.postcode_prefix is not None else ""
        return (self.country != "*", len(prefix), self.region is not None)

    @property
    def destination(self) -> tuple[str, str | None, str | None]:
        """What the entry matches, normalised (two entries may not share it)."""
        return (
            self.country.upper(),
            self.region.casefold() if self.region is not None else None,
            _norm_postcode(self.postcode_prefix) if self.postcode_prefix is not None else None,
        )


@attrs.frozen
class ZonePrice:
    """The price of a parcel in ``zone`` by chargeable weight: ``first`` for up
    to ``first_g`` grams, plus ``step`` for every started ``step_g`` grams
    beyond."""

    zone: str = attrs.field(validator=code_validator)
    first_g: int = attrs.field(validator=_positive_int)
    first: Money = attrs.field(validator=_non_negative_money)
    step_g: int = attrs.field(validator=_positive_int)
    step: Money = attrs.field(validator=_non_negative_money)

    def __attrs_post_init__(self) -> None:
        if self.first.currency != self.step.currency:
            raise CurrencyMismatchError(self.first.currency, self.step.currency)

    def price(self, weight_g: int) -> Money:
        """The freight for ``weight_g`` chargeable grams (not rounded)."""
        if weight_g <= self.first_g:
            return self.first
        steps = -(-(weight_g - self.first_g) // self.step_g)
        return self.first + self.step * steps


@attrs.frozen
class Fee:
    """A fixed surcharge per parcel (handling, peak season, signature)."""

    name: str = attrs.field(validator=code_validator)
    amount: Money = attrs.field(validator=_non_negative_money)


@attrs.frozen
class RemoteArea:
    """A remote-area surcharge for postcodes of ``country`` starting with
    ``postcode_prefix`` (compared as for :class:`Zone`).  When several
    match, the longest prefix applies; a parcel pays at most one."""

    country: str = attrs.field(validator=code_validator)
    postcode_prefix: str = attrs.field(validator=code_validator)
    amount: Money = attrs.field(validator=_non_negative_money)

    def matches(self, parcel: Parcel) -> bool:
        return self.country.casefold() == parcel.country.casefold() and _norm_postcode(
            parcel.postcode
        ).startswith(_norm_postcode(self.postcode_prefix))
