"""Per-item outcomes of batch use cases.

Batch work returns results, not the first exception: every item gets an
:class:`Outcome`, and rejected ones carry their typed error::

    >>> result = BatchResult((Outcome("a", OutcomeKind.CREATED, "a"),
    ...                       Outcome("b", OutcomeKind.REJECTED, error=DomainError("bad"))))
    >>> result.counts()
    {'created': 1, 'rejected': 1}
    >>> [o.ref for o in result.rejected]
    ['b']
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

import attrs

from ecerp.domain.shared.errors import DomainError, EcerpError


class OutcomeKind(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ALLOCATED = "allocated"
    WAITING = "waiting"
    HELD = "held"
    UNMAPPED = "unmapped"
    """Kept, but a listing SKU resolves to nothing yet (detail: the codes)."""
    DONE = "done"
    REJECTED = "rejected"


def _same_error(error: EcerpError | None) -> object:
    """Errors compare by type, message and fields (an outcome read back from
    storage equals the one first returned)."""
    return None if error is None else (type(error), error.message, error.fields)


@attrs.frozen
class Outcome:
    """What happened to one item of a batch.

    ``ref`` names the item as the caller gave it (an order key, an id);
    ``order`` is the internal order id when there is one.
    """

    ref: str
    kind: OutcomeKind
    order: str | None = None
    error: EcerpError | None = attrs.field(default=None, eq=_same_error, hash=False)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is not OutcomeKind.REJECTED


@attrs.frozen
class BatchResult:
    outcomes: tuple[Outcome, ...]

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind is OutcomeKind.REJECTED]

    @property
    def ok(self) -> bool:
        return not self.rejected

    def of_kind(self, kind: OutcomeKind) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind is kind]

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for o in self.outcomes:
            result[o.kind.value] = result.get(o.kind.value, 0) + 1
        return result

    def by_ref(self) -> dict[str, Outcome]:
        return {o.ref: o for o in self.outcomes}


_ = DomainError  # used by the module doctest
