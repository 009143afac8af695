"""Configuration the use cases consult: review policy, blacklist, payments.

Given to :func:`ecerp.open_erp` (or the bus) once; every handler sees it
through its :class:`~ecerp.usecases.context.Context`.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ecerp.domain.holds import ReviewPolicy
from ecerp.ports.payments import PaymentRecords


def _lower(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v.strip())


@attrs.frozen
class Config:
    """``review``: the checks run on import and after edits (``None``: no
    review holds).  ``blacklist``: buyer ids, e-mails or names to hold.
    ``payments``: where payment records come from (``None``: not checked)."""

    review: ReviewPolicy | None = None
    blacklist: frozenset[str] = attrs.field(default=frozenset(), converter=_lower)
    payments: PaymentRecords | None = None
