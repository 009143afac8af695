"""What every handler gets: a fresh unit of work and the clock."""

from __future__ import annotations

from datetime import datetime

import attrs

from ecerp.ports.clock import Clock
from ecerp.ports.unit_of_work import UnitOfWork


@attrs.define
class Context:
    uow: UnitOfWork
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()
