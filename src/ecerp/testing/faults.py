"""Fault injection: commits that lose a race, on purpose, on any backend.

On PostgreSQL a unit of work can lose a race when it commits (a
serialization failure, a deadlock, a key another process took first): its
work ran, then the commit raises :class:`~ecerp.domain.shared.errors.ConcurrencyError`
and nothing of the unit is kept.  The bus then runs that unit again.  The
in-memory backend never loses a race, and SQL rarely does on cue, so the
retry paths would go untested; :class:`LostRaces` makes chosen commits fail
exactly that way, on every backend (it uses the unit of work's
``before_commit`` hook, which every :class:`~ecerp.ports.unit_of_work.UnitOfWork`
has)::

    faults = LostRaces().install(erp)
    faults.next(2)                     # the next two commits lose their race
    faults.next(1, after=1)            # the commit after the next one loses
    faults.when(touching(order), times=None)   # every commit touching it loses
    faults.clear()                     # back to normal

Reads never commit, so they never fail here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, Self

import attrs

from ecerp.domain.shared.errors import ConcurrencyError
from ecerp.domain.shared.events import Event
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.bus import MessageBus

EventsMatch = Callable[[Sequence[Event]], bool]


class _HasBus(Protocol):
    bus: MessageBus


def touching(*order_ids: str) -> EventsMatch:
    """Commits whose events name any of ``order_ids`` (imported, allocated,
    waiting, cancelled...)."""
    wanted = set(order_ids)

    def matches(events: Sequence[Event]) -> bool:
        return any(getattr(e, "order", None) in wanted for e in events)

    return matches


def of_type(*types: type[Event]) -> EventsMatch:
    """Commits with any event of ``types``."""

    def matches(events: Sequence[Event]) -> bool:
        return any(isinstance(e, types) for e in events)

    return matches


@attrs.define
class _Rule:
    matches: EventsMatch
    remaining: int | None  # None: every time
    skip: int = 0


class LostRaces:
    """Makes chosen commits raise :class:`ConcurrencyError` after their work
    ran, with nothing of the unit kept, as a lost race on SQL does.

    ``lost`` counts the commits it made fail; ``commits`` every commit it saw
    (those that went through included).
    """

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self.lost = 0
        self.commits = 0

    def next(self, times: int = 1, *, after: int = 0) -> Self:
        """The next ``times`` commits lose, once ``after`` commits went
        through."""
        self._rules.append(_Rule(lambda _: True, times, after))
        return self

    def when(self, matches: EventsMatch, times: int | None = 1, *, after: int = 0) -> Self:
        """The next ``times`` commits whose events ``matches`` (``None``:
        every one, until :meth:`clear`) lose, once ``after`` such commits
        went through."""
        self._rules.append(_Rule(matches, times, after))
        return self

    def clear(self) -> None:
        """No more commits lose."""
        self._rules.clear()

    def check(self, events: Sequence[Event]) -> None:
        """The ``before_commit`` hook: raises for a commit chosen to lose.

        Raises:
            ConcurrencyError: this commit loses its race.
        """
        self.commits += 1
        for rule in self._rules:
            if rule.remaining == 0 or not rule.matches(events):
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            self.lost += 1
            raise ConcurrencyError("lost a race on purpose (ecerp.testing.faults); retry")

    def wrap(self, uow_factory: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
        """A unit-of-work factory whose units commit through :meth:`check`."""

        def make() -> UnitOfWork:
            uow = uow_factory()
            uow.before_commit = self.check
            return uow

        return make

    def install(self, erp: _HasBus) -> Self:
        """Make every unit of work ``erp``'s bus runs (commands, event
        handlers, replays) commit through :meth:`check`."""
        erp.bus.uow_factory = self.wrap(erp.bus.uow_factory)
        return self
