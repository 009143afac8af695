"""In-memory dead letters: failed follow-up work, kept for the process."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

import attrs

from ecerp.domain.shared.errors import NotFoundError
from ecerp.domain.shared.events import Event
from ecerp.ports.dead_letters import DeadLetter, describe


class MemoryDeadLetters:
    """Dead letters in a dict, by id (ids only grow)."""

    def __init__(self) -> None:
        self._letters: dict[int, DeadLetter] = {}
        self._next = 1
        self._lock = threading.Lock()

    def record(
        self,
        consumer: str,
        events: Sequence[Event],
        error: BaseException,
        *,
        attempts: int,
        at: datetime,
    ) -> int:
        error_type, message = describe(error)
        with self._lock:
            letter_id, self._next = self._next, self._next + 1
            self._letters[letter_id] = DeadLetter(
                letter_id, consumer, tuple(events), error_type, message, attempts, at, at
            )
        return letter_id

    def failed_again(
        self, letter_id: int, error: BaseException, *, attempts: int, at: datetime
    ) -> None:
        error_type, message = describe(error)
        with self._lock:
            letter = self._find(letter_id)
            self._letters[letter_id] = attrs.evolve(
                letter,
                error_type=error_type,
                error=message,
                attempts=letter.attempts + attempts,
                last_failed_at=at,
            )

    def list(self, limit: int | None = None) -> list[DeadLetter]:
        with self._lock:
            letters = [self._letters[i] for i in sorted(self._letters)]
        return letters if limit is None else letters[:limit]

    def get(self, letter_id: int) -> DeadLetter:
        with self._lock:
            return self._find(letter_id)

    def remove(self, letter_id: int) -> None:
        with self._lock:
            self._find(letter_id)
            del self._letters[letter_id]

    def _find(self, letter_id: int) -> DeadLetter:
        letter = self._letters.get(letter_id)
        if letter is None:
            raise NotFoundError("dead letter", letter_id)
        return letter
