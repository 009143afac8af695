"""Dry runs: what a rule set would have changed on past orders."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ecerp.domain.routing.facts import OrderFacts, _show_one
from ecerp.domain.routing.rules import Decision, RuleSet

#: The decision fields a dry run compares, in report order.
ROUTED_FIELDS: tuple[str, ...] = ("warehouse", "service", "hold")


@attrs.frozen
class RouteChange:
    """Order ``order`` would get ``field`` = ``after`` instead of ``before``
    (``None``: not set by any rule), decided by ``rule``."""

    order: str
    field: str
    before: str | None
    after: str | None
    rule: str | None

    def __str__(self) -> str:
        by = f" (rule {self.rule!r})" if self.rule is not None else " (no rule)"
        return f"{self.order}: {self.field} {_show_one(self.before)} -> {_show_one(self.after)}{by}"


def dry_run(
    ruleset: RuleSet,
    facts_by_order: Mapping[str, OrderFacts],
    current: Mapping[str, Decision],
) -> list[RouteChange]:
    """What routing with ``ruleset`` would change for each order in
    ``facts_by_order`` compared with its ``current`` decision (an order
    missing from ``current`` had :meth:`Decision.none`).

    Only warehouse, service and hold are compared (:data:`ROUTED_FIELDS`);
    tags and priority are not reported.  The result is sorted by order id,
    then field, so it does not depend on the mappings' order.
    """
    changes: list[RouteChange] = []
    for order in sorted(facts_by_order):
        after = ruleset.decide(facts_by_order[order])
        before = current.get(order, Decision.none())
        for field in ROUTED_FIELDS:
            old, new = getattr(before, field), getattr(after, field)
            if old != new:
                changes.append(RouteChange(order, field, old, new, after.rule))
    return changes
