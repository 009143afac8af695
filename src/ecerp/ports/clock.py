"""The clock port: the only way use cases learn the time.

The domain never reads the clock; use cases ask a :class:`Clock` and pass the
time into domain methods as ``at``.  Notebooks and tests use a simulated clock
(see ``ecerp.adapters.clock``) to replay history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime:
        """The current time: timezone-aware, UTC.  Never raises."""
        ...
