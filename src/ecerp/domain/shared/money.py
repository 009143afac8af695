"""Money: a ``Decimal`` amount with its ISO 4217 currency.

Money never touches a float.  Building one from a float raises
:class:`~ecerp.domain.shared.errors.FloatAmountError` (a ``TypeError`` too);
mixing currencies raises :class:`~ecerp.domain.shared.errors.CurrencyMismatchError`.
Rounding happens in exactly one place, :meth:`Money.rounded`, to the currency's
minor unit (2 for EUR, 0 for JPY, 3 for KWD), half-up as shops and marketplaces
do::

    >>> Money.of("19.995", "EUR").rounded()
    Money(amount=Decimal('20.00'), currency='EUR')
    >>> Money.of("1234.5", "JPY").rounded()
    Money(amount=Decimal('1235'), currency='JPY')

Splitting an amount over parts (a discount over order lines, freight over
received units) must give parts that sum to the whole, to the last cent.
:func:`allocate` does that deterministically, handing leftover minor units to
the parts with the largest remainders, earliest first::

    >>> [str(m.amount) for m in allocate(Money.of("10.00", "USD"), [1, 1, 1])]
    ['3.34', '3.33', '3.33']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

import attrs

from ecerp.domain.shared.errors import (
    CurrencyMismatchError,
    FloatAmountError,
    UnknownCurrencyError,
    ValidationError,
    WrongTypeError,
)

#: The largest amount (in absolute value) a stored price, discount, cost or
#: payment may have: a quadrillion units of its currency.  Sums of such
#: amounts over an order's lines stay exact (see :meth:`Money.rounded`).
MAX_MONEY = Decimal(10) ** 15


#: ISO 4217 minor units of the currencies ecerp knows.  Not every currency is
#: here; unknown codes are refused rather than guessed at.
MINOR_UNITS: dict[str, int] = {
    # zero-decimal
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "PYG": 0,
    "UGX": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "RWF": 0,
    "KMF": 0,
    "GNF": 0,
    "VUV": 0,
    "DJF": 0,
    # three-decimal
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "LYD": 3,
    "IQD": 3,
    # two-decimal
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CNY": 2,
    "HKD": 2,
    "TWD": 2,
    "SGD": 2,
    "MYR": 2,
    "THB": 2,
    "IDR": 2,
    "PHP": 2,
    "INR": 2,
    "AUD": 2,
    "NZD": 2,
    "CAD": 2,
    "MXN": 2,
    "BRL": 2,
    "ARS": 2,
    "COP": 2,
    "PEN": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "BGN": 2,
    "TRY": 2,
    "RUB": 2,
    "UAH": 2,
    "ILS": 2,
    "AED": 2,
    "SAR": 2,
    "QAR": 2,
    "EGP": 2,
    "ZAR": 2,
    "NGN": 2,
    "KES": 2,
    "MAD": 2,
    "PKR": 2,
    "BDT": 2,
    "LKR": 2,
}


def minor_unit(currency: str) -> int:
    """The number of decimal places of ``currency``.

    Raises:
        UnknownCurrencyError: ``currency`` is not a known ISO 4217 code.
    """
    if type(currency) is not str or currency not in MINOR_UNITS:
        raise UnknownCurrencyError(currency)
    return MINOR_UNITS[currency]


_QUANTUM = {digits: Decimal(1).scaleb(-digits) for digits in range(5)}


#: Rounding works with enough digits for any amount ecerp accepts, summed
#: (the default context's 28 digits would refuse to round 10**27).
_WIDE = Context(prec=80)


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, float):
        raise FloatAmountError("amount", value)
    if isinstance(value, bool):
        raise WrongTypeError("amount", value, "a Decimal, int or decimal string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValidationError("amount", value, "not a decimal number") from None
    else:
        raise WrongTypeError("amount", value, "a Decimal, int or decimal string")
    if not result.is_finite():
        raise ValidationError("amount", value, "must be finite")
    return result


#: No Money value (a sum included) has more than this many digits before
#: or after the decimal point: beyond it, arithmetic and rounding break.
MONEY_DIGITS = 40


def _check_amount(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, Decimal):
        if isinstance(value, float):
            raise FloatAmountError("amount", value)
        raise WrongTypeError("amount", value, "a Decimal")
    if not value.is_finite():
        raise ValidationError("amount", value, "must be finite")
    if value and not -MONEY_DIGITS <= value.adjusted() < MONEY_DIGITS:
        raise ValidationError("amount", value, f"must be within 10**±{MONEY_DIGITS}")


def _check_currency(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise UnknownCurrencyError(value)


#: One shared zero per currency (see ``Money.zero``).
_ZEROS: dict[str, Money] = {}


@attrs.frozen(order=False)
class Money:
    """An amount of one currency.  Arithmetic keeps full precision; call
    :meth:`rounded` where a real-world amount (a price, a payout) is meant."""

    amount: Decimal = attrs.field(validator=_check_amount)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from a ``Decimal``, ``int`` or decimal string; floats raise ``TypeError``."""
        return cls(_to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        # Money is immutable: one zero per currency is shared.
        found = _ZEROS.get(currency) if cls is Money and type(currency) is str else None
        if found is None:
            found = cls(Decimal(0).quantize(_QUANTUM[minor_unit(currency)]), currency)
            if cls is Money:
                _ZEROS[currency] = found
        return found

    def rounded(self) -> Money:
        """This amount rounded half-up to the currency's minor unit."""
        quantum = _QUANTUM[MINOR_UNITS[self.currency]]
        amount = self.amount.quantize(quantum, rounding=ROUND_HALF_UP, context=_WIDE)
        return Money(amount, self.currency)

    @property
    def is_rounded(self) -> bool:
        return self.amount == self.rounded().amount

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise WrongTypeError("other", other, "Money")
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency)
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float):
            raise FloatAmountError("factor", factor)
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise WrongTypeError("factor", factor, "an int or Decimal")
        try:
            amount = self.amount * factor
        except ArithmeticError:  # beyond what a Decimal can hold, or a signalling NaN
            raise ValidationError("factor", factor, "gives no amount Money can hold") from None
        return Money(amount, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum ``amounts`` (all in ``currency``); the empty sum is zero."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def allocate(whole: Money, weights: Sequence[int | Decimal]) -> list[Money]:
    """Split ``whole`` (rounded to its minor unit) in proportion to ``weights``.

    The parts are rounded and always sum exactly to the rounded whole.  Leftover
    minor units go one each to the parts with the largest truncated remainder
    (ties: the earlier part), which makes the split deterministic.  A negative
    whole is split like its absolute value and negated.

    Raises:
        ValidationError: no weights, a negative weight, or all weights zero.
    """
    if not weights:
        raise ValidationError("weights", list(weights), "need at least one part")
    for w in weights:
        if isinstance(w, float):
            raise FloatAmountError("weights", w)
        if isinstance(w, bool) or not isinstance(w, int | Decimal):
            raise TypeError(f"allocation weights must be int or Decimal, not {w!r}")
        if w < 0:
            raise ValidationError("weights", list(weights), "weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValidationError("weights", list(weights), "weights must not all be zero")
    whole = whole.rounded()
    sign = -1 if whole.amount < 0 else 1
    digits = MINOR_UNITS[whole.currency]
    units = int(abs(whole.amount).scaleb(digits))  # whole in minor units
    shares: list[int] = []
    remainders: list[Decimal] = []
    for w in weights:
        exact = Decimal(units) * Decimal(w) / weight_sum
        floor = int(exact)
        shares.append(floor)
        remainders.append(exact - floor)
    leftover = units - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        shares[i] += 1
    quantum = _QUANTUM[digits]
    return [
        Money((Decimal(sign * s).scaleb(-digits)).quantize(quantum), whole.currency) for s in shares
    ]


def money_validator(_: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a :class:`Money` (floats named as such) of at most
    :data:`MAX_MONEY` either way."""
    if isinstance(value, float):
        raise FloatAmountError(attribute.name, value)
    if not isinstance(value, Money):
        raise ValidationError(attribute.name, value, "must be Money")
    if not -MAX_MONEY <= value.amount <= MAX_MONEY:
        raise ValidationError(attribute.name, value, f"must be within ±{MAX_MONEY:,}")


def optional_money_validator(_: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        money_validator(_, attribute, value)
