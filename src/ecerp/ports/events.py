"""The event publishing port: where committed domain events go out.

The message bus hands every event of a committed unit of work to each
publisher, after the internal handlers ran.  Publishers are for the outside
world (a queue, a webhook, a notebook's log); they must not change ecerp's
state.  An exception from a publisher propagates to the caller of the bus:
the command itself is already committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ecerp.domain.events import Event


@runtime_checkable
class EventPublisher(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Deliver ``events`` (in the order they happened)."""
        ...
