"""Routing rules as data: facts of an order, each condition and action, the
first matching rule winning, ``explain``, loading (with errors that name the
rule and field), a realistic TOML rule file and dry runs."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from ecerp.domain.catalog.aliases import Bundle, Component
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.orders.order import Order
from ecerp.domain.routing.conditions import AmountRange, Conditions, IntRange, SetMatch
from ecerp.domain.routing.dry_run import RouteChange, dry_run
from ecerp.domain.routing.errors import RuleError
from ecerp.domain.routing.facts import OrderFacts
from ecerp.domain.routing.rules import Actions, Decision, Rule, RuleSet
from ecerp.domain.shared.errors import DomainError, ValidationError
from ecerp.domain.shared.money import Money
from worlds import eur

T = datetime(2026, 5, 1, 9, tzinfo=UTC)


def facts(**overrides: Any) -> OrderFacts:
    """A typical Amazon DE order: one mug to Munich, 50 EUR, 1.2 kg."""
    values: dict[str, Any] = {
        "channel": "amazon",
        "shop": "amz-de",
        "site": "amazon.de",
        "amount": eur("50.00"),
        "country": "DE",
        "region": "BY",
        "postcode": "80331",
        "weight_g": 1200,
        "skus": {"MUG-RED"},
        "categories": {"kitchen"},
        "tags": {"fragile"},
        "line_count": 1,
        "shipping_level": "standard",
    }
    values.update(overrides)
    return OrderFacts(**values)


def ship_from(warehouse: str) -> Actions:
    return Actions(warehouse=warehouse)


def rule(name: str, conditions: Conditions | None = None, **actions: Any) -> Rule:
    return Rule(name, Actions(**(actions or {"warehouse": "SZ"})), conditions or Conditions())


# --- facts ---------------------------------------------------------------------------


@pytest.fixture
def catalog() -> Catalog:
    cat = Catalog()
    cat.add_product(Product("MUG", category="kitchen", tags={"ceramic"}))
    cat.add_sku(Sku("MUG-RED", product="MUG", weight_g=350, tags={"fragile"}))
    cat.add_sku(Sku("LID", weight_g=50, category="spares"))
    cat.add_sku(Sku("POSTER", weight_g=120, category="decor", tags={"paper"}))
    cat.add_bundle(Bundle("MUG-SET", (Component("MUG-RED", 2), Component("LID", 2))))
    cat.add_shop(Shop("amz-de", channel="amazon", site="amazon.de", currency="EUR"))
    return cat


def order_in(catalog: Catalog, shop: str = "amz-de") -> Order:
    draft = ChannelOrder(
        channel="amazon",
        shop=shop,
        external_id="302-1",
        ordered_at=T,
        currency="EUR",
        lines=(
            ChannelLine("MUG-SET", 1, eur("30.00")),
            ChannelLine("POSTER", 3, eur("5.00"), discount=eur("1.00")),
        ),
        address=Address(
            "Ann", "Hauptstr. 1", city="Munich", region="BY", postcode="80331", country="DE"
        ),
        paid=True,
        shipping_level="expedited",
        tags={"vip"},
    )
    requirements = catalog.requirements(draft.channel, draft.shop, draft.order_lines(), at=T)
    return Order.from_channel(draft, requirements, at=T, actor="import")


def test_the_facts_of_an_order_sum_weight_over_every_expanded_sku(catalog: Catalog) -> None:
    f = OrderFacts.of(order_in(catalog), catalog)

    # a set of 2 mugs (350 g) and 2 lids (50 g), plus 3 posters (120 g)
    assert f.weight_g == 2 * 350 + 2 * 50 + 3 * 120
    assert f.skus == {"MUG-RED", "LID", "POSTER"}
    assert f.line_count == 2
    # 30.00 + 3 x 5.00 - 1.00
    assert f.amount == eur("44.00")


def test_the_facts_take_categories_and_tags_from_skus_their_products_and_the_order(
    catalog: Catalog,
) -> None:
    f = OrderFacts.of(order_in(catalog), catalog)

    assert f.categories == {"kitchen", "spares", "decor"}  # the mug's from its product
    assert f.tags == {"fragile", "ceramic", "paper", "vip"}


def test_the_facts_carry_channel_shop_site_destination_and_shipping_level(
    catalog: Catalog,
) -> None:
    f = OrderFacts.of(order_in(catalog), catalog)

    assert (f.channel, f.shop, f.site) == ("amazon", "amz-de", "amazon.de")
    assert (f.country, f.region, f.postcode) == ("DE", "BY", "80331")
    assert f.shipping_level == "expedited"


def test_a_given_site_overrides_the_shops_and_an_unknown_shop_has_none(
    catalog: Catalog,
) -> None:
    assert OrderFacts.of(order_in(catalog), catalog, site="amazon.at").site == "amazon.at"
    assert OrderFacts.of(order_in(catalog, shop="amz-xx"), catalog).site is None


def test_facts_of_an_order_whose_sku_left_the_catalog_name_the_sku(catalog: Catalog) -> None:
    order = order_in(catalog)
    smaller = Catalog()
    smaller.add_sku(Sku("LID"))

    with pytest.raises(UnknownSkuError) as err:
        OrderFacts.of(order, smaller)
    assert err.value.code in {"MUG-RED", "POSTER"}


def test_facts_refuse_negative_weight_and_a_bare_string_for_a_set() -> None:
    with pytest.raises(ValidationError) as err:
        facts(weight_g=-1)
    assert err.value.field == "weight_g"
    with pytest.raises(ValidationError):
        facts(skus="MUG-RED")


# --- each condition ------------------------------------------------------------------

CONDITION_CASES: list[tuple[str, Conditions, dict[str, Any], dict[str, Any], str]] = [
    # (id, conditions, facts that match, facts that do not, failing condition)
    ("channel", Conditions(channels={"amazon", "ebay"}), {}, {"channel": "shopify"}, "channels"),
    ("shop", Conditions(shops={"amz-de"}), {}, {"shop": "amz-fr"}, "shops"),
    ("site", Conditions(sites={"amazon.de"}), {}, {"site": "amazon.fr"}, "sites"),
    ("no site", Conditions(sites={"amazon.de"}), {}, {"site": None}, "sites"),
    (
        "country",
        Conditions(countries={"DE", "AT"}),
        {"country": "at"},
        {"country": "FR"},
        "countries",
    ),
    (
        "country free text",
        Conditions(countries={"Deutschland"}),
        {"country": "deutschland"},
        {"country": "DE"},
        "countries",
    ),
    ("region", Conditions(regions={"BY"}), {"region": "by"}, {"region": "BE"}, "regions"),
    (
        "postcode prefix",
        Conditions(postcodes={"80*"}),
        {"postcode": "80331"},
        {"postcode": "10115"},
        "postcodes",
    ),
    (
        "postcode spaces",
        Conditions(postcodes={"SW1A*"}),
        {"postcode": "sw1a 1aa"},
        {"postcode": "SW1 1AA"},
        "postcodes",
    ),
    (
        "postcode hyphen",
        Conditions(postcodes={"100-0*"}),
        {"postcode": "1000001"},
        {"postcode": "101-0001"},
        "postcodes",
    ),
    (
        "postcode range",
        Conditions(postcodes={"1[0-4]*"}),
        {"postcode": "14999"},
        {"postcode": "15000"},
        "postcodes",
    ),
    (
        "postcode one char",
        Conditions(postcodes={"8033?"}),
        {"postcode": "80339"},
        {"postcode": "803391"},
        "postcodes",
    ),
    (
        "amount min",
        Conditions(amount=AmountRange(min=eur("50.00"))),
        {"amount": eur("50.00")},
        {"amount": eur("49.99")},
        "amount",
    ),
    (
        "amount max",
        Conditions(amount=AmountRange(max=eur("50.00"))),
        {"amount": eur("50.00")},
        {"amount": eur("50.01")},
        "amount",
    ),
    (
        "amount currency",
        Conditions(amount=AmountRange(min=eur("10"))),
        {},
        {"amount": Money.of("500", "USD")},
        "amount",
    ),
    (
        "weight min",
        Conditions(weight_g=IntRange(min=1200)),
        {"weight_g": 1200},
        {"weight_g": 1199},
        "weight_g",
    ),
    (
        "weight max",
        Conditions(weight_g=IntRange(max=2000)),
        {"weight_g": 2000},
        {"weight_g": 2001},
        "weight_g",
    ),
    (
        "sku any",
        Conditions(skus=SetMatch(any_of={"MUG-RED", "MUG-BLUE"})),
        {"skus": {"MUG-BLUE", "LID"}},
        {"skus": {"LID"}},
        "skus.any",
    ),
    (
        "sku all",
        Conditions(skus=SetMatch(all_of={"MUG-RED", "LID"})),
        {"skus": {"MUG-RED", "LID", "X"}},
        {"skus": {"MUG-RED"}},
        "skus.all",
    ),
    (
        "sku none",
        Conditions(skus=SetMatch(none_of={"GLASS"})),
        {},
        {"skus": {"MUG-RED", "GLASS"}},
        "skus.none",
    ),
    (
        "category any",
        Conditions(categories=SetMatch(any_of={"kitchen"})),
        {},
        {"categories": {"decor"}},
        "categories.any",
    ),
    (
        "category none",
        Conditions(categories=SetMatch(none_of={"batteries"})),
        {},
        {"categories": {"kitchen", "batteries"}},
        "categories.none",
    ),
    ("tag all", Conditions(tags=SetMatch(all_of={"fragile"})), {}, {"tags": set()}, "tags.all"),
    (
        "lines",
        Conditions(lines=IntRange(min=2, max=3)),
        {"line_count": 3},
        {"line_count": 1},
        "lines",
    ),
    (
        "shipping level",
        Conditions(shipping_levels={"express"}),
        {"shipping_level": "express"},
        {},
        "shipping_levels",
    ),
]


@pytest.mark.parametrize(
    ("conditions", "good", "bad", "failing"),
    [case[1:] for case in CONDITION_CASES],
    ids=[case[0] for case in CONDITION_CASES],
)
def test_each_condition_lets_through_what_it_names_and_stops_the_rest(
    conditions: Conditions, good: dict[str, Any], bad: dict[str, Any], failing: str
) -> None:
    rules = RuleSet([Rule("only", ship_from("SZ"), conditions)])

    assert rules.decide(facts(**good)).rule == "only"
    assert rules.decide(facts(**bad)) == Decision.none()
    assert [f.condition for f in conditions.failures(facts(**bad))] == [failing]
    assert conditions.failures(facts(**good)) == ()


def test_a_rule_without_conditions_catches_every_order() -> None:
    rules = RuleSet([rule("default", warehouse="SH")])

    assert (
        rules.decide(facts(country="JP", channel="web", amount=Money.of("1", "JPY"))).warehouse
        == "SH"
    )


def test_all_conditions_of_a_rule_must_hold() -> None:
    heavy_to_germany = Conditions(countries={"DE"}, weight_g=IntRange(min=2000))

    assert not heavy_to_germany.matches(facts(country="DE", weight_g=1000))
    assert not heavy_to_germany.matches(facts(country="FR", weight_g=3000))
    assert heavy_to_germany.matches(facts(country="DE", weight_g=3000))


def test_tags_the_order_itself_carries_count_like_sku_tags() -> None:
    conditions = Conditions(tags=SetMatch(any_of={"vip"}))

    assert conditions.matches(facts(tags={"vip"}))


# --- first match wins; actions ---------------------------------------------------------


def test_the_first_matching_enabled_rule_decides_and_later_ones_are_ignored() -> None:
    rules = RuleSet(
        [
            rule("us", Conditions(countries={"US"}), warehouse="NJ"),
            rule("paused", Conditions(countries={"DE"}), warehouse="OLD"),
            rule("de", Conditions(countries={"DE"}), warehouse="BER"),
            rule("eu", Conditions(countries={"DE", "FR"}), warehouse="PAR"),
        ]
    )
    rules = attrs.evolve(
        rules,
        rules=[attrs.evolve(r, enabled=r.name != "paused") for r in rules.rules],
    )

    decision = rules.decide(facts(country="DE"))

    assert (decision.rule, decision.warehouse) == ("de", "BER")
    assert rules.decide(facts(country="FR")).warehouse == "PAR"
    assert rules.decide(facts(country="JP")) == Decision.none()


def test_a_decision_carries_every_action_of_its_rule() -> None:
    actions = Actions(
        warehouse="BER", service="dhl-express", hold="check battery rules", tags={"dg"}, priority=9
    )
    decision = RuleSet([Rule("all", actions)]).decide(facts())

    assert decision.matched
    assert decision.actions == actions
    assert (decision.warehouse, decision.service, decision.hold) == (
        "BER",
        "dhl-express",
        "check battery rules",
    )
    assert (decision.tags, decision.priority) == (frozenset({"dg"}), 9)


def test_no_decision_sets_nothing() -> None:
    none = Decision.none()

    assert not none.matched
    assert (none.warehouse, none.service, none.hold, none.priority) == (None, None, None, None)
    assert none.tags == frozenset()
    assert str(none) == "no rule matched"


@pytest.mark.parametrize(
    "actions",
    [
        {"warehouse": "SZ"},
        {"service": "yun-express"},
        {"hold": "manual review"},
        {"tags": {"gift"}},
        {"priority": -1},
    ],
    ids=["warehouse", "service", "hold", "tags", "priority"],
)
def test_any_single_action_makes_a_rule(actions: dict[str, Any]) -> None:
    assert RuleSet([Rule("r", Actions(**actions))]).decide(facts()).rule == "r"


def test_a_rule_with_no_action_is_refused() -> None:
    with pytest.raises(ValidationError):
        Actions()
    with pytest.raises(ValidationError):
        Actions(tags=set())


def test_a_rule_set_refuses_two_rules_with_one_name() -> None:
    with pytest.raises(RuleError) as err:
        RuleSet([rule("a"), rule("b"), rule("a")])

    assert (err.value.rule, err.value.index, err.value.field) == ("a", 2, "name")


def test_ranges_need_a_bound_and_keep_min_at_or_below_max() -> None:
    with pytest.raises(ValidationError):
        IntRange()
    with pytest.raises(ValidationError):
        IntRange(5, 4)
    with pytest.raises(ValidationError):
        AmountRange(min=eur("5"), max=Money.of("9", "USD"))
    with pytest.raises(ValidationError):
        AmountRange(min=eur("9"), max=eur("5"))
    with pytest.raises(ValidationError):
        SetMatch()
    with pytest.raises(ValidationError):
        Conditions(countries=set())


# --- explain ---------------------------------------------------------------------------


def test_explain_says_why_each_earlier_rule_did_not_match_and_which_did() -> None:
    rules = RuleSet(
        [
            rule("us-east", Conditions(countries={"US"}, postcodes={"0*", "1*"}), warehouse="NJ"),
            Rule("winter", Actions(priority=5), enabled=False),
            rule(
                "heavy-eu",
                Conditions(countries={"DE", "FR"}, weight_g=IntRange(min=2000)),
                service="dhl-freight",
            ),
            rule(
                "big-spender",
                Conditions(amount=AmountRange(min=Money.of("100", "USD"))),
                hold="check fraud",
            ),
            rule("eu", Conditions(countries={"DE", "FR"}), warehouse="BER", service="dhl-parcel"),
            rule("never-looked-at", warehouse="X"),
        ]
    )

    explanation = rules.explain(facts(country="DE", postcode="80331", weight_g=1200))

    assert explanation.decision == rules.decide(facts(country="DE", weight_g=1200))
    assert explanation.index == 4
    assert [c.rule for c in explanation.skipped] == ["us-east", "winter", "heavy-eu", "big-spender"]
    assert explanation.lines() == (
        (
            "rules[0] 'us-east' did not match: country is DE, expected one of US;"
            " postcode is 80331, expected one matching 0*, 1*"
        ),
        "rules[1] 'winter' is disabled",
        "rules[2] 'heavy-eu' did not match: weight is 1200 g, expected at least 2000 g",
        (
            "rules[3] 'big-spender' did not match: amount is in EUR, the rule's range is in USD"
            " (rules do not convert currencies)"
        ),
        "rules[4] 'eu' matched: warehouse BER, service dhl-parcel",
    )


def test_explain_gives_expected_and_actual_for_each_failed_condition() -> None:
    rules = RuleSet([rule("tiny", Conditions(weight_g=IntRange(max=500), lines=IntRange(max=1)))])

    (check,) = rules.explain(facts(weight_g=800, line_count=2)).skipped

    assert check.enabled
    assert [(f.condition, f.expected, f.actual) for f in check.failures] == [
        ("weight_g", "at most 500 g", "800 g"),
        ("lines", "at most 1", "2"),
    ]


def test_explain_names_missing_and_forbidden_skus() -> None:
    rules = RuleSet(
        [rule("set", Conditions(skus=SetMatch(all_of={"MUG-RED", "LID"}, none_of={"GLASS"})))]
    )

    (check,) = rules.explain(facts(skus={"MUG-RED", "GLASS"})).skipped

    assert [f.message for f in check.failures] == [
        "SKUs lack LID (expected all of LID, MUG-RED)",
        "SKUs include GLASS (expected none of GLASS)",
    ]


def test_explain_without_a_match_lists_every_rule() -> None:
    rules = RuleSet(
        [rule("us", Conditions(countries={"US"})), rule("jp", Conditions(countries={"JP"}))]
    )

    explanation = rules.explain(facts(country="DE"))

    assert explanation.decision == Decision.none()
    assert explanation.index is None
    assert str(explanation).splitlines() == [
        "rules[0] 'us' did not match: country is DE, expected one of US",
        "rules[1] 'jp' did not match: country is DE, expected one of JP",
        "no rule matched",
    ]


def test_explain_shows_an_empty_destination_as_none() -> None:
    rules = RuleSet([rule("de", Conditions(countries={"DE"}))])

    assert rules.explain(facts(country="")).skipped[0].failures[0].actual == "(none)"


# --- loading ---------------------------------------------------------------------------

RULES_TOML = """
# Routing for a mug shop selling on Amazon EU and its own web shop.
version = 1

[[rules]]
name = "dangerous-goods-hold"
conditions = { categories = { any = ["batteries"] } }
actions = { hold = "lithium batteries: check carrier rules" }

[[rules]]
name = "amazon-jp-from-osaka"
[rules.conditions]
channels = ["amazon"]
sites = ["amazon.co.jp"]
[rules.actions]
warehouse = "OSA"
service = "yamato-ta-q-bin"

[[rules]]
name = "berlin-express-for-big-orders"
[rules.conditions]
countries = ["DE"]
postcodes = ["10*", "12*", "13*", "14*"]
amount = { currency = "EUR", min = "150.00" }
[rules.actions]
warehouse = "BER"
service = "dhl-express"
priority = 10
tags = ["express", "vip"]

[[rules]]
name = "heavy-eu-by-freight"
[rules.conditions]
countries = ["DE", "FR", "AT", "NL"]
weight_g = { min = 20000 }
[rules.actions]
warehouse = "BER"
service = "dhl-freight"

[[rules]]
name = "multi-line-glass-by-hand"
enabled = false
[rules.conditions]
lines = { min = 3 }
skus = { any = ["GLASS-01", "GLASS-02"] }
[rules.actions]
hold = "pack glass by hand"

[[rules]]
name = "eu-default"
[rules.conditions]
countries = ["DE", "FR", "AT", "NL", "BE", "IT", "ES"]
shipping_levels = ["standard", "economy"]
[rules.actions]
warehouse = "BER"
service = "dhl-parcel"

[[rules]]
name = "rest-of-world"
[rules.actions]
warehouse = "SZ"
service = "yun-express"
"""


def test_a_realistic_rule_file_in_toml_routes_a_days_orders() -> None:
    rules = RuleSet.from_toml(RULES_TOML)

    routed = {
        "battery": rules.decide(facts(categories={"kitchen", "batteries"})),
        "tokyo": rules.decide(facts(site="amazon.co.jp", country="JP", postcode="100-0001")),
        "berlin-big": rules.decide(facts(postcode="10115", amount=eur("199.00"))),
        "berlin-small": rules.decide(facts(postcode="10115", amount=eur("19.00"))),
        "heavy-paris": rules.decide(facts(country="FR", weight_g=25_000)),
        "glass": rules.decide(facts(line_count=4, skus={"GLASS-01"})),
        "munich-express": rules.decide(facts(shipping_level="express")),
        "texas": rules.decide(facts(channel="shopify", country="US", amount=Money.of("80", "USD"))),
    }

    assert {k: d.rule for k, d in routed.items()} == {
        "battery": "dangerous-goods-hold",
        "tokyo": "amazon-jp-from-osaka",
        "berlin-big": "berlin-express-for-big-orders",
        "berlin-small": "eu-default",
        "heavy-paris": "heavy-eu-by-freight",
        "glass": "eu-default",  # the glass rule is disabled
        "munich-express": "rest-of-world",  # express is not an EU-default level
        "texas": "rest-of-world",
    }
    assert routed["battery"].hold == "lithium batteries: check carrier rules"
    assert (routed["berlin-big"].priority, routed["berlin-big"].tags) == (
        10,
        frozenset({"express", "vip"}),
    )
    assert (routed["tokyo"].warehouse, routed["tokyo"].service) == ("OSA", "yamato-ta-q-bin")


def test_a_rule_file_round_trips_through_its_dict_and_json() -> None:
    rules = RuleSet.from_toml(RULES_TOML)

    assert RuleSet.from_dict(rules.to_dict()) == rules
    assert RuleSet.from_json(rules.to_json()) == rules
    assert rules.to_dict()["rules"][2]["conditions"]["amount"] == {
        "currency": "EUR",
        "min": "150.00",
    }


def test_json_numbers_are_read_as_exact_decimals() -> None:
    rules = RuleSet.from_json(
        '{"rules": [{"name": "r", "conditions": {"amount": {"currency": "EUR", "max": 19.99}},'
        ' "actions": {"service": "post"}}]}'
    )

    amount = rules.rules[0].conditions.amount
    assert amount is not None
    assert amount.max == eur("19.99")
    assert rules.decide(facts(amount=eur("19.99"))).rule == "r"
    assert rules.decide(facts(amount=eur("20.00"))) == Decision.none()


def test_a_rule_from_data_equals_the_same_rule_built_in_code() -> None:
    loaded = RuleSet.from_dict(
        {
            "rules": [
                {
                    "name": "r",
                    "conditions": {
                        "countries": ["DE"],
                        "amount": {"currency": "EUR", "min": 10, "max": Decimal("20")},
                        "skus": {"none": ["GLASS"]},
                    },
                    "actions": {"warehouse": "BER", "tags": []},
                }
            ]
        }
    )

    assert loaded == RuleSet(
        [
            Rule(
                "r",
                Actions(warehouse="BER"),
                Conditions(
                    countries={"DE"},
                    amount=AmountRange(eur("10"), eur("20")),
                    skus=SetMatch(none_of={"GLASS"}),
                ),
            )
        ]
    )


def good_rule(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "eu",
        "conditions": {"countries": ["DE"]},
        "actions": {"warehouse": "BER"},
    }
    data.update(changes)
    return data


LOAD_ERRORS: list[tuple[str, Any, str | None, int | None, str]] = [
    # (id, data, rule, index, field)
    ("not a mapping", ["x"], None, None, ""),
    ("unknown top key", {"rules": [], "defaults": {}}, None, None, "defaults"),
    ("bad version", {"version": 2, "rules": []}, None, None, "version"),
    ("rules not a list", {"rules": {"name": "x"}}, None, None, "rules"),
    ("rule not a mapping", {"rules": ["eu"]}, None, 0, ""),
    ("no name", {"rules": [{"actions": {"warehouse": "X"}}]}, None, 0, "name"),
    ("blank name", {"rules": [good_rule(name=" ")]}, " ", 0, "name"),
    ("unknown rule key", {"rules": [good_rule(when={})]}, "eu", 0, "when"),
    ("enabled not bool", {"rules": [good_rule(enabled="yes")]}, "eu", 0, "enabled"),
    ("no actions", {"rules": [{"name": "eu"}]}, "eu", 0, "actions"),
    ("empty actions", {"rules": [good_rule(actions={})]}, "eu", 0, "actions"),
    (
        "unknown action",
        {"rules": [good_rule(actions={"carrier": "dhl"})]},
        "eu",
        0,
        "actions.carrier",
    ),
    (
        "priority not int",
        {"rules": [good_rule(actions={"priority": "high"})]},
        "eu",
        0,
        "actions.priority",
    ),
    (
        "priority bool",
        {"rules": [good_rule(actions={"priority": True})]},
        "eu",
        0,
        "actions.priority",
    ),
    (
        "warehouse not str",
        {"rules": [good_rule(actions={"warehouse": 7})]},
        "eu",
        0,
        "actions.warehouse",
    ),
    ("hold blank", {"rules": [good_rule(actions={"hold": " "})]}, "eu", 0, "actions.hold"),
    ("tags a string", {"rules": [good_rule(actions={"tags": "vip"})]}, "eu", 0, "actions.tags"),
    (
        "unknown condition",
        {"rules": [good_rule(conditions={"country": ["DE"]})]},
        "eu",
        0,
        "conditions.country",
    ),
    (
        "countries a string",
        {"rules": [good_rule(conditions={"countries": "DE"})]},
        "eu",
        0,
        "conditions.countries",
    ),
    (
        "countries empty",
        {"rules": [good_rule(conditions={"countries": []})]},
        "eu",
        0,
        "conditions.countries",
    ),
    (
        "country not a string",
        {"rules": [good_rule(conditions={"countries": ["DE", 49]})]},
        "eu",
        0,
        "conditions.countries[1]",
    ),
    (
        "amount float",
        {"rules": [good_rule(conditions={"amount": {"currency": "EUR", "min": 9.5}})]},
        "eu",
        0,
        "conditions.amount.min",
    ),
    (
        "amount bad text",
        {"rules": [good_rule(conditions={"amount": {"currency": "EUR", "max": "ten"}})]},
        "eu",
        0,
        "conditions.amount.max",
    ),
    (
        "amount no currency",
        {"rules": [good_rule(conditions={"amount": {"min": "9"}})]},
        "eu",
        0,
        "conditions.amount.currency",
    ),
    (
        "amount bad currency",
        {"rules": [good_rule(conditions={"amount": {"currency": "EURO", "min": "9"}})]},
        "eu",
        0,
        "conditions.amount.currency",
    ),
    (
        "amount no bound",
        {"rules": [good_rule(conditions={"amount": {"currency": "EUR"}})]},
        "eu",
        0,
        "conditions.amount",
    ),
    (
        "amount min over max",
        {"rules": [good_rule(conditions={"amount": {"currency": "EUR", "min": "9", "max": "1"}})]},
        "eu",
        0,
        "conditions.amount.max",
    ),
    (
        "amount unknown key",
        {"rules": [good_rule(conditions={"amount": {"currency": "EUR", "from": "1"}})]},
        "eu",
        0,
        "conditions.amount.from",
    ),
    (
        "weight text",
        {"rules": [good_rule(conditions={"weight_g": {"max": "2kg"}})]},
        "eu",
        0,
        "conditions.weight_g.max",
    ),
    (
        "weight negative",
        {"rules": [good_rule(conditions={"weight_g": {"min": -1}})]},
        "eu",
        0,
        "conditions.weight_g.min",
    ),
    (
        "weight min over max",
        {"rules": [good_rule(conditions={"weight_g": {"min": 5, "max": 4}})]},
        "eu",
        0,
        "conditions.weight_g.max",
    ),
    (
        "weight empty",
        {"rules": [good_rule(conditions={"weight_g": {}})]},
        "eu",
        0,
        "conditions.weight_g",
    ),
    (
        "lines float",
        {"rules": [good_rule(conditions={"lines": {"min": Decimal("1.5")}})]},
        "eu",
        0,
        "conditions.lines.min",
    ),
    (
        "skus unknown key",
        {"rules": [good_rule(conditions={"skus": {"some": ["A"]}})]},
        "eu",
        0,
        "conditions.skus.some",
    ),
    ("skus empty", {"rules": [good_rule(conditions={"skus": {}})]}, "eu", 0, "conditions.skus"),
    (
        "tags all empty",
        {"rules": [good_rule(conditions={"tags": {"all": []}})]},
        "eu",
        0,
        "conditions.tags.all",
    ),
    (
        "second rule bad",
        {"rules": [good_rule(), good_rule(name="us", conditions={"regions": "CA"})]},
        "us",
        1,
        "conditions.regions",
    ),
    ("duplicate names", {"rules": [good_rule(), good_rule()]}, "eu", 1, "name"),
]


@pytest.mark.parametrize(
    ("data", "rule_name", "index", "field"),
    [case[1:] for case in LOAD_ERRORS],
    ids=[case[0] for case in LOAD_ERRORS],
)
def test_a_bad_rule_file_is_refused_naming_the_rule_and_field(
    data: Any, rule_name: str | None, index: int | None, field: str
) -> None:
    with pytest.raises(RuleError) as err:
        RuleSet.from_dict(data)

    assert (err.value.rule, err.value.index, err.value.field) == (rule_name, index, field)
    assert field in str(err.value)
    if rule_name is not None and rule_name.strip():
        assert repr(rule_name) in str(err.value)


def test_unknown_country_codes_are_free_text_and_load() -> None:
    rules = RuleSet.from_dict(
        {"rules": [good_rule(conditions={"countries": ["Deutschland", "XX"]})]}
    )

    assert rules.decide(facts(country="XX")).rule == "eu"


def test_a_load_error_is_a_domain_error_that_survives_pickling() -> None:
    with pytest.raises(DomainError) as err:
        RuleSet.from_dict({"rules": [good_rule(actions={"priority": "high"})]})

    again = pickle.loads(pickle.dumps(err.value))
    assert isinstance(again, RuleError)
    assert (again.rule, again.index, again.field) == ("eu", 0, "actions.priority")


def test_broken_json_or_toml_is_a_rule_error() -> None:
    with pytest.raises(RuleError, match="not valid JSON"):
        RuleSet.from_json("{rules: ")
    with pytest.raises(RuleError, match="not valid TOML"):
        RuleSet.from_toml("[[rules]\nname = ")


def test_toml_floats_for_money_are_read_exactly() -> None:
    rules = RuleSet.from_toml(
        '[[rules]]\nname = "r"\nconditions = { amount = { currency = "EUR", min = 0.1 } }\n'
        'actions = { warehouse = "X" }\n'
    )

    amount = rules.rules[0].conditions.amount
    assert amount is not None
    assert amount.min == eur("0.1")


# --- dry run ---------------------------------------------------------------------------


def test_a_dry_run_reports_which_orders_would_change_and_from_what_to_what() -> None:
    old = RuleSet(
        [rule("eu", Conditions(countries={"DE", "FR"}), warehouse="BER", service="dhl-parcel")]
    )
    new = RuleSet(
        [
            rule(
                "fr-from-paris", Conditions(countries={"FR"}), warehouse="PAR", service="dhl-parcel"
            ),
            rule("big-hold", Conditions(amount=AmountRange(min=eur("500"))), hold="check fraud"),
            old.rules[0],
        ]
    )
    orders = {
        "o3-paris": facts(country="FR"),
        "o1-berlin": facts(country="DE"),
        "o2-big": facts(country="DE", amount=eur("800.00")),
        "o4-new": facts(country="DE"),
    }
    current = {k: old.decide(f) for k, f in orders.items() if k != "o4-new"}

    changes = dry_run(new, orders, current)

    assert changes == [
        RouteChange("o2-big", "warehouse", "BER", None, "big-hold"),
        RouteChange("o2-big", "service", "dhl-parcel", None, "big-hold"),
        RouteChange("o2-big", "hold", None, "check fraud", "big-hold"),
        RouteChange("o3-paris", "warehouse", "BER", "PAR", "fr-from-paris"),
        RouteChange("o4-new", "warehouse", None, "BER", "eu"),
        RouteChange("o4-new", "service", None, "dhl-parcel", "eu"),
    ]
    assert str(changes[3]) == "o3-paris: warehouse BER -> PAR (rule 'fr-from-paris')"


def test_a_dry_run_of_the_rules_in_force_changes_nothing() -> None:
    rules = RuleSet.from_toml(RULES_TOML)
    orders = {f"o{i}": facts(weight_g=i * 7000) for i in range(5)}

    assert dry_run(rules, orders, {k: rules.decide(f) for k, f in orders.items()}) == []
