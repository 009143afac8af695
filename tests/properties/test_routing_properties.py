"""Properties of routing rules and freight quotes.

Routing: the decision is the first enabled rule whose conditions all hold,
checked against a model written here from the documented semantics; it does
not depend on the order orders come in; ``explain`` agrees with ``decide``;
rule sets survive ``to_dict``/``from_dict`` and JSON.

Freight: ``cheapest`` is the minimum of ``quote`` over the tables that
qualify; chargeable weight is never below actual (nor below volumetric)
weight; quotes are rounded to the currency's minor unit and their breakdown
adds up; a heavier parcel never costs less; rate tables survive
``to_dict``/``from_dict``.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from ecerp.domain.carriers.parcels import Parcel, Quote
from ecerp.domain.carriers.rates import RateTable, cheapest, quote
from ecerp.domain.carriers.zones import Fee, RemoteArea, Zone, ZonePrice
from ecerp.domain.catalog.products import Dimensions
from ecerp.domain.routing.conditions import AmountRange, Conditions, IntRange, SetMatch
from ecerp.domain.routing.dry_run import ROUTED_FIELDS, dry_run
from ecerp.domain.routing.facts import OrderFacts
from ecerp.domain.routing.rules import Actions, Decision, Rule, RuleSet
from ecerp.domain.shared.money import Money, minor_unit
from ecerp.testing import strategies as es

# --- small worlds ------------------------------------------------------------------

CHANNELS = ("amazon", "ebay", "shopify")
SHOPS = ("amz-de", "amz-jp", "web")
SITES = ("amazon.de", "amazon.co.jp")
COUNTRIES = ("DE", "FR", "US", "JP")
REGIONS = ("BY", "CA", "NRW")
POSTCODES = ("10115", "14999", "80331", "SW1A 1AA", "100-0001", "")
PATTERNS = ("1*", "8033?", "sw1a*", "100-0*", "1[0-4]*", "*")
SKUS = ("A", "B", "C", "D")
CATEGORIES = ("kitchen", "decor", "batteries")
TAGS = ("fragile", "vip", "gift")
LEVELS = ("standard", "express")
CURRENCIES = ("EUR", "USD")


def rounded_money(currency: str) -> st.SearchStrategy[Money]:
    def to_money(amount: Decimal) -> Money:
        return Money(amount, currency)

    return es.amounts(currency, max_units=50_000).map(to_money)


ORDER_AMOUNTS = {c: rounded_money(c) for c in CURRENCIES}
AMOUNT_BOUNDS = {c: st.none() | ORDER_AMOUNTS[c] for c in CURRENCIES}


def names(values: Sequence[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values), min_size=1)


def cased(values: Sequence[str]) -> st.SearchStrategy[str]:
    """A value as an order may spell it (countries and regions in any case)."""
    return st.tuples(st.sampled_from(values), st.booleans()).map(
        lambda vb: vb[0].lower() if vb[1] else vb[0]
    )


def order_facts() -> st.SearchStrategy[OrderFacts]:
    return st.builds(
        OrderFacts,
        channel=st.sampled_from(CHANNELS),
        shop=st.sampled_from(SHOPS),
        amount=st.one_of(*(ORDER_AMOUNTS[c] for c in CURRENCIES)),
        site=st.none() | st.sampled_from(SITES),
        country=cased(COUNTRIES) | st.just(""),
        region=cased(REGIONS) | st.just(""),
        postcode=st.sampled_from(POSTCODES),
        weight_g=st.integers(0, 40_000),
        skus=st.frozensets(st.sampled_from(SKUS)),
        categories=st.frozensets(st.sampled_from(CATEGORIES)),
        tags=st.frozensets(st.sampled_from(TAGS)),
        line_count=st.integers(0, 6),
        shipping_level=st.sampled_from((*LEVELS, "")),
    )


@st.composite
def int_ranges(draw: st.DrawFn, top: int) -> IntRange:
    bound = st.none() | st.integers(0, top)
    low, high = draw(st.tuples(bound, bound).filter(lambda b: b != (None, None)))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return IntRange(low, high)


@st.composite
def amount_ranges(draw: st.DrawFn) -> AmountRange:
    bound = AMOUNT_BOUNDS[draw(st.sampled_from(CURRENCIES))]
    low, high = draw(st.tuples(bound, bound).filter(lambda b: b != (None, None)))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return AmountRange(low, high)


def set_matches(values: Sequence[str]) -> st.SearchStrategy[SetMatch]:
    part = st.none() | names(values)
    return (
        st.tuples(part, part, part)
        .filter(lambda t: t != (None, None, None))
        .map(lambda t: SetMatch(*t))
    )


CONDITION_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "channels": names(CHANNELS),
    "shops": names(SHOPS),
    "sites": names(SITES),
    "countries": names(COUNTRIES),
    "regions": names(REGIONS),
    "postcodes": names(PATTERNS),
    "amount": amount_ranges(),
    "weight_g": int_ranges(40_000),
    "skus": set_matches(SKUS),
    "categories": set_matches(CATEGORIES),
    "tags": set_matches(TAGS),
    "lines": int_ranges(6),
    "shipping_levels": names(LEVELS),
}


@st.composite
def conditions(draw: st.DrawFn) -> Conditions:
    """A few conditions at a time, so that rules match now and then."""
    chosen = draw(st.sets(st.sampled_from(sorted(CONDITION_VALUES)), max_size=3))
    return Conditions(**{name: draw(CONDITION_VALUES[name]) for name in chosen})


ACTION_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "warehouse": st.none() | st.sampled_from(("BER", "SZ", "OSA")),
    "service": st.none() | st.sampled_from(("dhl-parcel", "yun-express")),
    "hold": st.none() | st.sampled_from(("check fraud", "pack by hand")),
    "tags": st.frozensets(st.sampled_from(TAGS)),
    "priority": st.none() | st.integers(-5, 5),
}


@st.composite
def actions(draw: st.DrawFn) -> Actions:
    kwargs = {name: draw(values) for name, values in ACTION_VALUES.items()}
    if not any(kwargs.values()):
        kwargs["warehouse"] = "BER"
    return Actions(**kwargs)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    count = draw(st.integers(0, 6))
    return RuleSet(
        Rule(f"r{i}", draw(actions()), draw(conditions()), enabled=draw(st.booleans()))
        for i in range(count)
    )


# --- an independent model of the documented semantics --------------------------------


def norm_postcode(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def within(low: Any, high: Any, value: Any) -> bool:
    return (low is None or low <= value) and (high is None or value <= high)


def set_ok(match: SetMatch | None, actual: frozenset[str]) -> bool:
    if match is None:
        return True
    return (
        (match.any_of is None or any(x in actual for x in match.any_of))
        and (match.all_of is None or all(x in actual for x in match.all_of))
        and (match.none_of is None or not any(x in actual for x in match.none_of))
    )


def model_matches(c: Conditions, f: OrderFacts) -> bool:
    def one_of(allowed: frozenset[str] | None, value: str | None, fold: bool = False) -> bool:
        if allowed is None:
            return True
        if fold:
            return value is not None and value.upper() in {a.upper() for a in allowed}
        return value in allowed

    amount_ok = True
    if c.amount is not None:
        bounds = [b for b in (c.amount.min, c.amount.max) if b is not None]
        amount_ok = f.amount.currency == bounds[0].currency and within(
            # "is not None": a bound of zero is a bound (and zero Money is falsy)
            c.amount.min.amount if c.amount.min is not None else None,
            c.amount.max.amount if c.amount.max is not None else None,
            f.amount.amount,
        )
    return (
        one_of(c.channels, f.channel)
        and one_of(c.shops, f.shop)
        and one_of(c.sites, f.site)
        and one_of(c.countries, f.country, fold=True)
        and one_of(c.regions, f.region, fold=True)
        and (
            c.postcodes is None
            or any(
                fnmatch.fnmatchcase(norm_postcode(f.postcode), norm_postcode(p))
                for p in c.postcodes
            )
        )
        and amount_ok
        and (c.weight_g is None or within(c.weight_g.min, c.weight_g.max, f.weight_g))
        and set_ok(c.skus, f.skus)
        and set_ok(c.categories, f.categories)
        and set_ok(c.tags, f.tags)
        and (c.lines is None or within(c.lines.min, c.lines.max, f.line_count))
        and one_of(c.shipping_levels, f.shipping_level)
    )


# --- routing properties ----------------------------------------------------------------


@given(rule_sets(), order_facts())
def test_the_first_enabled_rule_whose_conditions_all_hold_decides(
    rules: RuleSet, facts: OrderFacts
) -> None:
    expected = next(
        (r for r in rules.rules if r.enabled and model_matches(r.conditions, facts)), None
    )

    decision = rules.decide(facts)

    if expected is None:
        assert decision == Decision.none()
    else:
        assert decision == Decision(expected.name, expected.actions)


@given(rule_sets(), order_facts())
def test_explain_agrees_with_decide_and_gives_a_reason_for_every_skipped_rule(
    rules: RuleSet, facts: OrderFacts
) -> None:
    explanation = rules.explain(facts)

    assert explanation.decision == rules.decide(facts)
    assert [c.index for c in explanation.skipped] == list(range(len(explanation.skipped)))
    for check in explanation.skipped:
        assert (not check.enabled) or check.failures
        assert all(f.message for f in check.failures)
    if explanation.decision.matched:
        assert explanation.index == len(explanation.skipped)
    else:
        assert len(explanation.skipped) == len(rules.rules)


@given(
    rule_sets(),
    st.lists(order_facts(), max_size=8).flatmap(
        lambda fs: st.tuples(st.just(fs), st.permutations(range(len(fs))))
    ),
    rule_sets(),
)
def test_routing_is_deterministic_and_independent_of_the_order_of_orders(
    rules: RuleSet, facts_and_order: tuple[list[OrderFacts], list[int]], before: RuleSet
) -> None:
    all_facts, permutation = facts_and_order
    orders = {f"o{i}": f for i, f in enumerate(all_facts)}
    shuffled = {f"o{i}": all_facts[i] for i in permutation}
    current = {k: before.decide(f) for k, f in orders.items()}
    current_shuffled = {k: current[k] for k in reversed(list(shuffled))}

    assert {k: rules.decide(f) for k, f in shuffled.items()} == {
        k: rules.decide(f) for k, f in orders.items()
    }
    changes = dry_run(rules, orders, current)
    assert dry_run(rules, shuffled, current_shuffled) == changes
    assert dry_run(rules, orders, current) == changes


@given(
    rule_sets(),
    rule_sets(),
    st.lists(order_facts(), max_size=8),
)
def test_a_dry_run_turns_the_current_decisions_into_the_new_ones(
    old: RuleSet, new: RuleSet, all_facts: list[OrderFacts]
) -> None:
    orders = {f"o{i}": f for i, f in enumerate(all_facts)}
    current = {k: old.decide(f) for k, f in orders.items()}

    routed = {k: {name: getattr(d, name) for name in ROUTED_FIELDS} for k, d in current.items()}
    for change in dry_run(new, orders, current):
        assert routed[change.order][change.field] == change.before
        routed[change.order][change.field] = change.after

    assert routed == {
        k: {name: getattr(new.decide(f), name) for name in ROUTED_FIELDS} for k, f in orders.items()
    }


@given(rule_sets())
def test_a_rule_set_survives_its_dict_and_json(rules: RuleSet) -> None:
    assert RuleSet.from_dict(rules.to_dict()) == rules
    assert RuleSet.from_json(rules.to_json()) == rules


# --- freight strategies ----------------------------------------------------------------

ZONE_COUNTRIES = ("DE", "FR", "US", "*")
PARCEL_COUNTRIES = ("DE", "FR", "US", "JP")
PREFIXES = ("1", "10", "80", "SW1")
PARCEL_POSTCODES = ("10115", "80331", "SW1A 1AA", "20000", "")


@functools.cache
def money_in(currency: str, max_units: int = 5_000) -> st.SearchStrategy[Money]:
    """Amounts, some with digits beyond the minor unit (list prices like 4.995)."""

    def to_money(amount: Decimal) -> Money:
        return Money(amount, currency)

    return st.one_of(
        *(
            es.amounts(currency, max_units=max_units, extra_digits=extra).map(to_money)
            for extra in (0, 1, 2)
        )
    )


ZONE_ENTRIES = st.lists(
    st.tuples(
        st.sampled_from(("z1", "z2", "z3")),
        st.sampled_from(ZONE_COUNTRIES),
        st.none() | st.sampled_from(("BY", "CA")),
        st.none() | st.sampled_from(PREFIXES),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda e: (e[1], e[2], e[3]),
)
SERVICES = st.tuples(st.sampled_from(("dhl", "dpd", "ups")), st.sampled_from(("std", "exp")))
TABLE_CURRENCIES = st.sampled_from(("EUR", "JPY", "KWD"))
FIRST_G = st.integers(1, 5_000)
STEP_G = st.integers(1, 2_000)
FEE_NAMES = st.sampled_from(("handling", "peak"))
AREA_COUNTRIES = st.sampled_from(PARCEL_COUNTRIES)
AREA_PREFIXES = st.sampled_from((*PREFIXES, "2"))
DIVISORS = st.none() | st.sampled_from((4000, 5000, 6000)) | st.integers(1, 9999)
FUEL = st.decimals(min_value=0, max_value=30, places=2)
MAX_WEIGHTS = st.none() | st.integers(1, 40_000)
MAX_SIDE = st.integers(1, 2_000)
MAX_DIMENSIONS = st.none() | st.builds(Dimensions, MAX_SIDE, MAX_SIDE, MAX_SIDE)


@st.composite
def rate_tables(
    draw: st.DrawFn, currency: str | None = None, carrier_service: tuple[str, str] | None = None
) -> RateTable:
    if currency is None:
        currency = draw(TABLE_CURRENCIES)
    if carrier_service is None:
        carrier_service = draw(SERVICES)
    zones = [Zone(*entry) for entry in draw(ZONE_ENTRIES)]
    prices = [
        ZonePrice(
            name,
            draw(FIRST_G),
            draw(money_in(currency)),
            draw(STEP_G),
            draw(money_in(currency, 1_000)),
        )
        for name in sorted({z.zone for z in zones})
    ]
    fees = draw(st.lists(st.builds(Fee, FEE_NAMES, money_in(currency, 500)), max_size=2))
    areas = draw(
        st.lists(
            st.builds(RemoteArea, AREA_COUNTRIES, AREA_PREFIXES, money_in(currency, 1_000)),
            max_size=2,
        )
    )
    return RateTable(
        *carrier_service,
        currency,
        zones=zones,
        prices=prices,
        volumetric_divisor=draw(DIVISORS),
        fees=fees,
        fuel_percent=draw(FUEL),
        remote_areas=areas,
        max_weight_g=draw(MAX_WEIGHTS),
        max_dimensions=draw(MAX_DIMENSIONS),
        refuses_po_boxes=draw(st.booleans()),
    )


def parcels(max_weight_g: int = 40_000) -> st.SearchStrategy[Parcel]:
    side = st.integers(1, 1_500)
    return st.builds(
        Parcel,
        st.integers(0, max_weight_g),
        st.none() | st.builds(Dimensions, side, side, side),
        country=st.sampled_from(PARCEL_COUNTRIES),
        region=st.sampled_from(("BY", "CA", "")),
        postcode=st.sampled_from(PARCEL_POSTCODES),
    )


SERVICE_LISTS = st.lists(SERVICES, max_size=5, unique=True)


@st.composite
def tables_in_one_currency(draw: st.DrawFn) -> list[RateTable]:
    currency = draw(TABLE_CURRENCIES)
    return [draw(rate_tables(currency, service)) for service in draw(SERVICE_LISTS)]


def key(q: Quote) -> tuple[Decimal, str, str]:
    return (q.amount.amount, q.carrier, q.service)


# --- freight properties ----------------------------------------------------------------


@given(
    tables_in_one_currency().flatmap(lambda ts: st.tuples(st.just(ts), st.permutations(ts))),
    parcels(),
)
def test_cheapest_is_the_lowest_quote_of_the_tables_that_qualify(
    tables_and_shuffled: tuple[list[RateTable], list[RateTable]], parcel: Parcel
) -> None:
    tables, shuffled = tables_and_shuffled
    quotes = [q for q in (quote(t, parcel) for t in tables) if q is not None]

    best = cheapest(tables, parcel)

    assert best == min(quotes, key=key, default=None)
    assert cheapest(shuffled, parcel) == best


@given(rate_tables(), parcels())
def test_chargeable_weight_is_never_below_actual_or_volumetric_weight(
    table: RateTable, parcel: Parcel
) -> None:
    chargeable = table.chargeable_weight_g(parcel)

    assert chargeable >= parcel.weight_g
    if table.volumetric_divisor is not None and parcel.dimensions is not None:
        d = parcel.dimensions
        # the carriers' formula: cm x cm x cm / divisor = kg
        volumetric_kg = (
            Fraction(d.length_mm, 10)
            * Fraction(d.width_mm, 10)
            * Fraction(d.height_mm, 10)
            / table.volumetric_divisor
        )
        assert chargeable >= math.ceil(volumetric_kg * 1000)
        assert chargeable == max(parcel.weight_g, math.ceil(volumetric_kg * 1000))
    else:
        assert chargeable == parcel.weight_g


@given(rate_tables(), parcels())
def test_quotes_are_rounded_to_the_minor_unit_and_their_breakdown_adds_up(
    table: RateTable, parcel: Parcel
) -> None:
    q = quote(table, parcel)

    assert (q is None) == (table.refusal(parcel) is not None)
    if q is None:
        return
    digits = minor_unit(table.currency)
    assert q.amount.currency == table.currency
    assert q.amount.is_rounded
    assert q.amount.amount.as_tuple().exponent == -digits
    assert all(line.amount.is_rounded for line in q.breakdown)
    assert sum((line.amount.amount for line in q.breakdown), Decimal(0)) == q.amount.amount
    assert q.chargeable_weight_g >= q.actual_weight_g == parcel.weight_g


@given(rate_tables(), parcels(), st.integers(0, 5_000))
def test_a_heavier_parcel_never_costs_less(table: RateTable, parcel: Parcel, extra_g: int) -> None:
    heavier = attrs.evolve(parcel, weight_g=parcel.weight_g + extra_g)
    light, heavy = quote(table, parcel), quote(table, heavier)

    if light is not None and heavy is not None:
        assert heavy.amount >= light.amount


@given(rate_tables())
def test_a_rate_table_survives_its_dict(table: RateTable) -> None:
    assert RateTable.from_dict(table.to_dict()) == table
