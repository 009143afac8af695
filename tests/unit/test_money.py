"""Money: Decimal amounts with their currency, rounded by the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecerp.domain.shared.errors import CurrencyMismatchError, UnknownCurrencyError, ValidationError
from ecerp.domain.shared.money import Money, allocate, minor_unit, total


def amounts(parts: list[Money]) -> list[str]:
    return [str(m.amount) for m in parts]


# --- building money ---------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["19.99", 19, Decimal("19.99")])
def test_money_is_built_from_decimal_strings_ints_and_decimals(
    amount: str | int | Decimal,
) -> None:
    money = Money.of(amount, "EUR")

    assert money.amount == Decimal(str(amount))
    assert isinstance(money.amount, Decimal)
    assert money.currency == "EUR"


def test_money_keeps_the_digits_it_was_given() -> None:
    assert str(Money.of("9.90", "EUR").amount) == "9.90"
    assert str(Money.of("0.125", "KWD").amount) == "0.125"


@pytest.mark.parametrize("amount", [19.99, 0.1, float("nan")])
def test_a_float_amount_is_refused_because_floats_lose_cents(amount: float) -> None:
    with pytest.raises(TypeError, match="float"):
        Money.of(amount, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(amount, "EUR")  # type: ignore[arg-type]


def test_a_bool_is_not_an_amount() -> None:
    with pytest.raises(TypeError):
        Money.of(True, "EUR")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-inf"])
def test_an_amount_must_be_finite(amount: str) -> None:
    with pytest.raises(ValidationError) as err:
        Money.of(amount, "EUR")

    assert err.value.field == "amount"
    assert err.value.value == amount


def test_an_amount_that_is_not_a_number_names_itself() -> None:
    with pytest.raises(ValidationError) as err:
        Money.of("12,50", "EUR")

    assert (err.value.field, err.value.value) == ("amount", "12,50")


@pytest.mark.parametrize("currency", ["EURO", "eur", "XXX", "", None])
def test_an_unknown_currency_is_refused_rather_than_guessed(currency: str) -> None:
    with pytest.raises(UnknownCurrencyError) as err:
        Money.of("1", currency)

    assert (err.value.field, err.value.value) == ("currency", currency)


@pytest.mark.parametrize(
    ("currency", "digits"), [("EUR", 2), ("USD", 2), ("CNY", 2), ("JPY", 0), ("KWD", 3)]
)
def test_each_currency_has_its_iso_4217_minor_unit(currency: str, digits: int) -> None:
    assert minor_unit(currency) == digits


def test_zero_is_written_with_the_currencys_places() -> None:
    assert str(Money.zero("EUR").amount) == "0.00"
    assert str(Money.zero("JPY").amount) == "0"
    assert str(Money.zero("KWD").amount) == "0.000"
    assert not Money.zero("EUR")


# --- rounding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("19.995", "EUR", "20.00"),
        ("19.994", "EUR", "19.99"),
        ("1234.5", "JPY", "1235"),
        ("1234.4", "JPY", "1234"),
        ("1.2345", "KWD", "1.235"),
        ("-0.005", "EUR", "-0.01"),
        ("7", "EUR", "7.00"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit_as_shops_do(
    amount: str, currency: str, rounded: str
) -> None:
    result = Money.of(amount, currency).rounded()

    assert str(result.amount) == rounded
    assert result.currency == currency
    assert result.is_rounded


def test_arithmetic_keeps_full_precision_until_rounded() -> None:
    unit = Money.of("0.333", "EUR")

    assert (unit * 3).amount == Decimal("0.999")
    assert not (unit * 3).is_rounded
    assert str(unit * 3) == "1.00 EUR"


# --- arithmetic ------------------------------------------------------------------------


def test_amounts_of_one_currency_add_subtract_and_compare() -> None:
    a, b = Money.of("10.50", "EUR"), Money.of("0.75", "EUR")

    assert a + b == Money.of("11.25", "EUR")
    assert a - b == Money.of("9.75", "EUR")
    assert -b == Money.of("-0.75", "EUR")
    assert b * 4 == Money.of("3.00", "EUR")
    assert 4 * b == Money.of("3.00", "EUR")
    assert b * Decimal("0.5") == Money.of("0.375", "EUR")
    assert b < a
    assert a > b
    assert a >= a
    assert b <= b


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "subtract", "lt", "le", "gt", "ge"],
)
def test_mixing_currencies_raises_naming_both(combine: object) -> None:
    eur, usd = Money.of("1", "EUR"), Money.of("1", "USD")

    with pytest.raises(CurrencyMismatchError) as err:
        combine(eur, usd)  # type: ignore[operator]

    assert (err.value.left, err.value.right) == ("EUR", "USD")


def test_equal_amounts_in_different_currencies_are_not_equal() -> None:
    assert Money.of("1", "EUR") != Money.of("1", "USD")


@pytest.mark.parametrize("factor", [1.5, True, "2"])
def test_money_is_multiplied_only_by_ints_and_decimals(factor: object) -> None:
    with pytest.raises(TypeError):
        Money.of("1", "EUR") * factor  # type: ignore[operator]


def test_money_does_not_combine_with_plain_numbers() -> None:
    with pytest.raises(TypeError):
        Money.of("1", "EUR") + Decimal(1)  # type: ignore[operator]


def test_a_total_sums_one_currency_and_the_empty_total_is_zero() -> None:
    assert total([], "JPY") == Money.zero("JPY")
    assert total([Money.of("1.10", "EUR"), Money.of("2.20", "EUR")], "EUR") == Money.of(
        "3.30", "EUR"
    )
    with pytest.raises(CurrencyMismatchError):
        total([Money.of("1", "USD")], "EUR")


# --- allocation -------------------------------------------------------------------------


def test_ten_euros_over_three_equal_parts_gives_the_extra_cent_to_the_first() -> None:
    parts = allocate(Money.of("10.00", "EUR"), [1, 1, 1])

    assert amounts(parts) == ["3.34", "3.33", "3.33"]


def test_allocation_follows_the_weights_and_sums_to_the_whole() -> None:
    # 100.00 over 1:2:3 is 16.666.., 33.333.., 50.00: the leftover cent goes to
    # the largest remainder (the first part's .666 beats the second's .333)
    parts = allocate(Money.of("100", "USD"), [1, 2, 3])

    assert amounts(parts) == ["16.67", "33.33", "50.00"]
    assert sum((p.amount for p in parts), Decimal(0)) == Decimal("100.00")


def test_allocation_rounds_the_whole_first() -> None:
    parts = allocate(Money.of("0.015", "EUR"), [1, 1])

    assert amounts(parts) == ["0.01", "0.01"]


def test_a_part_with_zero_weight_gets_nothing() -> None:
    assert amounts(allocate(Money.of("5.00", "EUR"), [0, 1])) == ["0.00", "5.00"]


def test_a_negative_whole_is_split_like_a_positive_one() -> None:
    assert amounts(allocate(Money.of("-10.00", "EUR"), [1, 1, 1])) == ["-3.34", "-3.33", "-3.33"]


def test_a_yen_amount_is_split_in_whole_yen() -> None:
    parts = allocate(Money.of("1000", "JPY"), [1, 1, 1])

    assert amounts(parts) == ["334", "333", "333"]
    assert all(p.currency == "JPY" for p in parts)


def test_freight_is_spread_over_received_units_by_decimal_weights() -> None:
    parts = allocate(Money.of("12.00", "EUR"), [Decimal("0.5"), Decimal("1.5")])

    assert amounts(parts) == ["3.00", "9.00"]


@pytest.mark.parametrize(
    ("weights", "reason"),
    [([], "at least one"), ([1, -1], "negative"), ([0, 0], "zero")],
)
def test_allocation_needs_sensible_weights(weights: list[int], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as err:
        allocate(Money.of("1", "EUR"), weights)

    assert err.value.field == "weights"
    assert err.value.value == weights


def test_allocation_weights_must_not_be_floats() -> None:
    with pytest.raises(TypeError):
        allocate(Money.of("1", "EUR"), [0.5, 0.5])  # type: ignore[list-item]
