"""The order repository port.

Orders are loaded and saved in bulk: an import looks up every incoming
``(channel, shop, external_id)`` in one call, allocation loads every order
waiting for stock in one call.  Orders handed out are private to the unit of
work: changes reach storage on commit and are dropped on rollback.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import NotFoundError

OrderKey = tuple[str, str, str]
#: An order's place in the serving queue: ``(-priority, ordered_at, id)``,
#: the key :func:`ecerp.domain.allocation.queue_key` sorts by.
QueuePlace = tuple[int, datetime, str]
BuyerKey = tuple[str, str]  # (shop, normalised buyer id / e-mail / name)


class OrderRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, order: Order) -> None:
        """Store a new order.

        Raises:
            DuplicateError: an order with the same id or key exists.
        """

    @abc.abstractmethod
    def find(self, order_id: str) -> Order | None:
        """The order, or ``None``.  Repeated calls in one unit of work give
        the same object.  A backend that changed order ids (SQL revision
        0007) also finds an order by an id it had before, unless an order
        has that id now; the order returned carries its id now."""

    def get(self, order_id: str) -> Order:
        """Raises:
        NotFoundError: no such order.
        """
        order = self.find(order_id)
        if order is None:
            raise NotFoundError("order", order_id)
        return order

    @abc.abstractmethod
    def find_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        """The orders that exist among ``order_ids``, keyed by the ids as
        given (a former id too, see :meth:`find`), in one call."""

    @abc.abstractmethod
    def find_by_keys(self, keys: Iterable[OrderKey]) -> dict[OrderKey, Order]:
        """Channel orders by ``(channel, shop, external_id)``, those that
        exist.  Split parts and merged parcels have no key (their
        ``external_id`` is a label) and are never returned."""

    @abc.abstractmethod
    def ids_with_status(self, statuses: Collection[OrderStatus]) -> Sequence[str]:
        """Ids of every order in one of ``statuses``, sorted."""

    @abc.abstractmethod
    def queue(self, statuses: Collection[OrderStatus]) -> Sequence[str]:
        """Ids of every order in one of ``statuses`` in serving order:
        highest priority first, then oldest, then by id (the order in which
        allocation serves them, so it can take them a chunk at a time)."""

    @abc.abstractmethod
    def ids_needing(
        self, skus: Collection[str], statuses: Collection[OrderStatus]
    ) -> Sequence[str]:
        """Ids of orders in one of ``statuses`` whose requirements include
        any of ``skus``, sorted (e.g. waiting orders that a receipt may
        unblock)."""

    def queue_needing(
        self,
        skus: Collection[str],
        statuses: Collection[OrderStatus],
        *,
        after: QueuePlace | None = None,
        limit: int = 1000,
    ) -> Sequence[str]:
        """A page of the serving queue: ids of orders in one of ``statuses``
        whose requirements include any of ``skus``, in serving order (as
        :meth:`queue`), only those placed after ``after`` (an order's
        ``(-priority, ordered_at, id)``; ``None``: from the start), at most
        ``limit``.  Fewer than ``limit`` means the queue ends there, so a
        caller can walk a long queue lazily and stop early.

        This default reads every matching order; backends answer it from
        an index (the SQL ones from the queue index, one page at a time).
        """
        orders = self.find_many(self.ids_needing(skus, statuses))
        places = sorted(
            (-o.priority, o.ordered_at, oid)
            for oid, o in orders.items()
            if after is None or (-o.priority, o.ordered_at, oid) > after
        )
        return [oid for *_, oid in places[:limit]]

    @abc.abstractmethod
    def find_by_buyers(self, keys: Iterable[BuyerKey]) -> dict[BuyerKey, list[Order]]:
        """Orders per ``(shop, buyer key)`` (see ``ecerp.domain.orders.holds.buyer_key``),
        committed ones and those added in this unit, in one call."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many orders are stored (committed plus added in this unit)."""
