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


#: How an outcome's detail tells that the item's order was merged into another.
MERGED_INTO = "merged into "


def merged_detail(merged_into: str | None, detail: str = "") -> str:
    """The detail shown for an order merged into ``merged_into``:
    ``"merged into <id>"``, then ``": <detail>"`` of where that order ended
    (``""`` when not merged)."""
    if merged_into is None:
        return detail
    return f"{MERGED_INTO}{merged_into}: {detail}" if detail else f"{MERGED_INTO}{merged_into}"


def merged_into_of(order: str | None, detail: str) -> str | None:
    """``merged_into`` of an outcome stored before it was a field (only its
    ``detail`` was kept): an imported order's ``"merged into <id>"``, or the
    merged order's own id when the outcome names it (``order``) and its
    detail starts ``"merged into <order>"``."""
    if not detail.startswith(MERGED_INTO):
        return None
    rest = detail[len(MERGED_INTO) :]
    if order is not None and (rest == order or rest.startswith(f"{order}: ")):
        return order
    return rest


def _same_error(error: EcerpError | None) -> object:
    """Errors compare by type, message and fields (an outcome read back from
    storage equals the one first returned)."""
    return None if error is None else (type(error), error.message, error.fields)


@attrs.frozen
class Outcome:
    """What happened to one item of a batch.

    ``ref`` names the item as the caller gave it (an order key, an id);
    ``order`` is the internal order id when there is one.  ``detail`` is
    for people (``"merged into …"``, ``"held: …"``, the warehouse);
    what code acts on is a field: ``merged_into`` is the order the item's
    order was merged into (it ended there), ``None`` when it was not.

    >>> o = Outcome("o-1", OutcomeKind.CREATED, "o-1", merged_into="m-1")
    >>> o.detail, o.merged_into
    ('merged into m-1', 'm-1')
    """

    ref: str
    kind: OutcomeKind
    order: str | None = None
    error: EcerpError | None = attrs.field(default=None, eq=_same_error, hash=False)
    merged_into: str | None = attrs.field(default=None, kw_only=True)
    detail: str = attrs.field(
        default=attrs.Factory(lambda self: merged_detail(self.merged_into), takes_self=True)
    )

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
