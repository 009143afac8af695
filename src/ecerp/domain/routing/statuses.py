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

A rule that routes an order holding stock (allocated, or held with its
stock kept) to another warehouse makes it give that stock back, so it can
be allocated where the rule says::

    >>> must_give_back(OrderStatus.ALLOCATED, True, "WH1", "WH2")
    True
    >>> must_give_back(OrderStatus.ALLOCATED, True, "WH1", None)  # the rule names no warehouse
    False
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


#: Statuses in which an order holding stock gives it back when a rule
#: routes it to another warehouse.
GIVES_BACK_ON_REROUTE = frozenset({OrderStatus.ALLOCATED, OrderStatus.ON_HOLD})


def must_give_back(
    status: OrderStatus, holds_stock: bool, warehouse: str | None, routed_to: str | None
) -> bool:
    """An order in ``status`` (holding stock or not, in ``warehouse``) gives
    its stock back because a rule routes it to ``routed_to`` (``None``: the
    rule names no warehouse)."""
    return (
        holds_stock
        and status in GIVES_BACK_ON_REROUTE
        and routed_to is not None
        and warehouse != routed_to
    )
