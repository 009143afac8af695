"""Errors of the orders context: what an order, its versions and its merges refuse.

Each carries typed fields beside its message (see
:class:`ecerp.domain.shared.errors.EcerpError`):

>>> from ecerp.domain.orders.status import OrderStatus
>>> err = OrderLockedError("o-1", OrderStatus.PICKING, "edit lines")
>>> str(err), err.order, err.change
('order o-1 is picking: cannot edit lines', 'o-1', 'edit lines')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ecerp.domain.shared.errors import DomainError

if TYPE_CHECKING:
    from datetime import datetime

    from ecerp.domain.orders.status import OrderStatus


class OrderLockedError(DomainError):
    """The order is past the point where this change is allowed (e.g. picked)."""

    order: str
    status: OrderStatus
    change: str

    def __init__(self, order: str, status: OrderStatus, change: str) -> None:
        super().__init__(
            f"order {order} is {status.value}: cannot {change}",
            order=order,
            status=status,
            change=change,
        )


class VersionConflictError(DomainError):
    """A copy of an order older than the stored version, with different
    content: it is not applied (the newer version stays).  ``differs``
    names the fields it would have changed."""

    order: str
    version: datetime
    stored: datetime
    differs: tuple[str, ...]

    def __init__(
        self, order: str, version: datetime, stored: datetime, differs: tuple[str, ...]
    ) -> None:
        super().__init__(
            f"order {order}: version {version.isoformat()} is older than the stored "
            f"{stored.isoformat()} and differs in {', '.join(differs)}: not applied",
            order=order,
            version=version,
            stored=stored,
            differs=differs,
        )


class ConsolidationError(DomainError):
    """Orders that cannot be merged or split as asked (``orders`` names them)."""

    orders: tuple[str, ...]
    reason: str

    def __init__(self, orders: Iterable[str], reason: str) -> None:
        ids = tuple(orders)
        super().__init__(f"{', '.join(ids)}: {reason}", orders=ids, reason=reason)
