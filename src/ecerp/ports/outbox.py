"""The outbox port: committed events waiting to be delivered.

Backends that share a database between processes store each unit of work's
events in the same transaction as its changes.  A relay (the message bus
after each command, or ``python -m ecerp relay URL`` in its own process)
takes pending events, hands them to the event handlers and publishers, and
marks them delivered.  Delivery is at least once: an event whose handlers
ran but whose mark did not commit (a crash between the two) is delivered
again, so handlers must be idempotent (ecerp's are).  A handler or publisher
that fails does not hold the batch back: it leaves a dead letter
(:mod:`ecerp.ports.dead_letters`) and the batch is marked delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ecerp.domain.shared.events import Event


@runtime_checkable
class Outbox(Protocol):
    """Committed events waiting to be delivered.

    They are stored with the changes that caused them, so none is lost.
    """

    def pending(self, limit: int) -> list[tuple[int, Event]]:
        """Up to ``limit`` undelivered events, oldest first, with their ids."""
        ...

    def mark_delivered(self, ids: Sequence[int]) -> None:
        """Record that the events ``ids`` were delivered."""
        ...
