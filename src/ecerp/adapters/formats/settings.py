"""Settings as a JSON document, and back.

Encoding choices (one place for all of them):

* the document is an object ``{"format": 1, "review": ..., "blacklist":
  [...], "rules": ..., "rate_tables": {...}}``, keys sorted, so equal
  settings give equal text;
* ``review`` is ``null`` (no review) or ``{"checks": [...]}``; each check is
  ``{"check": <kind>, "code": <code>, ...its parameters}`` with the kinds of
  :data:`CHECKS`.  A check ecerp does not define is stored as ``{"check":
  "external", "code": ...}`` (see :class:`~ecerp.domain.settings.ExternalCheck`);
* money is ``{"amount": "500.00", "currency": "EUR"}`` (decimal strings),
  a duration a whole number of microseconds, sets sorted lists;
* ``rules`` is :meth:`RuleSet.to_dict <ecerp.domain.routing.RuleSet.to_dict>`,
  each rate table :meth:`RateTable.to_dict
  <ecerp.domain.carriers.rates.RateTable.to_dict>` (their own documented formats),
  under its warehouse key (``"*"``: any warehouse).

Reading validates everything through the domain's constructors: a malformed
document raises :class:`SettingsFormatError` naming the path, and never
yields a value the domain would refuse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, NoReturn

from ecerp.adapters.formats.rates import rate_table_from_data
from ecerp.adapters.formats.rules import rules_from_data
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.orders.holds import (
    Blacklisted,
    BuyerNote,
    Check,
    IncompleteAddress,
    LikelyDuplicate,
    PaymentMismatch,
    PoBox,
    ReviewPolicy,
    Unpaid,
    ValueOver,
)
from ecerp.domain.settings import ExternalCheck, Settings
from ecerp.domain.shared.errors import EcerpError, ValidationError
from ecerp.domain.shared.money import Money

FORMAT = 1


class SettingsFormatError(ValidationError):
    """A stored settings document cannot be read: names the path in it."""

    def __init__(self, path: str, value: object, reason: str) -> None:
        super().__init__(f"settings.{path}" if path else "settings", value, reason)


def _fail(path: str, value: object, reason: str) -> NoReturn:
    raise SettingsFormatError(path, value, reason)


def _money(value: Money) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": value.currency}


def _read_money(raw: object, path: str) -> Money:
    if not isinstance(raw, Mapping) or set(raw) != {"amount", "currency"}:
        _fail(path, raw, "must be {'amount': '...', 'currency': '...'}")
    amount, currency = raw["amount"], raw["currency"]
    if not isinstance(amount, str) or not isinstance(currency, str):
        _fail(path, raw, "amount and currency must be strings")
    try:
        return Money(Decimal(amount), currency)
    except (ArithmeticError, ValueError, EcerpError) as err:
        _fail(path, raw, str(err))


# --- checks: (kind, type, to data, from data) ---------------------------------------


def _plain(kind: type[Any]) -> tuple[Callable[[Any], dict[str, Any]], Callable[..., Any]]:
    return (lambda check: {}), (lambda data, path: kind(code=data.pop("code")))


def _address_dump(check: IncompleteAddress) -> dict[str, Any]:
    return {"required": list(check.required), "no_postcode": sorted(check.no_postcode)}


def _address_load(data: dict[str, Any], path: str) -> IncompleteAddress:
    required, no_postcode = data.pop("required", None), data.pop("no_postcode", None)
    for name, value in (("required", required), ("no_postcode", no_postcode)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            _fail(f"{path}.{name}", value, "must be a list of strings")
    fields = ("name", "line1", "line2", "city", "region", "postcode", "country")
    for field in required or ():
        if field not in fields:
            _fail(f"{path}.required", field, f"must be address fields ({', '.join(fields)})")
    return IncompleteAddress(
        code=data.pop("code"),
        required=tuple(required or ()),
        no_postcode=frozenset(no_postcode or ()),
    )


def _value_dump(check: ValueOver) -> dict[str, Any]:
    return {"limits": {cur: _money(limit) for cur, limit in sorted(check.limits.items())}}


def _value_load(data: dict[str, Any], path: str) -> ValueOver:
    limits = data.pop("limits", None)
    if not isinstance(limits, Mapping):
        _fail(f"{path}.limits", limits, "must map currencies to money")
    read = {cur: _read_money(raw, f"{path}.limits.{cur}") for cur, raw in limits.items()}
    try:
        return ValueOver(read, code=data.pop("code"))
    except EcerpError as err:
        _fail(f"{path}.limits", limits, str(err))


def _duplicate_dump(check: LikelyDuplicate) -> dict[str, Any]:
    return {"window_us": check.window // timedelta(microseconds=1)}


def _duplicate_load(data: dict[str, Any], path: str) -> LikelyDuplicate:
    window = data.pop("window_us", None)
    if type(window) is not int or window < 0:
        _fail(f"{path}.window_us", window, "must be a non-negative int of microseconds")
    try:
        span = timedelta(microseconds=window)
    except OverflowError:
        _fail(f"{path}.window_us", window, "is too long")
    return LikelyDuplicate(window=span, code=data.pop("code"))


_Codec = tuple[type[Any], Callable[[Any], dict[str, Any]], Callable[[dict[str, Any], str], Any]]

#: Every check kind a document may name, with its class and (de)serialisers.
CHECKS: dict[str, _Codec] = {
    "buyer_note": (BuyerNote, *_plain(BuyerNote)),
    "unpaid": (Unpaid, *_plain(Unpaid)),
    "payment_mismatch": (PaymentMismatch, *_plain(PaymentMismatch)),
    "incomplete_address": (IncompleteAddress, _address_dump, _address_load),
    "po_box": (PoBox, *_plain(PoBox)),
    "blacklisted": (Blacklisted, *_plain(Blacklisted)),
    "value_over": (ValueOver, _value_dump, _value_load),
    "likely_duplicate": (LikelyDuplicate, _duplicate_dump, _duplicate_load),
    "external": (ExternalCheck, _plain(ExternalCheck)[0], _plain(ExternalCheck)[1]),
}
_KIND = {kind: name for name, (kind, _, _) in CHECKS.items()}


def dump_check(check: Check) -> dict[str, Any]:
    """One (storable) check as data.

    Raises:
        ValidationError: not a check ecerp stores (make it storable first
            with :func:`~ecerp.domain.settings.storable_review`).
    """
    name = _KIND.get(type(check))
    if name is None:
        raise ValidationError("review.checks", check, "is not a storable check")
    return {"check": name, "code": check.code, **CHECKS[name][1](check)}


def load_check(raw: object, path: str) -> Check:
    if not isinstance(raw, Mapping):
        _fail(path, raw, "must be an object")
    data = dict(raw)
    name = data.pop("check", None)
    if not isinstance(name, str) or name not in CHECKS:
        _fail(f"{path}.check", name, f"must be one of {', '.join(sorted(CHECKS))}")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        _fail(f"{path}.code", code, "must be a non-blank string")
    check = CHECKS[name][2](data, path)
    if data:
        _fail(path, sorted(data), "unknown keys")
    return check  # type: ignore[no-any-return]


# --- the document -----------------------------------------------------------------------


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """Plain data (JSON-friendly) that :func:`settings_from_dict` reads back
    to equal settings."""
    review = settings.review
    return {
        "format": FORMAT,
        "review": None if review is None else {"checks": [dump_check(c) for c in review.checks]},
        "blacklist": sorted(settings.blacklist),
        "rules": None if settings.rules is None else settings.rules.to_dict(),
        "rate_tables": {
            warehouse: [table.to_dict() for table in tables]
            for warehouse, tables in sorted(settings.rate_tables.items())
        },
    }


def settings_from_dict(data: object) -> Settings:
    """Settings from plain data.

    Raises:
        SettingsFormatError: malformed, naming the path.
    """
    if not isinstance(data, Mapping):
        _fail("", data, "must be an object")
    keys = {"format", "review", "blacklist", "rules", "rate_tables"}
    if set(data) - keys:
        _fail("", sorted(set(data) - keys), "unknown keys")
    if data.get("format") != FORMAT or type(data.get("format")) is not int:
        _fail("format", data.get("format"), f"unsupported format (this reads {FORMAT})")
    raw_review = data.get("review")
    review: ReviewPolicy | None = None
    if raw_review is not None:
        if not isinstance(raw_review, Mapping) or set(raw_review) != {"checks"}:
            _fail("review", raw_review, "must be null or {'checks': [...]}")
        checks = raw_review["checks"]
        if not isinstance(checks, list):
            _fail("review.checks", checks, "must be a list")
        review = ReviewPolicy(
            tuple(load_check(c, f"review.checks[{i}]") for i, c in enumerate(checks))
        )
    blacklist = data.get("blacklist", [])
    if not isinstance(blacklist, list):
        _fail("blacklist", blacklist, "must be a list of strings")
    raw_rules = data.get("rules")
    rules = None
    if raw_rules is not None:
        try:
            rules = rules_from_data(raw_rules)
        except EcerpError as err:
            _fail("rules", raw_rules, str(err))
    raw_tables = data.get("rate_tables", {})
    if not isinstance(raw_tables, Mapping):
        _fail("rate_tables", raw_tables, "must map warehouses to lists of tables")
    tables: dict[str, list[RateTable]] = {}
    for warehouse, group in raw_tables.items():
        if not isinstance(group, list):
            _fail(f"rate_tables.{warehouse}", group, "must be a list of tables")
        try:
            tables[warehouse] = [rate_table_from_data(t) for t in group]
        except EcerpError as err:
            _fail(f"rate_tables.{warehouse}", group, str(err))
    try:
        return Settings(review=review, blacklist=blacklist, rules=rules, rate_tables=tables)
    except EcerpError as err:
        _fail("", data, str(err))


def dump_settings(settings: Settings) -> str:
    """Settings as JSON text (keys sorted: equal settings, equal text)."""
    return json.dumps(settings_to_dict(settings), sort_keys=True, separators=(",", ":"))


def load_settings(text: str) -> Settings:
    """Settings from JSON text (numbers with a fraction read as ``Decimal``).

    Raises:
        SettingsFormatError: not JSON, or malformed.
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, TypeError) as err:
        _fail("", text, f"not valid JSON: {err}")
    return settings_from_dict(data)


__all__ = [
    "CHECKS",
    "SettingsFormatError",
    "dump_check",
    "dump_settings",
    "load_check",
    "load_settings",
    "settings_from_dict",
    "settings_to_dict",
]
