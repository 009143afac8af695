"""Rule sets read from plain data, JSON and TOML: a format, so an adapter.

The domain's :class:`~ecerp.domain.routing.rules.RuleSet` receives validated
values; this module turns what people write (a dict, JSON or TOML text) into
them, raising :class:`~ecerp.domain.routing.errors.RuleError` naming the rule
and the field path for the first problem found.  ``RuleSet.from_dict``,
``from_json`` and ``from_toml`` delegate here through the reader the
composition root installs (:data:`READER`).

Encoding choices: the document is ``{"version": 1, "rules": [...]}``
(``version`` optional); JSON and TOML numbers with a fraction are read as
``Decimal``; money is a decimal string, an int or a ``Decimal``, never a
float; sets are lists; unknown keys are refused, naming the allowed ones.

Why not cattrs: every message here names a rule and a field path in words
people fix rules with (``unknown key (allowed: ...)``, ``money must not be a
float``) and maps the domain validators' errors onto that path; cattrs'
structuring would need a custom hook per field to say the same, adding a
layer without removing code.  The readers are short, explicit and not a
hot path.

    >>> rules = rules_from_toml('''
    ... [[rules]]
    ... name = "eu-from-berlin"
    ... conditions = { countries = ["DE", "AT", "FR"] }
    ... actions = { warehouse = "BER", service = "dhl-parcel" }
    ... ''')
    >>> rules.rules[0].actions.warehouse
    'BER'
    >>> rules_from_data({"rules": [{"name": "x", "actions": {"warehous": "BER"}}]})
    Traceback (most recent call last):
    ...
    ecerp.domain.routing.errors.RuleError: rule 'x' (rules[0]): actions.warehous: unknown key (allowed: hold, priority, service, tags, warehouse)
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any, NoReturn

import attrs

from ecerp.domain.routing.conditions import AmountRange, Conditions, IntRange, SetMatch
from ecerp.domain.routing.errors import RuleError
from ecerp.domain.routing.facts import FORMAT_VERSION
from ecerp.domain.routing.rules import Actions, Rule, RuleSet
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money

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


def rules_from_data(data: object) -> RuleSet:
    """A rule set from plain data: ``{"version": 1, "rules": [...]}``
    (``version`` optional).

    Money amounts may be decimal strings, ints or ``Decimal``; floats are
    refused (use :func:`rules_from_json`/:func:`rules_from_toml`, which read
    decimals exactly).

    Raises:
        RuleError: the first problem found, naming the rule and field.
    """
    top = _Reader(None, None)
    fields = top.mapping(data, "", ("version", "rules"))
    if "version" in fields and (
        type(fields["version"]) is not int or fields["version"] != FORMAT_VERSION
    ):
        top.fail("version", fields["version"], f"unsupported version (this reads {FORMAT_VERSION})")
    raw_rules = fields.get("rules", [])
    if not isinstance(raw_rules, list | tuple):
        top.fail("rules", raw_rules, "must be a list of rules")
    return RuleSet([_read_rule(item, i) for i, item in enumerate(raw_rules)])


def rules_from_json(text: str) -> RuleSet:
    """Read JSON text (numbers with a fraction are read as ``Decimal``).

    Raises:
        RuleError: not JSON, or a rule is malformed.
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as err:
        raise RuleError(None, None, "", None, f"not valid JSON: {err}") from None
    return rules_from_data(data)


def rules_from_toml(text: str) -> RuleSet:
    """Read TOML text (``[[rules]]`` tables; floats read as ``Decimal``).

    Raises:
        RuleError: not TOML, or a rule is malformed.
    """
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as err:
        raise RuleError(None, None, "", None, f"not valid TOML: {err}") from None
    return rules_from_data(data)


class _RuleSetReader:
    """The :class:`~ecerp.domain.routing.rules.RuleSetReader` of this module."""

    def from_data(self, data: object) -> RuleSet:
        return rules_from_data(data)

    def from_json(self, text: str) -> RuleSet:
        return rules_from_json(text)

    def from_toml(self, text: str) -> RuleSet:
        return rules_from_toml(text)


#: What ``RuleSet.from_dict``/``from_json``/``from_toml`` delegate to once
#: the composition root installs it (``ecerp.adapters.formats.install_readers``).
READER = _RuleSetReader()
