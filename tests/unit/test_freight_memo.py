"""Quoting many parcels in a row gives each the price it would get alone,
routing rules decide as their explanations say, and freight is not needed
to rank warehouses when no warehouse has a rate table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from ecerp.domain.carriers.parcels import Parcel
from ecerp.domain.carriers.quoting import Quoter
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.carriers.zones import Fee, RemoteArea, Zone, ZonePrice
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.products import Dimensions, Shop, Sku
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.orders.order import Order
from ecerp.domain.routing.conditions import AmountRange, Conditions, IntRange, SetMatch
from ecerp.domain.routing.facts import OrderFacts
from ecerp.domain.shared.money import Money
from ecerp.usecases.config import Config
from ecerp.usecases.routing.routes import Freight, warehouse_order
from worlds import eur


def table_data() -> dict[str, object]:
    """A table where the destination's country, region and postcode all
    matter, with a remote-area fee, fuel, a weight limit and PO boxes refused."""
    return {
        "carrier": "parcelco",
        "service": "standard",
        "currency": "EUR",
        "volumetric_divisor": 5000,
        "max_weight_g": 20_000,
        "fuel_percent": "7.5",
        "refuses_po_boxes": True,
        "zones": [
            {"zone": "home", "country": "DE"},
            {"zone": "city", "country": "DE", "postcode_prefix": "80"},
            {"zone": "alps", "country": "DE", "region": "BY", "postcode_prefix": "87"},
            {"zone": "eu", "country": "FR"},
            {"zone": "world", "country": "*"},
        ],
        "prices": {
            "home": {"first_g": 1000, "first": "4.90", "step_g": 500, "step": "0.55"},
            "city": {"first_g": 1000, "first": "3.95", "step_g": 1000, "step": "0.70"},
            "alps": {"first_g": 2000, "first": "6.10", "step_g": 250, "step": "0.33"},
            "eu": {"first_g": 500, "first": "9.50", "step_g": 500, "step": "1.15"},
            "world": {"first_g": 500, "first": "19.00", "step_g": 500, "step": "4.05"},
        },
        "fees": [{"name": "handling", "amount": "0.35"}],
        "remote_areas": [
            {"country": "DE", "postcode_prefix": "18565", "amount": "6.00"},
            {"country": "DE", "postcode_prefix": "87", "amount": "2.15"},
        ],
    }


POSTCODES = ("", "80331", "8 0331", "87100", "18565", "10115", "75001")
#: Weights around price steps and the limit, often the same ones (as real orders are).
weights = st.sampled_from((0, 500, 501, 1000, 1400, 1500, 2600, 20_000, 20_001)) | st.integers(
    0, 25_000
)
parcels = st.builds(
    Parcel,
    weights,
    st.one_of(
        st.none(),
        st.just(Dimensions(300, 200, 100)),
        st.builds(Dimensions, st.integers(0, 600), st.integers(0, 400), st.integers(0, 300)),
    ),
    st.sampled_from(("DE", "de", "FR", "US", "")),
    st.sampled_from(("", "BY", "by", "HE")),
    st.sampled_from(POSTCODES),
    po_box=st.booleans(),
)


@given(st.lists(parcels, min_size=1, max_size=30))
def test_a_parcel_costs_the_same_after_other_parcels_were_quoted(batch: list[Parcel]) -> None:
    busy = RateTable.from_dict(table_data())
    quoter = Quoter()  # a run's memo, as Freight holds one
    # each parcel, then the same parcel to each other postcode: neighbours in
    # weight and country whose price differs only by the postcode
    neighbours = [attrs.evolve(p, postcode=code) for p in batch for code in POSTCODES]
    for parcel in [*batch, *neighbours]:
        alone = RateTable.from_dict(table_data())  # has quoted nothing before
        got, expected = quoter.quote(busy, parcel), alone.quote(parcel)
        assert got == expected
        assert (got is None) == (busy.refusal(parcel) is not None)
        if got is not None:
            assert got.amount == sum((line.amount for line in got.breakdown), eur("0"))

        assert quoter.quote(busy, parcel) == got  # remembered, still the same


def test_a_rate_table_keeps_no_memo_a_quoter_does_and_an_equal_table_starts_afresh() -> None:
    table = RateTable.from_dict(table_data())
    parcel = Parcel(1400, country="DE", postcode="80331")
    assert table.quote(parcel) == table.quote(parcel)
    assert attrs.asdict(table) == attrs.asdict(RateTable.from_dict(table_data()))
    quoter = Quoter()
    first = quoter.quote(table, parcel)
    assert quoter.remembered(table) == (1, 1)
    assert quoter.quote(table, attrs.evolve(parcel, weight_g=1500)) == table.quote(
        attrs.evolve(parcel, weight_g=1500)
    )
    assert quoter.remembered(table) == (1, 1)  # same zone, same price step
    changed = attrs.evolve(table, fuel_percent=Decimal(0))
    assert quoter.remembered(changed) == (0, 0)
    again = quoter.quote(changed, parcel)
    assert first is not None
    assert again is not None
    assert again.amount < first.amount


def test_two_parcels_in_one_price_step_share_the_price_but_not_the_weight_shown() -> None:
    table = RateTable(
        "dhl",
        "parcel",
        "EUR",
        [Zone("home", "DE")],
        [ZonePrice("home", 1000, eur("4.50"), 500, eur("1.00"))],
        fees=[Fee("handling", eur("0.40"))],
        fuel_percent=Decimal(10),
        remote_areas=[RemoteArea("DE", "185", eur("3.00"))],
    )
    first = table.quote(Parcel(1400, country="DE", postcode="10115"))
    second = table.quote(Parcel(1500, country="DE", postcode="10117"))
    remote = table.quote(Parcel(1500, country="DE", postcode="18565"))
    assert first is not None
    assert second is not None
    assert remote is not None
    # 4.50 + one started 500 g = 5.50; + 0.40 = 5.90; fuel 0.59
    assert first.amount == second.amount == eur("6.49")
    assert [str(line) for line in second.breakdown] == [
        "freight zone home, 1500 g: 5.50 EUR",
        "handling: 0.40 EUR",
        "fuel 10%: 0.59 EUR",
    ]
    assert first.breakdown[0].label == "freight zone home, 1400 g"
    assert (first.actual_weight_g, second.actual_weight_g) == (1400, 1500)
    # 5.50 + 0.40 + 3.00 = 8.90; fuel 0.89
    assert remote.amount == eur("9.79")


# --- routing conditions ----------------------------------------------------------------

names = st.frozensets(st.sampled_from(("a", "b", "c", "MUG", "fragile")), max_size=3)
opt_names = st.none() | st.frozensets(st.sampled_from(("a", "b", "DE", "de", "BY")), min_size=1)
set_matches = st.none() | st.tuples(
    st.none() | st.frozensets(st.sampled_from(("a", "b", "c")), min_size=1),
    st.none() | st.frozensets(st.sampled_from(("a", "b", "c")), min_size=1),
    st.none() | st.frozensets(st.sampled_from(("a", "b", "MUG")), min_size=1),
).filter(lambda parts: parts != (None, None, None)).map(lambda parts: SetMatch(*parts))
int_ranges = st.none() | st.builds(IntRange, st.none() | st.integers(0, 5), st.integers(5, 10))
conditions = st.builds(
    Conditions,
    channels=opt_names,
    shops=opt_names,
    sites=opt_names,
    countries=opt_names,
    regions=opt_names,
    postcodes=st.none() | st.frozensets(st.sampled_from(("80*", "8 0331", "1*")), min_size=1),
    amount=st.none()
    | st.builds(AmountRange, st.just(eur("10")), st.none())
    | st.builds(AmountRange, st.none(), st.just(Money.of("20", "USD"))),
    weight_g=int_ranges,
    skus=set_matches,
    categories=set_matches,
    tags=set_matches,
    lines=int_ranges,
    shipping_levels=opt_names,
)
facts = st.builds(
    OrderFacts,
    channel=st.sampled_from(("a", "b")),
    shop=st.sampled_from(("a", "DE")),
    amount=st.sampled_from((eur("5"), eur("15"), Money.of("15", "USD"))),
    site=st.none() | st.sampled_from(("a", "b")),
    country=st.sampled_from(("DE", "de", "FR")),
    region=st.sampled_from(("BY", "by", "")),
    postcode=st.sampled_from(("80331", "10115", "")),
    weight_g=st.integers(0, 12),
    skus=names,
    categories=names,
    tags=names,
    line_count=st.integers(0, 12),
    shipping_level=st.sampled_from(("a", "b", "")),
)


@given(conditions, facts)
def test_a_rule_matches_exactly_when_its_explanation_finds_no_failure(
    rule: Conditions, order: OrderFacts
) -> None:
    assert rule.matches(order) == (rule.failures(order) == ())


# --- warehouse ranking -----------------------------------------------------------------


def heavy_order() -> tuple[Order, Catalog]:
    catalog = Catalog()
    catalog.add_shop(Shop("web", channel="shopify", currency="EUR"))
    catalog.add_sku(Sku("ANVIL", weight_g=9000, dimensions=Dimensions(300, 200, 200)))
    at = datetime(2026, 5, 1, tzinfo=UTC)
    draft = ChannelOrder(
        "shopify",
        "web",
        "1",
        at,
        "EUR",
        (ChannelLine("ANVIL", 1, eur("90")),),
        address=Address(name="A", line1="Street 1", city="Paris", postcode="75001", country="FR"),
    )
    requirements = catalog.requirements("shopify", "web", draft.order_lines(), at=at)
    return Order.from_channel(draft, requirements, at=at, actor="test"), catalog


def test_without_any_rate_table_warehouses_keep_their_priority_order() -> None:
    order, catalog = heavy_order()
    config = Config(rate_tables=())  # what open_erp passes when none are given
    assert warehouse_order(order, ("WH2", "WH1", "WH3"), catalog, config) == ("WH2", "WH1", "WH3")


def test_the_cheapest_warehouse_comes_first_and_one_without_a_table_last() -> None:
    order, catalog = heavy_order()
    cheap = RateTable.from_dict({**table_data(), "refuses_po_boxes": False})
    dear = RateTable.from_dict(
        {**table_data(), "carrier": "fastpost", "fuel_percent": "50", "refuses_po_boxes": False}
    )
    config = Config(rate_tables={"WH1": [dear], "WH2": [cheap], "WH3": []})
    freight = Freight(catalog, config)
    ranked = warehouse_order(order, ("WH3", "WH1", "WH2"), catalog, config, freight)
    assert ranked == ("WH2", "WH1", "WH3")
    # FR is zone eu; 9 kg actual is over the 2.4 kg volumetric weight:
    # 9.50 + 17 started 500 g steps of 1.15 = 29.05; + 0.35 = 29.40; fuel 7.5% 2.21
    quote = freight.cheapest(order, "WH2")
    assert quote is not None
    assert quote.chargeable_weight_g == 9000
    assert quote.amount == eur("31.61")
    assert freight.cheapest(order, "WH3") is None
