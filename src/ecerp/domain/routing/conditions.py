"""Conditions of a routing rule: ranges and set matches over an order's facts."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import attrs

from ecerp.domain.routing.facts import (
    Failure,
    OrderFacts,
    _norm_postcode,
    _opt_instance,
    _opt_int,
    _opt_names,
    _opt_names_validator,
    _show,
    _show_one,
)
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money, optional_money_validator


@attrs.frozen
class IntRange:
    """``min <= value <= max``; either bound may be ``None`` (open)."""

    min: int | None = None
    max: int | None = None

    def __attrs_post_init__(self) -> None:
        _opt_int("min", self.min)
        _opt_int("max", self.max)
        if self.min is None and self.max is None:
            raise ValidationError("min", None, "a range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValidationError("max", self.max, f"must not be below min ({self.min})")

    def contains(self, value: int) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self, unit: str = "") -> str:
        u = f" {unit}" if unit else ""
        if self.min is not None and self.max is not None:
            return f"between {self.min}{u} and {self.max}{u}"
        if self.min is not None:
            return f"at least {self.min}{u}"
        return f"at most {self.max}{u}"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}


@attrs.frozen
class AmountRange:
    """An order total between ``min`` and ``max`` (inclusive, either may be
    ``None``), both in one currency.  Totals in another currency are outside."""

    min: Money | None = attrs.field(default=None, validator=optional_money_validator)
    max: Money | None = attrs.field(default=None, validator=optional_money_validator)

    def __attrs_post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValidationError("min", None, "an amount range needs min, max or both")
        if self.min is not None and self.max is not None:
            if self.min.currency != self.max.currency:
                raise ValidationError(
                    "max", self.max, f"must be in the currency of min ({self.min.currency})"
                )
            if self.min.amount > self.max.amount:
                raise ValidationError("max", self.max, f"must not be below min ({self.min})")

    @property
    def currency(self) -> str:
        bound = self.min if self.min is not None else self.max
        assert bound is not None  # checked on construction
        return bound.currency

    def contains(self, amount: Money) -> bool:
        if amount.currency != self.currency:
            return False
        return (self.min is None or amount.amount >= self.min.amount) and (
            self.max is None or amount.amount <= self.max.amount
        )

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        if self.min is not None:
            return f"at least {self.min}"
        return f"at most {self.max}"

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"currency": self.currency}
        if self.min is not None:
            result["min"] = str(self.min.amount)
        if self.max is not None:
            result["max"] = str(self.max.amount)
        return result


@attrs.frozen
class SetMatch:
    """Tests a set of names: at least one of ``any_of``, every one of
    ``all_of``, none of ``none_of`` (each optional, at least one given)."""

    any_of: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    all_of: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    none_of: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )

    def __attrs_post_init__(self) -> None:
        if self.any_of is None and self.all_of is None and self.none_of is None:
            raise ValidationError("any", None, "give any, all, none or several of them")

    def meets(self, actual: frozenset[str]) -> bool:
        """Whether ``actual`` passes (:meth:`failures` yields nothing)."""
        return (
            (self.any_of is None or not self.any_of.isdisjoint(actual))
            and (self.all_of is None or self.all_of <= actual)
            and (self.none_of is None or self.none_of.isdisjoint(actual))
        )

    def failures(self, condition: str, noun: str, actual: frozenset[str]) -> Iterator[Failure]:
        if self.any_of is not None and not (actual & self.any_of):
            yield Failure(
                f"{condition}.any",
                f"any of {_show(self.any_of)}",
                _show(actual),
                f"{noun} are {_show(actual)}, expected any of {_show(self.any_of)}",
            )
        if self.all_of is not None and not self.all_of <= actual:
            missing = self.all_of - actual
            yield Failure(
                f"{condition}.all",
                f"all of {_show(self.all_of)}",
                _show(actual),
                f"{noun} lack {_show(missing)} (expected all of {_show(self.all_of)})",
            )
        if self.none_of is not None and actual & self.none_of:
            present = actual & self.none_of
            yield Failure(
                f"{condition}.none",
                f"none of {_show(self.none_of)}",
                _show(actual),
                f"{noun} include {_show(present)} (expected none of {_show(self.none_of)})",
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            key: sorted(value)
            for key, value in (("any", self.any_of), ("all", self.all_of), ("none", self.none_of))
            if value is not None
        }


@attrs.frozen
class Conditions:
    """What an order must look like for a rule to apply.  Every field is
    optional (``None``: not checked); see the module docs for how each
    compares."""

    channels: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    shops: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    sites: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    countries: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    regions: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    postcodes: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )
    amount: AmountRange | None = attrs.field(default=None, validator=_opt_instance(AmountRange))
    weight_g: IntRange | None = attrs.field(default=None, validator=_opt_instance(IntRange))
    skus: SetMatch | None = attrs.field(default=None, validator=_opt_instance(SetMatch))
    categories: SetMatch | None = attrs.field(default=None, validator=_opt_instance(SetMatch))
    tags: SetMatch | None = attrs.field(default=None, validator=_opt_instance(SetMatch))
    lines: IntRange | None = attrs.field(default=None, validator=_opt_instance(IntRange))
    shipping_levels: frozenset[str] | None = attrs.field(
        default=None, converter=_opt_names, validator=_opt_names_validator
    )

    def matches(self, facts: OrderFacts) -> bool:
        """Whether ``facts`` meets every condition (:meth:`failures` is
        empty; checked without writing out why not: rules are tried for
        every order)."""
        if self.channels is not None and facts.channel not in self.channels:
            return False
        if self.shops is not None and facts.shop not in self.shops:
            return False
        if self.sites is not None and facts.site not in self.sites:
            return False
        if self.countries is not None and not _folded_in(facts.country, self.countries):
            return False
        if self.regions is not None and not _folded_in(facts.region, self.regions):
            return False
        if self.postcodes is not None:
            code = _norm_postcode(facts.postcode)
            if not any(fnmatch.fnmatchcase(code, _norm_postcode(p)) for p in self.postcodes):
                return False
        if self.amount is not None and not self.amount.contains(facts.amount):
            return False
        if self.weight_g is not None and not self.weight_g.contains(facts.weight_g):
            return False
        for match, actual_set in (
            (self.skus, facts.skus),
            (self.categories, facts.categories),
            (self.tags, facts.tags),
        ):
            if match is not None and not match.meets(actual_set):
                return False
        if self.lines is not None and not self.lines.contains(facts.line_count):
            return False
        return self.shipping_levels is None or facts.shipping_level in self.shipping_levels

    def failures(self, facts: OrderFacts) -> tuple[Failure, ...]:
        """Every condition ``facts`` does not meet, in field order."""
        return tuple(self._failures(facts))

    def _failures(self, facts: OrderFacts) -> Iterator[Failure]:
        for field, noun, values, actual in (
            ("channels", "channel", self.channels, facts.channel),
            ("shops", "shop", self.shops, facts.shop),
            ("sites", "site", self.sites, facts.site),
        ):
            if values is not None and actual not in values:
                yield _one_of(field, noun, values, actual)
        if self.countries is not None and not _folded_in(facts.country, self.countries):
            yield _one_of("countries", "country", self.countries, facts.country)
        if self.regions is not None and not _folded_in(facts.region, self.regions):
            yield _one_of("regions", "region", self.regions, facts.region)
        if self.postcodes is not None:
            code = _norm_postcode(facts.postcode)
            if not any(fnmatch.fnmatchcase(code, _norm_postcode(p)) for p in self.postcodes):
                yield Failure(
                    "postcodes",
                    f"matching {_show(self.postcodes)}",
                    _show_one(facts.postcode),
                    f"postcode is {_show_one(facts.postcode)},"
                    f" expected one matching {_show(self.postcodes)}",
                )
        if self.amount is not None and not self.amount.contains(facts.amount):
            got = str(facts.amount)
            if facts.amount.currency != self.amount.currency:
                message = (
                    f"amount is in {facts.amount.currency}, the rule's range is in"
                    f" {self.amount.currency} (rules do not convert currencies)"
                )
            else:
                message = f"amount is {got}, expected {self.amount.describe()}"
            yield Failure("amount", self.amount.describe(), got, message)
        if self.weight_g is not None and not self.weight_g.contains(facts.weight_g):
            expected = self.weight_g.describe("g")
            yield Failure(
                "weight_g",
                expected,
                f"{facts.weight_g} g",
                f"weight is {facts.weight_g} g, expected {expected}",
            )
        for field, noun, match, actual_set in (
            ("skus", "SKUs", self.skus, facts.skus),
            ("categories", "categories", self.categories, facts.categories),
            ("tags", "tags", self.tags, facts.tags),
        ):
            if match is not None:
                yield from match.failures(field, noun, actual_set)
        if self.lines is not None and not self.lines.contains(facts.line_count):
            expected = self.lines.describe()
            yield Failure(
                "lines",
                expected,
                str(facts.line_count),
                f"line count is {facts.line_count}, expected {expected}",
            )
        if self.shipping_levels is not None and facts.shipping_level not in self.shipping_levels:
            yield _one_of(
                "shipping_levels", "shipping level", self.shipping_levels, facts.shipping_level
            )

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for field in attrs.fields(Conditions):
            value = getattr(self, field.name)
            if value is None:
                continue
            result[field.name] = sorted(value) if isinstance(value, frozenset) else value.to_dict()
        return result


def _folded_in(value: str, allowed: frozenset[str]) -> bool:
    folded = value.casefold()
    return any(folded == a.casefold() for a in allowed)


def _one_of(field: str, noun: str, allowed: frozenset[str], actual: str | None) -> Failure:
    return Failure(
        field,
        f"one of {_show(allowed)}",
        _show_one(actual),
        f"{noun} is {_show_one(actual)}, expected one of {_show(allowed)}",
    )
