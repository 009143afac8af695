"""The dead-letter port: follow-up work that failed after its command committed.

Once a command committed, what follows it (event handlers such as the
automatic allocation of waiting orders, publishers, and later tracking
write-back and channel sync) must not raise into the caller, who would
retry a command that already happened.  Follow-up work runs on its own, with
its own retries; what still fails is recorded here as a
:class:`DeadLetter`: which consumer, the events it was given, the error, how
many attempts, when it first and last failed.  A person lists and inspects
them, fixes the cause, and replays them (the consumer is given the same
events again) or discards them::

    letters.record("publisher:shop.Webhook", events, error, attempts=1, at=now)
    [letter] = letters.list()
    ...  # replayed with success:
    letters.remove(letter.id)

Backends keep dead letters where they keep their data (the SQL backends in
a ``dead_letters`` table, visible to every process), so a relay process's
failures are seen by the application and the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from ecerp.domain.shared.events import Event


@attrs.frozen
class DeadLetter:
    """Follow-up work that failed: ``consumer`` could not take ``events``.

    ``consumer`` names it as ``"handler:<module>.<function>"`` or
    ``"publisher:<name>"``; ``error_type`` and ``error`` are the last
    failure's exception class and message; ``attempts`` counts every run
    (retries and replays included).
    """

    id: int
    consumer: str
    events: tuple[Event, ...]
    error_type: str
    error: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime


@runtime_checkable
class DeadLetters(Protocol):
    """Where failed follow-up work is kept until it is replayed or discarded."""

    def record(
        self,
        consumer: str,
        events: Sequence[Event],
        error: BaseException,
        *,
        attempts: int,
        at: datetime,
    ) -> int:
        """Keep a new dead letter; returns its id (ids only grow)."""
        ...

    def failed_again(
        self, letter_id: int, error: BaseException, *, attempts: int, at: datetime
    ) -> None:
        """A replay of ``letter_id`` failed: ``attempts`` more attempts, the
        new error, ``at`` as the last failure.

        Raises:
            NotFoundError: no such dead letter.
        """
        ...

    def list(self, limit: int | None = None) -> list[DeadLetter]:
        """Dead letters, oldest first (up to ``limit``)."""
        ...

    def get(self, letter_id: int) -> DeadLetter:
        """Raises:
        NotFoundError: no such dead letter.
        """
        ...

    def remove(self, letter_id: int) -> None:
        """Forget ``letter_id`` (delivered by a replay, or discarded).

        Raises:
            NotFoundError: no such dead letter.
        """
        ...


def describe(error: BaseException) -> tuple[str, str]:
    """``(type name, message)`` of ``error``, as a letter keeps it (the
    message cut at 2,000 characters)."""
    return type(error).__name__, str(error).strip()[:2000]
