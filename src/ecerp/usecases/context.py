"""What every handler gets: a fresh unit of work and the clock."""

from __future__ import annotations

from datetime import datetime

import attrs

from ecerp.ports.clock import Clock
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config


@attrs.define
class Context:
    uow: UnitOfWork
    clock: Clock
    config: Config = attrs.field(factory=Config)

    def now(self) -> datetime:
        return self.clock.now()
