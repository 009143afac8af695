"""Settings are kept with the data: every process that opens the store
applies them, on SQLite and on PostgreSQL.

Two ERP objects on one database stand for two processes (each has its own
engine and connections): the back office that set the shop up, and a
webhook worker opened with nothing but the URL.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ecerp import (
    ERP,
    Address,
    Buyer,
    ChannelLine,
    ChannelOrder,
    Money,
    OrderStatus,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.adapters.sql import SqlUnitOfWork, make_engine
from ecerp.domain.orders.holds import BuyerNote, ReviewPolicy, ValueOver
from ecerp.domain.routing.conditions import Conditions
from ecerp.domain.routing.rules import Actions, Rule, RuleSet
from ecerp.domain.settings import Settings, SettingsVersion
from ecerp.domain.shared.errors import ConcurrencyError, ValidationError

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
BERLIN = Address("Ann Weber", "Hauptstr. 1", "", "Berlin", "", "10115", "DE")
PARIS = Address("Luc Martin", "1 rue de Rivoli", "", "Paris", "", "75001", "FR")
REVIEW = ReviewPolicy((BuyerNote(), ValueOver({"EUR": Money.of("500", "EUR")})))
RULES = RuleSet(
    (Rule("france-from-paris", Actions(warehouse="PAR"), Conditions(countries={"FR"})),)
)


def draft(number: str, *, to: Address = BERLIN, note: str = "", qty: int = 1) -> ChannelOrder:
    return ChannelOrder(
        "web",
        "shop",
        number,
        T0,
        "EUR",
        (ChannelLine("MUG", qty, Money.of("10.00", "EUR")),),
        paid=True,
        buyer=Buyer(f"b{number}", "Buyer", f"b{number}@example.com"),
        address=to,
        buyer_note=note,
    )


@pytest.fixture
def back_office(backend_url: str) -> Iterator[ERP]:
    erp = open_erp(
        backend_url,
        clock=SimulatedClock(T0),
        actor="lea",
        review=REVIEW,
        rules=RULES,
        blacklist=["fraud@example.com"],
    )
    erp.catalog.add(Sku("MUG"), Shop("shop", "web", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER", priority=0))
    erp.inventory.add_warehouse(Warehouse("PAR", priority=1))
    erp.inventory.receive("MUG", "BER", 50)
    erp.inventory.receive("MUG", "PAR", 50)
    yield erp
    erp.close()


@pytest.fixture
def worker(backend_url: str, back_office: ERP) -> Iterator[ERP]:
    """A second process on the same database, opened with the URL only."""
    erp = open_erp(backend_url, clock=SimulatedClock(T0), actor="webhook")
    yield erp
    erp.close()


def test_a_process_opened_without_settings_applies_the_stored_ones(
    back_office: ERP, worker: ERP
) -> None:
    result = worker.orders.accept(
        [draft("1", note="gift wrap please"), draft("2", to=PARIS), draft("3", qty=60)]
    )

    noted, french, big = (worker.orders.get(o.order or "") for o in result)
    assert noted.status is OrderStatus.ON_HOLD
    assert [r.code for r in noted.hold_reasons] == ["buyer_note"]
    assert (french.status, french.warehouse) == (OrderStatus.ALLOCATED, "PAR")
    assert [r.code for r in big.hold_reasons] == ["value_over"]
    assert worker.settings.current() == back_office.settings.current()


def test_a_change_made_by_one_process_applies_to_the_others_next_command(
    back_office: ERP, worker: ERP
) -> None:
    worker.orders.accept([draft("1", note="first note")])  # the worker has read version 1

    back_office.settings.set(review=None, rules=None, actor="max")
    result = worker.orders.accept([draft("2", note="second note", to=PARIS)])

    (outcome,) = result
    assert outcome.kind is OutcomeKind.ALLOCATED
    assert worker.orders.get(outcome.order or "").warehouse == "BER"


def test_history_says_who_changed_what_and_reopening_with_the_same_settings_stores_nothing(
    back_office: ERP, backend_url: str
) -> None:
    again = open_erp(backend_url, actor="someone", review=REVIEW, rules=RULES)
    again.close()
    changed = open_erp(backend_url, actor="max", blacklist=["chargeback@example.com"])
    changed.close()

    history = back_office.settings.history()

    assert [(v.version, v.actor, v.changed) for v in history] == [
        (1, "lea", ("review", "blacklist", "rules")),
        (2, "max", ("blacklist",)),
    ]
    assert history[0].at == T0
    current = back_office.settings.current().settings
    assert current.review == REVIEW  # arguments not given left the stored values
    assert current.blacklist == {"chargeback@example.com"}


def test_a_malformed_setting_is_refused_and_stores_nothing(
    back_office: ERP, backend_url: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        open_erp(backend_url, blacklist="fraud@example.com")
    with pytest.raises(ValidationError):
        back_office.settings.set(rules="france-from-paris")  # type: ignore[arg-type]

    assert refused.value.fields["field"] == "blacklist"
    assert back_office.settings.current().version == 1


def test_processes_changing_settings_at_once_each_get_their_own_version(
    back_office: ERP, backend_url: str
) -> None:
    erps = [open_erp(backend_url, actor=f"clerk-{i}") for i in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(erps))

    def change(erp: ERP, i: int) -> None:
        try:
            start.wait()
            erp.settings.set(blacklist=[f"buyer-{i}@example.com"])
        except Exception as err:  # noqa: BLE001 (every error is reported below)
            errors.append(err)

    threads = [threading.Thread(target=change, args=(e, i)) for i, e in enumerate(erps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for erp in erps:
        erp.close()

    assert errors == []
    history = back_office.settings.history()
    assert [v.version for v in history] == [1, 2, 3, 4, 5]
    assert sorted(v.actor for v in history[1:]) == [f"clerk-{i}" for i in range(4)]


def test_two_units_storing_the_same_version_number_conflict_and_the_later_is_retried(
    postgres_url: str,
) -> None:
    db = make_engine(postgres_url)
    mine = SettingsVersion(1, Settings(blacklist=["a"]), "lea", T0, ("blacklist",))
    theirs = SettingsVersion(1, Settings(blacklist=["b"]), "max", T0, ("blacklist",))
    try:
        with SqlUnitOfWork(db) as first:
            first.settings.add(mine)
            with SqlUnitOfWork(db) as second:  # another connection: another process
                second.settings.add(theirs)
                second.commit()
            with pytest.raises(ConcurrencyError):
                first.commit()
        with SqlUnitOfWork(db, readonly=True) as uow:
            assert list(uow.settings.history()) == [theirs]
    finally:
        db.dispose()


WORKER_SCRIPT = """
import sys
from datetime import UTC, datetime
from ecerp import Buyer, ChannelLine, ChannelOrder, Money, open_erp

with open_erp(sys.argv[1], actor="cron") as erp:
    draft = ChannelOrder(
        "web", "shop", "99", datetime(2026, 6, 1, 9, tzinfo=UTC), "EUR",
        (ChannelLine("MUG", 1, Money.of("10.00", "EUR")),), paid=True,
        buyer=Buyer("b99", "Buyer"), buyer_note="call me first",
    )
    (outcome,) = erp.orders.accept([draft])
    order = erp.orders.get(outcome.order)
    print(order.status.value, *[r.code for r in order.hold_reasons])
"""


def test_a_separate_process_opened_with_the_url_only_holds_as_the_first_decided(
    back_office: ERP, backend_url: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT, backend_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["on_hold", "buyer_note"]
