"""Freight estimates from rate tables: zones, first/additional weight,
volumetric weight, surcharges, limits, the cheapest service, and loading
tables from data with errors that name the table and field."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecerp.domain.carriers.errors import RateTableError
from ecerp.domain.carriers.parcels import Parcel
from ecerp.domain.carriers.rates import RateTable, cheapest, quote
from ecerp.domain.carriers.zones import Fee, RemoteArea, Zone, ZonePrice
from ecerp.domain.catalog.products import Dimensions
from ecerp.domain.shared.errors import CurrencyMismatchError, DomainError, ValidationError
from ecerp.domain.shared.money import Money
from worlds import eur


def flat_table(
    carrier: str = "dhl",
    service: str = "parcel",
    *,
    first: str = "4.50",
    step: str = "1.00",
    first_g: int = 1000,
    step_g: int = 500,
    **options: Any,
) -> RateTable:
    """One zone, Germany: ``first`` for the first kilo, ``step`` per started 500 g."""
    return RateTable(
        carrier,
        service,
        "EUR",
        zones=[Zone("de", "DE")],
        prices=[ZonePrice("de", first_g, eur(first), step_g, eur(step))],
        **options,
    )


def to_berlin(weight_g: int, dimensions: Dimensions | None = None, **where: str) -> Parcel:
    destination = {"country": "DE", "region": "", "postcode": "10115", **where}
    return Parcel(
        weight_g,
        dimensions,
        destination["country"],
        destination["region"],
        destination["postcode"],
    )


def amount_of(table: RateTable, parcel: Parcel) -> Money:
    q = quote(table, parcel)
    assert q is not None, table.refusal(parcel)
    return q.amount


# --- first weight and additional weight ---------------------------------------------------


@pytest.mark.parametrize(
    ("weight_g", "expected"),
    [
        (0, "4.50"),  # the first weight is the minimum charge
        (1000, "4.50"),  # up to and including the first weight
        (1001, "5.50"),  # one gram more starts a step
        (1500, "5.50"),
        (1501, "6.50"),
        (2300, "7.50"),  # 1300 g beyond the first kilo: three started 500 g steps
    ],
)
def test_the_first_weight_has_one_price_and_each_started_step_adds_its_price(
    weight_g: int, expected: str
) -> None:
    assert amount_of(flat_table(), to_berlin(weight_g)) == eur(expected)


def test_a_quote_names_carrier_service_zone_and_weights() -> None:
    q = quote(flat_table(), to_berlin(2300))

    assert q is not None
    assert (q.carrier, q.service, q.zone) == ("dhl", "parcel", "de")
    assert (q.actual_weight_g, q.chargeable_weight_g) == (2300, 2300)
    assert str(q) == "dhl/parcel: 7.50 EUR"


# --- volumetric weight ------------------------------------------------------------------


def test_a_light_bulky_parcel_is_charged_by_volumetric_weight() -> None:
    table = flat_table(volumetric_divisor=5000)
    # 40 x 30 x 20 cm = 24,000 cm3 / 5000 = 4.8 kg
    box = to_berlin(500, Dimensions(400, 300, 200))

    q = quote(table, box)

    assert q is not None
    assert q.chargeable_weight_g == 4800
    assert q.amount == eur("4.50") + eur("1.00") * 8  # 3800 g beyond the first kilo


def test_the_divisor_sets_how_generous_volumetric_weight_is() -> None:
    box = to_berlin(500, Dimensions(400, 300, 200))

    assert flat_table(volumetric_divisor=6000).chargeable_weight_g(box) == 4000
    assert flat_table(volumetric_divisor=4000).chargeable_weight_g(box) == 6000


def test_a_dense_parcel_is_charged_by_its_actual_weight() -> None:
    table = flat_table(volumetric_divisor=5000)

    assert table.chargeable_weight_g(to_berlin(9000, Dimensions(200, 150, 100))) == 9000


def test_volumetric_weight_rounds_up_to_the_next_gram() -> None:
    # 1 cm3 / 3000 cm3 per kg = 0.33 g
    tiny = to_berlin(0, Dimensions(10, 10, 10))

    assert flat_table(volumetric_divisor=3000).chargeable_weight_g(tiny) == 1


def test_without_a_divisor_or_dimensions_only_actual_weight_counts() -> None:
    box = Dimensions(400, 300, 200)

    assert flat_table().chargeable_weight_g(to_berlin(500, box)) == 500
    assert flat_table(volumetric_divisor=5000).chargeable_weight_g(to_berlin(500)) == 500


# --- zones -----------------------------------------------------------------------------


def zoned_table() -> RateTable:
    return RateTable(
        "dhl",
        "parcel-intl",
        "EUR",
        zones=[
            Zone("home", "DE"),
            Zone("islands", "DE", postcode_prefix="18565"),  # Hiddensee
            Zone("north", "DE", postcode_prefix="2"),
            Zone("bavaria", "DE", region="BY"),
            Zone("eu", "FR"),
            Zone("eu", "AT"),
            Zone("world", "*"),
        ],
        prices=[
            ZonePrice("home", 1000, eur("4"), 1000, eur("1")),
            ZonePrice("islands", 1000, eur("9"), 1000, eur("1")),
            ZonePrice("north", 1000, eur("5"), 1000, eur("1")),
            ZonePrice("bavaria", 1000, eur("6"), 1000, eur("1")),
            ZonePrice("eu", 1000, eur("10"), 1000, eur("2")),
            ZonePrice("world", 1000, eur("25"), 1000, eur("5")),
        ],
    )


@pytest.mark.parametrize(
    ("country", "region", "postcode", "zone"),
    [
        ("DE", "BE", "10115", "home"),
        ("de", "", "10115", "home"),  # countries compare case-insensitively
        ("DE", "", "18565", "islands"),  # the longer postcode prefix wins
        ("DE", "", "20095", "north"),
        ("DE", "by", "80331", "bavaria"),  # a region over the country alone
        ("DE", "BY", "21000", "north"),  # a postcode prefix over a region
        ("AT", "", "1010", "eu"),
        ("US", "TX", "73301", "world"),  # a named country over "*"
    ],
)
def test_the_most_specific_zone_entry_decides_the_zone(
    country: str, region: str, postcode: str, zone: str
) -> None:
    parcel = Parcel(500, country=country, region=region, postcode=postcode)

    assert zoned_table().zone_for(parcel) == zone


def test_a_service_that_does_not_serve_the_destination_gives_no_quote() -> None:
    table = flat_table()
    to_paris = Parcel(500, country="FR", postcode="75001")

    assert quote(table, to_paris) is None
    assert table.refusal(to_paris) == "dhl/parcel does not serve FR 75001"


def test_zone_postcodes_ignore_spaces_hyphens_and_case() -> None:
    table = RateTable(
        "royal-mail",
        "tracked48",
        "GBP",
        zones=[Zone("uk", "GB"), Zone("highlands", "GB", postcode_prefix="iv-1")],
        prices=[
            ZonePrice("uk", 2000, Money.of("3.50", "GBP"), 1000, Money.of("1", "GBP")),
            ZonePrice("highlands", 2000, Money.of("7.00", "GBP"), 1000, Money.of("2", "GBP")),
        ],
    )

    assert table.zone_for(Parcel(100, country="GB", postcode="IV1 1AA")) == "highlands"
    assert table.zone_for(Parcel(100, country="GB", postcode="IV2 3AB")) == "uk"


# --- surcharges ------------------------------------------------------------------------


def test_fixed_fees_are_added_per_parcel_as_breakdown_lines() -> None:
    table = flat_table(fees=[Fee("handling", eur("0.40")), Fee("peak-season", eur("0.75"))])

    q = quote(table, to_berlin(800))

    assert q is not None
    assert [(line.label, line.amount) for line in q.breakdown] == [
        ("freight zone de, 800 g", eur("4.50")),
        ("handling", eur("0.40")),
        ("peak-season", eur("0.75")),
    ]
    assert q.amount == eur("5.65")


def test_fuel_is_a_percentage_of_freight_and_every_other_surcharge() -> None:
    table = flat_table(
        fees=[Fee("handling", eur("0.50"))],
        remote_areas=[RemoteArea("DE", "18565", eur("5.00"))],
        fuel_percent=Decimal("12.5"),
    )

    q = quote(table, to_berlin(800, postcode="18565"))

    # 4.50 + 0.50 + 5.00 = 10.00; 12.5 % of it is 1.25
    assert q is not None
    assert q.breakdown[-1].label == "fuel 12.5%"
    assert q.breakdown[-1].amount == eur("1.25")
    assert q.amount == eur("11.25")


def test_fuel_is_rounded_half_up_to_the_cent() -> None:
    # 4.50 x 11 % = 0.495 -> 0.50
    q = quote(flat_table(fuel_percent=Decimal("11")), to_berlin(500))

    assert q is not None
    assert q.breakdown[-1].amount == eur("0.50")
    assert q.amount == eur("5.00")


def test_a_remote_area_surcharge_applies_by_postcode_prefix_once_the_longest() -> None:
    table = flat_table(
        remote_areas=[
            RemoteArea("DE", "18", eur("2.00")),
            RemoteArea("DE", "185", eur("3.00")),
            RemoteArea("AT", "10", eur("9.00")),
        ]
    )

    assert amount_of(table, to_berlin(500, postcode="18565")) == eur("7.50")
    assert amount_of(table, to_berlin(500, postcode="18055")) == eur("6.50")
    assert amount_of(table, to_berlin(500, postcode="10115")) == eur("4.50")


def test_the_breakdown_adds_up_to_the_amount() -> None:
    table = flat_table(
        first="4.333",
        fees=[Fee("handling", eur("0.255"))],
        fuel_percent=Decimal("7.77"),
    )

    q = quote(table, to_berlin(1800))

    assert q is not None
    total = q.breakdown[0].amount
    for line in q.breakdown[1:]:
        total = total + line.amount
    assert total == q.amount
    assert all(line.amount.is_rounded for line in q.breakdown)


@pytest.mark.parametrize(
    ("currency", "first", "expected"),
    [("JPY", "480.5", "481"), ("KWD", "1.2345", "1.235"), ("EUR", "4.994", "4.99")],
)
def test_quotes_are_rounded_to_the_currencys_minor_unit(
    currency: str, first: str, expected: str
) -> None:
    table = RateTable(
        "post",
        "small-packet",
        currency,
        zones=[Zone("all", "*")],
        prices=[ZonePrice("all", 500, Money.of(first, currency), 500, Money.of("1", currency))],
    )

    q = quote(table, Parcel(100, country="JP"))

    assert q is not None
    assert q.amount == Money.of(expected, currency)
    assert (
        q.amount.amount.as_tuple().exponent
        == Money.of(expected, currency).amount.as_tuple().exponent
    )


# --- limits ----------------------------------------------------------------------------


def test_a_parcel_over_the_weight_limit_does_not_qualify() -> None:
    table = flat_table(max_weight_g=31_500)

    assert quote(table, to_berlin(31_500)) is not None
    assert quote(table, to_berlin(31_501)) is None
    assert table.refusal(to_berlin(31_501)) == (
        "dhl/parcel takes at most 31500 g, the parcel weighs 31501 g"
    )


def test_the_weight_limit_is_on_actual_weight_not_volumetric() -> None:
    table = flat_table(max_weight_g=5000, volumetric_divisor=5000)
    bulky = to_berlin(1000, Dimensions(600, 400, 400))  # 19.2 kg volumetric

    q = quote(table, bulky)

    assert q is not None
    assert q.chargeable_weight_g == 19_200


def test_dimension_limits_hold_whichever_way_the_parcel_is_turned() -> None:
    table = flat_table(max_dimensions=Dimensions(1200, 600, 600))

    assert quote(table, to_berlin(500, Dimensions(600, 1200, 400))) is not None
    assert quote(table, to_berlin(500, Dimensions(300, 300, 1300))) is None
    assert quote(table, to_berlin(500, Dimensions(700, 700, 500))) is None
    assert quote(table, to_berlin(500)) is not None  # unknown size is assumed to fit


def test_a_table_records_that_its_service_refuses_po_boxes() -> None:
    table = flat_table(refuses_po_boxes=True)

    assert table.refuses_po_boxes
    assert RateTable.from_dict(table.to_dict()).refuses_po_boxes


# --- cheapest ---------------------------------------------------------------------------


def test_the_cheapest_qualifying_service_wins() -> None:
    tables = [
        flat_table("dhl", "parcel", first="4.50"),
        flat_table("dpd", "classic", first="4.20", max_weight_g=1000),
        flat_table("hermes", "standard", first="4.40"),
    ]

    light = cheapest(tables, to_berlin(900))
    heavy = cheapest(tables, to_berlin(1200))

    assert light is not None
    assert (light.carrier, light.amount) == ("dpd", eur("4.20"))
    assert heavy is not None
    assert (heavy.carrier, heavy.amount) == ("hermes", eur("5.40"))  # dpd is over its limit


def test_equal_prices_go_to_the_first_carrier_then_service_by_name() -> None:
    tables = [
        flat_table("ups", "standard"),
        flat_table("dhl", "parcel-plus"),
        flat_table("dhl", "parcel"),
    ]

    for order in (tables, tables[::-1]):
        best = cheapest(order, to_berlin(900))
        assert best is not None
        assert (best.carrier, best.service) == ("dhl", "parcel")


def test_no_qualifying_service_means_no_quote() -> None:
    assert cheapest([flat_table()], Parcel(100, country="US")) is None
    assert cheapest([], to_berlin(100)) is None


def test_cheapest_refuses_to_compare_prices_in_different_currencies() -> None:
    in_gbp = RateTable(
        "royal-mail",
        "intl",
        "GBP",
        zones=[Zone("de", "DE")],
        prices=[ZonePrice("de", 1000, Money.of("3", "GBP"), 500, Money.of("1", "GBP"))],
    )

    with pytest.raises(CurrencyMismatchError):
        cheapest([flat_table(), in_gbp], to_berlin(100))


# --- building and loading tables ---------------------------------------------------------


def test_every_zone_needs_a_price_and_every_price_a_zone() -> None:
    with pytest.raises(RateTableError) as err:
        RateTable(
            "dhl",
            "parcel",
            "EUR",
            zones=[Zone("de", "DE"), Zone("eu", "FR")],
            prices=[ZonePrice("de", 1000, eur("4"), 500, eur("1"))],
        )
    assert (err.value.table, err.value.field) == ("dhl/parcel", "prices.eu")

    with pytest.raises(RateTableError) as err:
        RateTable(
            "dhl",
            "parcel",
            "EUR",
            zones=[Zone("de", "DE")],
            prices=[
                ZonePrice("de", 1000, eur("4"), 500, eur("1")),
                ZonePrice("ch", 1000, eur("9"), 500, eur("2")),
            ],
        )
    assert err.value.field == "prices.ch"


def test_all_money_of_a_table_is_in_its_currency() -> None:
    with pytest.raises(RateTableError) as err:
        flat_table(fees=[Fee("handling", Money.of("1", "USD"))])

    assert (err.value.table, err.value.field) == ("dhl/parcel", "fees[0].amount")


def test_two_zone_entries_may_not_cover_the_same_destination() -> None:
    with pytest.raises(RateTableError) as err:
        RateTable(
            "dhl",
            "parcel",
            "EUR",
            zones=[
                Zone("de", "DE", postcode_prefix="10"),
                Zone("berlin", "de", postcode_prefix="1-0"),
            ],
            prices=[
                ZonePrice("de", 1000, eur("4"), 500, eur("1")),
                ZonePrice("berlin", 1000, eur("3"), 500, eur("1")),
            ],
        )

    assert err.value.field == "zones[1]"


def test_zone_prices_need_positive_weights() -> None:
    with pytest.raises(ValidationError) as err:
        ZonePrice("de", 1000, eur("4"), 0, eur("1"))

    assert err.value.field == "step_g"


RATES_TOML = """
# DHL Parcel Europe, 2026 list prices
carrier = "dhl"
service = "parcel-europe"
currency = "EUR"
volumetric_divisor = 5000
max_weight_g = 31500
max_dimensions_mm = [1200, 600, 600]
refuses_po_boxes = true
fuel_percent = 8.5

[[zones]]
zone = "home"
country = "DE"

[[zones]]
zone = "islands"
country = "DE"
postcode_prefix = "18565"

[[zones]]
zone = "eu1"
country = "FR"

[[zones]]
zone = "eu1"
country = "NL"

[prices.home]
first_g = 2000
first = "5.49"
step_g = 1000
step = "0.60"

[prices.islands]
first_g = 2000
first = "9.49"
step_g = 1000
step = "0.80"

[prices.eu1]
first_g = 1000
first = "13.99"
step_g = 1000
step = "1.50"

[[fees]]
name = "handling"
amount = "0.35"

[[remote_areas]]
country = "FR"
postcode_prefix = "20"  # Corsica
amount = "6.00"
"""


def test_a_realistic_rate_table_in_toml_prices_parcels() -> None:
    table = RateTable.from_toml(RATES_TOML)

    corsica = Parcel(2500, Dimensions(300, 200, 150), country="FR", postcode="20000")
    q = quote(table, corsica)

    # freight 13.99 + 2 started kilos x 1.50 = 16.99; + handling 0.35 + remote 6.00 = 23.34;
    # fuel 8.5 % = 1.9839 -> 1.98
    assert q is not None
    assert [line.amount for line in q.breakdown] == [
        eur("16.99"),
        eur("0.35"),
        eur("6.00"),
        eur("1.98"),
    ]
    assert q.amount == eur("25.32")
    assert table.refuses_po_boxes
    assert quote(table, Parcel(40_000, country="DE")) is None


def test_a_rate_table_round_trips_through_its_dict_and_json() -> None:
    table = RateTable.from_toml(RATES_TOML)

    assert RateTable.from_dict(table.to_dict()) == table
    assert RateTable.from_json(json.dumps(table.to_dict())) == table


def good_table(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "carrier": "dhl",
        "service": "parcel",
        "currency": "EUR",
        "zones": [{"zone": "de", "country": "DE"}],
        "prices": {"de": {"first_g": 1000, "first": "4.50", "step_g": 500, "step": "1.00"}},
    }
    data.update(changes)
    return data


def price(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"first_g": 1000, "first": "4.50", "step_g": 500, "step": "1.00"}
    data.update(changes)
    return {"de": data}


TABLE_ERRORS: list[tuple[str, Any, str, str]] = [
    # (id, data, table, field)
    ("not a mapping", [], "rate table", ""),
    (
        "no carrier",
        {k: v for k, v in good_table().items() if k != "carrier"},
        "rate table",
        "carrier",
    ),
    ("unknown key", good_table(fuel="10"), "dhl/parcel", "fuel"),
    ("bad currency", good_table(currency="EURO"), "dhl/parcel", "currency"),
    ("no zones", good_table(zones=[]), "dhl/parcel", "zones"),
    ("zones not a list", good_table(zones={"de": "DE"}), "dhl/parcel", "zones"),
    ("zone without country", good_table(zones=[{"zone": "de"}]), "dhl/parcel", "zones[0].country"),
    (
        "zone unknown key",
        good_table(zones=[{"zone": "de", "country": "DE", "city": "Berlin"}]),
        "dhl/parcel",
        "zones[0].city",
    ),
    (
        "zone without price",
        good_table(zones=[{"zone": "de", "country": "DE"}, {"zone": "fr", "country": "FR"}]),
        "dhl/parcel",
        "prices.fr",
    ),
    (
        "price without zone",
        good_table(prices={**price(), "ch": price()["de"]}),
        "dhl/parcel",
        "prices.ch",
    ),
    ("price float", good_table(prices=price(first=4.5)), "dhl/parcel", "prices.de.first"),
    ("price negative", good_table(prices=price(step="-1")), "dhl/parcel", "prices.de.step"),
    ("price text", good_table(prices=price(step="one")), "dhl/parcel", "prices.de.step"),
    ("first weight zero", good_table(prices=price(first_g=0)), "dhl/parcel", "prices.de.first_g"),
    ("step weight text", good_table(prices=price(step_g="500g")), "dhl/parcel", "prices.de.step_g"),
    (
        "price missing part",
        good_table(prices={"de": {"first_g": 1000, "first": "4"}}),
        "dhl/parcel",
        "prices.de.step_g",
    ),
    (
        "price unknown key",
        good_table(prices=price(extra_kg="1")),
        "dhl/parcel",
        "prices.de.extra_kg",
    ),
    ("divisor zero", good_table(volumetric_divisor=0), "dhl/parcel", "volumetric_divisor"),
    ("max weight float", good_table(max_weight_g=31.5), "dhl/parcel", "max_weight_g"),
    ("fuel float", good_table(fuel_percent=8.5), "dhl/parcel", "fuel_percent"),
    ("fuel negative", good_table(fuel_percent="-1"), "dhl/parcel", "fuel_percent"),
    ("fee without amount", good_table(fees=[{"name": "handling"}]), "dhl/parcel", "fees[0].amount"),
    (
        "remote area bad prefix",
        good_table(remote_areas=[{"country": "DE", "postcode_prefix": 18, "amount": "5"}]),
        "dhl/parcel",
        "remote_areas[0].postcode_prefix",
    ),
    (
        "dimensions two sides",
        good_table(max_dimensions_mm=[1200, 600]),
        "dhl/parcel",
        "max_dimensions_mm",
    ),
    (
        "dimension zero",
        good_table(max_dimensions_mm=[1200, 600, 0]),
        "dhl/parcel",
        "max_dimensions_mm[2]",
    ),
    ("po boxes not bool", good_table(refuses_po_boxes="yes"), "dhl/parcel", "refuses_po_boxes"),
]


@pytest.mark.parametrize(
    ("data", "table", "field"),
    [case[1:] for case in TABLE_ERRORS],
    ids=[case[0] for case in TABLE_ERRORS],
)
def test_a_bad_rate_table_is_refused_naming_the_table_and_field(
    data: Any, table: str, field: str
) -> None:
    with pytest.raises(RateTableError) as err:
        RateTable.from_dict(data)

    assert (err.value.table, err.value.field) == (table, field)
    assert table in str(err.value)
    assert field in str(err.value)


def test_a_rate_table_error_is_a_domain_error_that_survives_pickling() -> None:
    with pytest.raises(DomainError) as err:
        RateTable.from_dict(good_table(max_weight_g=-5))

    again = pickle.loads(pickle.dumps(err.value))
    assert isinstance(again, RateTableError)
    assert (again.table, again.field) == ("dhl/parcel", "max_weight_g")


def test_broken_json_or_toml_is_a_rate_table_error() -> None:
    with pytest.raises(RateTableError, match="not valid JSON"):
        RateTable.from_json("{")
    with pytest.raises(RateTableError, match="not valid TOML"):
        RateTable.from_toml("carrier = ")


def test_a_parcel_refuses_negative_weight_and_a_float() -> None:
    with pytest.raises(ValidationError):
        Parcel(-1)
    with pytest.raises(ValidationError):
        Parcel(1.5)  # type: ignore[arg-type]


# --- the zone index agrees with the rule it speeds up ------------------------------------

_zone_entries = st.lists(
    st.tuples(
        st.sampled_from(["*", "DE", "de", "FR", "GB"]),
        st.sampled_from([None, "bavaria", "Bavaria"]),
        st.sampled_from([None, "1", "10", "8", "IV1"]),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda e: (e[0].upper(), (e[1] or "").casefold() or None, e[2]),
)


@given(
    entries=_zone_entries,
    country=st.sampled_from(["DE", "de", "FR", "GB", "US", ""]),
    region=st.sampled_from(["", "Bavaria", "saxony"]),
    postcode=st.sampled_from(["", "10115", "80331", "IV1 1AA", "75001"]),
)
def test_the_zone_is_the_first_most_specific_matching_entry(
    entries: list[tuple[str, str | None, str | None]], country: str, region: str, postcode: str
) -> None:
    """Stated independently: among the entries that match, the one with the
    highest (named country, postcode prefix length, has region); ties go
    to the entry listed first."""
    zones = [Zone(f"z{i}", c, r, p) for i, (c, r, p) in enumerate(entries)]
    table = RateTable(
        "acme",
        "std",
        "EUR",
        zones=zones,
        prices=[ZonePrice(z.zone, 1000, eur("1"), 1000, eur("1")) for z in zones],
    )
    parcel = Parcel(100, country=country, region=region, postcode=postcode)
    best: Zone | None = None
    for z in zones:
        matches = (
            (z.country == "*" or z.country.casefold() == country.casefold())
            and (z.region is None or z.region.casefold() == region.casefold())
            and (
                z.postcode_prefix is None
                or postcode.replace(" ", "").upper().startswith(z.postcode_prefix.upper())
            )
        )
        rank = (z.country != "*", len(z.postcode_prefix or ""), z.region is not None)
        if matches and (
            best is None
            or rank
            > (best.country != "*", len(best.postcode_prefix or ""), best.region is not None)
        ):
            best = z
    assert table.zone_for(parcel) == (best.zone if best else None)
