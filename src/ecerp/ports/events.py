"""The event publishing port: where committed domain events go out.

The message bus hands every event of a committed unit of work to each
publisher, after the internal handlers ran.  Publishers are for the outside
world (a queue, a webhook, a notebook's log); they must not change ecerp's
state.  An exception from a publisher never reaches the caller of the bus
(the command is already committed): the bus records it as a dead letter
(:mod:`ecerp.ports.dead_letters`) to replay once the cause is fixed.  A
publisher with a ``name`` attribute is recorded under that name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ecerp.domain.shared.events import Event


@runtime_checkable
class EventPublisher(Protocol):
    """Receives committed domain events (a message broker, a webhook, a log)."""

    def publish(self, events: Sequence[Event]) -> None:
        """Deliver ``events`` (in the order they happened)."""
        ...
