"""What every handler gets: a unit of work, the clock, the configuration
(read from the store's settings when first asked for, in the unit of work
open then), and a way to run one unit of work with retries.

A handler that commits once uses :attr:`Context.uow` (the bus runs the whole
handler again, on a fresh unit, when it lost a race).  A handler that commits
several times (a batch streamed in chunks) runs each chunk through
:meth:`Context.unit`, so a lost race repeats that chunk only, never a chunk
already committed, and the outcomes it reports stay those of what committed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import attrs

from ecerp.domain.shared.errors import ConcurrencyError
from ecerp.domain.shared.events import Event
from ecerp.ports.clock import Clock
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config

R = TypeVar("R")

#: Reads the configuration to apply in an open unit of work.
ConfigSource = Callable[[UnitOfWork], Config]


def backoff(attempt: int) -> None:
    """Wait a little, randomly, before attempt ``attempt + 1`` (jitter keeps
    racing processes from meeting again at once)."""
    time.sleep(min(0.2, 0.005 * 2**attempt) * random.random())


def with_retries(
    uow_factory: Callable[[], UnitOfWork],
    work: Callable[[UnitOfWork], R],
    max_attempts: int,
    *,
    wait: Callable[[int], None] = backoff,
) -> tuple[R, list[Event], int]:
    """Run ``work`` on a fresh unit of work, again from scratch on another
    fresh one whenever it lost a race, up to ``max_attempts`` times.

    Returns ``work``'s result, the events of what it committed, and how many
    attempts it took.

    Raises:
        ConcurrencyError: the last attempt lost its race too (nothing of any
            attempt is kept).
    """
    for attempt in range(1, max_attempts + 1):
        uow = uow_factory()
        try:
            result = work(uow)
        except ConcurrencyError:
            if attempt >= max_attempts:
                raise
            wait(attempt)
            continue
        return result, uow.collect_events(), attempt
    raise ConcurrencyError(f"no attempt made (max_attempts={max_attempts})")


@attrs.define
class Context:
    uow: UnitOfWork
    clock: Clock
    _config: Config | ConfigSource = attrs.field(factory=Config, alias="config")
    uow_factory: Callable[[], UnitOfWork] | None = None
    """Fresh units of work for :meth:`unit` (``None``: :attr:`uow` is reused)."""
    max_attempts: int = 1
    """How often :meth:`unit` runs a unit of work that lost a race."""
    wait: Callable[[int], None] = backoff
    _events: list[Event] = attrs.field(factory=list, init=False)
    _current: UnitOfWork | None = attrs.field(default=None, init=False)

    @property
    def config(self) -> Config:
        """The configuration in force: given, or read (once per context)
        from the settings of the unit of work open now (the one
        :meth:`unit` runs, else :attr:`uow`), which must be open by then."""
        if not isinstance(self._config, Config):
            self._config = self._config(self.uow if self._current is None else self._current)
        return self._config

    def now(self) -> datetime:
        return self.clock.now()

    def unit(self, work: Callable[[UnitOfWork], R]) -> R:
        """Run ``work`` (which opens the unit it is given and commits it) on
        a fresh unit of work, again from scratch when it lost a race, up to
        :attr:`max_attempts` times; the events it committed are kept for the
        bus.

        Raises:
            ConcurrencyError: every attempt lost its race (nothing of this
                unit committed; earlier units stay committed).
        """
        factory = self.uow_factory or (lambda: self.uow)

        def run(uow: UnitOfWork) -> R:
            self._current = uow
            try:
                return work(uow)
            finally:
                self._current = None

        result, events, _ = with_retries(factory, run, self.max_attempts, wait=self.wait)
        self._events.extend(events)
        return result

    def collect_events(self) -> list[Event]:
        """Events of everything this context committed, oldest first; each is
        returned once."""
        events = [*self._events, *self.uow.collect_events()]
        self._events = []
        return events
