"""Reading rule sets from plain data (JSON/TOML shapes), with errors naming the rule and field."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any, NoReturn

import attrs

from ecerp.domain.routing.conditions import AmountRange, Conditions, IntRange, SetMatch
from ecerp.domain.routing.errors import RuleError
from ecerp.domain.routing.rules import Actions, Rule
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
