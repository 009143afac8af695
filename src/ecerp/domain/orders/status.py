"""Order and payment status, and the transitions an order may take."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from ecerp.domain.shared.workflow import Workflow

LineKey = tuple[int, str]


Requirements = dict[LineKey, int]


class OrderStatus(enum.Enum):
    NEW = "new"
    """Only as the ``from_`` of an order's first history entry."""
    UNPAID = "unpaid"
    ON_HOLD = "on_hold"
    READY = "ready"
    WAITING = "waiting"
    """Paid and reviewed, but no warehouse can ship it all yet (缺货)."""
    ALLOCATED = "allocated"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    MERGED = "merged"
    """Folded into another order (see ``merged_into``); unmerging restores it."""
    UNMAPPED = "unmapped"
    """Kept although a listing SKU resolves to nothing yet (see
    ``Order.unmapped``); it flows on once the catalog maps every line."""

    # Members are singletons compared by identity, so the identity hash is
    # consistent with equality, and (in C) much cheaper than Enum's hash of
    # the member name: statuses key the hot dicts and sets.
    __hash__ = object.__hash__


S = OrderStatus


#: The order's workflow: allowed status changes, as data.
ORDER_WORKFLOW: Workflow[OrderStatus] = Workflow(
    "order",
    OrderStatus,
    {
        S.NEW: frozenset({S.UNPAID, S.ON_HOLD, S.READY, S.CANCELLED, S.UNMAPPED}),
        S.UNMAPPED: frozenset({S.UNPAID, S.READY, S.CANCELLED}),
        S.UNPAID: frozenset({S.READY, S.ON_HOLD, S.CANCELLED}),
        S.ON_HOLD: frozenset({S.UNPAID, S.READY, S.ALLOCATED, S.CANCELLED}),
        S.READY: frozenset({S.ALLOCATED, S.WAITING, S.ON_HOLD, S.CANCELLED, S.MERGED}),
        S.WAITING: frozenset({S.ALLOCATED, S.READY, S.ON_HOLD, S.CANCELLED, S.MERGED}),
        S.ALLOCATED: frozenset(
            {S.PICKING, S.SHIPPED, S.WAITING, S.READY, S.ON_HOLD, S.CANCELLED, S.MERGED}
        ),
        S.PICKING: frozenset({S.PACKED, S.SHIPPED, S.ALLOCATED, S.WAITING, S.CANCELLED}),
        S.PACKED: frozenset({S.SHIPPED, S.ALLOCATED, S.WAITING, S.CANCELLED}),
        S.SHIPPED: frozenset({S.DELIVERED, S.COMPLETED, S.RETURNED}),
        S.DELIVERED: frozenset({S.COMPLETED, S.RETURNED}),
        S.COMPLETED: frozenset({S.RETURNED}),
        S.CANCELLED: frozenset(),
        S.RETURNED: frozenset(),
        S.MERGED: frozenset({S.READY, S.WAITING, S.ALLOCATED, S.CANCELLED}),
    },
)


#: Allowed status changes (the table of :data:`ORDER_WORKFLOW`).
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = ORDER_WORKFLOW.transitions


#: Statuses in which an order holds its reservations (an order ``on_hold``
#: does too while it keeps a warehouse: see :meth:`Order.holds_stock`).
HOLDING: frozenset[OrderStatus] = frozenset({S.ALLOCATED, S.PICKING, S.PACKED})


#: Statuses in which lines, address and service may still be edited.
EDITABLE: frozenset[OrderStatus] = frozenset({S.UNPAID, S.ON_HOLD, S.READY, S.WAITING, S.ALLOCATED})


#: Statuses in which review checks may hold an order.
REVIEWABLE: frozenset[OrderStatus] = frozenset(
    {S.UNPAID, S.ON_HOLD, S.READY, S.WAITING, S.ALLOCATED}
)


#: Statuses in which orders may be merged or split.
CONSOLIDATABLE: frozenset[OrderStatus] = frozenset({S.READY, S.WAITING, S.ALLOCATED})


#: Statuses allocation works on.
ALLOCATABLE: frozenset[OrderStatus] = frozenset({S.READY, S.WAITING})


class PaymentStatus(enum.Enum):
    UNPAID = "unpaid"
    PAID = "paid"
