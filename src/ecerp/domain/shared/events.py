"""Domain events: frozen, past-tense facts that aggregates record.

Aggregates append events as they change; a unit of work collects them after
commit and the message bus hands them to handlers (for example, stock that
arrives lets waiting orders be allocated) and to publishers::

    >>> from ecerp.domain.orders.events import OrderCancelled
    >>> OrderCancelled("amazon/amz-de/111-222", reason="buyer asked")
    OrderCancelled(order='amazon/amz-de/111-222', reason='buyer asked')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    pass


@attrs.frozen
class Event:
    """Base of all domain events."""
