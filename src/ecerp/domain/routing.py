"""Routing rules: which warehouse and carrier service an order gets, as data.

A :class:`RuleSet` is an ordered list of :class:`Rule` values.  Each rule has
:class:`Conditions` (every one optional; a rule with none matches every
order) and :class:`Actions` (at least one of: warehouse, carrier service,
hold with a reason, tags to add, priority).  Rules look at :class:`OrderFacts`,
a flat summary of an order built from the order and the catalog, never at the
order itself, so the same rules can be re-run, explained and dry-run over past
orders.  **The first enabled rule whose conditions all hold wins**; later
rules are not looked at.

Conditions, and how they compare (every list must be non-empty):

============== ============================================================
``channels``   the order's channel is one of these (exact)
``shops``      the order's shop is one of these (exact)
``sites``      the shop's marketplace site is one of these (exact); an
               order whose shop has no site never matches
``countries``  destination country is one of these (case-insensitive free
               text: codes are not checked against ISO 3166)
``regions``    destination region (state, province) is one of these
               (case-insensitive)
``postcodes``  destination postcode matches one of these *glob* patterns:
               ``*`` any run of characters, ``?`` one character, ``[0-4]``
               one character of a range.  Patterns and postcodes are
               compared upper-cased with spaces and hyphens removed, so
               ``"SW1A*"`` matches ``"sw1a 1aa"`` and ``"100-0*"`` matches
               ``"100-0001"``.  A prefix is ``"10*"``; the range 10000 to
               14999 is ``"1[0-4]*"``.
``amount``     ``{currency, min, max}``: the order total is in this currency
               and ``min <= total <= max`` (both bounds inclusive, either
               may be left out).  An order in another currency never matches
               (rules do not convert currencies).
``weight_g``   ``{min, max}``: total weight in grams (SKU weight times
               quantity over all lines), bounds inclusive.
``skus``       ``{any, all, none}`` over the warehouse SKUs of all lines
               (bundles expanded): at least one of ``any``, every one of
               ``all``, none of ``none``.
``categories`` the same over the SKUs' categories.
``tags``       the same over the SKUs' (and their products') tags and the
               order's own tags.
``lines``      ``{min, max}``: the number of order lines, inclusive.
``shipping_levels`` the buyer-chosen shipping level is one of these (exact).
============== ============================================================

Rule sets load from plain data (a dict, JSON or TOML) and are validated on
load: unknown keys, wrong types, money that is a float or has an unknown
currency, empty lists, empty actions and duplicate rule names all raise a
:class:`RuleError` naming the rule and the field path::

    >>> rules = RuleSet.from_toml('''
    ... [[rules]]
    ... name = "big-to-express"
    ... conditions = { countries = ["DE", "AT"], amount = { currency = "EUR", min = "100" } }
    ... actions = { service = "dhl-express", priority = 5 }
    ...
    ... [[rules]]
    ... name = "eu-from-berlin"
    ... conditions = { countries = ["DE", "AT", "FR"] }
    ... actions = { warehouse = "BER", service = "dhl-parcel" }
    ... ''')
    >>> facts = OrderFacts(channel="shopify", shop="web", amount=Money.of("35", "EUR"),
    ...                    country="DE", weight_g=800)
    >>> decision = rules.decide(facts)
    >>> decision.rule, decision.warehouse, decision.service
    ('eu-from-berlin', 'BER', 'dhl-parcel')
    >>> print(rules.explain(facts))
    rules[0] 'big-to-express' did not match: amount is 35.00 EUR, expected at least 100.00 EUR
    rules[1] 'eu-from-berlin' matched: warehouse BER, service dhl-parcel
    >>> RuleSet.from_dict({"rules": [{"name": "x", "actions": {"warehous": "BER"}}]})
    Traceback (most recent call last):
    ...
    ecerp.domain.routing.RuleError: rule 'x' (rules[0]): actions.warehous: unknown key (allowed: hold, priority, service, tags, warehouse)

:func:`dry_run` applies a rule set to past orders' facts and reports which
would change warehouse, service or hold, from what to what.

Everything here is pure: no I/O, no clock.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections.abc import Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, NoReturn

import attrs

from ecerp.domain.catalog import Catalog
from ecerp.domain.errors import EcerpError, ValidationError
from ecerp.domain.money import Money, money_validator, optional_money_validator
from ecerp.domain.orders import Order
from ecerp.domain.values import (
    MAX_NOTE_LEN,
    code_validator,
    require_code,
    require_priority,
    require_text,
    values_of,
)

#: Version of the rule-set data format written by :meth:`RuleSet.to_dict`.
FORMAT_VERSION = 1


class RuleError(ValidationError):
    """A rule set is malformed.

    ``rule`` is the rule's name when it has a valid one, ``index`` its
    position in the list (0-based, as in ``rules[2]``), ``field`` the path
    inside the rule (``conditions.amount.min``).  For a problem with the rule
    set as a whole, ``rule`` and ``index`` are ``None`` and ``field`` is the
    top-level key (``version``, ``rules``) or ``""``.
    """

    rule: str | None
    index: int | None

    def __init__(
        self, rule: str | None, index: int | None, field: str, value: object, reason: str
    ) -> None:
        where = _rule_label(rule, index) or "rule set"
        at = f"{field}: " if field else ""
        EcerpError.__init__(
            self,
            f"{where}: {at}{reason}",
            rule=rule,
            index=index,
            field=field,
            value=value,
            reason=reason,
        )


def _rule_label(rule: str | None, index: int | None) -> str:
    if rule is not None and index is not None:
        return f"rule {rule!r} (rules[{index}])"
    if rule is not None:
        return f"rule {rule!r}"
    if index is not None:
        return f"rules[{index}]"
    return ""


# --- small value helpers -------------------------------------------------------


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


# --- facts ---------------------------------------------------------------------


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


# --- conditions ----------------------------------------------------------------


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


# --- actions, rules, decisions -------------------------------------------------


def _opt_code(_: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_code(attribute.name, value)


def _opt_reason(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError(attribute.name, value, "must be a non-empty reason")
    if value is not None:
        require_text(attribute.name, value, MAX_NOTE_LEN)


def _opt_priority(_: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_priority(attribute.name, value)


@attrs.frozen
class Actions:
    """What a matching rule does: at least one of these.

    ``hold`` is the reason the order is held for review; ``tags`` are added
    to the order's tags; ``priority`` replaces the order's priority.
    """

    warehouse: str | None = attrs.field(default=None, validator=_opt_code)
    service: str | None = attrs.field(default=None, validator=_opt_code)
    hold: str | None = attrs.field(default=None, validator=_opt_reason)
    tags: frozenset[str] = attrs.field(
        default=frozenset(), converter=_names, validator=_tags_validator
    )
    priority: int | None = attrs.field(default=None, validator=_opt_priority)

    def __attrs_post_init__(self) -> None:
        if (
            self.warehouse is None
            and self.service is None
            and self.hold is None
            and not self.tags
            and self.priority is None
        ):
            raise ValidationError(
                "actions",
                {},
                "a rule needs at least one action (warehouse, service, hold, tags or priority)",
            )

    def __str__(self) -> str:
        parts = []
        if self.warehouse is not None:
            parts.append(f"warehouse {self.warehouse}")
        if self.service is not None:
            parts.append(f"service {self.service}")
        if self.hold is not None:
            parts.append(f"hold ({self.hold})")
        if self.tags:
            parts.append("tags " + " ".join(f"+{t}" for t in sorted(self.tags)))
        if self.priority is not None:
            parts.append(f"priority {self.priority}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in ("warehouse", "service", "hold"):
            value = getattr(self, key)
            if value is not None:
                result[key] = value
        if self.tags:
            result["tags"] = sorted(self.tags)
        if self.priority is not None:
            result["priority"] = self.priority
        return result


def _bool_validator(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, value, "must be true or false")


@attrs.frozen
class Rule:
    """A named rule: when ``conditions`` hold, do ``actions``."""

    name: str = attrs.field(validator=code_validator)
    actions: Actions = attrs.field(validator=attrs.validators.instance_of(Actions))
    conditions: Conditions = attrs.field(
        factory=Conditions, validator=attrs.validators.instance_of(Conditions)
    )
    enabled: bool = attrs.field(default=True, validator=_bool_validator)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"name": self.name, "enabled": self.enabled}
        conditions = self.conditions.to_dict()
        if conditions:
            result["conditions"] = conditions
        result["actions"] = self.actions.to_dict()
        return result


@attrs.frozen
class Decision:
    """The outcome of routing one order: the rule that matched and its
    actions, or neither (:meth:`none`)."""

    rule: str | None = None
    actions: Actions | None = None

    def __attrs_post_init__(self) -> None:
        if (self.rule is None) != (self.actions is None):
            raise ValidationError(
                "rule", self.rule, "a decision has a rule and actions, or neither"
            )

    @classmethod
    def none(cls) -> Decision:
        """No rule decided."""
        return cls()

    @property
    def matched(self) -> bool:
        return self.rule is not None

    @property
    def warehouse(self) -> str | None:
        return self.actions.warehouse if self.actions is not None else None

    @property
    def service(self) -> str | None:
        return self.actions.service if self.actions is not None else None

    @property
    def hold(self) -> str | None:
        return self.actions.hold if self.actions is not None else None

    @property
    def tags(self) -> frozenset[str]:
        return self.actions.tags if self.actions is not None else frozenset()

    @property
    def priority(self) -> int | None:
        return self.actions.priority if self.actions is not None else None

    def __str__(self) -> str:
        if self.rule is None:
            return "no rule matched"
        return f"rule {self.rule!r}: {self.actions}"


@attrs.frozen
class RuleCheck:
    """Why one rule did not match: it is disabled, or these conditions failed."""

    rule: str
    index: int
    enabled: bool
    failures: tuple[Failure, ...] = ()

    def __str__(self) -> str:
        label = f"rules[{self.index}] {self.rule!r}"
        if not self.enabled:
            return f"{label} is disabled"
        return f"{label} did not match: " + "; ".join(f.message for f in self.failures)


@attrs.frozen
class Explanation:
    """Which rule decided (``decision``, ``index``) and, for each rule before
    it (all rules when none matched), why it did not."""

    decision: Decision
    index: int | None
    skipped: tuple[RuleCheck, ...]

    def lines(self) -> tuple[str, ...]:
        result = [str(check) for check in self.skipped]
        if self.decision.rule is None:
            result.append("no rule matched")
        else:
            result.append(
                f"rules[{self.index}] {self.decision.rule!r} matched: {self.decision.actions}"
            )
        return tuple(result)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _unique_names(_: Any, __: Any, rules: tuple[Rule, ...]) -> None:
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if not isinstance(rule, Rule):
            raise RuleError(None, i, "", rule, "must be a Rule")
        if rule.name in seen:
            raise RuleError(
                rule.name,
                i,
                "name",
                rule.name,
                f"duplicate rule name (also rules[{seen[rule.name]}])",
            )
        seen[rule.name] = i


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    rules = values_of("rules", value)
    for rule in rules:
        if not isinstance(rule, Rule):
            raise ValidationError("rules", rule, "must be a Rule")
    return rules


@attrs.frozen
class RuleSet:
    """Ordered routing rules; the first enabled rule that matches decides."""

    rules: tuple[Rule, ...] = attrs.field(default=(), converter=_rules, validator=_unique_names)

    def decide(self, facts: OrderFacts) -> Decision:
        """The first enabled rule whose conditions ``facts`` meets, or
        :meth:`Decision.none`."""
        for rule in self.rules:
            if rule.enabled and rule.conditions.matches(facts):
                return Decision(rule.name, rule.actions)
        return Decision.none()

    def explain(self, facts: OrderFacts) -> Explanation:
        """The decision, with every earlier rule's reasons for not matching."""
        skipped = []
        for i, rule in enumerate(self.rules):
            if not rule.enabled:
                skipped.append(RuleCheck(rule.name, i, enabled=False))
                continue
            failures = rule.conditions.failures(facts)
            if not failures:
                return Explanation(Decision(rule.name, rule.actions), i, tuple(skipped))
            skipped.append(RuleCheck(rule.name, i, enabled=True, failures=failures))
        return Explanation(Decision.none(), None, tuple(skipped))

    # --- data ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data (str, int, bool, lists, dicts) that :meth:`from_dict`
        reads back to an equal rule set; JSON- and TOML-friendly.  Sets come
        out sorted, money amounts as decimal strings."""
        return {"version": FORMAT_VERSION, "rules": [rule.to_dict() for rule in self.rules]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """A rule set from plain data: ``{"version": 1, "rules": [...]}``
        (``version`` optional).

        Money amounts may be decimal strings, ints or ``Decimal``; floats are
        refused (use :meth:`from_json`/:meth:`from_toml`, which read decimals
        exactly).

        Raises:
            RuleError: the first problem found, naming the rule and field.
        """
        top = _Reader(None, None)
        data = top.mapping(data, "", ("version", "rules"))
        if "version" in data and (
            type(data["version"]) is not int or data["version"] != FORMAT_VERSION
        ):
            top.fail(
                "version", data["version"], f"unsupported version (this reads {FORMAT_VERSION})"
            )
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list | tuple):
            top.fail("rules", raw_rules, "must be a list of rules")
        rules = [_read_rule(item, i) for i, item in enumerate(raw_rules)]
        return cls(rules)

    @classmethod
    def from_json(cls, text: str) -> RuleSet:
        """Read JSON text (numbers with a fraction are read as ``Decimal``).

        Raises:
            RuleError: not JSON, or a rule is malformed.
        """
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as err:
            raise RuleError(None, None, "", None, f"not valid JSON: {err}") from None
        return cls.from_dict(data)

    @classmethod
    def from_toml(cls, text: str) -> RuleSet:
        """Read TOML text (``[[rules]]`` tables; floats read as ``Decimal``).

        Raises:
            RuleError: not TOML, or a rule is malformed.
        """
        try:
            data = tomllib.loads(text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as err:
            raise RuleError(None, None, "", None, f"not valid TOML: {err}") from None
        return cls.from_dict(data)


# --- loading -------------------------------------------------------------------

_CONDITION_KEYS = tuple(f.name for f in attrs.fields(Conditions))
_NAME_SET_CONDITIONS = frozenset(
    {"channels", "shops", "sites", "countries", "regions", "postcodes", "shipping_levels"}
)
_ACTION_KEYS = ("hold", "priority", "service", "tags", "warehouse")


class _Reader:
    """Reads one rule's data, raising :class:`RuleError` naming it and the path."""

    def __init__(self, rule: str | None, index: int | None) -> None:
        self.rule = rule
        self.index = index

    def fail(self, path: str, value: object, reason: str) -> NoReturn:
        raise RuleError(self.rule, self.index, path, value, reason)

    def mapping(self, value: object, path: str, allowed: Collection[str]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, value, "must be a table/object")
        for key in value:
            if key not in allowed:
                sub = f"{path}.{key}" if path else str(key)
                self.fail(sub, value[key], f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return dict(value)

    def names(self, value: object, path: str, *, allow_empty: bool = False) -> frozenset[str]:
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            self.fail(path, value, "must be a list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item or item != item.strip():
                self.fail(f"{path}[{i}]", item, "must be a non-empty string without outer spaces")
        if not value and not allow_empty:
            self.fail(path, value, "must not be empty (leave it out to match anything)")
        return frozenset(value)

    def int_(self, value: object, path: str, *, minimum: int | None = None) -> int:
        if type(value) is not int:
            self.fail(path, value, "must be an int")
        if minimum is not None and value < minimum:
            self.fail(path, value, f"must be >= {minimum}")
        return value

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value or value != value.strip():
            self.fail(path, value, "must be a non-empty string without outer spaces")
        return value

    def money(self, amount: object, currency: str, path: str) -> Money:
        if isinstance(amount, float):
            self.fail(path, amount, 'money must not be a float; write it as a string ("12.50")')
        if isinstance(amount, bool) or not isinstance(amount, str | int | Decimal):
            self.fail(path, amount, "must be a decimal string or an int")
        try:
            return Money.of(amount, currency)
        except ValidationError as err:
            self.fail(path, amount, err.reason)

    def built(self, path: str, factory: Any, **kwargs: Any) -> Any:
        """``factory(**kwargs)``, its validation errors named under ``path``."""
        try:
            return factory(**kwargs)
        except ValidationError as err:
            sub = err.field
            full = path if sub in ("", "actions") else f"{path}.{sub}" if path else sub
            self.fail(full, err.value, err.reason)


def _read_rule(item: object, index: int) -> Rule:
    reader = _Reader(None, index)
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        reader.rule = item["name"]
    data = reader.mapping(item, "", ("name", "enabled", "conditions", "actions"))
    if "name" not in data:
        reader.fail("name", None, "a rule needs a name")
    name = reader.text(data["name"], "name")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        reader.fail("enabled", enabled, "must be true or false")
    conditions = _read_conditions(reader, data.get("conditions", {}))
    if "actions" not in data:
        reader.fail("actions", None, "a rule needs actions")
    actions = _read_actions(reader, data["actions"])
    rule: Rule = reader.built(
        "", Rule, name=name, actions=actions, conditions=conditions, enabled=enabled
    )
    return rule


def _read_conditions(reader: _Reader, raw: object) -> Conditions:
    data = reader.mapping(raw, "conditions", _CONDITION_KEYS)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        path = f"conditions.{key}"
        if key in _NAME_SET_CONDITIONS:
            kwargs[key] = reader.names(value, path)
        elif key == "amount":
            kwargs[key] = _read_amount(reader, value, path)
        elif key in ("weight_g", "lines"):
            rng = reader.mapping(value, path, ("min", "max"))
            if not rng:
                reader.fail(path, value, "give min, max or both")
            bounds = {k: reader.int_(v, f"{path}.{k}", minimum=0) for k, v in rng.items()}
            kwargs[key] = reader.built(path, IntRange, **bounds)
        else:  # skus, categories, tags
            match = reader.mapping(value, path, ("any", "all", "none"))
            if not match:
                reader.fail(path, value, "give any, all, none or several of them")
            sets = {f"{k}_of": reader.names(v, f"{path}.{k}") for k, v in match.items()}
            kwargs[key] = reader.built(path, SetMatch, **sets)
    result: Conditions = reader.built("conditions", Conditions, **kwargs)
    return result


def _read_amount(reader: _Reader, raw: object, path: str) -> AmountRange:
    data = reader.mapping(raw, path, ("currency", "min", "max"))
    if "currency" not in data:
        reader.fail(f"{path}.currency", None, "an amount range needs its currency")
    currency = data["currency"]
    try:
        Money.zero(currency)
    except (ValidationError, TypeError):
        reader.fail(f"{path}.currency", currency, "not an ISO 4217 currency code ecerp knows")
    if "min" not in data and "max" not in data:
        reader.fail(path, raw, "give min, max or both")
    bounds = {
        k: reader.money(data[k], currency, f"{path}.{k}") for k in ("min", "max") if k in data
    }
    result: AmountRange = reader.built(path, AmountRange, **bounds)
    return result


def _read_actions(reader: _Reader, raw: object) -> Actions:
    data = reader.mapping(raw, "actions", _ACTION_KEYS)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        path = f"actions.{key}"
        if key == "tags":
            kwargs[key] = reader.names(value, path, allow_empty=True)
        elif key == "priority":
            kwargs[key] = reader.int_(value, path)
        elif key == "hold":
            if not isinstance(value, str) or not value.strip():
                reader.fail(path, value, "must be a non-empty reason")
            kwargs[key] = value
        else:
            kwargs[key] = reader.text(value, path)
    result: Actions = reader.built("actions", Actions, **kwargs)
    return result


# --- dry run -------------------------------------------------------------------

#: The decision fields a dry run compares, in report order.
ROUTED_FIELDS: tuple[str, ...] = ("warehouse", "service", "hold")


@attrs.frozen
class RouteChange:
    """Order ``order`` would get ``field`` = ``after`` instead of ``before``
    (``None``: not set by any rule), decided by ``rule``."""

    order: str
    field: str
    before: str | None
    after: str | None
    rule: str | None

    def __str__(self) -> str:
        by = f" (rule {self.rule!r})" if self.rule is not None else " (no rule)"
        return f"{self.order}: {self.field} {_show_one(self.before)} -> {_show_one(self.after)}{by}"


def dry_run(
    ruleset: RuleSet,
    facts_by_order: Mapping[str, OrderFacts],
    current: Mapping[str, Decision],
) -> list[RouteChange]:
    """What routing with ``ruleset`` would change for each order in
    ``facts_by_order`` compared with its ``current`` decision (an order
    missing from ``current`` had :meth:`Decision.none`).

    Only warehouse, service and hold are compared (:data:`ROUTED_FIELDS`);
    tags and priority are not reported.  The result is sorted by order id,
    then field, so it does not depend on the mappings' order.
    """
    changes: list[RouteChange] = []
    for order in sorted(facts_by_order):
        after = ruleset.decide(facts_by_order[order])
        before = current.get(order, Decision.none())
        for field in ROUTED_FIELDS:
            old, new = getattr(before, field), getattr(after, field)
            if old != new:
                changes.append(RouteChange(order, field, old, new, after.rule))
    return changes


__all__ = [
    "FORMAT_VERSION",
    "ROUTED_FIELDS",
    "Actions",
    "AmountRange",
    "Conditions",
    "Decision",
    "Explanation",
    "Failure",
    "IntRange",
    "OrderFacts",
    "RouteChange",
    "Rule",
    "RuleCheck",
    "RuleError",
    "RuleSet",
    "SetMatch",
    "dry_run",
]
