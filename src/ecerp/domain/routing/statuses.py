"""Which order statuses routing rules may still change.

Routing re-runs whenever an order changes, until it is on its way: an
order not yet paid, held, ready, waiting for stock or allocated may get
another warehouse, service, tags or priority.  Routing leaves alone an
order not yet routed (new, or with unmapped lines), one whose picking has
begun or that has left (picking, packed, shipped and after) and one that
was cancelled or merged away::

    >>> from ecerp.domain.orders.status import OrderStatus
    >>> may_route(OrderStatus.ALLOCATED), may_route(OrderStatus.SHIPPED)
    (True, False)
"""

from __future__ import annotations

from ecerp.domain.orders.status import OrderStatus

#: Statuses in which routing rules may still change an order.
ROUTABLE = frozenset(
    {
        OrderStatus.UNPAID,
        OrderStatus.ON_HOLD,
        OrderStatus.READY,
        OrderStatus.WAITING,
        OrderStatus.ALLOCATED,
    }
)


def may_route(status: OrderStatus) -> bool:
    """Routing rules may still change an order in ``status``."""
    return status in ROUTABLE
