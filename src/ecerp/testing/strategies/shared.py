"""Strategies for the shared values: currencies, Decimal amounts, money.

Amounts are Decimals with at most the currency's minor-unit digits, never
floats.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from hypothesis import strategies as st

from ecerp.domain.shared.money import MINOR_UNITS, Money

_UPPER = string.ascii_uppercase


_LOWER = string.ascii_lowercase


_DIGITS = string.digits


T = TypeVar("T")


def currencies() -> st.SearchStrategy[str]:
    """ISO 4217 codes ecerp knows, zero-decimal (JPY) and three-decimal (KWD)
    ones included; shrinks towards the alphabetically first."""
    return st.sampled_from(sorted(MINOR_UNITS))


def amounts(
    currency: str,
    *,
    min_units: int = 0,
    max_units: int = 10**7,
    extra_digits: int = 0,
) -> st.SearchStrategy[Decimal]:
    """Decimal amounts between ``min_units`` and ``max_units`` minor units of
    ``currency`` (cents for EUR, yen for JPY, fils for KWD).

    With ``extra_digits`` > 0 the amounts carry that many digits beyond the
    minor unit (``Decimal('1.2345')`` in EUR), for testing rounding.  The
    exponent is always ``-(minor unit + extra_digits)``, so ``0`` comes out
    as ``Decimal('0.00')`` in EUR, never ``0E-2``.
    """
    digits = MINOR_UNITS[currency] + extra_digits
    scale = 10**extra_digits
    quantum = Decimal(1).scaleb(-digits)
    return st.integers(min_units * scale, max_units * scale).map(
        lambda n: Decimal(n).scaleb(-digits).quantize(quantum)
    )


def money(
    currency: str | st.SearchStrategy[str] | None = None,
    *,
    min_units: int = 0,
    max_units: int = 10**7,
    rounded: bool = True,
) -> st.SearchStrategy[Money]:
    """:class:`~ecerp.domain.shared.money.Money` built from a Decimal, never a float.

    Args:
        currency: a code, a strategy of codes, or ``None`` for any currency.
        min_units, max_units: bounds in minor units (may be negative).
        rounded: when false, amounts may carry up to four digits beyond the
            currency's minor unit (what arithmetic produces before rounding).
    """
    if currency is None:
        codes = currencies()
    elif isinstance(currency, str):
        codes = st.just(currency)
    else:
        codes = currency
    extra = st.just(0) if rounded else st.integers(0, 4)

    def build(code_and_extra: tuple[str, int]) -> st.SearchStrategy[Money]:
        code, extra_digits = code_and_extra
        return st.builds(
            Money,
            amounts(code, min_units=min_units, max_units=max_units, extra_digits=extra_digits),
            st.just(code),
        )

    return st.tuples(codes, extra).flatmap(build)


def _utc_datetimes() -> st.SearchStrategy[datetime]:
    return st.datetimes(
        min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - bounds of an aware strategy
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    )


def _given(
    strategy: st.SearchStrategy[T] | None, default: st.SearchStrategy[T]
) -> st.SearchStrategy[T]:
    return default if strategy is None else strategy
