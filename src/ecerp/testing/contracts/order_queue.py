"""Contract: reading the serving queue a page at a time.

:meth:`~ecerp.ports.orders.OrderRepository.queue_needing` lets the webhook
walk the older orders that need its SKUs lazily and stop once stock runs out.
Every backend must give the pages in serving order (highest priority, then
oldest, then id, compared as Python compares them), honour the cursor and the
limit, and count the unit's own changes (a new order, a cancelled one, a
raised priority).  Part of :class:`ecerp.testing.contracts.BackendContract`.
"""

from __future__ import annotations

from datetime import timedelta

from ecerp.domain.orders.status import ALLOCATABLE, OrderStatus
from ecerp.ports.orders import OrderRepository, QueuePlace
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    T0,
    UowFactory,
    _BackendFixtures,
    add_order,
    channel_order,
    commit_work,
    seed,
)


def walk(repo: OrderRepository, skus: set[str], limit: int) -> list[list[str]]:
    """Every page of the queue of ``skus`` in ``limit``-sized steps."""
    pages: list[list[str]] = []
    after: QueuePlace | None = None
    while True:
        page = list(repo.queue_needing(skus, ALLOCATABLE, after=after, limit=limit))
        pages.append(page)
        if len(page) < limit:
            return pages
        last = repo.get(page[-1])
        after = (-last.priority, last.ordered_at, last.id)


class OrderQueueContract(_BackendFixtures):
    def test_queue_pages_come_in_serving_order_and_end_short(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            # ids that sort differently byte-wise than in a natural-language
            # collation ("B" < "a" < "b"), and several at the same time
            for i, ext in enumerate(("b", "B", "a", "Z", "ä", "c")):
                at = T0 + timedelta(minutes=i % 2)
                add_order(uow, channel_order(ext, ("LID", 1, "5.00"), ordered_at=at))
            add_order(uow, channel_order("mug", ("MUG-RED", 1, "5.00")))
            add_order(uow, channel_order("set", ("MUG-SET", 1, "5.00"), ordered_at=T0 - HOUR))
            urgent = add_order(uow, channel_order("urgent", ("LID", 1, "5.00")))
            urgent.route(rule="vip", warehouse=None, service=None, priority=5, at=T0, actor="r")
            add_order(uow, channel_order("w", ("LID", 1, "5.00"))).wait(["LID"], at=T0, actor="a")
            add_order(uow, channel_order("gone", ("LID", 1, "5.00"))).cancel(at=T0, actor="ann")

        commit_work(uow_factory, orders)
        expected = [
            "shopify/web/urgent",
            "shopify/web/set",  # a set needs lids too, and is the oldest
            *(f"shopify/web/{e}" for e in ("a", "b", "w", "ä")),  # T0
            *(f"shopify/web/{e}" for e in ("B", "Z", "c")),  # a minute later
        ]
        with uow_factory() as uow:
            repo = uow.orders
            assert repo.queue_needing({"LID"}, ALLOCATABLE, limit=100) == expected
            for limit in (1, 2, 3, 9, 10):
                pages = walk(repo, {"LID"}, limit)
                assert [oid for page in pages for oid in page] == expected
                assert all(len(page) == limit for page in pages[:-1])
            assert repo.queue_needing({"LID"}, {OrderStatus.WAITING}) == ["shopify/web/w"]
            # ready orders alone (a database may look them up by status first)
            ready = [oid for oid in expected if oid != "shopify/web/w"]
            assert repo.queue_needing({"LID"}, {OrderStatus.READY}, limit=100) == ready
            pages = [list(repo.queue_needing({"LID"}, {OrderStatus.READY}, limit=3))]
            last = repo.get(pages[0][-1])
            after = (-last.priority, last.ordered_at, last.id)
            pages.append(
                list(repo.queue_needing({"LID"}, {OrderStatus.READY}, after=after, limit=3))
            )
            assert pages == [ready[:3], ready[3:6]]
            assert repo.queue_needing({"MUG-BLUE"}, ALLOCATABLE) == []
            assert repo.queue_needing(set(), ALLOCATABLE) == []

    def test_queue_pages_count_this_units_changes(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            for i in range(5):
                at = T0 + timedelta(minutes=i)
                add_order(uow, channel_order(f"o{i}", ("LID", 1, "5.00"), ordered_at=at))

        commit_work(uow_factory, orders)
        with uow_factory() as uow:
            repo = uow.orders
            repo.get("shopify/web/o1").cancel(at=T0, actor="ann")
            repo.get("shopify/web/o3").route(
                rule="vip", warehouse=None, service=None, priority=5, at=T0, actor="rules"
            )
            add_order(uow, channel_order("new", ("LID", 1, "5.00"), ordered_at=T0 - HOUR))
            expected = [f"shopify/web/{e}" for e in ("o3", "new", "o0", "o2", "o4")]
            for limit in (1, 2, 4, 5, 6):
                pages = walk(repo, {"LID"}, limit)
                assert [oid for page in pages for oid in page] == expected


HOUR = timedelta(hours=1)
