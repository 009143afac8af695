"""Running the review checks on orders (see :mod:`ecerp.domain.orders.holds`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ecerp.domain.orders.holds import ReviewContext, buyer_key
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.review_rules import (
    checked_codes,
    payment_checked_here,
    unverified_payment,
    with_unverified,
)
from ecerp.domain.orders.status import REVIEWABLE
from ecerp.domain.shared.errors import EcerpError
from ecerp.ports.orders import BuyerKey
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config
from ecerp.usecases.orders.reservations import sync_reservations


class Reviewer:
    """Runs the configured review checks on orders of one unit of work,
    knowing each buyer's other orders (looked up in bulk up front)."""

    def __init__(self, uow: UnitOfWork, config: Config, buyers: Iterable[BuyerKey]) -> None:
        self.uow = uow
        self.config = config
        wanted = {k for k in buyers if k[1]}
        self.peers: dict[BuyerKey, list[Order]] = (
            uow.orders.find_by_buyers(wanted) if config.review is not None and wanted else {}
        )
        # po_box_services depends on the order only through its warehouse
        self._services: dict[str | None, dict[str, bool] | None] = {}

    def note(self, order: Order) -> None:
        """``order`` was just added: later orders of its buyer see it.
        (Orders without a buyer key have no peers.)"""
        key = (order.shop, buyer_key(order))
        if self.config.review is None or not key[1]:
            return
        peers = self.peers.setdefault(key, [])
        if order not in peers:  # identity: one object per order in a unit
            peers.append(order)

    def review(self, order: Order, *, at: datetime, actor: str) -> None:
        """Hold ``order`` for every uncleared reason the checks find."""
        policy, config = self.config.review, self.config
        if policy is None or order.status not in REVIEWABLE:
            return
        paid = payment_checked_here(order)
        record, unverified = None, None
        if config.payments is not None and paid:
            try:
                record = config.payments.find(order)
            except EcerpError as err:  # cannot check the payment: a person should
                unverified = unverified_payment(str(err))
        context = ReviewContext(
            payment=record,
            payment_expected=config.payments is not None and paid and unverified is None,
            blacklist=config.blacklist,
            others=self.peers.get((order.shop, buyer_key(order)), ()),
            po_box_services=self._po_box_services(order),
        )
        reasons = with_unverified(
            policy.review(order, context), unverified, cleared=order.cleared_holds
        )
        checked = checked_codes(policy)
        before = order.status
        order.apply_review(reasons, checked, at=at, actor=actor)
        if order.status is not before:  # held or let go: stock follows
            sync_reservations(order, self.uow.stock.book(), at=at, actor=actor)

    def _po_box_services(self, order: Order) -> dict[str, bool] | None:
        """:func:`po_box_services`, worked out once per warehouse."""
        warehouse = order.warehouse or order.route_warehouse
        if warehouse in self._services:
            services = self._services[warehouse]
        else:
            services = self._services[warehouse] = po_box_services(order, self.config)
        return None if services is None else dict(services)


def po_box_services(order: Order, config: Config) -> dict[str, bool] | None:
    """The services ``order`` could ship with, each mapped to whether it
    refuses PO boxes: the rate tables of the warehouse it is allocated in
    (or a rule assigned), else of every warehouse.  ``None`` without rate
    tables (the ``PoBox`` check then holds every PO box)."""
    if not config.rate_tables:
        return None
    warehouse = order.warehouse or order.route_warehouse
    if warehouse is not None:
        tables = config.tables_for(warehouse)
    else:
        tables = tuple(t for group in config.rate_tables.values() for t in group)
    services: dict[str, bool] = {}
    for table in tables:
        # the same service listed twice (two warehouses): refuses if either says so
        services[table.name] = services.get(table.name, False) or table.refuses_po_boxes
    return services
