"""Routing rules: which warehouse and carrier service an order gets, as data.

A :class:`RuleSet` is an ordered list of :class:`Rule` values.  Each rule has
:class:`Conditions` (every one optional; a rule with none matches every
order) and :class:`Actions` (at least one of: warehouse, carrier service,
hold with a reason, tags to add, priority).  Rules look at :class:`OrderFacts`,
a flat summary of an order built from the order and the catalog, never at the
order itself, so the same rules can be re-run, explained and dry-run over past
orders.  **The first enabled rule whose conditions all hold wins**; later
rules are not looked at.

Conditions, and how they compare (every list must be non-empty):

============== ============================================================
``channels``   the order's channel is one of these (exact)
``shops``      the order's shop is one of these (exact)
``sites``      the shop's marketplace site is one of these (exact); an
               order whose shop has no site never matches
``countries``  destination country is one of these (case-insensitive free
               text: codes are not checked against ISO 3166)
``regions``    destination region (state, province) is one of these
               (case-insensitive)
``postcodes``  destination postcode matches one of these *glob* patterns:
               ``*`` any run of characters, ``?`` one character, ``[0-4]``
               one character of a range.  Patterns and postcodes are
               compared upper-cased with spaces and hyphens removed, so
               ``"SW1A*"`` matches ``"sw1a 1aa"`` and ``"100-0*"`` matches
               ``"100-0001"``.  A prefix is ``"10*"``; the range 10000 to
               14999 is ``"1[0-4]*"``.
``amount``     ``{currency, min, max}``: the order total is in this currency
               and ``min <= total <= max`` (both bounds inclusive, either
               may be left out).  An order in another currency never matches
               (rules do not convert currencies).
``weight_g``   ``{min, max}``: total weight in grams (SKU weight times
               quantity over all lines), bounds inclusive.
``skus``       ``{any, all, none}`` over the warehouse SKUs of all lines
               (bundles expanded): at least one of ``any``, every one of
               ``all``, none of ``none``.
``categories`` the same over the SKUs' categories.
``tags``       the same over the SKUs' (and their products') tags and the
               order's own tags.
``lines``      ``{min, max}``: the number of order lines, inclusive.
``shipping_levels`` the buyer-chosen shipping level is one of these (exact).
============== ============================================================

Rule sets load from plain data (a dict, JSON or TOML) and are validated on
load: unknown keys, wrong types, money that is a float or has an unknown
currency, empty lists, empty actions and duplicate rule names all raise a
:class:`RuleError` naming the rule and the field path.  Reading is a format,
done by ``ecerp.adapters.formats.rules``; :meth:`RuleSet.from_dict`,
:meth:`~RuleSet.from_json` and :meth:`~RuleSet.from_toml` delegate to the
:class:`RuleSetReader` the composition root installs (importing ``ecerp``
does)::

    >>> from ecerp.domain.routing.facts import OrderFacts
    >>> from ecerp.domain.shared.money import Money
    >>> rules = RuleSet.from_toml('''
    ... [[rules]]
    ... name = "big-to-express"
    ... conditions = { countries = ["DE", "AT"], amount = { currency = "EUR", min = "100" } }
    ... actions = { service = "dhl-express", priority = 5 }
    ...
    ... [[rules]]
    ... name = "eu-from-berlin"
    ... conditions = { countries = ["DE", "AT", "FR"] }
    ... actions = { warehouse = "BER", service = "dhl-parcel" }
    ... ''')
    >>> from ecerp.domain.shared.money import Money
    >>> facts = OrderFacts(channel="shopify", shop="web", amount=Money.of("35", "EUR"),
    ...                    country="DE", weight_g=800)
    >>> decision = rules.decide(facts)
    >>> decision.rule, decision.warehouse, decision.service
    ('eu-from-berlin', 'BER', 'dhl-parcel')
    >>> print(rules.explain(facts))
    rules[0] 'big-to-express' did not match: amount is 35.00 EUR, expected at least 100.00 EUR
    rules[1] 'eu-from-berlin' matched: warehouse BER, service dhl-parcel
    >>> RuleSet.from_dict({"rules": [{"name": "x", "actions": {"warehous": "BER"}}]})
    Traceback (most recent call last):
    ...
    ecerp.domain.routing.errors.RuleError: rule 'x' (rules[0]): actions.warehous: unknown key (allowed: hold, priority, service, tags, warehouse)

:func:`dry_run` applies a rule set to past orders' facts and reports which
would change warehouse, service or hold, from what to what.

Everything here is pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import attrs

from ecerp.domain.routing.conditions import Conditions
from ecerp.domain.routing.errors import RuleError
from ecerp.domain.routing.facts import (
    FORMAT_VERSION,
    Failure,
    OrderFacts,
    _names,
    _tags_validator,
)
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import (
    MAX_NOTE_LEN,
    code_validator,
    require_code,
    require_priority,
    require_text,
    values_of,
)


def _opt_code(_: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_code(attribute.name, value)


def _opt_reason(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError(attribute.name, value, "must be a non-empty reason")
    if value is not None:
        require_text(attribute.name, value, MAX_NOTE_LEN)


def _opt_priority(_: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_priority(attribute.name, value)


@attrs.frozen
class Actions:
    """What a matching rule does: at least one of these.

    ``hold`` is the reason the order is held for review; ``tags`` are added
    to the order's tags; ``priority`` replaces the order's priority.
    """

    warehouse: str | None = attrs.field(default=None, validator=_opt_code)
    service: str | None = attrs.field(default=None, validator=_opt_code)
    hold: str | None = attrs.field(default=None, validator=_opt_reason)
    tags: frozenset[str] = attrs.field(
        default=frozenset(), converter=_names, validator=_tags_validator
    )
    priority: int | None = attrs.field(default=None, validator=_opt_priority)

    def __attrs_post_init__(self) -> None:
        if (
            self.warehouse is None
            and self.service is None
            and self.hold is None
            and not self.tags
            and self.priority is None
        ):
            raise ValidationError(
                "actions",
                {},
                "a rule needs at least one action (warehouse, service, hold, tags or priority)",
            )

    def __str__(self) -> str:
        parts = []
        if self.warehouse is not None:
            parts.append(f"warehouse {self.warehouse}")
        if self.service is not None:
            parts.append(f"service {self.service}")
        if self.hold is not None:
            parts.append(f"hold ({self.hold})")
        if self.tags:
            parts.append("tags " + " ".join(f"+{t}" for t in sorted(self.tags)))
        if self.priority is not None:
            parts.append(f"priority {self.priority}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in ("warehouse", "service", "hold"):
            value = getattr(self, key)
            if value is not None:
                result[key] = value
        if self.tags:
            result["tags"] = sorted(self.tags)
        if self.priority is not None:
            result["priority"] = self.priority
        return result


def _bool_validator(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, value, "must be true or false")


@attrs.frozen
class Rule:
    """A named rule: when ``conditions`` hold, do ``actions``."""

    name: str = attrs.field(validator=code_validator)
    actions: Actions = attrs.field(validator=attrs.validators.instance_of(Actions))
    conditions: Conditions = attrs.field(
        factory=Conditions, validator=attrs.validators.instance_of(Conditions)
    )
    enabled: bool = attrs.field(default=True, validator=_bool_validator)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"name": self.name, "enabled": self.enabled}
        conditions = self.conditions.to_dict()
        if conditions:
            result["conditions"] = conditions
        result["actions"] = self.actions.to_dict()
        return result


@attrs.frozen
class Decision:
    """The outcome of routing one order: the rule that matched and its
    actions, or neither (:meth:`none`)."""

    rule: str | None = None
    actions: Actions | None = None

    def __attrs_post_init__(self) -> None:
        if (self.rule is None) != (self.actions is None):
            raise ValidationError(
                "rule", self.rule, "a decision has a rule and actions, or neither"
            )

    @classmethod
    def none(cls) -> Decision:
        """No rule decided."""
        return cls()

    @property
    def matched(self) -> bool:
        return self.rule is not None

    @property
    def warehouse(self) -> str | None:
        return self.actions.warehouse if self.actions is not None else None

    @property
    def service(self) -> str | None:
        return self.actions.service if self.actions is not None else None

    @property
    def hold(self) -> str | None:
        return self.actions.hold if self.actions is not None else None

    @property
    def tags(self) -> frozenset[str]:
        return self.actions.tags if self.actions is not None else frozenset()

    @property
    def priority(self) -> int | None:
        return self.actions.priority if self.actions is not None else None

    def __str__(self) -> str:
        if self.rule is None:
            return "no rule matched"
        return f"rule {self.rule!r}: {self.actions}"


@attrs.frozen
class RuleCheck:
    """Why one rule did not match: it is disabled, or these conditions failed."""

    rule: str
    index: int
    enabled: bool
    failures: tuple[Failure, ...] = ()

    def __str__(self) -> str:
        label = f"rules[{self.index}] {self.rule!r}"
        if not self.enabled:
            return f"{label} is disabled"
        return f"{label} did not match: " + "; ".join(f.message for f in self.failures)


@attrs.frozen
class Explanation:
    """Which rule decided (``decision``, ``index``) and, for each rule before
    it (all rules when none matched), why it did not."""

    decision: Decision
    index: int | None
    skipped: tuple[RuleCheck, ...]

    def lines(self) -> tuple[str, ...]:
        result = [str(check) for check in self.skipped]
        if self.decision.rule is None:
            result.append("no rule matched")
        else:
            result.append(
                f"rules[{self.index}] {self.decision.rule!r} matched: {self.decision.actions}"
            )
        return tuple(result)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _unique_names(_: Any, __: Any, rules: tuple[Rule, ...]) -> None:
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if not isinstance(rule, Rule):
            raise RuleError(None, i, "", rule, "must be a Rule")
        if rule.name in seen:
            raise RuleError(
                rule.name,
                i,
                "name",
                rule.name,
                f"duplicate rule name (also rules[{seen[rule.name]}])",
            )
        seen[rule.name] = i


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    rules = values_of("rules", value)
    for rule in rules:
        if not isinstance(rule, Rule):
            raise ValidationError("rules", rule, "must be a Rule")
    return rules


@attrs.frozen
class RuleSet:
    """Ordered routing rules; the first enabled rule that matches decides."""

    rules: tuple[Rule, ...] = attrs.field(default=(), converter=_rules, validator=_unique_names)

    def decide(self, facts: OrderFacts) -> Decision:
        """The first enabled rule whose conditions ``facts`` meets, or
        :meth:`Decision.none`."""
        for rule in self.rules:
            if rule.enabled and rule.conditions.matches(facts):
                return Decision(rule.name, rule.actions)
        return Decision.none()

    def explain(self, facts: OrderFacts) -> Explanation:
        """The decision, with every earlier rule's reasons for not matching."""
        skipped = []
        for i, rule in enumerate(self.rules):
            if not rule.enabled:
                skipped.append(RuleCheck(rule.name, i, enabled=False))
                continue
            failures = rule.conditions.failures(facts)
            if not failures:
                return Explanation(Decision(rule.name, rule.actions), i, tuple(skipped))
            skipped.append(RuleCheck(rule.name, i, enabled=True, failures=failures))
        return Explanation(Decision.none(), None, tuple(skipped))

    # --- data ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data (str, int, bool, lists, dicts) that :meth:`from_dict`
        reads back to an equal rule set; JSON- and TOML-friendly.  Sets come
        out sorted, money amounts as decimal strings."""
        return {"version": FORMAT_VERSION, "rules": [rule.to_dict() for rule in self.rules]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """A rule set from plain data: ``{"version": 1, "rules": [...]}``
        (``version`` optional), read by the installed :class:`RuleSetReader`.

        Money amounts may be decimal strings, ints or ``Decimal``; floats are
        refused (use :meth:`from_json`/:meth:`from_toml`, which read decimals
        exactly).

        Raises:
            RuleError: the first problem found, naming the rule and field.
        """
        return _reader().from_data(data)

    @classmethod
    def from_json(cls, text: str) -> RuleSet:
        """Read JSON text (numbers with a fraction are read as ``Decimal``).

        Raises:
            RuleError: not JSON, or a rule is malformed.
        """
        return _reader().from_json(text)

    @classmethod
    def from_toml(cls, text: str) -> RuleSet:
        """Read TOML text (``[[rules]]`` tables; floats read as ``Decimal``).

        Raises:
            RuleError: not TOML, or a rule is malformed.
        """
        return _reader().from_toml(text)


class RuleSetReader(Protocol):
    """Reads rule sets from what people write (implemented by the formats
    adapter, ``ecerp.adapters.formats.rules``).  Each method raises
    :class:`RuleError` naming the rule and field path of the first problem."""

    def from_data(self, data: object) -> RuleSet:
        """A rule set from plain data (dicts, lists, strings, ints)."""
        ...

    def from_json(self, text: str) -> RuleSet:
        """A rule set from JSON text."""
        ...

    def from_toml(self, text: str) -> RuleSet:
        """A rule set from TOML text."""
        ...


_READERS: list[RuleSetReader] = []
"""The installed reader (at most one: the last installed wins)."""


def install_reader(reader: RuleSetReader) -> None:
    """Make :meth:`RuleSet.from_dict`, :meth:`~RuleSet.from_json` and
    :meth:`~RuleSet.from_toml` read through ``reader`` (the composition
    root installs the formats adapter's when ``ecerp`` is imported)."""
    _READERS[:] = [reader]


def _reader() -> RuleSetReader:
    if not _READERS:
        raise RuleError(
            None, None, "", None, "no rule-set reader installed (import ecerp to install it)"
        )
    return _READERS[0]
