"""Money properties: splits that add up to the cent, rounding to the minor unit,
and no floats or mixed currencies anywhere (brief invariant 9, money part).

Expectations come from the rules, not from ecerp: a minor unit is
``10**-digits`` of the currency (0 digits for JPY, 3 for KWD), a fair split
gives each part its exact share to within one minor unit, half-up rounding
is worked out here on integers.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ecerp.domain.shared.errors import CurrencyMismatchError, DomainError
from ecerp.domain.shared.money import MINOR_UNITS, Money, allocate
from ecerp.testing.strategies import amounts, currencies, money

#: Currencies with 0, 2 and 3 decimals, drawn alongside all the others.
TRICKY = ("JPY", "KRW", "EUR", "USD", "KWD", "BHD")
any_currency = st.sampled_from(TRICKY) | currencies()
weights = st.lists(st.integers(0, 1000), min_size=1, max_size=8).filter(any) | st.lists(
    st.decimals(min_value=0, max_value=100, places=3), min_size=1, max_size=5
).filter(lambda ws: sum(ws) > 0)


def unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def in_minor_units(m: Money) -> int:
    """The amount as a whole number of minor units (fails if it is not one)."""
    scaled = m.amount.scaleb(MINOR_UNITS[m.currency])
    assert scaled == scaled.to_integral_value(), f"{m} is not a whole number of minor units"
    return int(scaled)


def half_up(m: Money) -> int:
    """``m`` rounded half away from zero, in minor units, worked out on integers."""
    scaled = abs(m.amount).scaleb(MINOR_UNITS[m.currency])
    whole = int(scaled)  # truncates
    rounded = whole + (1 if scaled - whole >= Decimal("0.5") else 0)
    return -rounded if m.amount < 0 else rounded


# --- allocate ------------------------------------------------------------------------


@given(whole=money(any_currency, min_units=-(10**9), max_units=10**9, rounded=False), ws=weights)
@example(whole=Money.of("10.00", "USD"), ws=[1, 1, 1])
@example(whole=Money.of("100", "JPY"), ws=[1, 1, 1])
@example(whole=Money.of("1.000", "KWD"), ws=[1, 1, 1])
@example(whole=Money.of("-0.05", "EUR"), ws=[3, 0, 7])
def test_split_parts_add_up_to_the_rounded_whole(whole: Money, ws: list[int | Decimal]) -> None:
    parts = allocate(whole, ws)
    assert len(parts) == len(ws)
    assert all(p.currency == whole.currency for p in parts)
    assert sum(in_minor_units(p) for p in parts) == half_up(whole)


@given(whole=money(any_currency, min_units=-(10**9), max_units=10**9), ws=weights)
def test_each_part_is_rounded_to_the_currency_minor_unit(
    whole: Money, ws: list[int | Decimal]
) -> None:
    for part in allocate(whole, ws):
        in_minor_units(part)
        assert part.amount.as_tuple().exponent == -MINOR_UNITS[whole.currency]


@given(whole=money(any_currency, min_units=-(10**9), max_units=10**9), ws=weights)
def test_each_part_is_its_exact_share_to_within_one_minor_unit(
    whole: Money, ws: list[int | Decimal]
) -> None:
    total = sum(ws, Decimal(0))
    for part, w in zip(allocate(whole, ws), ws, strict=True):
        exact = whole.amount * Decimal(w) / total
        assert abs(part.amount - exact) < unit(whole.currency)
        if w == 0:
            assert part.amount == 0


@given(whole=money(any_currency, min_units=0, max_units=10**9), ws=weights)
def test_splitting_a_positive_amount_never_gives_a_negative_part(
    whole: Money, ws: list[int | Decimal]
) -> None:
    assert all(p.amount >= 0 for p in allocate(whole, ws))
    assert all(p.amount <= 0 for p in allocate(-whole, ws))


@given(whole=money(any_currency, min_units=-(10**6), max_units=10**6), ws=weights)
def test_splitting_is_deterministic(whole: Money, ws: list[int | Decimal]) -> None:
    first = allocate(whole, ws)
    assert allocate(whole, list(ws)) == first
    assert allocate(Money(whole.amount, whole.currency), ws) == first


@given(currency=any_currency, n=st.integers(1, 20), units=st.integers(0, 10**6))
def test_equal_weights_split_evenly_with_the_leftover_to_the_first_parts(
    currency: str, n: int, units: int
) -> None:
    whole = Money(Decimal(units).scaleb(-MINOR_UNITS[currency]), currency)
    shares = [in_minor_units(p) for p in allocate(whole, [1] * n)]
    q, r = divmod(units, n)
    assert shares == [q + 1] * r + [q] * (n - r)


@pytest.mark.parametrize("bad", [[], [0, 0], [1, -1]])
def test_a_split_needs_at_least_one_positive_weight_and_none_negative(bad: list[int]) -> None:
    with pytest.raises(DomainError):
        allocate(Money.of("1.00", "EUR"), bad)


# --- rounding ------------------------------------------------------------------------


@given(m=money(any_currency, min_units=-(10**9), max_units=10**9, rounded=False))
@example(m=Money.of("0.5", "JPY"))
@example(m=Money.of("-0.5", "JPY"))
@example(m=Money.of("19.995", "EUR"))
@example(m=Money.of("1.0005", "KWD"))
def test_rounding_is_half_up_to_the_minor_unit(m: Money) -> None:
    r = m.rounded()
    assert r.currency == m.currency
    assert in_minor_units(r) == half_up(m)
    assert abs(r.amount - m.amount) <= unit(m.currency) / 2


@given(m=money(any_currency, min_units=-(10**9), max_units=10**9, rounded=False))
def test_rounding_is_idempotent(m: Money) -> None:
    assert m.rounded().rounded() == m.rounded()
    assert m.rounded().is_rounded


@given(m=money(any_currency, min_units=-(10**9), max_units=10**9))
def test_an_amount_already_in_minor_units_rounds_to_itself(m: Money) -> None:
    assert m.rounded() == m
    assert m.is_rounded


# --- no floats -------------------------------------------------------------------------


floats = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)


@given(value=floats, currency=any_currency)
def test_money_refuses_floats(value: float, currency: str) -> None:
    with pytest.raises(TypeError):
        Money.of(value, currency)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(value, currency)  # type: ignore[arg-type]


@given(m=money(any_currency), factor=floats)
def test_money_cannot_be_multiplied_by_a_float(m: Money, factor: float) -> None:
    with pytest.raises(TypeError):
        _ = m * factor  # type: ignore[operator]


@given(m=money(any_currency), w=floats.filter(lambda f: f > 0))
def test_a_split_refuses_float_weights(m: Money, w: float) -> None:
    with pytest.raises(TypeError):
        allocate(m, [1, w])  # type: ignore[list-item]


@given(currency=any_currency, digits=amounts("EUR", min_units=-(10**6), max_units=10**6))
def test_decimal_strings_and_decimals_give_the_same_money(currency: str, digits: Decimal) -> None:
    assert Money.of(str(digits), currency) == Money.of(digits, currency)


# --- one currency at a time ---------------------------------------------------------------


two_currencies = st.lists(any_currency, min_size=2, max_size=2, unique=True)


@given(codes=two_currencies, data=st.data())
def test_mixing_currencies_is_refused(codes: list[str], data: st.DataObject) -> None:
    a = data.draw(money(codes[0]), label="a")
    b = data.draw(money(codes[1]), label="b")
    with pytest.raises(CurrencyMismatchError):
        _ = a + b
    with pytest.raises(CurrencyMismatchError):
        _ = a - b
    with pytest.raises(CurrencyMismatchError):
        _ = a < b


@given(a=money("EUR"), b=money("EUR"))
def test_adding_amounts_of_one_currency_adds_their_minor_units(a: Money, b: Money) -> None:
    assert in_minor_units(a + b) == in_minor_units(a) + in_minor_units(b)
    assert in_minor_units(a - b) == in_minor_units(a) - in_minor_units(b)
