"""Opening an ERP: :func:`open_erp` checks its arguments, then wires one.

>>> from ecerp import open_erp, ValidationError
>>> erp = open_erp("memory://", actor="lea")
>>> erp.settings.current().version
0
>>> try:
...     open_erp("memory://", actor="")
... except ValidationError as err:
...     err.field
'actor'

Every argument is checked before anything is opened, so a malformed call
leaves no connection or file behind; settings given here (review,
blacklist, rules, rate tables) are stored as a new version only when they
differ from the stored ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ecerp.api.erp import ERP
from ecerp.bootstrap import bootstrap
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.orders.holds import ReviewPolicy
from ecerp.domain.routing.rules import RuleSet
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import (
    require_flag,
    require_text,
)
from ecerp.ports.clock import Clock
from ecerp.ports.events import EventPublisher
from ecerp.ports.payments import PaymentRecords
from ecerp.usecases.config import Config, LiveService
from ecerp.usecases.settings.commands import KEEP, ChangeSettings
from ecerp.usecases.settings.source import SettingsSource


def open_erp(
    url: str = "memory://",
    *,
    clock: Clock | None = None,
    publishers: Sequence[EventPublisher] = (),
    actor: str = "system",
    auto_allocate: bool = True,
    review: ReviewPolicy | None = None,
    blacklist: Iterable[str] = (),
    payments: PaymentRecords | None = None,
    rules: RuleSet | None = None,
    rate_tables: Mapping[str, Iterable[RateTable]] | Iterable[RateTable] = (),
    live_services: Mapping[str, Iterable[LiveService]] | Iterable[LiveService] = (),
    create: bool | None = None,
    upgrade: bool = False,
    tune_gc: bool = False,
) -> ERP:
    """Open an ERP on the backend named by ``url``.

    Args:
        url: ``memory://`` for an in-memory store.
        clock: where the time comes from (default: the system clock, UTC).
        publishers: receive committed domain events.
        actor: who the changes are recorded as, unless a call says otherwise.
        auto_allocate: allocate waiting orders when stock becomes available.
        review: review checks run on import and after edits; orders with a
            reason wait on hold for a person.
        blacklist: buyer ids, e-mails or names the ``Blacklisted`` check holds.
        payments: payment records the ``PaymentMismatch`` check compares with
            (this process's; not stored).
        rules: routing rules (warehouse, carrier service, hold, tags, priority),
            re-run whenever an order changes.
        rate_tables: freight tables, by shipping warehouse code (``"*"`` for
            any) or a plain list for every warehouse: allocation prefers the
            warehouse with the cheapest estimate, and an allocated order
            without a service gets the cheapest qualifying one.
        live_services: ``(CarrierRates, service)`` pairs (by warehouse, or a
            list for every warehouse) quoted live when a service is chosen
            (this process's; not stored).
        create: whether an empty SQL database gets the ecerp schema.  The
            default (``None``) creates it on SQLite (a new file works with
            one call) and not on PostgreSQL; ``False`` refuses an empty
            database everywhere (production: a mistyped path fails instead
            of starting an empty shop); ``True`` creates it on PostgreSQL too.
        upgrade: upgrade a database at an older ecerp schema (by default it
            is refused with a ``SchemaError`` saying how).
        tune_gc: let batch commands (import, process, accept, allocate,
            pick, ship) pause Python's cyclic garbage collector while they
            run, and move what they leave alive to its oldest generation
            after (``gc.disable``, then ``gc.freeze``/``gc.unfreeze`` and
            ``gc.enable``).  The collector belongs to the whole host
            process, so this is off unless asked for; a process that runs
            big batches (a 100,000-order import) can save up to half their
            time with it (see ``docs/performance.md``).

    ``review``, ``blacklist``, ``rules`` and ``rate_tables`` are **stored
    settings** (see ``erp.settings``): every process that opens the store
    applies the latest stored version, whatever it was opened with.  Given
    here, a value that differs from the stored one is stored as a new
    version, attributed to ``actor``; one not given (``None``, or empty for
    the blacklist and rate tables) leaves the stored value as it is (turn a
    setting off with ``erp.settings.set(review=None)``).

    Raises:
        UnsupportedUrlError: the URL names no backend ecerp has.
        ValidationError: a malformed setting (nothing stored).
        MissingDependencyError: the backend's optional packages are missing
            (names the extra to install).
        SchemaError: no schema and not to create it, an older one and not
            to upgrade it, or a newer one.
    """
    blacklist, rate_tables = _materialised(blacklist), _materialised(rate_tables)
    publishers = _check_open_arguments(
        url,
        clock,
        publishers,
        actor,
        auto_allocate,
        payments,
        live_services,
        create,
        upgrade,
        tune_gc,
    )
    given: dict[str, Any] = {
        "review": KEEP if review is None else review,
        "blacklist": KEEP if _empty(blacklist) else blacklist,
        "rules": KEEP if rules is None else rules,
        "rate_tables": KEEP if _empty(rate_tables) else rate_tables,
    }
    wanted = {name: value for name, value in given.items() if value is not KEEP}
    # validated before anything is opened
    command = ChangeSettings.of(actor, **wanted) if wanted else None
    source = SettingsSource(Config(payments=payments, live_services=live_services))
    source.provide(review)
    bus, backend = bootstrap(
        url,
        clock=clock,
        publishers=publishers,
        auto_allocate=auto_allocate,
        config=source.local,
        settings=source,
        create=create,
        upgrade=upgrade,
        tune_gc=tune_gc,
    )
    erp = ERP(bus, backend, actor)
    try:
        if command is not None and erp.settings.differs(**dict(command.changes)):
            bus.handle(command)
    except BaseException:
        backend.close()
        raise
    return erp


#: The longest URL :func:`open_erp` takes.
MAX_URL_LEN = 2000


def _check_open_arguments(
    url: object,
    clock: object,
    publishers: object,
    actor: object,
    auto_allocate: object,
    payments: object,
    live_services: object,
    create: object,
    upgrade: object,
    tune_gc: object,
) -> tuple[EventPublisher, ...]:
    """Refuse malformed :func:`open_erp` arguments before anything opens.

    Returns the publishers as a tuple.

    Raises:
        ValidationError: naming the argument.
    """
    text = require_text("url", url, MAX_URL_LEN)
    if text.startswith("sqlite:///") and not text.removeprefix("sqlite:///").split("?")[0]:
        raise ValidationError("url", url, "names no file (sqlite:///shop.db)")
    if clock is not None and not callable(getattr(clock, "now", None)):
        raise ValidationError("clock", clock, "must be a Clock (with a now() method) or None")
    if isinstance(publishers, str | bytes | Mapping) or not isinstance(publishers, Iterable):
        raise ValidationError("publishers", publishers, "must be a list of EventPublishers")
    given = tuple(publishers)
    for publisher in given:
        if not callable(getattr(publisher, "publish", None)):
            raise ValidationError("publishers", publisher, "must have a publish() method")
    if not isinstance(actor, str) or not actor:
        raise ValidationError("actor", actor, "must be a non-empty string")
    require_text("actor", actor)
    require_flag("auto_allocate", auto_allocate)
    require_flag("upgrade", upgrade)
    require_flag("tune_gc", tune_gc)
    if create is not None:
        require_flag("create", create)
    if payments is not None and not callable(getattr(payments, "find", None)):
        raise ValidationError("payments", payments, "must be PaymentRecords (find()) or None")
    if isinstance(live_services, str | bytes) or not isinstance(live_services, Iterable):
        raise ValidationError(
            "live_services", live_services, "must be (CarrierRates, service) pairs"
        )
    return given


def _materialised(value: Any) -> Any:
    """A one-shot iterable as a tuple, so it can be tested for emptiness and still be read.

    A mapping or a string stays as it is.
    """
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping | tuple):
        return tuple(value)
    return value


def _empty(value: object) -> bool:
    """An empty collection given where one is optional (not a setting)."""
    return isinstance(value, tuple | list | dict | set | frozenset) and not value
