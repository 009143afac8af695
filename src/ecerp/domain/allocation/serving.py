"""The serving order, and who gives stock back when some is lost.

**Serving order.**  The queue serves the highest priority first, then the
oldest, then by id, so the outcome never depends on the order of the input.
An order's place in the queue is the tuple ``(-priority, ordered_at, id)``;
the smaller place is served first.  This is the one definition: the
allocation policy sorts by it (:func:`ecerp.domain.allocation.policy.queue_key`),
the use cases page through the queue with it, and the SQL backends'
``ORDER BY`` is checked against it by a property test
(``tests/properties/test_serving_order_sql.py``).

    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> places = [serving_place(0, t, "B"), serving_place(5, t, "Z"), serving_place(0, t, "A")]
    >>> [p[2] for p in sorted(places)]
    ['Z', 'A', 'B']

**Giving stock back.**  When stock is lost (a negative adjustment, a
stocktake that found less) and a warehouse has more reserved than on hand,
orders give their stock back until it fits: held orders that keep stock
first, then orders not yet started, then those being picked, then packed
ones; within each stage, the last in the serving queue first.  Other orders
(shipped, cancelled, ...) never give stock back.

    >>> holders = [
    ...     Holder("packed", OrderStatus.PACKED, 0, t),
    ...     Holder("old", OrderStatus.ALLOCATED, 0, t),
    ...     Holder("young", OrderStatus.ALLOCATED, 0, t + timedelta(hours=1)),
    ...     Holder("held", OrderStatus.ON_HOLD, 9, t),
    ...     Holder("gone", OrderStatus.SHIPPED, 0, t),
    ... ]
    >>> give_back_order(holders)
    ['held', 'young', 'old', 'packed']
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import attrs

from ecerp.domain.orders.status import OrderStatus

#: A place in the serving queue: ``(-priority, ordered_at, order id)``.
ServingPlace = tuple[int, datetime, str]


def serving_place(priority: int, ordered_at: datetime, order: str) -> ServingPlace:
    """An order's place in the serving queue (smaller: served first)."""
    return (-priority, ordered_at, order)


class Placed(Protocol):
    """What :func:`place_of` reads (an :class:`~ecerp.domain.orders.order.Order`
    has it)."""

    @property
    def id(self) -> str: ...

    @property
    def priority(self) -> int: ...

    @property
    def ordered_at(self) -> datetime: ...


def place_of(order: Placed) -> ServingPlace:
    """The serving place of an order (anything with ``id``, ``priority``
    and ``ordered_at``)."""
    return serving_place(order.priority, order.ordered_at, order.id)


#: The stages in which orders give stock back (lower gives first); orders
#: in other statuses keep what they hold.
GIVE_BACK_STAGES: dict[OrderStatus, int] = {
    OrderStatus.ON_HOLD: 0,
    OrderStatus.ALLOCATED: 1,
    OrderStatus.PICKING: 2,
    OrderStatus.PACKED: 3,
}


@attrs.frozen(slots=True)
class Holder:
    """An order holding stock, as :func:`give_back_order` sees it."""

    order: str
    status: OrderStatus
    priority: int
    ordered_at: datetime


def give_back_order(holders: Iterable[Holder]) -> list[str]:
    """The ids of ``holders`` that may give stock back, in the order they
    do (see the module docstring)."""
    eligible = [h for h in holders if h.status in GIVE_BACK_STAGES]
    eligible.sort(key=lambda h: serving_place(h.priority, h.ordered_at, h.order), reverse=True)
    eligible.sort(key=lambda h: GIVE_BACK_STAGES[h.status])  # stable: queue order kept
    return [h.order for h in eligible]


_ = (UTC, timedelta)  # used by the module doctest
