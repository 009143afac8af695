"""Clocks: the system clock, and a simulated one for tests and what-if runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecerp.domain.shared.values import require_utc


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to: replay history, simulate demand.

    >>> clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    >>> clock.advance(timedelta(days=1)).isoformat()
    '2026-01-02T00:00:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self._now = require_utc("start", start)

    def now(self) -> datetime:
        """The simulated time (it stands still until moved)."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta``; returns the new time.

        Raises:
            ValueError: ``delta`` is negative.
        """
        if delta < timedelta(0):
            raise ValueError("a simulated clock does not go backwards")
        self._now += delta
        return self._now

    def set(self, at: datetime) -> None:
        """Move the clock forward to ``at``.

        Raises:
            ValidationError: ``at`` is naive.
            ValueError: ``at`` is earlier than the simulated time.
        """
        at = require_utc("at", at)
        if at < self._now:
            raise ValueError("a simulated clock does not go backwards")
        self._now = at
