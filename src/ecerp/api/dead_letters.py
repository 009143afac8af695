"""``erp.dead_letters``: follow-up work that failed after its command committed.

>>> from ecerp import Sku, Warehouse, open_erp
>>> class Flaky:
...     name = "webhook"
...     down = True
...     def publish(self, events):
...         if self.down:
...             raise ConnectionError("webhook down")
>>> hook = Flaky()
>>> erp = open_erp("memory://", publishers=[hook])
>>> erp.catalog.add(Sku("MUG"))
>>> erp.inventory.add_warehouse(Warehouse("SH"))
>>> _ = erp.inventory.receive("MUG", "SH", 5)   # committed all the same
>>> [(d.consumer, d.attempts) for d in erp.dead_letters.list()]
[('publisher:webhook', 1)]
>>> hook.down = False
>>> erp.dead_letters.replay_all()   # none left dead
[]
"""

from __future__ import annotations

import builtins

from ecerp.api._base import ContextAPI
from ecerp.ports.dead_letters import DeadLetter


class DeadLettersAPI(ContextAPI):
    """Follow-up work that failed after its command committed.

    An event handler (the automatic allocation of waiting orders) or a
    publisher that still fails after its retries never raises into the
    caller of the command that caused it: it leaves a :class:`DeadLetter`
    (which consumer, the events, the error, attempts, first and last failure)
    to inspect, replay once the cause is fixed, or discard.
    """

    def list(self, limit: int | None = None) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        letters = self._erp.bus.dead_letters
        return [] if letters is None else letters.list(limit)

    def get(self, letter_id: int) -> DeadLetter:
        """The dead letter ``letter_id``.

        Raises:
            NotFoundError: no such dead letter.
        """
        return self._erp.bus.letters().get(letter_id)

    def replay(self, letter_id: int) -> bool:
        """Give the letter's events to its consumer again.

        ``True`` when it took them (the letter is gone), ``False`` when it
        failed again (the letter stays, with the new error and more attempts).

        Raises:
            NotFoundError: no such letter, or its consumer is not configured
                in this ERP.
        """
        return self._erp.bus.replay(letter_id)

    def replay_all(self) -> builtins.list[DeadLetter]:
        """Replay every letter, oldest first; returns those still dead."""
        return self._erp.bus.replay_all()

    def discard(self, letter_id: int) -> None:
        """Forget a letter without delivering it.

        Raises:
            NotFoundError: no such dead letter.
        """
        self._erp.bus.letters().remove(letter_id)
