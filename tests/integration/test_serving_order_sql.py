"""The SQL serving queue follows the domain's one definition of the serving
order (:func:`ecerp.domain.allocation.serving.place_of`).

The SQL backends page through the queue with their own ``ORDER BY`` and
keyset cursor (``adapters/sql/queue.py``); this property builds queues with
ties on priority and time, ids that sort differently in a natural-language
collation, and statuses in and out of the queue, and checks that every page
walk gives exactly the orders the domain function puts first.  Runs on
SQLite, and on PostgreSQL when ``ECERP_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecerp.bootstrap import open_backend
from ecerp.domain.allocation.serving import ServingPlace, place_of
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import ALLOCATABLE
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts import T0, add_order, channel_order, commit_work, seed

#: Ids that sort differently byte-wise than in a natural-language collation.
ID_CHARS = "aAbBzZä0-_"
#: Times with ties, microsecond steps and an hour apart.
OFFSETS = (timedelta(0), timedelta(microseconds=1), timedelta(seconds=1), timedelta(hours=1))

one_order = st.tuples(
    st.text(ID_CHARS, min_size=1, max_size=3),
    st.integers(-2, 2),  # priority
    st.sampled_from(OFFSETS),
    st.sampled_from(("ready", "waiting", "cancelled")),
)
queues = st.lists(one_order, max_size=14, unique_by=lambda o: o[0])

_examples = itertools.count()


def _add(uow: UnitOfWork, tag: str, spec: tuple[str, int, timedelta, str]) -> Order:
    ext, priority, offset, status = spec
    order = add_order(uow, channel_order(f"{tag}{ext}", ("LID", 1, "5.00"), ordered_at=T0 + offset))
    if priority:
        order.route(rule="r", warehouse=None, service=None, priority=priority, at=T0, actor="r")
    if status == "waiting":
        order.wait(["LID"], at=T0, actor="a")
    elif status == "cancelled":
        order.cancel(at=T0, actor="a")
    return order


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=queues, page=st.integers(1, 5))
def test_sql_queue_pages_follow_the_domain_serving_order(
    backend: str,
    request: pytest.FixtureRequest,
    specs: list[tuple[str, int, timedelta, str]],
    page: int,
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    opened = open_backend(url)
    try:
        factory = opened.uow_factory
        if not _seeded(factory):
            commit_work(factory, seed)
        tag = f"x{next(_examples)}-"  # one prefix per example: ids never repeat
        added = commit_work(factory, lambda uow: [_add(uow, tag, s) for s in specs])
        expected = [o.id for o in sorted(added, key=place_of) if o.status in ALLOCATABLE]
        with factory() as uow:
            repo = uow.orders
            assert list(repo.queue_needing({"LID"}, ALLOCATABLE, limit=100)) == expected
            walked: list[str] = []
            after: ServingPlace | None = None
            while True:
                ids = list(repo.queue_needing({"LID"}, ALLOCATABLE, after=after, limit=page))
                walked.extend(ids)
                if len(ids) < page:
                    break
                after = place_of(repo.get(ids[-1]))
            assert walked == expected

        def cancel_all(uow: UnitOfWork) -> None:  # leave the queue empty for the next example
            for order in uow.orders.find_many(expected).values():
                order.cancel(at=T0, actor="a")

        commit_work(factory, cancel_all)
    finally:
        opened.close()


def _seeded(factory: Callable[[], UnitOfWork]) -> bool:
    with factory() as uow:
        return uow.catalog.view().find_shop("web") is not None
