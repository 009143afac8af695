"""Configuration the use cases consult: review policy, blacklist, payments.

Given to :func:`ecerp.open_erp` (or the bus) once; every handler sees it
through its :class:`~ecerp.usecases.context.Context`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.orders.holds import ReviewPolicy
from ecerp.domain.routing.rules import RuleSet
from ecerp.ports.carrier_rates import CarrierRates
from ecerp.ports.payments import PaymentRecords


def _lower(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v.strip())


def _tables(
    value: Mapping[str, Iterable[RateTable]] | Iterable[RateTable],
) -> Mapping[str, tuple[RateTable, ...]]:
    # no entry for a warehouse without tables: ``not rate_tables`` means none at all
    pairs = value.items() if isinstance(value, Mapping) else [(ANY_WAREHOUSE, value)]
    found = {wh: tuple(tables) for wh, tables in pairs}
    return {wh: tables for wh, tables in found.items() if tables}


#: A carrier asked live, and which of its services to ask about.
LiveService = tuple[CarrierRates, str]


def _live(
    value: Mapping[str, Iterable[LiveService]] | Iterable[LiveService],
) -> Mapping[str, tuple[LiveService, ...]]:
    if isinstance(value, Mapping):
        return {wh: tuple(services) for wh, services in value.items()}
    return {ANY_WAREHOUSE: tuple(value)}


#: Rate tables under this key apply to every warehouse.
ANY_WAREHOUSE = "*"


@attrs.frozen
class Config:
    """What the use cases consult besides the books.

    ``review``: the checks run on import and after edits (``None``: no review
    holds).  ``blacklist``: buyer ids, e-mails or names to hold.
    ``payments``: where payment records come from (``None``: not checked).
    ``rules``: routing rules (warehouse, service, hold, tags, priority).
    ``rate_tables``: freight tables by shipping warehouse (``"*"``: any), used
    to pick the cheapest warehouse and carrier service.
    ``live_services``: ``(CarrierRates, service)`` pairs by shipping warehouse,
    asked live when an allocated order's service is chosen (a carrier that
    cannot be reached is skipped; its tables still count).
    """

    review: ReviewPolicy | None = None
    blacklist: frozenset[str] = attrs.field(default=frozenset(), converter=_lower)
    payments: PaymentRecords | None = None
    rules: RuleSet | None = None
    rate_tables: Mapping[str, tuple[RateTable, ...]] = attrs.field(factory=dict, converter=_tables)
    live_services: Mapping[str, tuple[LiveService, ...]] = attrs.field(
        factory=dict, converter=_live
    )

    def tables_for(self, warehouse: str) -> tuple[RateTable, ...]:
        return self.rate_tables.get(warehouse, ()) + self.rate_tables.get(ANY_WAREHOUSE, ())

    def live_for(self, warehouse: str) -> tuple[LiveService, ...]:
        return self.live_services.get(warehouse, ()) + self.live_services.get(ANY_WAREHOUSE, ())
