"""Settings: the order-handling policies a store keeps with its data.

A :class:`Settings` value holds what decides how orders are handled and can
be written down as data: the review policy, the blacklist, the routing rules
and the freight rate tables by warehouse.  The store keeps them as a
sequence of :class:`SettingsVersion`\\ s, each saying who changed what and
when; every process that opens the store applies the latest one, so a
webhook worker and a cron job hold and route orders exactly as the app that
set them up::

    >>> from ecerp.domain.orders.holds import BuyerNote, ReviewPolicy
    >>> before = Settings()
    >>> after = before.replace(review=ReviewPolicy((BuyerNote(),)), blacklist=["X@Y.COM"])
    >>> after.changes(before)
    ('review', 'blacklist')
    >>> sorted(after.blacklist)
    ['x@y.com']
    >>> after.replace(blacklist=["x@y.com"]) == after
    True

What cannot be written down stays with the process that opens the store:
payment records and live carrier services are objects that reach outside
(``open_erp(payments=..., live_services=...)``).  A review check written in
the application's own code is stored by its ``code`` as an
:class:`ExternalCheck`: a process that has the check (it passed the policy
to ``open_erp`` or ``erp.settings.set``) runs it; one that does not holds
the order with that code, saying the check is missing, rather than letting
it through unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.orders.holds import (
    Blacklisted,
    BuyerNote,
    Check,
    IncompleteAddress,
    LikelyDuplicate,
    PaymentMismatch,
    PoBox,
    ReviewContext,
    ReviewPolicy,
    Unpaid,
    ValueOver,
)
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldReason
from ecerp.domain.routing.rules import RuleSet
from ecerp.domain.shared.errors import ValidationError

#: Rate tables under this key apply to every warehouse.
ANY_WAREHOUSE = "*"

#: The settings a store keeps, in the order changes are listed.
FIELDS = ("review", "blacklist", "rules", "rate_tables")

#: The review checks ecerp itself defines (stored with their parameters).
BUILTIN_CHECKS: tuple[type[Any], ...] = (
    BuyerNote,
    Unpaid,
    PaymentMismatch,
    IncompleteAddress,
    PoBox,
    Blacklisted,
    ValueOver,
    LikelyDuplicate,
)

#: Longest text a setting name (warehouse key, check code, blacklist entry) may have.
MAX_NAME = 200


@attrs.frozen
class ExternalCheck:
    """A review check defined outside ecerp, as stored: only its ``code``.

    The process that has the check's code runs the real check in its place;
    elsewhere this stand-in holds every order it looks at, naming the
    missing check, so no order slips through a check nobody ran.
    """

    code: str

    def __call__(self, order: Order, ctx: ReviewContext) -> HoldReason | None:
        return HoldReason(
            self.code,
            f"review check {self.code!r} is not available in this process "
            "(open the ERP with the review policy that defines it)",
        )


def _name(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string")
    if not value.strip():
        raise ValidationError(field, value, "must not be blank")
    if len(value) > MAX_NAME or "\x00" in value:
        raise ValidationError(field, value, f"must be at most {MAX_NAME} characters, no NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, value, "must be valid text (no lone surrogates)") from None
    return value


def storable_check(check: object, index: int) -> Check:
    """``check`` as a store keeps it: a built-in check as it is, any other
    by its code (an :class:`ExternalCheck`).

    Raises:
        ValidationError: the check has no usable ``code``.
    """
    if type(check) in BUILTIN_CHECKS or type(check) is ExternalCheck:
        code = getattr(check, "code", None)
        _name(f"review.checks[{index}].code", code)
        return check  # type: ignore[return-value]
    if not callable(check):
        raise ValidationError(f"review.checks[{index}]", check, "must be a review check")
    return ExternalCheck(_name(f"review.checks[{index}].code", getattr(check, "code", None)))


def storable_review(policy: ReviewPolicy | None) -> ReviewPolicy | None:
    """The review policy as a store keeps it (see :func:`storable_check`).

    Raises:
        ValidationError: not a :class:`ReviewPolicy`, or a check without a code.
    """
    if policy is None:
        return None
    if not isinstance(policy, ReviewPolicy):
        raise ValidationError("review", policy, "must be a ReviewPolicy or None")
    checks = tuple(storable_check(check, i) for i, check in enumerate(policy.checks))
    codes = [c.code for c in checks]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise ValidationError("review.checks", duplicated, "two checks have the same code")
    return ReviewPolicy(checks)


def _blacklist(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("blacklist", value, "must be a collection of strings, not one")
    found = set()
    for entry in value:
        if not isinstance(entry, str):
            raise ValidationError("blacklist", entry, "must be a string")
        if entry.strip():
            found.add(_name("blacklist", entry).strip().lower())
    return frozenset(found)


def _rules(value: RuleSet | None) -> RuleSet | None:
    if value is not None and not isinstance(value, RuleSet):
        raise ValidationError("rules", value, "must be a RuleSet or None")
    return value


def rate_tables_by_warehouse(value: object) -> dict[str, tuple[RateTable, ...]]:
    """Rate tables by shipping warehouse (``"*"``: any); a plain list means
    every warehouse.  A warehouse without tables gets no entry.

    Raises:
        ValidationError: not rate tables, or a warehouse key is not a code.
    """
    pairs: list[tuple[object, object]]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("rate_tables", value, "must be rate tables (a list or by warehouse)")
    else:
        pairs = [(ANY_WAREHOUSE, value)]
    found: dict[str, tuple[RateTable, ...]] = {}
    for key, tables in pairs:
        warehouse = _name("rate_tables", key)
        if isinstance(tables, str | bytes | RateTable) or not isinstance(tables, Iterable):
            raise ValidationError(f"rate_tables[{warehouse!r}]", tables, "must be a list of tables")
        group = tuple(tables)
        for table in group:
            if not isinstance(table, RateTable):
                raise ValidationError(f"rate_tables[{warehouse!r}]", table, "must be a RateTable")
        if group:
            found[warehouse] = group
    return dict(sorted(found.items()))


@attrs.frozen(eq=True)
class Settings:
    """The storable settings of a store (every field validated on the way in).

    ``review``: the checks run on import and after edits (``None``: no
    review holds).  ``blacklist``: buyer ids, e-mails or names to hold
    (compared in lower case).  ``rules``: routing rules.  ``rate_tables``:
    freight tables by shipping warehouse (``"*"``: any).
    """

    review: ReviewPolicy | None = attrs.field(default=None, converter=storable_review)
    blacklist: frozenset[str] = attrs.field(default=frozenset(), converter=_blacklist)
    rules: RuleSet | None = attrs.field(default=None, converter=_rules)
    rate_tables: Mapping[str, tuple[RateTable, ...]] = attrs.field(
        factory=dict, converter=rate_tables_by_warehouse
    )

    def replace(self, **given: Any) -> Settings:
        """These settings with the ``given`` fields changed (validated).

        Raises:
            ValidationError: an unknown field or a malformed value.
        """
        unknown = sorted(set(given) - set(FIELDS))
        if unknown:
            raise ValidationError(unknown[0], given[unknown[0]], "is not a stored setting")
        return attrs.evolve(self, **given)

    def changes(self, before: Settings) -> tuple[str, ...]:
        """The fields that differ from ``before``, in :data:`FIELDS` order."""
        return tuple(f for f in FIELDS if getattr(self, f) != getattr(before, f))


def _version(_: Any, attribute: Any, value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValidationError("version", value, "must be a non-negative int")


@attrs.frozen
class SettingsVersion:
    """One version of a store's settings: number ``version`` (1, 2, ...),
    set by ``actor`` at ``at``, changing the fields in ``changed``.

    Version 0 is what a store has before anyone set anything: the defaults
    (no review, no rules, no rate tables), with no time nor actor.
    """

    version: int = attrs.field(validator=_version)
    settings: Settings = attrs.field(validator=attrs.validators.instance_of(Settings))
    actor: str = ""
    at: datetime | None = None
    changed: tuple[str, ...] = ()

    @classmethod
    def initial(cls) -> SettingsVersion:
        """Version 0: the defaults, before anything was set."""
        return cls(0, Settings())


__all__ = [
    "ANY_WAREHOUSE",
    "BUILTIN_CHECKS",
    "FIELDS",
    "ExternalCheck",
    "Settings",
    "SettingsVersion",
    "rate_tables_by_warehouse",
    "storable_review",
]
